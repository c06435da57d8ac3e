"""Per-label heads over the encoder's embedding: a logistic regression or a small MLP plus calibration.

Each head is two files in the heads directory: `<label>.safetensors` (weights and calibration arrays) and
`<label>.json` (what the head is, which features it reads, how it was calibrated, its held-out metrics).
Features are the chunk's embedding; or, when `features` is `text+context`, the chunk's embedding followed
by the mean embedding of up to `context_n` previous chunks of the same broadcast (zeros when there are
none); or, when it is `text+lexical`, the chunk's embedding followed by its hashed word n-grams
(`monitor.classify.lexical`, parameters recorded in the JSON's `lexical`). `head_inputs` builds them.
A `blend` head (features `text+lexical`) adds two scores: its dense layers read the embedding alone, and a
linear term (`lin_w`, `lin_b`) reads the whole [embedding | n-grams] row, so its hashed columns cost one
weight each instead of one per hidden unit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import load_file, save_file

from monitor.classify.encoder import file_sha256
from monitor.classify.lexical import LexicalFeatures

FORMAT_VERSION = 1
FEATURES = ("text", "text+context", "text+lexical")
CALIBRATIONS = ("platt", "isotonic")
CALIBRATION_TENSORS = ("platt", "iso_x", "iso_y")


def context_features(text_emb: np.ndarray, ctx_emb: np.ndarray | None) -> np.ndarray:
    """[text embedding | mean context embedding]; `ctx_emb` rows are zero where there is no context."""
    if ctx_emb is None:
        ctx_emb = np.zeros_like(text_emb)
    return np.concatenate([text_emb, ctx_emb], axis=1)


def head_inputs(head: Head, emb: np.ndarray, ctx: np.ndarray | None, texts: Sequence[str]) -> np.ndarray:
    """The feature rows `head` reads: `emb` (one row per text of `texts`), with the mean context embedding
    `ctx` or the texts' lexical features appended as its `features` say. Training and serving both call it."""
    if head.uses_context:
        return context_features(emb, ctx)
    if head.lexical is not None:
        if len(texts) != len(emb):
            raise ValueError(f"head {head.label!r} reads the texts: {len(texts)} texts for {len(emb)} embeddings")
        return LexicalRows(np.asarray(emb, dtype=np.float32), head.lexical.sparse(texts))
    return emb


@dataclass(frozen=True, slots=True)
class LexicalRows:
    """A lexical head's input rows, [embedding | hashed n-grams], with the n-grams kept sparse: a dense
    product over their tens of thousands of columns costs tens of ms a batch, the sparse one microseconds."""

    emb: np.ndarray
    lex: Any

    def dense(self) -> np.ndarray:
        return np.concatenate([self.emb, self.lex.toarray()], axis=1)


def _affine(x: LexicalRows, w: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[embedding | n-grams] @ w + b, the n-gram part as a sparse product."""
    d = x.emb.shape[1]
    return x.emb @ w[:d] + np.asarray(x.lex @ w[d:], dtype=np.float32) + b


def mean_context(ctx_flat: np.ndarray, ctx_lengths: Sequence[int], like: np.ndarray) -> np.ndarray:
    """Per row, the mean of its `ctx_lengths[row]` consecutive context embeddings in `ctx_flat` (zeros when none).

    Training and serving both build context features through this one function.
    """
    ctx = np.zeros_like(like)
    pos = 0
    for row, n in enumerate(ctx_lengths):
        if n:
            ctx[row] = ctx_flat[pos : pos + n].mean(axis=0)
        pos += n
    return ctx


@dataclass
class Calibration:
    """Maps a raw decision value to a probability: Platt (sigmoid(a*s+b)) or isotonic (piecewise linear)."""

    method: str
    params: dict[str, np.ndarray]

    def __call__(self, raw: np.ndarray) -> np.ndarray:
        if self.method == "platt":
            a, b = self.params["platt"]
            return 1.0 / (1.0 + np.exp(-(a * raw + b)))
        if self.method == "isotonic":
            return np.interp(raw, self.params["iso_x"], self.params["iso_y"])
        raise ValueError(f"unknown calibration {self.method!r}")


@dataclass
class Head:
    """One label's head: dense layers (ReLU between), a final logit, a calibration and its metadata."""

    label: str
    kind: str
    features: str
    layers: list[tuple[np.ndarray, np.ndarray]]
    calibration: Calibration
    context_n: int = 0
    threshold: float = 0.5
    meta: dict[str, Any] = field(default_factory=dict)
    lexical: LexicalFeatures | None = None
    linear: tuple[np.ndarray, np.ndarray] | None = None  # a blend's linear term over [embedding | n-grams]

    def __post_init__(self) -> None:
        if (self.features == "text+lexical") != (self.lexical is not None):
            raise ValueError(f"head {self.label!r}: features {self.features!r} and lexical {self.lexical} disagree")
        if self.linear is not None and (self.lexical is None or self.linear[0].shape[0]
                                        != self.layers[0][0].shape[0] + self.lexical.n_features):
            raise ValueError(f"head {self.label!r}: a linear term needs lexical features and one weight per "
                             "embedding dimension and hashed column")

    @property
    def uses_context(self) -> bool:
        return self.features == "text+context"

    def feature_dim(self, emb_dim: int) -> int:
        """The width of this head's input for an encoder giving `emb_dim`-dim embeddings."""
        if self.uses_context:
            return 2 * emb_dim
        return emb_dim + (self.lexical.n_features if self.lexical is not None else 0)

    @property
    def in_dim(self) -> int:
        return int((self.linear[0] if self.linear is not None else self.layers[0][0]).shape[0])

    def raw(self, x: np.ndarray | LexicalRows) -> np.ndarray:
        """Uncalibrated decision values (logits) for feature rows `x` (`head_inputs`)."""
        if self.linear is not None:
            if not isinstance(x, LexicalRows):
                raise ValueError(f"head {self.label!r} is a blend: it reads [embedding | n-grams] rows")
            return self._dense(x.emb, 0) + _affine(x, *self.linear)[:, 0].astype(np.float64)
        if isinstance(x, LexicalRows):
            return self._dense(_affine(x, *self.layers[0]), 1)
        return self._dense(np.asarray(x, dtype=np.float32), 0)

    def _dense(self, h: np.ndarray, start: int) -> np.ndarray:
        """The dense layers from `start` on (ReLU before each but the first) applied to `h`, as logits."""
        for i in range(start, len(self.layers)):
            if i:
                h = np.maximum(h, 0.0)
            w, b = self.layers[i]
            h = h @ w + b
        return h[:, 0].astype(np.float64)

    def proba(self, x: np.ndarray | LexicalRows) -> np.ndarray:
        """Calibrated probabilities in [0, 1]."""
        return np.clip(self.calibration(self.raw(x)), 0.0, 1.0)

    def tensors(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for i, (w, b) in enumerate(self.layers):
            out[f"w{i}"] = np.ascontiguousarray(w, dtype=np.float32)
            out[f"b{i}"] = np.ascontiguousarray(b, dtype=np.float32)
        if self.linear is not None:
            out["lin_w"] = np.ascontiguousarray(self.linear[0], dtype=np.float32)
            out["lin_b"] = np.ascontiguousarray(self.linear[1], dtype=np.float32)
        for k, v in self.calibration.params.items():
            out[k] = np.ascontiguousarray(v, dtype=np.float64)
        return out

    def save(self, directory: Path) -> tuple[Path, Path]:
        """Write `<label>.safetensors` and `<label>.json`; the JSON records the weights' sha256."""
        directory.mkdir(parents=True, exist_ok=True)
        weights = directory / f"{self.label}.safetensors"
        save_file(self.tensors(), str(weights))
        spec = {
            "format": FORMAT_VERSION,
            "label": self.label,
            "kind": self.kind,
            "features": self.features,
            "context_n": self.context_n,
            "calibration": self.calibration.method,
            "threshold": round(float(self.threshold), 6),
            "weights": weights.name,
            "weights_sha256": file_sha256(weights),
            **({"lexical": self.lexical.to_json()} if self.lexical is not None else {}),
            **self.meta,
        }
        spec_path = directory / f"{self.label}.json"
        spec_path.write_text(json.dumps(spec, indent=2, sort_keys=False) + "\n", encoding="utf-8")
        return weights, spec_path


def load_head(spec_path: Path) -> Head:
    """Read one head from its JSON and the safetensors file it names (checking the recorded sha256)."""
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    if spec.get("format") != FORMAT_VERSION:
        raise ValueError(f"{spec_path}: unsupported head format {spec.get('format')!r}")
    weights = spec_path.parent / spec["weights"]
    if spec.get("weights_sha256") and file_sha256(weights) != spec["weights_sha256"]:
        raise ValueError(f"{weights}: sha256 does not match {spec_path.name}; the head files are out of sync")
    tensors = load_file(str(weights))
    layers = []
    i = 0
    while f"w{i}" in tensors:
        layers.append((tensors[f"w{i}"], tensors[f"b{i}"]))
        i += 1
    if not layers:
        raise ValueError(f"{weights}: no layers")
    if spec["features"] not in FEATURES or spec["calibration"] not in CALIBRATIONS:
        raise ValueError(f"{spec_path}: unknown features {spec['features']!r} or calibration {spec['calibration']!r}")
    calib = Calibration(spec["calibration"], {k: v for k, v in tensors.items() if k in CALIBRATION_TENSORS})
    linear = (tensors["lin_w"], tensors["lin_b"]) if "lin_w" in tensors else None
    known = {"format", "label", "kind", "features", "context_n", "calibration", "threshold", "weights", "weights_sha256",
             "lexical"}
    try:
        return Head(
            label=spec["label"], kind=spec["kind"], features=spec["features"], layers=layers, calibration=calib,
            context_n=int(spec.get("context_n", 0)), threshold=float(spec.get("threshold", 0.5)),
            meta={k: v for k, v in spec.items() if k not in known},
            lexical=LexicalFeatures.from_json(spec["lexical"]) if "lexical" in spec else None, linear=linear,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{spec_path}: {exc}") from None


def load_heads(directory: Path, labels: list[str] | None = None) -> list[Head]:
    """Every head in `directory` (or exactly `labels`, in that order). Raises when one is missing."""
    if not directory.is_dir():
        raise FileNotFoundError(f"heads directory {directory} does not exist")
    if labels is None:
        labels = sorted(p.stem for p in directory.glob("*.json"))
    heads = []
    for label in labels:
        path = directory / f"{label}.json"
        if not path.is_file():
            raise FileNotFoundError(f"no head for label {label!r}: {path} does not exist")
        heads.append(load_head(path))
    if not heads:
        raise FileNotFoundError(f"no heads (*.json) in {directory}")
    return heads
