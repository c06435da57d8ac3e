"""CLEF CheckThat!-style check-worthiness ranking: each test debate's lines ranked by the `claim` score, scored
per debate and averaged (MAP, R-precision, P@10), as the CLEF 2019/2020 debate tasks report it.

Whole debates are kept (a ranking over a sample of a debate's lines is not the task), taken from the registry's
test split (`corpora.split_of` by debate, plus CLEF 2020's official test debates) in sha256 order of the debate
key until `max_lines` lines per source. Debates without a check-worthy line are skipped, as CLEF does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify import corpora
from monitor.classify.corpora import CorpusExample

DEBATE_SOURCES = ("clef2019", "clef2020-debates")
TASK = "claim"
TARGET_MAP = 0.20


def debate_test_rows(root: Path, max_lines: int) -> list[CorpusExample]:
    """The test-split lines of the debate sources present under `root`, whole debates, at most `max_lines` per
    source (0: all), in transcript order."""
    present = [s for s in DEBATE_SOURCES if (root / corpora.SOURCES[s].folder).is_dir()]
    out: list[CorpusExample] = []
    for source in present:
        debates: dict[str, list[CorpusExample]] = {}
        for e in corpora.load([source], root=root):
            if e.split == "test":
                debates.setdefault(e.group, []).append(e)
        taken = 0
        for key in sorted(debates, key=lambda g: hashlib.sha256(f"{source}:{g}".encode()).hexdigest()):
            lines = debates[key]
            if max_lines and taken and taken + len(lines) > max_lines:
                break
            out.extend(lines)
            taken += len(lines)
    return out


def average_precision(labels: np.ndarray, scores: np.ndarray) -> float:
    """AP of one ranking (ties broken by transcript order: a stable sort of the descending scores)."""
    order = np.argsort(-scores, kind="stable")
    hits = labels[order].astype(bool)
    ranks = np.flatnonzero(hits) + 1
    return float((np.arange(1, len(ranks) + 1) / ranks).mean()) if len(ranks) else 0.0


def ranking_metrics(examples: Sequence[CorpusExample], scores: Sequence[dict[str, float]]) -> list[dict[str, Any]]:
    """One row per debate source: debates ranked, lines, check-worthy lines, MAP, mean R-precision, mean P@10."""
    by_debate: dict[tuple[str, str], list[int]] = {}
    for i, e in enumerate(examples):
        if TASK in e.labels:
            by_debate.setdefault((e.source, e.group), []).append(i)
    rows: list[dict[str, Any]] = []
    for source in sorted({s for s, _ in by_debate}):
        ap, rprec, p10, lines, positives = [], [], [], 0, 0
        for (src, _), idx in by_debate.items():
            if src != source:
                continue
            y = np.array([examples[i].labels[TASK] for i in idx])
            p = np.array([scores[i].get(TASK, 0.0) for i in idx])
            lines += len(idx)
            positives += int(y.sum())
            if not y.any():
                continue
            order = np.argsort(-p, kind="stable")
            ap.append(average_precision(y, p))
            rprec.append(float(y[order][: int(y.sum())].mean()))
            p10.append(float(y[order][:10].sum() / 10))
        rows.append({"source": source, "debates": len(ap), "lines": lines, "positives": positives,
                     "map": round(float(np.mean(ap)), 4) if ap else None,
                     "r_precision": round(float(np.mean(rprec)), 4) if rprec else None,
                     "p_at_10": round(float(np.mean(p10)), 4) if p10 else None})
    return rows
