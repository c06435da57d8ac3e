"""Run the inline tests of rule sets: each test is a fresh broadcast (its `window` chunks, then the tested chunk).

A test expecting `alert` passes when the rule fires on the tested chunk (shadow rules included: the
test checks what the rule decides, not whether it notifies anyone). Rules that read classifier scores
need a scorer (the real classifier); without one their tests are reported as skipped, and so are those
whose tested chunk declares a language the scorer does not read (a German test with the multilingual
engine off): scored by a model of another language, their outcome would say nothing about the rule.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.contracts import chunk_from_obj
from monitor.narratives.index import TextEncoder
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import LoadedRuleSet, Problem, rule_test_chunk
from monitor.rules_engine.model import RuleTest
from monitor.stages import SourceRecord, WorkItem

Scorer = Callable[[Sequence[WorkItem]], list[dict[str, float]]]
CHUNK_SPACING_MS = 5000
CHUNK_LENGTH_MS = 4500


@dataclass
class RuleTestOutcome:
    """The result of one inline test."""

    file: str
    line: int
    ruleset: str
    rule_id: str
    index: int
    test: RuleTest
    fired: bool | None
    firing: dict[str, Any] | None = None
    skip_reason: str | None = None

    @property
    def skipped(self) -> bool:
        return self.fired is None

    @property
    def narratives(self) -> list[str]:
        """Ids of the known narratives the firing matched."""
        leaves = (self.firing or {}).get("matched", [])
        return [leaf["match"]["id"] for leaf in leaves if "narrative" in leaf and leaf.get("match")]

    @property
    def passed(self) -> bool:
        if self.fired is None or self.fired != (self.test.expect == "alert"):
            return False
        return self.test.narrative is None or self.test.narrative in self.narratives

    @property
    def name(self) -> str:
        label = self.test.name or (self.test.text if len(self.test.text) <= 60 else self.test.text[:57] + "...")
        return f"{self.rule_id}[{self.index}] {label}"

    def problem(self) -> Problem:
        what = "did not fire" if self.test.expect == "alert" else "fired"
        if self.fired and self.test.expect == "alert" and self.test.narrative is not None:
            what = f"matched narrative {self.narratives or 'none'}, not {self.test.narrative}"
        return Problem(self.file, self.line, f"rule '{self.rule_id}': test {self.index} (expect {self.test.expect}) {what}: {self.test.text!r}")


@dataclass
class RuleTestReport:
    """Every test outcome, with counts."""

    outcomes: list[RuleTestOutcome] = field(default_factory=list)

    @property
    def passed(self) -> int:
        return sum(o.passed for o in self.outcomes)

    @property
    def failed(self) -> list[RuleTestOutcome]:
        return [o for o in self.outcomes if not o.skipped and not o.passed]

    @property
    def skipped(self) -> int:
        return sum(o.skipped for o in self.outcomes)

    @property
    def ok(self) -> bool:
        return not self.failed

    def summary(self) -> str:
        return f"{len(self.outcomes)} tests: {self.passed} passed, {len(self.failed)} failed, {self.skipped} skipped"


def rule_test_items(test: RuleTest, context_chunks: int = 2) -> list[WorkItem]:
    """The work items of one test: window chunks then the tested chunk, as one broadcast."""
    specs = [(c, {}) if isinstance(c, str) else (c.text, c.fields) for c in test.window]
    specs.append((test.text, test.fields))
    chunks = []
    for seq, (text, fields) in enumerate(specs):
        obj = rule_test_chunk(text, fields, seq)
        obj.setdefault("start_ms", seq * CHUNK_SPACING_MS)
        obj.setdefault("end_ms", obj["start_ms"] + CHUNK_LENGTH_MS)
        chunks.append(chunk_from_obj(obj))
    items = []
    for i, chunk in enumerate(chunks):
        context = chunks[max(0, i - context_chunks):i] if context_chunks else []
        items.append(WorkItem(chunk, SourceRecord("rule-test", 0, i, None, None), context))
    return items


def _skip_reason(uses_labels: bool, scorer: Scorer | None, languages: Sequence[str] | None,
                 items: Sequence[WorkItem]) -> str | None:
    if not uses_labels:
        return None
    if scorer is None:
        return "needs the classifier"
    language = items[-1].chunk.language
    if languages is not None and language is not None and language not in languages:
        return f"the classifier does not read {language}"
    return None


def run_rule_tests(sets: Sequence[LoadedRuleSet], scorer: Scorer | None = None, context_chunks: int = 2,
                   encoder: TextEncoder | None = None, languages: Sequence[str] | None = None) -> RuleTestReport:
    """Run every inline test of every rule (deprecated rules and sets outside their effective period included);
    `encoder` as for `RuleEngine`; `languages`: those the scorer reads (None: every declared language)."""
    report = RuleTestReport()
    engine = RuleEngine(sets, every_rule=True, encoder=encoder)
    by_id = {cr.rule.id: cr for cr in engine.rules}
    cases: list[tuple[LoadedRuleSet, int, int, list[WorkItem]]] = []
    for loaded in sets:
        for r, rule in enumerate(loaded.ruleset.rules):
            for t, test in enumerate(rule.tests):
                cases.append((loaded, r, t, rule_test_items(test, context_chunks)))
    skips = [_skip_reason(by_id[loaded.ruleset.rules[r].id].uses_labels, scorer, languages, items)
             for loaded, r, _, items in cases]
    if scorer is not None:
        flat = [item for (loaded, r, _, items), skip in zip(cases, skips, strict=True)
                if by_id[loaded.ruleset.rules[r].id].uses_labels and skip is None for item in items]
        if flat:
            for item, scores in zip(flat, scorer(flat), strict=True):
                item.scores = scores
    for (loaded, r, t, items), skip in zip(cases, skips, strict=True):
        rule = loaded.ruleset.rules[r]
        line = loaded.lines.line(("rules", r, "tests", t))
        if skip is not None:
            report.outcomes.append(RuleTestOutcome(loaded.path, line, loaded.ruleset.id, rule.id, t, rule.tests[t], None,
                                                   skip_reason=skip))
            continue
        engine.reset()
        decision = engine.evaluate(items, None)[-1]
        firing = next((f for f in decision.firings if f["rule_id"] == rule.id), None)
        report.outcomes.append(
            RuleTestOutcome(loaded.path, line, loaded.ruleset.id, rule.id, t, rule.tests[t], firing is not None, firing)
        )
    return report


def write_junit(report: RuleTestReport, path: Path) -> None:
    """JUnit XML for CI: one testsuite per rule-set file, one testcase per inline test."""
    root = ET.Element("testsuites", tests=str(len(report.outcomes)), failures=str(len(report.failed)),
                      skipped=str(report.skipped))
    suites: dict[str, ET.Element] = {}
    for o in report.outcomes:
        suite = suites.get(o.file)
        if suite is None:
            suite = suites[o.file] = ET.SubElement(root, "testsuite", name=o.ruleset, file=o.file)
        case = ET.SubElement(suite, "testcase", classname=f"rules.{o.ruleset}.{o.rule_id}", name=o.name,
                             file=o.file, line=str(o.line))
        if o.skipped:
            ET.SubElement(case, "skipped", message=o.skip_reason or "skipped")
        elif not o.passed:
            failure = ET.SubElement(case, "failure", message=str(o.problem()))
            failure.text = str(o.firing) if o.firing else "no firing"
    for suite in suites.values():
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
