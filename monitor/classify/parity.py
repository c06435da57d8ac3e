"""Does a candidate engine decide like the reference (torch fp32)? Scores, embeddings, rule tests, sample alerts.

`compare` runs both classifiers on the same inputs and reports:
- per head, the max and mean |Δ| of the calibrated score over the texts, and the pooled-embedding cosine;
- every inline rule test's outcome under each engine, and the tests whose label scores lie within
  `margin` of a threshold the rule compares them with (the ones a small numeric change could flip);
- the alerts the shipped rules raise on the bundled sample broadcast under each engine, the candidate's
  with the broadcast fed in batches of several sizes: dynamic int8 quantises activations with one scale
  per batch, so its scores depend slightly on which chunks share a batch (torch fp32's do not);
- given functional suite cases (`tests/functional/`), each case's outcome through the same rules under each
  engine: whether its expectation holds and the highest severity alerted on its chunk.
`identical` is true when every rule-test outcome, every sample alert (at every batch size) and every suite
outcome is the same.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from monitor.classify.stage import TransformerClassifier
from monitor.eval.functional import CaseResult, run_cases
from monitor.eval.suite import FunctionalCase
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import LoadedRuleSet
from monitor.rules_engine.leaves.label import LabelCondition
from monitor.rules_engine.stage import build_engine
from monitor.rules_engine.testing import rule_test_items, run_rule_tests
from monitor.sample import sample_broadcast_path
from monitor.settings import PipelineSettings
from monitor.stages import SourceRecord


@dataclass
class ParityReport:
    """What `compare` found."""

    reference: str
    candidate: str
    texts: int
    heads: dict[str, dict[str, float]] = field(default_factory=dict)
    cosine: dict[str, float] = field(default_factory=dict)
    rule_tests: int = 0
    rule_test_diffs: list[str] = field(default_factory=list)
    near_threshold: list[dict[str, Any]] = field(default_factory=list)
    sample_alerts: dict[str, int] = field(default_factory=dict)
    sample_alert_diffs: list[str] = field(default_factory=list)
    suite_cases: int = 0
    suite_diffs: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.rule_test_diffs and not self.sample_alert_diffs and not self.suite_diffs


def label_conditions(node: Any) -> Iterator[LabelCondition]:
    """Every label leaf anywhere in a rule (its condition, refinements, …)."""
    if isinstance(node, LabelCondition):
        yield node
    elif isinstance(node, BaseModel):
        for name in type(node).model_fields:
            yield from label_conditions(getattr(node, name))
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from label_conditions(value)
    elif isinstance(node, dict):
        for value in node.values():
            yield from label_conditions(value)


def score_parity(ref: TransformerClassifier, cand: TransformerClassifier, texts: Sequence[str]) -> tuple[dict, dict]:
    """(per head {max_abs_delta, mean_abs_delta}, pooled-embedding cosine {min, mean, p01})."""
    a, b = ref.score_texts(texts), cand.score_texts(texts)
    heads = {}
    for label in ref.info.labels:
        d = np.abs(np.array([x[label] for x in a]) - np.array([y[label] for y in b]))
        heads[label] = {"max_abs_delta": round(float(d.max()), 5), "mean_abs_delta": round(float(d.mean()), 5)}
    ea = ref.scorer.encoder.encode(list(texts))
    eb = cand.scorer.encoder.encode(list(texts))
    cos = (ea * eb).sum(1) / (np.linalg.norm(ea, axis=1) * np.linalg.norm(eb, axis=1))
    cosine = {"min": round(float(cos.min()), 5), "p01": round(float(np.percentile(cos, 1)), 5), "mean": round(float(cos.mean()), 5)}
    return heads, cosine


def rule_test_parity(ref: TransformerClassifier, cand: TransformerClassifier, sets: Sequence[LoadedRuleSet],
                     context_chunks: int, margin: float) -> tuple[int, list[str], list[dict[str, Any]]]:
    """(tests run, outcome differences, tests with a label score within `margin` of its threshold)."""
    ra, rb = (run_rule_tests(sets, c.score, context_chunks, encoder=c.text_encoder(), languages=c.info.languages)
              for c in (ref, cand))
    diffs = [f"{x.file}:{x.line}: {x.name}: reference fired={x.fired}, candidate fired={y.fired}"
             for x, y in zip(ra.outcomes, rb.outcomes, strict=True) if x.fired != y.fired]
    near = []
    for loaded in sets:
        for rule in loaded.ruleset.rules:
            leaves = list(label_conditions(rule))
            if not leaves:
                continue
            for t, test in enumerate(rule.tests):
                items = rule_test_items(test, context_chunks)
                sa, sb = ref.score(items)[-1], cand.score(items)[-1]
                for leaf in leaves:
                    _, threshold = leaf.op
                    if leaf.label not in sa:
                        continue
                    gap = min(abs(sa[leaf.label] - threshold), abs(sb[leaf.label] - threshold))
                    if gap < margin:
                        near.append({"rule": rule.id, "test": t, "expect": test.expect, "label": leaf.label,
                                     "threshold": threshold, "reference": sa[leaf.label], "candidate": sb[leaf.label]})
    return len(ra.outcomes), diffs, near


SAMPLE_BATCHES = (1, 32, 256)


def sample_alerts(classifier: TransformerClassifier, rules: Sequence[Path], batch: int = 32) -> set[tuple[int, str, str]]:
    """(seq, rule id, alert id) of every alert the rules raise on the bundled sample broadcast fed `batch` records at a time."""
    path = sample_broadcast_path()
    lines = path.read_bytes().splitlines()
    records = [SourceRecord(str(path), 0, i + 1, None, line) for i, line in enumerate(lines) if line.strip()]
    pipeline = Pipeline(PipelineSettings(), Metrics(), classifier, build_engine(rules, encoder=classifier.text_encoder()))
    out = set()
    for start in range(0, len(records), batch):
        for decision in pipeline.process(records[start : start + batch]).decisions:
            out.update((decision.item.chunk.seq, a.rule.id, a.alert_id) for a in decision.alerts)
    return out


def _suite_outcome(result: CaseResult) -> str:
    return f"{'holds' if result.ok else 'fails'} ({result.max_severity or 'no alert'})"


def suite_parity(ref: TransformerClassifier, cand: TransformerClassifier, sets: Sequence[LoadedRuleSet],
                 cases: Sequence[FunctionalCase], settings: PipelineSettings) -> list[str]:
    """The suite cases whose outcome (expectation held, highest severity alerted) differs between the engines,
    with the scores each engine gave the labels the case's category reads."""
    ra, rb = (run_cases(cases, c, RuleEngine(sets, encoder=c.text_encoder()), settings) for c in (ref, cand))
    diffs = []
    for x, y in zip(ra, rb, strict=True):
        if (x.ok, x.max_severity) == (y.ok, y.max_severity):
            continue
        labels = [k for k in (x.case.category, "stance_assert") if k in x.scores and k in y.scores]
        scores = ", ".join(f"{k} {x.scores[k]:.3f} / {y.scores[k]:.3f}" for k in labels)
        diffs.append(f"{x.case.id} (expect {x.case.expect}): reference {_suite_outcome(x)}, candidate "
                     f"{_suite_outcome(y)}; {scores}")
    return diffs


def compare(ref: TransformerClassifier, cand: TransformerClassifier, texts: Sequence[str], sets: Sequence[LoadedRuleSet],
            rules: Sequence[Path], context_chunks: int = 2, margin: float = 0.05,
            suite: Sequence[FunctionalCase] = ()) -> ParityReport:
    """Every comparison of the module docstring, reference vs candidate (the suite's only when `suite` is given)."""
    report = ParityReport(ref.scorer.encoder.name, cand.scorer.encoder.name, len(texts))
    report.heads, report.cosine = score_parity(ref, cand, texts)
    report.rule_tests, report.rule_test_diffs, report.near_threshold = rule_test_parity(ref, cand, sets, context_chunks, margin)
    a = sample_alerts(ref, rules)
    report.sample_alerts = {"reference": len(a)}
    for batch in SAMPLE_BATCHES:
        b = sample_alerts(cand, rules, batch)
        report.sample_alerts[f"candidate_batch_{batch}"] = len(b)
        report.sample_alert_diffs += [f"batch {batch}: seq {s} {r}: only the reference" for s, r, _ in sorted(a - b)]
        report.sample_alert_diffs += [f"batch {batch}: seq {s} {r}: only the candidate" for s, r, _ in sorted(b - a)]
    if suite:
        report.suite_cases = len(suite)
        report.suite_diffs = suite_parity(ref, cand, sets, suite, PipelineSettings(context_chunks=context_chunks))
    return report
