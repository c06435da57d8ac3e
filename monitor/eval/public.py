"""Public test splits (the registry's deterministic group split, `corpora.split_of`): per source and task,
PR-AUC, ROC-AUC and F1 at the scorer's operating point.

Only "test" rows are read (official test rows included); large sources are capped by a deterministic
sample (texts in sha256 order), which keeps each source's prevalence.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_score, recall_score, roc_auc_score

from monitor.classify import corpora
from monitor.classify.corpora import CorpusExample

BLOCK = 512


class TextScorer(Protocol):
    """What the public and classifier-level evals need of a model or the baseline."""

    def score_texts(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, float]]: ...


def text_order(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def capped(examples: Sequence[CorpusExample], per_source: int) -> list[CorpusExample]:
    """At most `per_source` examples of each source (0: all), the first in sha256-of-text order."""
    if per_source <= 0:
        return list(examples)
    by_source: dict[str, list[CorpusExample]] = {}
    for e in examples:
        by_source.setdefault(e.source, []).append(e)
    return [e for group in by_source.values() for e in sorted(group, key=lambda e: text_order(e.text))[:per_source]]


def available_sources(root: Path) -> tuple[list[str], list[str]]:
    """(registered sources whose folder is under `root`, those whose folder is not)."""
    present = [name for name, src in corpora.SOURCES.items() if (root / src.folder).is_dir()]
    return present, [name for name in corpora.SOURCES if name not in present]


def public_test_rows(root: Path, per_source: int) -> list[CorpusExample]:
    """The test split of every registered source present under `root`, capped per source."""
    present, _ = available_sources(root)
    return capped([e for e in corpora.load(present, root=root) if e.split == "test"], per_source)


def score_examples(scorer: TextScorer, examples: Sequence[CorpusExample],
                   progress: Callable[[int], None] | None = None) -> list[dict[str, float]]:
    """Scores of every example, text with its real preceding turns, in blocks."""
    out: list[dict[str, float]] = []
    for start in range(0, len(examples), BLOCK):
        block = examples[start : start + BLOCK]
        out.extend(scorer.score_texts([e.text for e in block], [list(e.context) for e in block]))
        if progress:
            progress(len(block))
    return out


def _metric(fn: Callable[..., float], *args: Any, **kw: Any) -> float:
    return round(float(fn(*args, **kw)), 4)


def public_metrics(examples: Sequence[CorpusExample], scores: Sequence[dict[str, float]],
                   thresholds: dict[str, float]) -> list[dict[str, Any]]:
    """One row per (source, task the source annotates): counts, PR-AUC, ROC-AUC, F1/precision/recall and
    the share flagged at the threshold. AUCs are None when the rows hold a single class (then recall, or
    the share flagged = FP rate, is what the rows can say); a task the scorer lacks is skipped."""
    rows: list[dict[str, Any]] = []
    keys: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(examples):
        for task in e.labels:
            keys.setdefault((e.source, task), []).append(i)
    for (source, task), idx in keys.items():
        if task not in thresholds:
            continue
        y = np.array([examples[i].labels[task] for i in idx])
        p = np.array([scores[i].get(task, 0.0) for i in idx])
        pred = p >= thresholds[task]
        both = 0 < y.sum() < len(y)
        rows.append({
            "source": source, "task": task, "language": examples[idx[0]].language, "n": len(idx),
            "positives": int(y.sum()),
            "pr_auc": _metric(average_precision_score, y, p) if both else None,
            "roc_auc": _metric(roc_auc_score, y, p) if both else None,
            "threshold": thresholds[task], "flagged": round(float(pred.mean()), 4),
            "f1": _metric(f1_score, y, pred, zero_division=0),
            "precision": _metric(precision_score, y, pred, zero_division=0),
            "recall": _metric(recall_score, y, pred, zero_division=0),
        })
    return sorted(rows, key=lambda r: (r["task"], r["source"]))
