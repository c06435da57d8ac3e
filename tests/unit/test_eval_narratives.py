"""The eval's known-narrative section: of the suite cases that match a narrative rule's set, how many repeats
the rule catches and how many debunks it raises above info — counted from real matches of a real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from rules_helpers import ruleset, write_set

from monitor.eval.functional import CaseResult, Fired
from monitor.eval.narratives import narrative_report, narrative_rules
from monitor.eval.suite import FunctionalCase
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import load_or_raise

PENS = {"id": "pens-vanishing-ink", "claim": "The pens at polling stations have ink that disappears, so your vote can be wiped.",
        "rating": "false", "factcheck": {"url": "https://konkret24.tvn24.pl/polska/example-pens", "publisher": "Konkret24"},
        "paraphrases": ["bring your own pen, the ones at the polling station have vanishing ink"]}
RULE = {"id": "known-narrative", "when": {"narrative": {"set": "mini", "min_score": 0.5}}}
SHADOW = {"id": "known-narrative-shadow", "mode": "shadow", "when": {"narrative": {"set": "mini", "min_score": 0.5}}}
REPEAT = "use your own pen on sunday, the ink in the ones at the booth disappears a few hours later"
DEBUNK = "saying the ink in polling station pens disappears is false, the electoral commission tested every single pen"


@pytest.fixture(autouse=True)
def _embedding_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_EMBED_CACHE", str(tmp_path / "embed-cache.sqlite"))


def engine(root: Path) -> RuleEngine:
    rules = root / "rules"
    write_set(rules, ruleset(RULE, SHADOW))
    write_set(rules / "narratives", {"id": "mini", "version": "1.0.0", "title": "Mini", "owner": "tests",
                                     "updated": "2026-12-01", "narratives": [PENS]}, name="mini.yaml")
    return RuleEngine(load_or_raise([rules]))


def result(case_id: str, text: str, case_type: str, *alerts: tuple[str, str], **extra: Any) -> CaseResult:
    harmful = case_type == "paraphrase"
    case = FunctionalCase(id=case_id, category="election", case_type=case_type, speaker_role="guest", text=text,
                          polarity="harmful" if harmful else "hard_negative",
                          expect="alert" if harmful else "at_most_info", min_severity="low" if harmful else None)
    return CaseResult(case, {}, [Fired(r, s) for r, s in alerts], **extra)


def test_repeats_caught_and_debunks_flagged_per_narrative_rule(tmp_path: Path) -> None:
    results = [
        result("caught", REPEAT, "paraphrase", ("known-narrative", "medium")),
        result("missed", REPEAT, "paraphrase"),
        result("too-low", REPEAT, "paraphrase", ("known-narrative", "info")),
        result("flagged", DEBUNK, "debunk_quote", ("known-narrative", "low")),
        result("kept-at-info", DEBUNK, "counter_speech", ("known-narrative", "info")),
        result("unrelated", "the weather tomorrow is sunny with light winds in the north", "paraphrase"),
    ]
    [enforced, shadow] = narrative_report(results, engine(tmp_path))
    assert (enforced["rule"], enforced["mode"], enforced["set"], enforced["min_score"]) == ("known-narrative", "enforce", "mini", 0.5)
    assert (enforced["repeats"], enforced["caught"], enforced["recall"]) == (3, 1, 0.3333)
    assert {m["id"] for m in enforced["missed"]} == {"missed", "too-low"}
    assert all(m["narrative"] == "pens-vanishing-ink" for m in enforced["missed"])
    assert (enforced["debunks"], enforced["wrongly_flagged"], enforced["flagged_ids"]) == (2, 1, ["flagged"])
    assert shadow["rule"] == "known-narrative-shadow" and shadow["mode"] == "shadow" and shadow["caught"] == 0


def test_a_shadow_rule_is_counted_by_its_shadow_firings(tmp_path: Path) -> None:
    shadow_fired = result("shadow", REPEAT, "paraphrase", shadow=[Fired("known-narrative-shadow", "medium")])
    report = {r["rule"]: r for r in narrative_report([shadow_fired], engine(tmp_path))}
    assert report["known-narrative-shadow"]["caught"] == report["known-narrative-shadow"]["repeats"]
    assert report["known-narrative"]["caught"] == 0


def test_rules_without_a_narrative_leaf_are_left_out(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    write_set(rules, ruleset({"id": "keywords-only", "when": {"keywords": {"list": "words"}}}, keyword_lists={"words": ["pen"]}))
    plain = RuleEngine(load_or_raise([rules]))
    assert narrative_rules(plain) == []
    assert narrative_report([result("x", REPEAT, "paraphrase")], plain) == []
