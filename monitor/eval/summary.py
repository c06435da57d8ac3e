"""Rates over functional-suite results: recall and false-positive rate per category and case type.

A harmful case is a *hit* when its expectation holds (an enforce-mode alert at or above its minimum
severity on its own chunk); a hard-negative or benign case is a *false alarm* when its expectation
fails (an alert above `info`, or any alert where none is expected).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from monitor.alert import SEVERITIES
from monitor.eval.functional import CaseResult
from monitor.eval.suite import CASE_TYPES, STANCE_NEGATIVES, FunctionalCase


def _ratio(k: int, n: int) -> float | None:
    return round(k / n, 4) if n else None


def rates(results: Iterable[CaseResult]) -> dict[str, Any]:
    """Counts and rates of one group of results."""
    results = list(results)
    harmful = [r for r in results if r.case.harmful]
    negatives = [r for r in results if not r.case.harmful]
    hits = sum(r.ok for r in harmful)
    detected = sum(bool(r.alerts) for r in harmful)
    false_alarms = sum(not r.ok for r in negatives)
    return {
        "harmful": len(harmful), "hits": hits, "recall": _ratio(hits, len(harmful)),
        "any_alert": _ratio(detected, len(harmful)), "shadow_only": sum(bool(r.shadow) and not r.alerts for r in harmful),
        "negatives": len(negatives), "false_alarms": false_alarms, "fp_rate": _ratio(false_alarms, len(negatives)),
    }


def grouped(results: Sequence[CaseResult], key: Callable[[FunctionalCase], str | None],
            order: Sequence[str] = ()) -> dict[str, dict[str, Any]]:
    """`rates` per value of `key(case)` (cases where it is None are left out); the values in `order`
    first, in that order, the others as first seen."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        k = key(r.case)
        if k is not None:
            groups.setdefault(k, []).append(r)
    keys = [k for k in order if k in groups] + [k for k in groups if k not in order]
    return {k: rates(groups[k]) for k in keys}


def above_info(result: CaseResult) -> bool:
    return any(SEVERITIES.index(a.severity) > 0 for a in result.alerts)


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The functional-suite section of the report, every miss and false alarm included."""
    stance = [r for r in results if r.case.case_type in STANCE_NEGATIVES]
    stance_above = [r for r in stance if above_info(r)]
    return {
        "overall": rates(results),
        "by_category": grouped(results, lambda c: c.category, ("election", "health", "threat", "hate", "claim")),
        "by_subcategory": grouped(results, lambda c: f"{c.category}/{c.subcategory}" if c.subcategory else None),
        "by_case_type": grouped(results, lambda c: c.case_type, CASE_TYPES),
        "stance_above_info": {"cases": len(stance), "count": len(stance_above), "ids": [r.case.id for r in stance_above]},
        "misses": [r.to_json() for r in results if r.case.harmful and not r.ok],
        "false_alarms": [r.to_json() for r in results if not r.case.harmful and not r.ok],
    }


def _pairs_ordered(cases: Sequence[FunctionalCase], scores: Sequence[float]) -> float | None:
    sides: dict[str, dict[bool, float]] = {}
    for case, score in zip(cases, scores):
        if case.pair:
            sides.setdefault(case.pair, {})[case.harmful] = score
    pairs = [s for s in sides.values() if len(s) == 2]
    return _ratio(sum(s[True] > s[False] for s in pairs), len(pairs))


def classifier_level(cases: Sequence[FunctionalCase], scores: Sequence[dict[str, float]],
                     thresholds: dict[str, float]) -> dict[str, dict[str, Any]]:
    """Per category, the category's own label alone at its operating point: recall on harmful cases,
    false-positive rate on the rest, ROC-AUC of the score (harmful vs not) within the category, and the
    share of context pairs whose harmful side scores higher than its twin."""
    out: dict[str, dict[str, Any]] = {}
    for category in dict.fromkeys(c.category for c in cases):
        idx = [i for i, c in enumerate(cases) if c.category == category]
        if category not in thresholds:
            out[category] = {"label": category, "missing": True}
            continue
        y = np.array([cases[i].harmful for i in idx])
        p = np.array([scores[i].get(category, 0.0) for i in idx])
        flagged = p >= thresholds[category]
        out[category] = {
            "label": category, "threshold": thresholds[category],
            "harmful": int(y.sum()), "recall": _ratio(int((flagged & y).sum()), int(y.sum())),
            "negatives": int((~y).sum()), "fp_rate": _ratio(int((flagged & ~y).sum()), int((~y).sum())),
            "roc_auc": round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None,
            "pairs_ordered": _pairs_ordered([cases[i] for i in idx], p.tolist()),
        }
    return out
