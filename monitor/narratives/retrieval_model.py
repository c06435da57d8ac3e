"""The learned retrieval model of `narratives search`: a query adapter, the fusion it is used with, and a
logistic-regression re-ranker over the fused top candidates.

- Adapter: a d × d linear map applied to the query's pooled embedding (then L2-normalised) before the
  cosine with the documents' wordings. Documents are not mapped, so their cached embeddings (keyed by the
  encoder's variant) are the same with or without it, and it reuses the encoder forward the monitor runs.
- Re-ranker: the top `depth` documents of the fused score are re-scored by a logistic regression over
  the pair features (standardised); a match's score is its probability. Four heads, fitted on the same
  candidates (`HEADS`, chosen per line by `head_for`): `dated`, for a query whose day is given, over the
  features but the call's (`pair_features.DATED`); for a query without its day, in a call of at least
  `MIN_BATCH` lines `undated`, without the date-comparing features but with how the call's lines agree
  (`pair_features.BATCH_FEATURES`), in a smaller call of 2 or more lines `few`, the same features fitted on
  calls of `FEW_CALLS` lines (their agreement is noisier), and `alone` for a line searched by itself, with
  neither. A head fitted with a feature and then given zeros ranks worse than one that never saw it. A
  call's lines are its distinct texts (`pair_features.call_size`), for the head as for the features.
- Speaker boost: when a line's speaker is known (given, or named in a transcript id: `speakers`), each head's
  logit gains `same` for the candidates by that speaker (same surname) and `other` for the rest
  (`speaker_boost`, fitted on the heads' cross-fitted logits); a line without a speaker ranks as without it.

Files: `retrieval.safetensors` (adapter, each head's feature mean/scale and coefficients) and `retrieval.json`
(fusion, depth, the features each head reads, heads' intercepts, the speaker boost, the encoder it was trained
on, the weights file's sha256, which loading checks).
Train it with `cct-monitor narratives train-retrieval` (see `monitor/narratives/train_retrieval.py`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from monitor.classify.encoder import file_sha256
from monitor.narratives.pair_features import ALONE, BATCH_COLUMNS, DATED, FEATURES, UNDATED, call_size

FORMAT = "cct-narrative-retrieval/3"
HEADS = {"dated": DATED, "undated": UNDATED, "few": UNDATED, "alone": ALONE}  # head: its feature columns
CALL_HEADS = frozenset(n for n, cols in HEADS.items() if set(BATCH_COLUMNS) & set(cols))  # heads reading the call
MIN_BATCH = 20  # lines in one call for the undated head (its training calls had about 90)
FEW_CALLS = (2, 3, 5, 10)  # the call sizes the few head is fitted on (consecutive lines of a debate)
WEIGHTS = "retrieval.safetensors"
META = "retrieval.json"


def default_model_dir() -> Path:
    from monitor.classify.stage import REPO_MODELS

    return REPO_MODELS / "narratives"


def adapt(adapter: np.ndarray, query_vectors: np.ndarray) -> np.ndarray:
    """`query_vectors` @ `adapter`, L2-normalised."""
    out = query_vectors @ adapter
    return (out / np.maximum(np.linalg.norm(out, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


@dataclass(frozen=True)
class Head:
    """A logistic regression over standardised features."""

    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray
    intercept: float
    columns: tuple[int, ...] = ()  # the `FEATURES` it reads, in order

    def logit(self, features: np.ndarray) -> np.ndarray:
        return ((features - self.mean) / self.scale) @ self.coef + self.intercept

    def probability(self, features: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-self.logit(features)))


@dataclass(frozen=True)
class SpeakerBoost:
    """What a known speaker adds to a head's logit: `same` for a claim by them, `other` for one by anyone else."""

    same: float = 0.0
    other: float = 0.0

    def logits(self, said: np.ndarray) -> np.ndarray:
        """The additions for candidates flagged 1 (by the line's speaker) or 0."""
        return np.where(said > 0, self.same, self.other)


@dataclass(frozen=True)
class RetrievalModel:
    """Adapter, fusion and the re-ranker's heads (`HEADS`); `sha256` is the weights file's."""

    adapter: np.ndarray
    dense_weight: float
    bm25_k: float
    depth: int
    heads: dict[str, Head]
    encoder_variant: str
    sha256: str = ""
    speaker_boost: dict[str, SpeakerBoost] = field(default_factory=dict)  # head: boost; none: no boost

    def adapt(self, query_vectors: np.ndarray) -> np.ndarray:
        """Query embeddings mapped by the adapter, L2-normalised."""
        return adapt(self.adapter, query_vectors)

    def rerank_scores(self, features: np.ndarray, head: str, said: np.ndarray | None = None) -> np.ndarray:
        """Probability that each candidate (a row of all `FEATURES`) is a match, by `head` (`head_for`); `said`:
        1 for the candidates by the line's speaker, 0 for the others (None: the speaker is not known)."""
        logit = self.heads[head].logit(features[:, list(self.heads[head].columns)])
        if said is not None and head in self.speaker_boost:
            logit = logit + self.speaker_boost[head].logits(said)
        return 1.0 / (1.0 + np.exp(-logit))

    def check_encoder(self, dim: int, variant: str) -> None:
        """Refuse an encoder other than the one the adapter was trained on (same weights; any engine)."""
        if dim != self.adapter.shape[0] or variant.split("-")[0] != self.encoder_variant.split("-")[0]:
            raise ValueError(f"the narrative retrieval model was trained on encoder {self.encoder_variant} "
                             f"(dim {self.adapter.shape[0]}), not {variant} (dim {dim})")


def head_for(dated: bool, lines: int) -> str:
    """The head for a query with or without its day, searched in a call of `lines` lines (distinct texts)."""
    return "dated" if dated else "undated" if lines >= MIN_BATCH else "few" if lines >= 2 else "alone"


def heads_for(queries: Sequence[str], dates: Sequence[dt.date | None] | None) -> list[str]:
    """Each query's head in one call (`dates`: each query's day or None; None for none given)."""
    lines = call_size(queries)
    return [head_for(dates is not None and dates[i] is not None, lines) for i in range(len(queries))]


def save(model: RetrievalModel, directory: Path, provenance: dict[str, object]) -> str:
    """Write the two files; returns the weights' sha256."""
    from safetensors.numpy import save_file

    directory.mkdir(parents=True, exist_ok=True)
    heads = model.heads
    tensors = {"adapter": model.adapter, **{f"{name}.{part}": getattr(head, part) for name, head in heads.items()
                                            for part in ("mean", "scale", "coef")}}
    save_file({k: np.ascontiguousarray(v, dtype=np.float32) for k, v in tensors.items()}, str(directory / WEIGHTS))
    sha = file_sha256(directory / WEIGHTS)
    meta = {"format": FORMAT, "weights": WEIGHTS, "sha256": sha, "features": list(FEATURES),
            "head_features": {n: [FEATURES[i] for i in h.columns] for n, h in heads.items()},
            "dense_weight": model.dense_weight, "bm25_k": model.bm25_k, "depth": model.depth, "intercepts": {n: h.intercept for n, h in heads.items()},
            "speaker_boost": {n: [b.same, b.other] for n, b in model.speaker_boost.items()},
            "encoder_variant": model.encoder_variant, **provenance}
    (directory / META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return sha


def load(directory: Path) -> RetrievalModel:
    """Read and verify a model directory: format, the features its heads read (by name: a model trained before a
    feature was added still loads) and the weights' sha256."""
    from safetensors.numpy import load_file

    meta = json.loads((directory / META).read_text(encoding="utf-8"))
    if meta.get("format") != FORMAT:
        raise ValueError(f"{directory / META}: format {meta.get('format')!r}, expected {FORMAT!r}")
    reads = {name: meta.get("head_features", {}).get(name) for name in HEADS}
    unknown = sorted({f for cols in reads.values() for f in cols or ()} - set(FEATURES))
    if unknown or not all(reads.values()):
        raise ValueError(f"{directory / META}: head features {unknown or reads} are not this code's {list(FEATURES)}")
    raw = (directory / WEIGHTS).read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    if sha != meta.get("sha256"):
        raise ValueError(f"{directory / WEIGHTS}: sha256 {sha} does not match {META} ({meta.get('sha256')})")
    t = load_file(str(directory / WEIGHTS))
    heads = {name: Head(t[f"{name}.mean"], t[f"{name}.scale"], t[f"{name}.coef"], float(meta["intercepts"][name]),
                        tuple(FEATURES.index(f) for f in reads[name])) for name in HEADS}
    boost = {name: SpeakerBoost(float(same), float(other)) for name, (same, other) in meta.get("speaker_boost", {}).items()}
    return RetrievalModel(t["adapter"], float(meta["dense_weight"]), float(meta["bm25_k"]), int(meta["depth"]),
                          heads, str(meta["encoder_variant"]), sha, boost)


def load_default() -> RetrievalModel | None:
    """The shipped model (`models/narratives/`), or None when it is not there."""
    directory = default_model_dir()
    return load(directory) if (directory / META).is_file() else None
