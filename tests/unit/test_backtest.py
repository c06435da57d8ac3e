"""`cct-monitor replay`: the sample broadcast through OLD and NEW rule sets shows exactly the rule change."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.narratives.matcher import shared_default_encoder
from monitor.sample import sample_broadcast_path

from audit_helpers import RULES_NEW, RULES_OLD

RULES = Path(__file__).resolve().parents[2] / "rules"


def _replay(old, new, *extra: str) -> CliRunner:
    return CliRunner().invoke(cli, ["replay", "--no-classifier", "--rules", str(old), "--rules", str(new),
                                    str(sample_broadcast_path()), *extra])


def test_dropping_a_keyword_removes_exactly_the_alerts_it_caused() -> None:
    out = _replay(RULES_OLD, RULES_NEW, "--json")
    assert out.exit_code == 0, out.output
    diff = json.loads(out.output)
    assert diff["totals"] == {"added": 0, "removed": 1, "unchanged": 6}
    rules = {r["rule_id"]: r for r in diff["rules"]}
    fraud = rules["fx-election-fraud"]
    assert (fraud["old_version"], fraud["new_version"]) == ("1.0.0", "1.1.0")
    (removed,) = fraud["removed"]
    assert removed["seqs"] == [104] and "stolen" in removed["evidence"] and fraud["added"] == []
    assert removed["matched"][0]["terms"] == ["stolen"]
    assert rules["fx-voting-procedure"]["added"] == rules["fx-voting-procedure"]["removed"] == []


def test_the_reverse_change_adds_them_and_the_text_output_shows_the_evidence() -> None:
    out = _replay(RULES_NEW, RULES_OLD)
    assert out.exit_code == 0, out.output
    assert "fx-election-fraud [1.1.0 -> 1.0.0]: +1 added, -0 removed, 3 unchanged" in out.output
    assert "+ sample-townhall-2026 seqs [104]" in out.output and "it's stolen" in out.output


def test_same_rules_no_difference() -> None:
    diff = json.loads(_replay(RULES_OLD, RULES_OLD, "--json").output)
    assert diff["totals"]["added"] == diff["totals"]["removed"] == 0 and diff["totals"]["unchanged"] == 7


def test_with_the_classifier_the_rule_engines_read_its_forward() -> None:
    """The shipped rules match narratives; both engines embed with the classifier, no second encoder is loaded."""
    shared_default_encoder.cache_clear()
    out = CliRunner().invoke(cli, ["replay", "--rules", str(RULES), "--rules", str(RULES), "--json",
                                   str(sample_broadcast_path())])
    assert out.exit_code == 0, out.output
    diff = json.loads(out.output)
    assert diff["totals"]["added"] == diff["totals"]["removed"] == 0 and diff["totals"]["unchanged"] > 0
    assert shared_default_encoder.cache_info().currsize == 0
