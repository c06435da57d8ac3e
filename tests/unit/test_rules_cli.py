"""`cct-monitor rules …` on real and broken files, and the rule-file schema export."""

from __future__ import annotations

import json
import re
from pathlib import Path
from xml.etree import ElementTree

import yaml
from click.testing import CliRunner

from monitor.cli import cli
from monitor.narratives.matcher import shared_default_encoder
from monitor.rules_engine.model import ruleset_json_schema
from rules_helpers import ruleset, write_set

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "rules"


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def test_schema_json_is_up_to_date() -> None:
    on_disk = json.loads((RULES / "schema.json").read_text(encoding="utf-8"))
    assert on_disk == ruleset_json_schema(), "regenerate with: cct-monitor rules schema -o rules/schema.json"


def test_shipped_rule_files_validate_against_the_json_schema() -> None:
    import jsonschema

    validator = jsonschema.Draft202012Validator(ruleset_json_schema())
    files = sorted(RULES.glob("*.yaml"))
    assert len(files) >= 5
    for path in files:
        data = json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))
        assert list(validator.iter_errors(data)) == [], path
    bad = json.loads(json.dumps(yaml.safe_load((RULES / files[0].name).read_text()), default=str))
    bad["rules"][0]["dsa"]["category"] = "STATEMENT_CATEGORY_MADE_UP"
    assert list(validator.iter_errors(bad))


def test_validate_real_rules() -> None:
    code, out = invoke("rules", "validate", str(RULES))
    assert code == 0, out
    assert out.startswith("OK: 5 rule sets")
    for name in ("civic-elections", "public-security", "hate-speech", "health-crisis", "fact-check"):
        assert f": {name} 1." in out


def test_validate_reports_problems_and_fails(tmp_path: Path) -> None:
    data = ruleset()
    data["rules"][0]["dsa"]["category"] = "STATEMENT_CATEGORY_NOPE"
    path = write_set(tmp_path, data)
    code, out = invoke("rules", "validate", str(path))
    assert code == 1
    assert f"{path}:" in out and "unknown DSA category 'STATEMENT_CATEGORY_NOPE'" in out


def test_validate_against_flags_unbumped_change(tmp_path: Path) -> None:
    old = write_set(tmp_path / "old", ruleset())
    changed = ruleset()
    changed["rules"][0]["severity"] = "high"
    new = write_set(tmp_path / "new", changed)
    code, out = invoke("rules", "validate", str(new), "--against", str(old.parent))
    assert code == 1 and "without a version bump (still 1.0.0)" in out


def test_test_command_runs_keyword_rules_without_the_model_and_writes_junit(tmp_path: Path) -> None:
    path = write_set(tmp_path, ruleset())
    junit = tmp_path / "junit.xml"
    code, out = invoke("rules", "test", str(path), "--junit", str(junit))
    assert code == 0, out
    assert "2 tests: 2 passed, 0 failed, 0 skipped" in out
    root = ElementTree.parse(junit).getroot()
    assert root.get("tests") == "2" and root.get("failures") == "0"


def test_test_command_fails_on_a_wrong_expectation(tmp_path: Path) -> None:
    data = ruleset()
    data["rules"][0]["tests"].append({"text": "nothing to see", "expect": "alert"})
    path = write_set(tmp_path, data)
    junit = tmp_path / "junit.xml"
    code, out = invoke("rules", "test", str(path), "--junit", str(junit))
    assert code == 1
    assert "FAIL" in out and "test 2 (expect alert) did not fire: 'nothing to see'" in out
    assert ElementTree.parse(junit).getroot().get("failures") == "1"


def test_test_command_skips_label_rules_without_the_classifier() -> None:
    code, out = invoke("rules", "test", str(RULES), "--no-classifier")
    assert code == 0, out
    assert " 0 failed, " in out.splitlines()[-1]


def test_explain_shows_every_condition_with_values() -> None:
    code, out = invoke("rules", "explain", "--rules", str(RULES), "--no-classifier",
                       "--text", "supporters of the other party can vote by text message this year",
                       "--field", "audience.listeners=150000", "--field", "speaker.role=caller",
                       "--score", "election=0.9")
    assert code == 0, out
    block = re.split(r"election-false-voting-procedure \d+\.\d+\.\d+", out)[1].split("\n\n")[0]
    assert block.startswith(" [civic-elections, enforce]: FIRES")
    assert "✓ regex" in block and "(match: 'vote by text')" in block
    assert "✓ label election gte 0.19  (score=0.900)" in block
    assert "escalate +1 (applies): reach of at least 100,000 live listeners" in block
    assert re.search(r"claim-high-reach \d+\.\d+\.\d+ \[fact-check, enforce\]: no match", out)


def test_explain_json() -> None:
    code, out = invoke("rules", "explain", "--rules", str(RULES), "--no-classifier", "--json", "--text", "hello")
    assert code == 0
    data = json.loads(out)
    assert {r["rule_id"] for r in data["rules"]} >= {"threat-to-life", "claim-high-reach"}


def test_diff_lists_added_removed_and_changed(tmp_path: Path) -> None:
    old = ruleset({"id": "keep"}, {"id": "drop"}, {"id": "edit"})
    new = ruleset({"id": "keep"}, {"id": "edit", "version": "1.1.0", "severity": "high"}, {"id": "fresh"})
    new_unbumped = ruleset({"id": "keep"}, {"id": "drop"}, {"id": "edit", "severity": "low"})
    a = write_set(tmp_path / "a", old)
    b = write_set(tmp_path / "b", new)
    c = write_set(tmp_path / "c", new_unbumped)
    code, out = invoke("rules", "diff", str(a), str(b))
    assert code == 0
    assert out.splitlines() == [
        "removed  drop 1.0.0  (test-set)",
        "changed  edit 1.0.0 -> 1.1.0  (behaviour: severity, version)",
        "added    fresh 1.0.0  (test-set)",
        "1 added, 1 removed, 1 changed, 1 unchanged",
    ]
    code, out = invoke("rules", "diff", str(a), str(c))
    assert "changed  edit 1.0.0 -> 1.0.0  (behaviour: severity)  VERSION NOT BUMPED" in out
    code, out = invoke("rules", "diff", "--json", str(a), str(b))
    assert [c["kind"] for c in json.loads(out)["changes"]] == ["removed", "changed", "added"]


def test_test_and_explain_with_the_classifier_load_no_second_encoder() -> None:
    """The narrative matcher reads the classifier's forward: no default encoder (a second ONNX session) is loaded."""
    shared_default_encoder.cache_clear()
    code, out = invoke("rules", "test", str(RULES))
    assert code == 0, out
    assert " 0 failed, 0 skipped" in out.splitlines()[-1]
    code, out = invoke("rules", "explain", "--rules", str(RULES), "--text", "the election was stolen from us")
    assert code == 0, out
    assert out.startswith("scores: ") and "claim-high-reach" in out
    assert shared_default_encoder.cache_info().currsize == 0
