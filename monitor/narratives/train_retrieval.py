"""Train the `narratives search` retrieval model (`retrieval_model`) on CheckThat!-format train qrels.

1. Adapter: W (d × d, initialised to the identity) on the query embedding, trained with a softmax
   contrastive loss over each query's positives, its hardest dense negatives and random documents
   (documents score the best cosine over their wordings), plus λ‖W − I‖² to stay near the encoder.
2. Fusion and re-ranker need first-stage scores the adapter has not been fitted on: the train queries
   are split into folds by debate (the id before its last `_`), each fold scored by an adapter fitted on
   the others (its clauses' scores too). The fusion (dense weight, BM25 k) is the best MAP@5 on those
   scores; the re-ranker's heads (`retrieval_model.HEADS`) logistic regressions on the pair features of
   every query's top `depth` candidates, the call features with each fold's queries searched as one call
   (`undated`) or in consecutive calls of `retrieval_model.FEW_CALLS` lines (`few`, fitted on all those
   sizes; queries in the order given, sorted ids: a debate's lines in order). Their train figures are
   nested: each fold re-ranked by heads fitted on the other folds.
3. Speaker boost (`retrieval_model.SpeakerBoost`, when the train lines' speakers are known): per head, two
   logit additions (claims by the line's speaker, the others) fitted by log loss on those nested logits;
   its train figures nested too (the boost fitted on the other folds).
4. The shipped adapter is then fitted on all train queries.

Seeded and single-threaded (torch), so the same data and seed give the same file (same sha256).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.card import hand_written
from monitor.classify.encoder import file_sha256
from monitor.narratives.evaluate import Query, ranking_scores
from monitor.narratives.index import NarrativeIndex, top_ranks
from monitor.narratives.retrieval_model import FEW_CALLS, HEADS, MIN_BATCH, Head, RetrievalModel, SpeakerBoost, adapt
from monitor.narratives.speakers import given

MAX_POSITIVES = 4
FUSION_GRID = tuple((w, k) for w in (0.5, 0.6, 0.7, 0.8) for k in (2.0, 4.0, 8.0, 16.0))


@dataclass(frozen=True)
class TrainConfig:
    seed: int = 0
    adapter_l2: float = 0.1
    temperature: float = 0.05
    epochs: int = 100
    learning_rate: float = 1e-3
    hard_negatives: int = 96
    random_negatives: int = 64
    folds: int = 5
    depth: int = 100
    rerank_c: float = 0.1

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def _wording_table(index: NarrativeIndex) -> np.ndarray:
    """documents × most wordings: each document's rows of `index.vectors`, −1 padded."""
    counts = np.bincount(index.owner, minlength=len(index))
    table = np.full((len(index), int(counts.max())), -1, dtype=np.int64)
    fill = np.zeros(len(index), dtype=np.int64)
    for row, doc in enumerate(index.owner.tolist()):
        table[doc, fill[doc]] = row
        fill[doc] += 1
    return table


def fit_adapter(index: NarrativeIndex, queries: np.ndarray, positives: Sequence[set[int]], cfg: TrainConfig) -> np.ndarray:
    """The adapter matrix fitted on query embeddings and their relevant document indices."""
    import torch

    rng = np.random.default_rng(cfg.seed)
    raw = index.best_per_document(queries)
    cand = []
    for i, pos in enumerate(positives):
        first = sorted(pos)[:MAX_POSITIVES]
        hard = [j for j in np.argsort(-raw[i], kind="stable")[:cfg.hard_negatives + len(pos)].tolist() if j not in pos]
        cand.append(first + [-1] * (MAX_POSITIVES - len(first)) + hard[:cfg.hard_negatives]
                    + rng.integers(0, len(index), cfg.random_negatives).tolist())
    docs = np.array(cand, dtype=np.int64)
    is_pos = np.array([[j in pos for j in row] for row, pos in zip(cand, positives, strict=True)])
    table = _wording_table(index)
    rows = np.where(docs[..., None] >= 0, table[np.maximum(docs, 0)], -1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        torch.manual_seed(cfg.seed)
        vectors = torch.from_numpy(index.vectors[np.maximum(rows, 0)])
        present = torch.from_numpy(rows >= 0)
        positive = torch.from_numpy(is_pos & (docs >= 0))
        valid = torch.from_numpy(docs >= 0)
        q = torch.from_numpy(np.ascontiguousarray(queries, dtype=np.float32))
        eye = torch.eye(q.shape[1])
        w = eye.clone().requires_grad_(True)
        opt = torch.optim.Adam([w], lr=cfg.learning_rate)
        for _ in range(cfg.epochs):
            opt.zero_grad()
            qa = q @ w
            qa = qa / qa.norm(dim=-1, keepdim=True)
            sims = torch.einsum("qd,qkwd->qkw", qa, vectors).masked_fill(~present, -1e4).amax(-1) / cfg.temperature
            loss = (torch.logsumexp(sims.masked_fill(~valid, -1e9), 1) - torch.logsumexp(sims.masked_fill(~positive, -1e9), 1)).mean()
            loss = loss + cfg.adapter_l2 * ((w - eye) ** 2).sum()
            loss.backward()
            opt.step()
        return w.detach().numpy().astype(np.float32)
    finally:
        torch.set_num_threads(threads)


def debate_folds(ids: Sequence[str], folds: int) -> np.ndarray:
    """Fold of each query: debates (id before the last `_`) dealt round-robin in sorted order."""
    debates = sorted({i.rpartition("_")[0] or i for i in ids})
    fold = {d: n % folds for n, d in enumerate(debates)}
    return np.array([fold[i.rpartition("_")[0] or i] for i in ids], dtype=np.int64)


def fit_head(x: np.ndarray, y: np.ndarray, c: float, columns: Sequence[int]) -> Head:
    """A logistic regression (inverse regularisation `c`) on standardised features (`x`: the `columns` of `FEATURES`)."""
    from sklearn.linear_model import LogisticRegression

    mean, scale = x.mean(0), x.std(0) + 1e-6
    lr = LogisticRegression(C=c, max_iter=5000).fit((x - mean) / scale, y)
    return Head(mean.astype(np.float32), scale.astype(np.float32), lr.coef_[0].astype(np.float32),
                float(lr.intercept_[0]), tuple(columns))


def train(index: NarrativeIndex, queries: Sequence[Query], qrels: dict[str, set[str]], cfg: TrainConfig
          ) -> tuple[RetrievalModel, dict[str, float]]:
    """The model and its train MAP@5: the first stage cross-fitted, re-ranked by each head (nested: each fold
    by heads fitted on the others)."""
    from monitor.narratives.pair_features import BATCH_COLUMNS, DocumentFeatures, FirstStage

    doc_row = {d.id: n for n, d in enumerate(index.docs)}
    ids = [d.id for d in index.docs]
    positives = [{doc_row[v] for v in qrels[q.id] if v in doc_row} for q in queries]
    keep = [i for i, p in enumerate(positives) if p]
    if not keep:
        raise ValueError("no train query has a relevant document in the index")
    queries = [queries[i] for i in keep]
    positives = [positives[i] for i in keep]
    texts = [q.text for q in queries]
    vecs = index.encoder.encode(texts)
    raw = index.best_per_document(vecs)
    bm25 = index.bm25.scores(texts)
    fold = debate_folds([q.id for q in queries], cfg.folds)
    if len(set(fold.tolist())) < 2:
        raise ValueError("cross-fitting needs train queries from at least 2 debates (ids <debate>_<line>)")
    dense, clause = np.zeros_like(raw), np.zeros_like(raw)
    for f in sorted(set(fold.tolist())):
        fit, held = np.where(fold != f)[0], np.where(fold == f)[0]
        w = fit_adapter(index, vecs[fit], [positives[i] for i in fit], cfg)
        dense[held] = index.best_per_document(adapt(w, vecs[held]))
        clause[held] = index.clause_scores([texts[i] for i in held], dense[held], w)
    relevant = [{ids[j] for j in p} for p in positives]

    def map5(matrix: np.ndarray) -> float:
        return ranking_scores(top_ranks(matrix, 20), ids, relevant).map5

    weight, k = max(FUSION_GRID, key=lambda g: map5(g[0] * dense + (1 - g[0]) * bm25 / (bm25 + g[1])))
    lexical = bm25 / (bm25 + k)
    fused = weight * dense + (1 - weight) * lexical
    feats = DocumentFeatures([" ".join(d.texts) for d in index.docs], [d.speaker for d in index.docs],
                             [d.stated for d in index.docs], [d.venue for d in index.docs])
    cand = top_ranks(fused, cfg.depth)
    x = np.stack([feats.pairs(t, cand[i], FirstStage(dense[i], raw[i], lexical[i], fused[i], clause[i]), queries[i].date)
                  for i, t in enumerate(texts)])
    y = np.array([[j in positives[i] for j in cand[i].tolist()] for i in range(len(texts))])

    def in_calls(size: int | None) -> np.ndarray:
        """`x` with the call features of each fold's queries searched in consecutive calls of `size` (None: the
        whole fold in one call, as held-out queries are)."""
        batch = np.zeros((*cand.shape, len(BATCH_COLUMNS)), dtype=np.float32)
        for f in sorted(set(fold.tolist())):
            rows = np.where(fold == f)[0]
            for start in range(0, len(rows), size or len(rows)):
                part = rows[start:start + (size or len(rows))]
                batch[part] = feats.batch_days([texts[i] for i in part], cand[part], fused[part])
        out = x.copy()
        out[..., list(BATCH_COLUMNS)] = batch
        return out

    whole, calls = in_calls(None), {size: in_calls(size) for size in FEW_CALLS}
    fitted_on = {"dated": [x], "undated": [whole], "few": list(calls.values()), "alone": [x]}
    scored_on = {"dated": {"": x}, "undated": {"": whole}, "few": {f"_calls_of_{s}": c for s, c in calls.items()}, "alone": {"": x}}

    def fit_on(name: str, rows: np.ndarray) -> Head:
        cols = list(HEADS[name])
        return fit_head(np.concatenate([m[rows][..., cols].reshape(-1, len(cols)) for m in fitted_on[name]]),
                        np.concatenate([y[rows].reshape(-1)] * len(fitted_on[name])), cfg.rerank_c, cols)

    def reranked(logits: np.ndarray) -> np.ndarray:
        out = np.full_like(fused, -1.0)
        np.put_along_axis(out, cand, 1.0 / (1.0 + np.exp(-logits)) + 1.0, axis=1)
        return out

    spoken = [given([q.speaker]) for q in queries]
    said = np.stack([feats.said_by(cand[i], spoken[i]) for i in range(len(texts))])
    has_speaker = np.array([bool(s) for s in spoken])
    figures = {"train_map5_fused_crossfit": map5(fused)}
    boosts = {}
    for name, cols in ((n, list(c)) for n, c in HEADS.items()):
        heads = {f: fit_on(name, fold != f) for f in sorted(set(fold.tolist()))}
        nested = {}
        for suffix, matrix in scored_on[name].items():
            logits = np.zeros(cand.shape, dtype=np.float64)
            for f, head in heads.items():
                held = fold == f
                logits[held] = head.logit(matrix[held][..., cols].reshape(-1, len(cols))).reshape(int(held.sum()), -1)
            nested[suffix] = logits
            figures[f"train_map5_reranked_{name}{suffix}_crossfit"] = map5(reranked(logits))
        if has_speaker.any():
            for suffix, logits in nested.items():
                boosted = logits.copy()
                for f in heads:
                    fit_rows = (fold != f) & has_speaker
                    boost = fit_speaker_boost([m[fit_rows] for m in nested.values()], y[fit_rows], said[fit_rows])
                    held = (fold == f) & has_speaker
                    boosted[held] += boost.logits(said[held])
                figures[f"train_map5_reranked_{name}{suffix}_speaker_crossfit"] = map5(reranked(boosted))
            boosts[name] = fit_speaker_boost([m[has_speaker] for m in nested.values()], y[has_speaker], said[has_speaker])
    heads = {name: fit_on(name, np.ones(len(texts), dtype=bool)) for name in HEADS}
    model = RetrievalModel(fit_adapter(index, vecs, positives, cfg), float(weight), float(k), cfg.depth, heads,
                           index.encoder.variant, speaker_boost=boosts)
    return model, figures


def fit_speaker_boost(logits: Sequence[np.ndarray], y: np.ndarray, said: np.ndarray, l2: float = 1.0) -> SpeakerBoost:
    """The (same, other) logit additions that best fit `y` (log loss + `l2` · ‖·‖²) given a head's cross-fitted
    `logits` (one matrix per way of calling it, all on the same candidates) and `said` (1: by the line's speaker)."""
    from scipy.optimize import minimize

    base = np.concatenate([m.reshape(-1) for m in logits])
    target = np.tile(y.reshape(-1).astype(np.float64), len(logits))
    flag = np.tile(said.reshape(-1) > 0, len(logits))

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        z = base + np.where(flag, params[0], params[1])
        p = 1.0 / (1.0 + np.exp(-z))
        value = float(np.sum(np.logaddexp(0.0, z) - target * z) + l2 * params @ params)
        g = p - target
        return value, np.array([g[flag].sum(), g[~flag].sum()]) + 2 * l2 * params

    same, other = minimize(loss, np.zeros(2), jac=True, method="L-BFGS-B").x
    return SpeakerBoost(float(same), float(other))


def train_on_checkthat(data_dir: Path, cfg: TrainConfig, debates: Path | None = None
                       ) -> tuple[RetrievalModel, dict[str, float], dict[str, str]]:
    """Train on a CheckThat! 2B directory's `qrels_train.csv` (its dev qrels are never read) with the default
    encoder, the lines' speakers from the `debates` transcripts CSV when given (its `train` rows only: the
    speaker boost; none without); returns the model, its train figures and the sha256 of every data file read."""
    from monitor.narratives.evaluate import debate_speakers, read_qrels, read_queries, said_on, vclaim_document
    from monitor.narratives.loader import read_vclaims_jsonl
    from monitor.narratives.matcher import embedding_cache_path, shared_default_encoder

    vclaims = next(iter(sorted(data_dir.glob("vclaims*.jsonl"))), None)
    if vclaims is None:
        raise ValueError(f"{data_dir}: no vclaims*.jsonl")
    claims, problems = read_vclaims_jsonl(vclaims)
    if problems:
        raise ValueError("\n".join(str(p) for p in problems[:20]))
    files = [vclaims, data_dir / "queries_train_dev.csv", data_dir / "qrels_train.csv"]
    texts = dict(read_queries(files[1]))
    qrels = read_qrels(files[2])
    speakers = debate_speakers(debates, sorted(qrels), frozenset({"train"}))
    queries = [Query(q, texts[q], "", said_on(q), speakers.get(q, "")) for q in sorted(qrels) if q in texts]
    files += [debates] if debates is not None else []
    index = NarrativeIndex([vclaim_document(c) for c in claims], shared_default_encoder(), embedding_cache_path())
    model, figures = train(index, queries, qrels, cfg)
    return model, figures, {f.name: file_sha256(f) for f in files}


def write_card(directory: Path, sha256: str, provenance: dict[str, Any]) -> None:
    """The model card (`card.md`) beside the model files."""
    figures = "\n".join(f"  - {k}: {v:.3f}" for k, v in provenance["figures"].items())
    data = "\n".join(f"  - `{name}`: sha256 `{sha}`" for name, sha in provenance["data_sha256"].items())
    text = f"""# Narrative retrieval model (`narratives search`)

A query adapter (linear map on the all-MiniLM-L6-v2 last-layer embedding, {provenance['config']['epochs']} epochs
from the identity), the BM25 fusion it is used with and a logistic-regression re-ranker (plus a speaker boost) over the top
{provenance['config']['depth']} fused candidates with four heads (`monitor/narratives/retrieval_model.py`,
features in `monitor/narratives/pair_features.py`), chosen per line: for a line without a `date`,
`undated` in a call of at least {MIN_BATCH} lines (distinct texts; it also reads the days the call's other
lines point to), `few` in a call of 2 to {MIN_BATCH - 1} lines (the same features, fitted on calls of
{', '.join(map(str, FEW_CALLS))} consecutive lines of a debate), `alone` for a line searched by itself;
`dated` for a line with a date (no call features).

- Weights: `retrieval.safetensors`, sha256 `{sha256}` (checked on load against `retrieval.json`).
- Trained with: `{provenance['command']}` (seeded, single-threaded; same data and seed, same sha256), config in
  `retrieval.json`. The adapter's settings and the first 21 features (the 2 date ones included) were chosen
  earlier by looking at dev MAP@5; the where-stated, candidate-agreement and call-agreement features, the
  heads and C = {provenance['config']['rerank_c']} were chosen by cross-validation on the train queries grouped
  by debate (5 folds, and forward splits by debate date); dev was read for two candidate models (the
  first without the call-agreement features), to report. The `few` head and the dated head without the
  call features were chosen on the same train cross-validation; dev was read once, for the final model.
- **Research use only (flagged).** Data: CheckThat! 2022 Task 2B (English debates → PolitiFact) **train qrels
  only** (`../shared/datasets/checkthat2022-task2b-debates/`); dev qrels are never read, test queries are not in
  the repository. Licence (dataset README): the re-host is CC BY-SA 3.0 DE; the underlying CheckThat! data is
  the organisers' "free for general research use"; PolitiFact claims are PolitiFact's copyright. Do not ship
  this model in a commercial product without clearing those terms.
{data}
- Train figures (MAP@5; the first stage cross-fitted by debate, each head nested: every fold re-ranked by
  heads fitted on the other folds; the fusion weights were picked on all train folds):
{figures}
- Dev figures, side by side with BM25 in the same run: `cct-monitor narratives eval --data
  ../shared/datasets/checkthat2022-task2b-debates` (README § Known narratives).
- Dates: two features compare the day a query was said with the day the claim was stated (`stated_after`,
  `stated_recency`); only the dated head reads them. The other heads date a query by its own top
  candidates instead (`time_gap`, `time_density`) and, `undated` and `few`, by the other lines' top candidates
  (`batch_sameday`, `batch_period`: so a line's ranking depends on the lines searched with it); all read
  where a claim was made (`venue_*`: debate, speech, broadcast, ad, online, other; from PolitiFact's
  "stated on ... in ..."; 0 for narrative sets).
- Speaker boost (`speaker_boost` in `retrieval.json`): when a line's speaker is known (a `"speaker"` field, or
  a CheckThat! id whose event names a much-checked person: `monitor/narratives/speakers.py`), each head's
  logit gains `same` for the claims of that speaker (same surname) and `other` for the rest; fitted per head
  (log loss, L2 1) on the heads' cross-fitted train logits, the train lines' speakers read from
  {provenance.get('speakers_from', 'no transcript: no boost')}; the `_speaker_crossfit` figures are nested
  the same way (boost fitted on the other folds). A line without a speaker ranks as without the boost.
- Scope: trained on debate sentences against PolitiFact claims; the monitor's narrative rule leaf does not
  use it (its `min_score`s are set on the plain fused score).
"""
    card = directory / "card.md"
    card.write_text(text + hand_written(card), encoding="utf-8")
