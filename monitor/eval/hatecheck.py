"""Accuracy per functionality on the HateCheck-style set, at two levels: the heads alone (hate or threat
score at or above its head's threshold, as a grader of `cct-monitor classify` output sees it) and the
rules (an alert above info on the case's own chunk)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from monitor.alert import SEVERITIES
from monitor.eval.functional import CaseResult
from monitor.eval.hatecheck_set import HateCheckCase
from monitor.eval.suite import FunctionalCase

HEAD_LABELS: tuple[str, ...] = ("hate", "threat")
TARGET_ACCURACY = 0.82
TARGET_FLOOR = 0.50
# The suite's case type nearest each non-hateful functionality (the pipeline never reads it; the
# functional-case schema needs one).
_NEGATIVE_TYPES = {"negate_neg_nh": "negation", "counter_quote_nh": "counter_speech", "counter_ref_nh": "counter_speech",
                   "ident_neutral_nh": "identity_terms", "ident_pos_nh": "identity_terms",
                   "slur_reclaimed_nh": "identity_terms"}


def as_functional_case(case: HateCheckCase) -> FunctionalCase:
    """The case as a one-chunk functional case: hateful ones expect an alert of at least low severity,
    the others nothing above info."""
    hateful = case.hateful
    return FunctionalCase(
        id=f"hatecheck-{case.id}", category="hate", subcategory=case.functionality,
        case_type=("implicit" if case.functionality == "derog_impl_h" else "plain") if hateful
        else _NEGATIVE_TYPES.get(case.functionality, "chatter"),
        polarity="harmful" if hateful else "hard_negative", speaker_role="caller", text=case.text,
        expect="alert" if hateful else "at_most_info", min_severity="low" if hateful else None,
        note=f"HateCheck-style {case.functionality} ({case.group or 'no group'})")


def head_says_hateful(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> bool:
    """The hate or the threat head at or above its own threshold."""
    return any(scores.get(label, 0.0) >= thresholds[label] for label in HEAD_LABELS if label in thresholds)


def rules_say_hateful(result: CaseResult) -> bool:
    """An enforce-mode alert above info on the case's own chunk."""
    return any(SEVERITIES.index(a.severity) > SEVERITIES.index("info") for a in result.alerts)


def _cell(ok: int, n: int) -> dict[str, Any]:
    return {"ok": ok, "cases": n, "accuracy": round(ok / n, 4) if n else None}


def hatecheck_report(cases: Sequence[HateCheckCase], results: Sequence[CaseResult],
                     thresholds: Mapping[str, float]) -> dict[str, Any]:
    """Per functionality (and overall): the share of cases each level gets right, and the cases it gets wrong."""
    if len(cases) != len(results):
        raise ValueError(f"{len(cases)} cases but {len(results)} results")
    verdicts = [(c, head_says_hateful(r.scores, thresholds), rules_say_hateful(r), r) for c, r in zip(cases, results)]
    by: dict[str, list[tuple[bool, bool]]] = {}
    for c, head, rules, _ in verdicts:
        by.setdefault(c.functionality, []).append((head == c.hateful, rules == c.hateful))
    by["all"] = [pair for name in list(by) for pair in by[name]]
    table = {name: {"label": next((c.label for c in cases if c.functionality == name), "all"),
                    "head": _cell(sum(h for h, _ in rows), len(rows)), "rules": _cell(sum(r for _, r in rows), len(rows))}
             for name, rows in by.items()}
    wrong = [{"id": c.id, "functionality": c.functionality, "label": c.label, "text": c.text,
              "head_wrong": head != c.hateful, "rules_wrong": rules != c.hateful,
              "scores": {k: round(r.scores.get(k, 0.0), 4) for k in HEAD_LABELS},
              "alerts": [a.to_json() for a in r.alerts]}
             for c, head, rules, r in verdicts if head != c.hateful or rules != c.hateful]
    functionalities = [v for k, v in table.items() if k != "all"]
    return {"cases": len(cases), "thresholds": {k: thresholds[k] for k in HEAD_LABELS if k in thresholds},
            "functionalities": table,
            "lowest": {level: min((v[level]["accuracy"] for v in functionalities), default=None) for level in ("head", "rules")},
            "wrong": wrong}
