"""Run functional cases through the monitor's own pipeline (decode → state → classify → rules).

Every case is a tiny broadcast (see `broadcast`); the outcome judged is what the rule engine raised on
the case's own chunk. Alerts of enforce-mode rules count; shadow-mode firings are recorded beside them
(they page no one, so they are not hits).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry

from monitor.alert import SEVERITIES
from monitor.eval.broadcast import case_broadcast
from monitor.eval.suite import FunctionalCase
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.settings import PipelineSettings
from monitor.stages import Classifier, Decision, RuleEngine

CASES_PER_BATCH = 32


@dataclass(frozen=True, slots=True)
class Fired:
    """A rule that fired on a chunk, with the severity it fired at."""

    rule: str
    severity: str

    def to_json(self) -> list[str]:
        return [self.rule, self.severity]


@dataclass(slots=True)
class CaseResult:
    """What the pipeline did with one case."""

    case: FunctionalCase
    scores: dict[str, float]
    alerts: list[Fired] = field(default_factory=list)
    shadow: list[Fired] = field(default_factory=list)
    context_alerts: list[Fired] = field(default_factory=list)
    unsupported_language: str | None = None  # the pipeline routed the chunk past the classifier (not scored)

    @property
    def ok(self) -> bool:
        """The expectation holds on the case chunk."""
        return self.case.satisfied_by(a.severity for a in self.alerts)

    @property
    def max_severity(self) -> str | None:
        return max((a.severity for a in self.alerts), key=SEVERITIES.index, default=None)

    def to_json(self) -> dict[str, object]:
        c = self.case
        return {
            "id": c.id, "language": c.language, "unsupported_language": self.unsupported_language,
            "category": c.category, "subcategory": c.subcategory, "case_type": c.case_type,
            "polarity": c.polarity, "expect": c.expect, "min_severity": c.min_severity, "ok": self.ok,
            "text": c.text, "context": [t.model_dump() for t in c.context],
            "alerts": [a.to_json() for a in self.alerts], "shadow": [a.to_json() for a in self.shadow],
            "context_alerts": [a.to_json() for a in self.context_alerts],
            "scores": {k: round(v, 4) for k, v in self.scores.items()},
        }


def _alerts_of(decision: Decision) -> list[Fired]:
    return [Fired(a.rule.id, a.rule.severity) for a in decision.alerts]


def _shadow_of(decision: Decision) -> list[Fired]:
    return [Fired(f["rule_id"], f["severity"]) for f in decision.firings if f["mode"] == "shadow"]


@contextlib.contextmanager
def unsupported_language_warnings_off() -> Iterator[None]:
    """Every case is its own broadcast, so the router's once-per-broadcast warning would fire per case;
    the results carry `unsupported_language` and the report counts it instead."""
    logger = logging.getLogger("monitor.language")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def run_cases(cases: Sequence[FunctionalCase], classifier: Classifier, engine: RuleEngine,
              settings: PipelineSettings, declare_language: bool = True) -> list[CaseResult]:
    """One result per case, in order, from a fresh pipeline around `classifier` and `engine`; without
    `declare_language` the pipeline identifies each case's language instead of being told it."""
    with unsupported_language_warnings_off():
        return _run(cases, Pipeline(settings, Metrics(CollectorRegistry()), classifier, engine), declare_language)


def _run(cases: Sequence[FunctionalCase], pipeline: Pipeline, declare_language: bool) -> list[CaseResult]:
    started = dt.datetime.now(dt.UTC).replace(microsecond=0)
    results: list[CaseResult] = []
    offset = 0
    for start in range(0, len(cases), CASES_PER_BATCH):
        broadcasts = []
        for case in cases[start : start + CASES_PER_BATCH]:
            b = case_broadcast(case, offset, started, declare_language)
            offset += len(b.records)
            broadcasts.append(b)
        batch = pipeline.process([r for b in broadcasts for r in b.records])
        if batch.dead_letters:
            raise ValueError(f"functional case chunk rejected: {batch.dead_letters[0].reason}: {batch.dead_letters[0].detail}")
        by_chunk = {(d.item.chunk.broadcast_id, d.item.chunk.seq): d for d in batch.decisions}
        for b in broadcasts:
            own = by_chunk[(b.broadcast_id, b.case_seq)]
            context_alerts = [a for seq in range(b.case_seq) for a in _alerts_of(by_chunk[(b.broadcast_id, seq)])]
            results.append(CaseResult(b.case, dict(own.item.scores), _alerts_of(own), _shadow_of(own), context_alerts,
                                      own.item.unsupported_language))
    return results
