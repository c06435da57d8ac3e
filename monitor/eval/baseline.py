"""The plain baseline: logistic regression on frozen all-MiniLM-L6-v2 embeddings (top layer, mean-pooled,
L2-normalised), one per task, fitted on the registry's train split; its threshold is the F1-best cut on
the calib split. It reads the text alone (no context) and is compared at classifier level only: rules
are written against the shipped model's calibrated scores, so running them on it would mean nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression

from monitor.classify import corpora
from monitor.classify.embcache import EmbeddingCache
from monitor.classify.encoder import Encoder, EncoderConfig
from monitor.classify.train import pick_threshold
from monitor.eval.public import available_sources, capped

NAME = "baseline"
DESCRIPTION = "logistic regression on frozen all-MiniLM-L6-v2 mean-pooled embeddings"


@dataclass(frozen=True, slots=True)
class BaselineHead:
    """One task's fitted regression and where it came from."""

    task: str
    model: LogisticRegression
    threshold: float
    train_n: int
    train_positives: int
    calib_n: int


class Baseline:
    """Scores texts for every task it was fitted on (implements `public.TextScorer`)."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache, heads: Sequence[BaselineHead]) -> None:
        self.encoder = encoder
        self.cache = cache
        self.heads = list(heads)
        self.skipped: dict[str, str] = {}

    @property
    def thresholds(self) -> dict[str, float]:
        return {h.task: h.threshold for h in self.heads}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        return self.cache.embed(list(texts), lambda part: self.encoder.encode(part, 64), self.encoder.dim)

    def score_texts(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, float]]:
        """One {task: probability} per text; `contexts` are ignored (the baseline reads the text alone)."""
        out: list[dict[str, float]] = [{} for _ in texts]
        if not texts:
            return out
        x = self.embed(texts)
        for head in self.heads:
            for row, p in zip(out, head.model.predict_proba(x)[:, 1]):
                row[head.task] = round(float(p), 6)
        return out

    def describe(self) -> dict[str, object]:
        return {
            "name": NAME, "description": DESCRIPTION, "encoder": self.encoder.name, "encoder_sha256": self.encoder.sha256,
            "heads": [{"task": h.task, "threshold": h.threshold, "train_n": h.train_n,
                       "train_positives": h.train_positives, "calib_n": h.calib_n} for h in self.heads],
            "skipped_tasks": dict(self.skipped),
        }


def train_baseline(root: Path, per_source: int, cache_path: Path,
                   log: Callable[[str], None] = lambda _msg: None) -> Baseline:
    """Fit one regression per task on the English train split under `root` (capped per source), seeded."""
    encoder = Encoder(EncoderConfig())
    cache = EmbeddingCache(cache_path, encoder.variant)
    baseline = Baseline(encoder, cache, [])
    english = [e for e in corpora.load(available_sources(root)[0], root=root) if e.language == "en"]
    train_all, calib_all = corpora.train_examples(english, "train"), corpora.train_examples(english, "calib")
    for task in corpora.TASKS:
        train = capped([e for e in train_all if task in e.labels], per_source)
        calib = capped([e for e in calib_all if task in e.labels], per_source)
        y, yc = np.array([e.labels[task] for e in train]), np.array([e.labels[task] for e in calib])
        if len(set(y.tolist())) < 2 or len(set(yc.tolist())) < 2:
            baseline.skipped[task] = "its train or calib split holds a single class"
            log(f"baseline {task}: skipped, {baseline.skipped[task]}")
            continue
        log(f"baseline {task}: embedding {len(train)} train + {len(calib)} calib texts")
        model = LogisticRegression(max_iter=2000, random_state=0).fit(baseline.embed([e.text for e in train]), y)
        threshold = pick_threshold(yc, model.predict_proba(baseline.embed([e.text for e in calib]))[:, 1])
        baseline.heads.append(BaselineHead(task, model, float(threshold), len(train), int(y.sum()), len(calib)))
    return baseline
