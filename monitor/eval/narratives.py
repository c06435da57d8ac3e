"""Known-narrative rules on the functional suite: how many repeats of a known narrative they catch, and how
many debunks of the same narratives they wrongly flag.

A suite case *repeats a known narrative* for a rule when it is harmful and its chunk matches the rule's
narrative set at the rule's `min_score` (the same clause-level matching the engine runs); a *debunk of the
same narrative* is a counter-speech, debunk-quote, negation or reporting case that matches just as well.
Stance is what separates the two: similarity alone scores them alike. A repeat is *caught* when the rule
fires at or above the case's minimum severity (enforce alert, or shadow firing for a shadow rule: reported
apart, as it pages no one); a debunk is *wrongly flagged* when the rule fires above info.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from monitor.alert import SEVERITIES
from monitor.eval.functional import CaseResult
from monitor.eval.suite import STANCE_NEGATIVES
from monitor.narratives.spans import match_with_clauses
from monitor.rules_engine.compile import leaf_models
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.leaves.narrative import NarrativeCondition

DEBUNK_TYPES: tuple[str, ...] = (*STANCE_NEGATIVES, "reporting")


@dataclass(frozen=True, slots=True)
class NarrativeRule:
    """A rule whose condition reads a narrative set: which set (key as the matcher names it) and how close."""

    id: str
    mode: str
    key: str
    min_score: float


def narrative_rules(engine: RuleEngine) -> list[NarrativeRule]:
    """The engine's rules with a narrative leaf in their condition (the lowest `min_score` when several)."""
    out = []
    for cr in engine.rules:
        specs = [leaf.narrative for leaf in leaf_models(cr.rule.when) if isinstance(leaf, NarrativeCondition)]
        if specs:
            spec = min(specs, key=lambda s: s.min_score)
            key = spec.set if spec.scope == "chunk" else f"{spec.set}@context"
            out.append(NarrativeRule(cr.rule.id, cr.rule.mode, key, spec.min_score))
    return out


def _severity_at_least(severity: str, floor: str) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(floor)


def _fired(result: CaseResult, rule: str) -> list[str]:
    return [f.severity for f in (*result.alerts, *result.shadow) if f.rule == rule]


def rule_report(rule: NarrativeRule, results: Sequence[CaseResult], best: Sequence[tuple[str, float] | None]) -> dict[str, Any]:
    """One rule's figures over the suite; `best[i]` is case i's best (narrative id, score) in the rule's set."""
    matched = [(r, b) for r, b in zip(results, best, strict=True) if b is not None and b[1] >= rule.min_score]
    repeats = [(r, b) for r, b in matched if r.case.harmful]
    debunks = [(r, b) for r, b in matched if not r.case.harmful and r.case.case_type in DEBUNK_TYPES]
    caught = [r for r, _ in repeats if any(_severity_at_least(s, r.case.min_severity or "info") for s in _fired(r, rule.id))]
    flagged = [r for r, _ in debunks if any(_severity_at_least(s, "low") for s in _fired(r, rule.id))]
    caught_ids = {r.case.id for r in caught}
    return {
        "rule": rule.id, "mode": rule.mode, "set": rule.key, "min_score": rule.min_score,
        "repeats": len(repeats), "caught": len(caught),
        "recall": round(len(caught) / len(repeats), 4) if repeats else None,
        "debunks": len(debunks), "wrongly_flagged": len(flagged),
        "flagged_ids": [r.case.id for r in flagged],
        "missed": [{"id": r.case.id, "narrative": b[0], "score": round(b[1], 4)} for r, b in repeats
                   if r.case.id not in caught_ids],
    }


def narrative_report(results: Sequence[CaseResult], engine: RuleEngine) -> list[dict[str, Any]]:
    """Per narrative rule of `engine`, its known-narrative figures over the suite `results`."""
    rules = narrative_rules(engine)
    if not rules or not results:
        return []
    texts = [r.case.text for r in results]
    contexts = ["\n".join(t.text for t in r.case.context) for r in results]
    found = match_with_clauses(engine.narratives, texts, contexts)
    out = []
    for rule in rules:
        best = [(m[0].id, m[0].score) if (m := f.get(rule.key)) else None for f in found]
        out.append(rule_report(rule, results, best))
    return out
