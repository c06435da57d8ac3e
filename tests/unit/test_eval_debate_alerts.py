"""The eval's debate replay: whole debates streamed through a real rule engine as broadcasts, firings counted
by rule and severity, the fact-check queue scored against the check-worthy labels."""

from __future__ import annotations

from pathlib import Path

from rules_helpers import ruleset, write_set

from monitor.classify.corpora import CorpusExample
from monitor.eval.debate_alerts import debate_alerts
from monitor.eval.report import debate_alerts_section
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import load_or_raise
from monitor.settings import PipelineSettings

PAGING = {"id": "rigged-page", "severity": "high", "cooldown": 0, "when": {"keywords": {"list": "rigged"}}}
QUEUE = {"id": "figure-queue", "severity": "info", "cooldown": 0, "when": {"regex": {"pattern": r"\d+ percent"}},
         "tests": [{"text": "we grew 5 percent", "expect": "alert"}, {"text": "all fine", "expect": "no_alert"}]}
# fires on the second line of a window of two: only when both lines are in the same broadcast
WINDOW = {"id": "twice-in-a-row", "severity": "medium", "cooldown": 0, "window": {"count": 2, "seconds": 60},
          "when": {"keywords": {"list": "rigged"}}}


def line(text: str, debate: str, worthy: int = 0, speaker: str = "SMITH") -> CorpusExample:
    return CorpusExample(text=text, labels={"claim": worthy}, group=debate, source="clef-test", licence="research",
                         speaker=speaker)


def engine(root: Path) -> RuleEngine:
    write_set(root / "rules", ruleset(PAGING, WINDOW))
    write_set(root / "rules", ruleset(QUEUE, set_id="fact-check"), name="fact-check.yaml")
    return RuleEngine(load_or_raise([root / "rules"]))


def test_firings_by_rule_and_severity_with_the_claim_queue_against_the_labels(tmp_path: Path) -> None:
    debates = [line("the count was rigged", "d1"), line("unemployment fell 5 percent", "d1", worthy=1),
               line("they say it was rigged", "d2"), line("we grew 3 percent last year", "d2"),
               line("thank you all for coming", "d2", worthy=1)]
    report = debate_alerts(debates, None, engine(tmp_path), PipelineSettings())
    assert (report["lines"], report["debates"], report["check_worthy"]) == (5, 2, 2)
    assert {(f["rule"], f["severity"]): (f["n"], f["check_worthy"]) for f in report["firings"]} == {
        ("rigged-page", "high"): (2, 0), ("figure-queue", "info"): (2, 1)}
    assert (report["above_info"], report["above_info_per_1000"]) == (2, 400.0)
    assert report["claim_queue"] == {"lines": 2, "check_worthy": 1}
    assert report["examples"]["rigged-page"] == ["the count was rigged", "they say it was rigged"]
    table = "\n".join(debate_alerts_section({"models": [{"name": "current", "debate_alerts": report}]}))
    assert "| **above info, per 1,000 lines** | 2 (400.0) |" in table
    assert "| rigged-page @ high | 2 (0) |" in table


def test_each_debate_is_its_own_broadcast_so_windows_never_span_two(tmp_path: Path) -> None:
    apart = [line("rigged", "d1"), line("rigged", "d2")]
    together = [line("rigged", "d3"), line("rigged", "d3")]
    eng = engine(tmp_path)
    fired = {f["rule"] for f in debate_alerts(apart, None, eng, PipelineSettings())["firings"]}
    assert "twice-in-a-row" not in fired
    fired = {f["rule"] for f in debate_alerts(together, None, eng, PipelineSettings())["firings"]}
    assert "twice-in-a-row" in fired
