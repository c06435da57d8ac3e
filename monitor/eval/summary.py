"""Rates over functional-suite results: recall and false-positive rate per category, case type and language.

A harmful case is a *hit* when its expectation holds (an enforce-mode alert at or above its minimum
severity on its own chunk); a hard-negative or benign case is a *false alarm* when its expectation
fails (an alert above `info`, or any alert where none is expected).

The category and case-type breakdowns cover the English cases (`PRIMARY_LANGUAGE`), so they stay
comparable from run to run as languages are added; every language, English included, gets its own row
in `by_language`, with the cases the pipeline marked `unsupported_language` (not scored) counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_auc_score

from monitor.alert import SEVERITIES
from monitor.eval.functional import CaseResult
from monitor.eval.suite import CASE_TYPES, STANCE_NEGATIVES, FunctionalCase

# The stance head's score, and the case types whose speaker does not assert the harm it states.
STANCE_LABEL = "stance_assert"
STANCE_FRAMED: tuple[str, ...] = (*STANCE_NEGATIVES, "reporting")
STANCE_CUTS: tuple[float, ...] = (0.5, 0.75)

# The language of the category and case-type breakdowns and of the classifier-level table.
PRIMARY_LANGUAGE = "en"


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


def stance_above_info(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Counter-speech, debunk quotes and negations that raised an alert above info (target: none)."""
    stance = [r for r in results if r.case.case_type in STANCE_NEGATIVES]
    above = [r.case.id for r in stance if above_info(r)]
    return {"cases": len(stance), "count": len(above), "ids": above}


def language_row(results: Sequence[CaseResult]) -> dict[str, Any]:
    """One language's rates, its stance negatives above info and how many of its cases went unscored."""
    unsupported = [r for r in results if r.unsupported_language is not None]
    return {"cases": len(results), **rates(results), "stance_above_info": stance_above_info(results),
            "unsupported_language": len(unsupported),
            "unsupported_as": sorted({r.unsupported_language for r in unsupported if r.unsupported_language})}


def by_language(results: Sequence[CaseResult]) -> dict[str, dict[str, Any]]:
    """`language_row` per case language (English first, the others in code order), then `all` of them."""
    groups: dict[str, list[CaseResult]] = {}
    for r in results:
        groups.setdefault(r.case.language, []).append(r)
    order = sorted(groups, key=lambda code: (code != PRIMARY_LANGUAGE, code))
    return {**{code: language_row(groups[code]) for code in order}, "all": language_row(results)}


def accuracy_by_case_type(results: Sequence[CaseResult], category: str) -> dict[str, dict[str, Any]]:
    """HateCheck-style accuracy of one category: the share of its cases, harmful and not, whose expectation
    holds, over all of them (`all`) and per case type (the functionalities), in the order first seen."""
    mine = [r for r in results if r.case.category == category]
    groups = {"all": rates(mine), **grouped(mine, lambda c: c.case_type)} if mine else {}

    def accuracy(g: dict[str, Any]) -> dict[str, Any]:
        cases, ok = g["harmful"] + g["negatives"], g["hits"] + g["negatives"] - g["false_alarms"]
        return {"cases": cases, "ok": ok, "accuracy": _ratio(ok, cases)}

    return {k: accuracy(g) for k, g in groups.items()}


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """The functional-suite section of the report: the English breakdowns, the per-language table, and every
    miss and false alarm (all languages)."""
    primary = [r for r in results if r.case.language == PRIMARY_LANGUAGE]
    return {
        "breakdown_language": PRIMARY_LANGUAGE,
        "overall": rates(primary),
        "by_category": grouped(primary, lambda c: c.category, ("election", "health", "threat", "hate", "claim")),
        "by_subcategory": grouped(primary, lambda c: f"{c.category}/{c.subcategory}" if c.subcategory else None),
        "by_case_type": grouped(primary, lambda c: c.case_type, CASE_TYPES),
        "stance_above_info": stance_above_info(primary),
        "hate_functionalities": accuracy_by_case_type(primary, "hate"),
        "by_language": by_language(results),
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


def _stance_rates(y: np.ndarray, p: np.ndarray) -> dict[str, Any]:
    return {
        "harmful": int(y.sum()), "framed": int((~y).sum()),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if 0 < y.sum() < len(y) else None,
        **{f"harmful_at_{cut}": _ratio(int((p[y] >= cut).sum()), int(y.sum())) for cut in STANCE_CUTS},
        **{f"framed_at_{cut}": _ratio(int((p[~y] >= cut).sum()), int((~y).sum())) for cut in STANCE_CUTS},
    }


def stance_level(cases: Sequence[FunctionalCase], scores: Sequence[dict[str, float]]) -> dict[str, Any]:
    """The stance head alone: how its score separates harmful cases (the speaker asserts the harm) from
    counter-speech, debunk quotes, negations and reports (STANCE_FRAMED), overall and per category: ROC-AUC
    and the share of each side at or above each of STANCE_CUTS (the cuts the rules read). `missing` when
    the model has no stance head."""
    idx = [i for i, c in enumerate(cases) if c.harmful or c.case_type in STANCE_FRAMED]
    if not any(STANCE_LABEL in scores[i] for i in idx):
        return {"label": STANCE_LABEL, "missing": True}
    y = np.array([cases[i].harmful for i in idx])
    p = np.array([scores[i].get(STANCE_LABEL, 0.0) for i in idx])
    cats = np.array([cases[i].category for i in idx])
    return {"label": STANCE_LABEL, **_stance_rates(y, p),
            "by_category": {cat: _stance_rates(y[cats == cat], p[cats == cat]) for cat in dict.fromkeys(cats.tolist())}}
