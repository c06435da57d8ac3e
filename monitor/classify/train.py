"""Train one label head reproducibly and measure it against a plain logistic-regression baseline.

Steps: load the sources → split by group into train / calibration / test (70/15/15, positives spread
evenly) → embed (cached) → fit candidates on train: the baseline (plain LR on the mean-pooled embedding),
a class-balanced LR, a small MLP, and both again on embedding + previous-chunk context when the data has
context, and a class-balanced LR on embedding + hashed word n-grams with `lexical`, and with `blend` the best MLP and that LR
added (their logits standardised on the calibration split, the mix picked there) → pick the candidate
with the best PR-AUC on the calibration split (context or lexical features only when they beat text-only
by FEATURE_MARGIN) → calibrate it on the calibration split (Platt or isotonic, chosen by cross-fitted Brier
score) → report every candidate on the untouched test split → measure the int8 encoder's effect.
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix, issparse
from scipy.sparse import hstack as sparse_hstack
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import average_precision_score, brier_score_loss, precision_recall_fscore_support, roc_auc_score
from sklearn.neural_network import MLPClassifier

from monitor.classify.data import Example, SourceSpec, load_all
from monitor.classify.embcache import EmbeddingCache, default_cache_path
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.classify.heads import Calibration, Head, context_features, head_inputs, mean_context
from monitor.classify.lexical import LexicalFeatures

log = logging.getLogger(__name__)

SPLITS = ("train", "calib", "test")
SPLIT_FRACTIONS = (0.70, 0.15, 0.15)
# A richer feature set (context, lexical) is used only when it beats the chunk embedding alone by this much
# calibration-split PR-AUC.
FEATURE_MARGIN = 0.005
LR_C_GRID = (0.25, 1.0, 4.0)
LR_CLASS_WEIGHTS = (None, "balanced")
MLP_ALPHA_GRID = (1e-3, 1e-2)
# A blend's share of the MLP's standardised logit (the rest is the lexical LR's).
BLEND_GRID = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


@dataclass
class TrainConfig:
    """Everything that determines a trained head."""

    label: str
    sources: list[SourceSpec]
    out_dir: Path
    seed: int = 13
    model: str = "default"
    max_tokens: int = 128
    context_n: int = 2
    threshold: float | None = None
    prior: float | None = None
    calibration: str = "auto"  # "auto" (lower cross-fitted Brier), "platt" or "isotonic"
    measure_int8: bool = True
    cache_path: Path = field(default_factory=default_cache_path)
    threads: int | None = None
    layers: tuple[int, ...] = (0,)
    lexical: LexicalFeatures | None = None
    blend: bool = False
    command: str = ""


@dataclass
class Candidate:
    """One fitted head candidate and its scores."""

    name: str
    features: str
    layers: list[tuple[np.ndarray, np.ndarray]]
    params: dict[str, float] = field(default_factory=dict)
    calib_pr_auc: float = 0.0
    test: dict[str, float] = field(default_factory=dict)
    linear: tuple[np.ndarray, np.ndarray] | None = None  # a blend's LR over [embedding | n-grams]


def split_groups(examples: Sequence[Example], seed: int) -> list[str]:
    """A split name per example. Each source is split on its own, so every split sees every source;
    groups never straddle splits, and positives and negatives are each spread by SPLIT_FRACTIONS."""
    by_source: dict[str, list[int]] = defaultdict(list)
    for i, ex in enumerate(examples):
        by_source[ex.source].append(i)
    out = [""] * len(examples)
    for source in sorted(by_source):
        idx = by_source[source]
        groups: dict[str, list[int]] = defaultdict(list)
        for i in idx:
            groups[examples[i].group].append(i)
        names = sorted(groups)
        random.Random(f"{seed}:{source}").shuffle(names)
        names.sort(key=lambda g: -sum(examples[i].label for i in groups[g]))
        total_pos = max(1, sum(examples[i].label for i in idx))
        total_neg = max(1, len(idx) - total_pos)
        pos = [0, 0, 0]
        neg = [0, 0, 0]
        for g in names:
            gpos = sum(examples[i].label for i in groups[g])
            gneg = len(groups[g]) - gpos
            if gpos:
                deficits = [f - pos[s] / total_pos for s, f in enumerate(SPLIT_FRACTIONS)]
            else:
                deficits = [f - neg[s] / total_neg for s, f in enumerate(SPLIT_FRACTIONS)]
            s = int(np.argmax(deficits))
            pos[s] += gpos
            neg[s] += gneg
            for i in groups[g]:
                out[i] = SPLITS[s]
    return out


def metrics_at(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    """Held-out quality: PR-AUC, ROC-AUC, precision/recall/F1 at `threshold`, Brier score, counts."""
    pred = (p >= threshold).astype(int)
    prec, rec, f1, _ = precision_recall_fscore_support(y, pred, average="binary", zero_division=0)
    both = len(set(y.tolist())) == 2
    return {
        "pr_auc": round(float(average_precision_score(y, p)), 4) if both else float("nan"),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else float("nan"),
        "precision": round(float(prec), 4),
        "recall": round(float(rec), 4),
        "f1": round(float(f1), 4),
        "brier": round(float(brier_score_loss(y, p)), 4),
        "threshold": threshold,
        "n": int(len(y)),
        "positives": int(y.sum()),
    }


def _lr_layers(model: LogisticRegression) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(model.coef_.T.astype(np.float32), model.intercept_.astype(np.float32))]


def _mlp_layers(model: MLPClassifier) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(w.astype(np.float32), b.astype(np.float32)) for w, b in zip(model.coefs_, model.intercepts_)]


def _raw(layers: list[tuple[np.ndarray, np.ndarray]], x: Any, linear: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
    """Logits of dense layers on `x`; on sparse [embedding | n-grams] rows, of an LR over them, or of a blend's
    dense layers over the embedding plus its `linear` term over the whole row."""
    if issparse(x):
        if linear is None:
            (w, b), = layers
            return np.asarray(x @ w + b, dtype=np.float64)[:, 0]
        d = layers[0][0].shape[0]
        return _raw(layers, x[:, :d].toarray()) + np.asarray(x @ linear[0] + linear[1], dtype=np.float64)[:, 0]
    head = Head("tmp", "tmp", "text", layers, Calibration("platt", {"platt": np.array([1.0, 0.0])}))
    return head.raw(x)


def _balanced(x: np.ndarray, y: np.ndarray, w: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Oversample positives to at most 4× (capped at the negatives' count) so the MLP sees enough of them."""
    pos = np.flatnonzero(y == 1)
    neg = np.flatnonzero(y == 0)
    if len(pos) == 0 or len(pos) >= len(neg):
        return x, y, w
    rng = np.random.default_rng(seed)
    extra = rng.choice(pos, size=min(len(neg), 4 * len(pos)) - len(pos), replace=True)
    idx = np.concatenate([np.arange(len(y)), extra])
    return x[idx], y[idx], w[idx]


def baseline_features(x_text: np.ndarray, n_layers: int) -> np.ndarray:
    """The plain sentence embedding inside the features: the top layer's mean pooling, unit length."""
    block = x_text.shape[1] // n_layers
    return x_text[:, -block:] * np.sqrt(n_layers)


def fit_candidates(
    x_text: np.ndarray, x_ctx: np.ndarray | None, y: np.ndarray, w: np.ndarray,
    x_calib: dict[str, np.ndarray], y_calib: np.ndarray, w_calib: np.ndarray, seed: int, n_layers: int = 1,
    x_lex: np.ndarray | None = None,
) -> list[Candidate]:
    """The baseline (unweighted) and the candidate heads (source weights `w`), fitted on the training split;
    the LR's C / class weighting and the MLP's weight decay are picked on the calibration split's
    source-weighted PR-AUC. On lexical features only the LR is fitted: its input is tens of thousands of
    columns wide, an MLP's first layer over it would be megabytes."""
    feature_sets = [("text", x_text)]
    if x_ctx is not None:
        feature_sets.append(("text+context", x_ctx))
    if x_lex is not None:
        feature_sets.append(("text+lexical", x_lex))
    base = LogisticRegression(C=1.0, max_iter=3000)
    base.fit(baseline_features(x_text, n_layers), y)
    out = [Candidate("baseline-lr", "text", _lr_layers(base))]
    for features, x in feature_sets:
        suffix = {"text": "", "text+context": "+ctx", "text+lexical": "+lex"}[features]
        fits: list[Candidate] = []
        for c in LR_C_GRID:
            for weight in LR_CLASS_WEIGHTS:
                lr = LogisticRegression(C=c, class_weight=weight, max_iter=3000)
                lr.fit(x, y, sample_weight=w)
                fits.append(Candidate(f"lr{suffix}", features, _lr_layers(lr), params={"C": c, "class_weight": str(weight)}))
        xb, yb, wb = _balanced(x, y, w, seed)
        for alpha in MLP_ALPHA_GRID if features != "text+lexical" else ():
            mlp = MLPClassifier(
                hidden_layer_sizes=(128,), alpha=alpha, learning_rate_init=1e-3, max_iter=200, early_stopping=True,
                validation_fraction=0.1, n_iter_no_change=10, random_state=seed,
            )
            mlp.fit(xb, yb, sample_weight=wb)
            fits.append(Candidate(f"mlp{suffix}", features, _mlp_layers(mlp), params={"alpha": alpha, "hidden": 128}))
        for c in fits:
            c.calib_pr_auc = round(float(average_precision_score(
                y_calib, _raw(c.layers, x_calib[features]), sample_weight=w_calib)), 4)
        for kind in dict.fromkeys(c.name for c in fits):
            out.append(max((c for c in fits if c.name == kind), key=lambda c: c.calib_pr_auc))
    return out


def fit_blend(mlp: Candidate, lex: Candidate, x_text_calib: np.ndarray, x_lex_calib: Any, y_calib: np.ndarray,
              w_calib: np.ndarray) -> Candidate:
    """The MLP (embedding) and the lexical LR added: each logit divided by its calibration-split spread, the
    MLP's share from BLEND_GRID picked by the calibration split's source-weighted PR-AUC. Folded into the
    MLP's last layer and the LR's weights, so the head is one sum of two scores."""
    z_mlp, z_lex = _raw(mlp.layers, x_text_calib), _raw(lex.layers, x_lex_calib)
    s_mlp, s_lex = float(z_mlp.std()) or 1.0, float(z_lex.std()) or 1.0
    scored = [(round(float(average_precision_score(y_calib, a * z_mlp / s_mlp + (1 - a) * z_lex / s_lex,
                                                   sample_weight=w_calib)), 4), a) for a in BLEND_GRID]
    pr, a = max(scored)
    *hidden, (w_out, b_out) = mlp.layers
    (w_lin, b_lin), = lex.layers
    k_mlp, k_lex = np.float32(a / s_mlp), np.float32((1 - a) / s_lex)
    return Candidate("blend", "text+lexical", [*hidden, (w_out * k_mlp, b_out * k_mlp)],
                     params={"mlp_share": a, "mlp": mlp.params, "lr+lex": lex.params}, calib_pr_auc=pr,
                     linear=(w_lin * k_lex, b_lin * k_lex))


def prior_weights(y: np.ndarray, prior: float | None) -> np.ndarray:
    """Sample weights that make positives `prior` of the total weight (all ones when `prior` is None)."""
    w = np.ones(len(y))
    n_pos = int(y.sum())
    if prior is None or n_pos in (0, len(y)):
        return w
    w[y == 1] = prior * len(y) / n_pos
    w[y == 0] = (1 - prior) * len(y) / (len(y) - n_pos)
    return w


def fit_calibration(
    raw: np.ndarray, y: np.ndarray, seed: int, prior: float | None = None, method: str = "auto"
) -> tuple[Calibration, dict[str, float]]:
    """Platt or isotonic on the calibration split: `method`, or with "auto" whichever has the lower
    cross-fitted Brier score (both scores are reported either way).
    With `prior`, the split is reweighted so positives make up that share (a prior shift)."""
    weights = prior_weights(y, prior)

    def platt(r: np.ndarray, t: np.ndarray, w: np.ndarray) -> Calibration:
        m = LogisticRegression(C=1e6, max_iter=1000).fit(r.reshape(-1, 1), t, sample_weight=w)
        return Calibration("platt", {"platt": np.array([m.coef_[0, 0], m.intercept_[0]], dtype=np.float64)})

    def isotonic(r: np.ndarray, t: np.ndarray, w: np.ndarray) -> Calibration:
        m = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(r, t, sample_weight=w)
        return Calibration("isotonic", {"iso_x": np.asarray(m.X_thresholds_, float), "iso_y": np.asarray(m.y_thresholds_, float)})

    rng = np.random.default_rng(seed)
    fold = rng.permutation(len(y)) % 2
    scores: dict[str, float] = {}
    for name, fit in (("platt", platt), ("isotonic", isotonic)):
        losses = []
        for k in (0, 1):
            tr, te = fold != k, fold == k
            if len(set(y[tr].tolist())) < 2:
                losses.append(float("inf"))
                continue
            losses.append(brier_score_loss(y[te], fit(raw[tr], y[tr], weights[tr])(raw[te]), sample_weight=weights[te]))
        scores[name] = round(float(np.mean(losses)), 5)
    if method == "auto":
        method = "isotonic" if scores["isotonic"] < scores["platt"] and int(y.sum()) >= 50 else "platt"
    return (isotonic if method == "isotonic" else platt)(raw, y, weights), scores


def pick_threshold(y: np.ndarray, p: np.ndarray) -> float:
    """The F1-best cut on the calibration split, on a 0.05 grid within [0.2, 0.8] (coarse on purpose:
    a cut tuned finely to one split does not carry over to other data)."""
    grid = np.round(np.arange(0.2, 0.8001, 0.05), 2)
    f1s = [precision_recall_fscore_support(y, (p >= t).astype(int), average="binary", zero_division=0)[2] for t in grid]
    return float(grid[int(np.argmax(f1s))])


def per_source(examples: Sequence[Example], y: np.ndarray, p: np.ndarray, threshold: float) -> list[dict[str, Any]]:
    """Test-split quality per source: ranking metrics where the source has both classes, and the share
    flagged at the threshold (false-positive rate for negative-only sources such as hard negatives)."""
    out = []
    for source in dict.fromkeys(e.source for e in examples):
        idx = np.array([i for i, e in enumerate(examples) if e.source == source])
        ys, ps = y[idx], p[idx]
        row: dict[str, Any] = {"source": source, "n": int(len(idx)), "positives": int(ys.sum())}
        if 0 < ys.sum() < len(ys):
            row["pr_auc"] = round(float(average_precision_score(ys, ps)), 4)
            row["roc_auc"] = round(float(roc_auc_score(ys, ps)), 4)
        if (ys == 0).any():
            row["negatives_flagged"] = round(float((ps[ys == 0] >= threshold).mean()), 4)
        if (ys == 1).any():
            row["positives_flagged"] = round(float((ps[ys == 1] >= threshold).mean()), 4)
        out.append(row)
    return out


class Embedder:
    """Cached embeddings of texts and of previous-chunk context for one encoder variant."""

    def __init__(self, encoder: Encoder, cache_path: Path, progress: Callable[[int, int], None] | None = None) -> None:
        self.encoder = encoder
        self.cache = EmbeddingCache(cache_path, encoder.variant)
        self.progress = progress

    def texts(self, texts: Sequence[str]) -> np.ndarray:
        done = [0]

        def tick(n: int) -> None:
            done[0] += n
            if self.progress:
                self.progress(done[0], len(texts))

        return self.cache.embed(texts, lambda t: self.encoder.encode(t, 64), self.encoder.dim, progress=tick)

    def features(self, examples: Sequence[Example], context_n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """(text embeddings, [text | mean context] features or None when no example has context)."""
        ctx_lists = [[c for c in e.context if c.strip()][-context_n:] if context_n else [] for e in examples]
        has_ctx = any(ctx_lists)
        flat = [c for cl in ctx_lists for c in cl]
        emb = self.texts([e.text for e in examples] + flat)
        x_text, ctx_flat = emb[: len(examples)], emb[len(examples) :]
        if not has_ctx:
            return x_text, None
        ctx = mean_context(ctx_flat, [len(cl) for cl in ctx_lists], x_text)
        return x_text, context_features(x_text, ctx)


@dataclass
class TrainResult:
    """The trained head, the files written and everything the model card reports."""

    head: Head
    files: list[Path]
    report: dict[str, Any]


def train_head(config: TrainConfig, progress: Callable[[int, int], None] | None = None) -> TrainResult:
    """Train, calibrate, evaluate and save one head (+ its model card) into `config.out_dir`."""
    from monitor.classify.card import write_card, write_index

    examples = load_all(config.sources, config.seed)
    if not examples:
        raise ValueError("no training examples")
    y_all = np.array([e.label for e in examples])
    if y_all.sum() == 0 or y_all.sum() == len(y_all):
        raise ValueError(f"label {config.label!r}: the data needs both positive and negative examples")
    split = np.array(split_groups(examples, config.seed))
    encoder = Encoder(EncoderConfig(model=config.model, max_tokens=config.max_tokens, threads=config.threads,
                                    layers=config.layers, offline=True))
    embedder = Embedder(encoder, config.cache_path, progress)
    x_text, x_ctx = embedder.features(examples, config.context_n)
    sel = {s: split == s for s in SPLITS}
    y = {s: y_all[sel[s]] for s in SPLITS}
    for s in SPLITS:
        if len(set(y[s].tolist())) < 2:
            raise ValueError(f"label {config.label!r}: the {s} split has only one class; add data or groups")

    x_by = {"text": x_text}
    if x_ctx is not None:
        x_by["text+context"] = x_ctx
    if config.lexical is not None:  # kept sparse: a hashed block can be 2**18 columns wide
        x_by["text+lexical"] = sparse_hstack([csr_matrix(x_text), config.lexical.sparse([e.text for e in examples])],
                                             format="csr")

    def xs(features: str, s: str) -> np.ndarray:
        return x_by[features][sel[s]]

    x_calib = {f: xs(f, "calib") for f in x_by}
    w_all = np.array([e.weight for e in examples])
    candidates = fit_candidates(xs("text", "train"), xs("text+context", "train") if x_ctx is not None else None,
                                y["train"], w_all[sel["train"]], x_calib, y["calib"], w_all[sel["calib"]], config.seed,
                                len(encoder.layers), xs("text+lexical", "train") if config.lexical is not None else None)
    if config.blend:
        if config.lexical is None:
            raise ValueError("a blend needs lexical features")
        candidates.append(fit_blend(
            max((c for c in candidates if c.name == "mlp"), key=lambda c: c.calib_pr_auc),
            next(c for c in candidates if c.name == "lr+lex"), x_calib["text"], x_calib["text+lexical"],
            y["calib"], w_all[sel["calib"]]))
    baseline = candidates[0]
    baseline.calib_pr_auc = round(float(average_precision_score(
        y["calib"], _raw(baseline.layers, baseline_features(x_calib["text"], len(encoder.layers))),
        sample_weight=w_all[sel["calib"]])), 4)
    pool = [c for c in candidates if c.name != "baseline-lr"]
    best_text = max((c for c in pool if c.features == "text"), key=lambda c: c.calib_pr_auc)
    best_ctx = max((c for c in pool if c.features == "text+context"), key=lambda c: c.calib_pr_auc, default=None)
    best_lex = max((c for c in pool if c.features == "text+lexical"), key=lambda c: c.calib_pr_auc, default=None)
    # (a blend is a text+lexical candidate: it is chosen like the lexical LR, when it beats the embedding alone)
    richer = [c for c in (best_ctx, best_lex) if c is not None and c.calib_pr_auc >= best_text.calib_pr_auc + FEATURE_MARGIN]
    chosen = max(richer, key=lambda c: c.calib_pr_auc, default=best_text)
    use_ctx = chosen is best_ctx

    calibration, calib_scores = fit_calibration(
        _raw(chosen.layers, xs(chosen.features, "calib"), chosen.linear), y["calib"], config.seed, config.prior, config.calibration)
    threshold = config.threshold if config.threshold is not None else pick_threshold(
        y["calib"], calibration(_raw(chosen.layers, xs(chosen.features, "calib"), chosen.linear)))
    for c in candidates:
        raw_test = _raw(c.layers, baseline_features(xs("text", "test"), len(encoder.layers)) if c is baseline
                        else xs(c.features, "test"), c.linear)
        if c is baseline:
            p = 1.0 / (1.0 + np.exp(-raw_test))
            c.test = metrics_at(y["test"], p, 0.5)
            continue
        cal = calibration if c is chosen else fit_calibration(
            _raw(c.layers, xs(c.features, "calib"), c.linear), y["calib"], config.seed, config.prior, config.calibration)[0]
        p = cal(raw_test)
        c.test = metrics_at(y["test"], p, threshold)
        if c is chosen:
            chosen_p = p
    test_examples = [e for e, s in zip(examples, split) if s == "test"]
    at_half = metrics_at(y["test"], chosen_p, 0.5)

    head = Head(
        label=config.label, kind=chosen.name.split("+")[0], features=chosen.features, layers=chosen.layers,
        calibration=calibration, context_n=config.context_n if use_ctx else 0, threshold=threshold,
        lexical=config.lexical if chosen is best_lex else None, linear=chosen.linear,
    )
    int8 = measure_int8(config, head, test_examples, y["test"], chosen.test) if config.measure_int8 else None
    sources_report = []
    for spec in config.sources:
        rows = [i for i, e in enumerate(examples) if e.source == spec.display]
        sources_report.append({
            "name": spec.display, "path": str(spec.path), "options": spec.options, "rows": len(rows),
            "positives": int(y_all[rows].sum()) if rows else 0,
        })
    report = {
        "label": config.label,
        "seed": config.seed,
        "command": config.command,
        "trained_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "encoder": {"name": encoder.name, "sha256": encoder.sha256, "dim": encoder.dim, "max_tokens": config.max_tokens,
                    "layers": list(encoder.layers)},
        "sources": sources_report,
        "splits": {s: {"n": int(sel[s].sum()), "positives": int(y[s].sum()),
                       "groups": len({e.group for e, t in zip(examples, split) if t == s})} for s in SPLITS},
        "candidates": [{"name": c.name, "features": c.features, "params": c.params, "calib_pr_auc": c.calib_pr_auc,
                        "test": c.test} for c in candidates],
        "threshold": {"value": threshold, "how": "given" if config.threshold is not None else "F1-best on the calibration split"},
        "test_at_0.5": at_half,
        "test_by_source": per_source(test_examples, y["test"], chosen_p, threshold),
        "chosen": chosen.name,
        "context": {
            "available": x_ctx is not None,
            "best_text_calib_pr_auc": best_text.calib_pr_auc,
            "best_context_calib_pr_auc": best_ctx.calib_pr_auc if best_ctx else None,
            "used": use_ctx,
            "context_n": config.context_n,
        },
        "lexical": {
            "available": config.lexical is not None,
            "params": config.lexical.to_json() if config.lexical is not None else None,
            "best_lexical_calib_pr_auc": best_lex.calib_pr_auc if best_lex else None,
            "used": chosen is best_lex,
            "blend": chosen.params if chosen.name == "blend" else None,
        },
        "calibration": {"method": calibration.method, "chosen_by": "lower cross-fitted Brier" if config.calibration == "auto"
                        else "--calibration", "cross_fitted_brier": calib_scores, "prior": config.prior},
        "test": chosen.test,
        "baseline_test": baseline.test,
        "int8": int8,
    }
    head.meta = {
        "encoder": report["encoder"], "seed": config.seed, "trained_at": report["trained_at"],
        "chosen": chosen.name, "test": chosen.test, "baseline_test": baseline.test, "context": report["context"],
        "lexical_selection": report["lexical"],
        "test_at_0.5": at_half, "test_by_source": report["test_by_source"], "calibration_prior": config.prior,
        "int8": int8, "command": config.command,
    }
    weights, spec_path = head.save(config.out_dir / "heads")
    card = write_card(config.out_dir / "cards", report, [weights, spec_path])
    write_index(config.out_dir)
    return TrainResult(head, [weights, spec_path, card], report)


def measure_int8(config: TrainConfig, head: Head, test: list[Example], y: np.ndarray, fp32: dict[str, float]) -> dict[str, Any]:
    """The chosen head's test metrics when the encoder runs with int8 dynamic quantisation."""
    encoder = Encoder(EncoderConfig(model=config.model, max_tokens=config.max_tokens, threads=config.threads,
                                    layers=config.layers, quantize_int8=True, offline=True))
    x_text, x_ctx = Embedder(encoder, config.cache_path).features(test, config.context_n)
    x = x_ctx if head.uses_context and x_ctx is not None else head_inputs(head, x_text, None, [e.text for e in test])
    p = head.proba(x)
    m = metrics_at(y, p, head.threshold)
    return {
        "test": m,
        "delta_pr_auc": round(m["pr_auc"] - fp32["pr_auc"], 4),
        "delta_f1": round(m["f1"] - fp32["f1"], 4),
    }
