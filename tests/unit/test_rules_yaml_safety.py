"""Rule files are hostile input to the parser: alias bombs, oversize and over-deep files are refused cheaply."""

from __future__ import annotations

import resource
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.rules_engine.loader import MAX_RULE_FILE_BYTES, MAX_RULE_NODES, load_rule_sets
from monitor.rules_engine.reload import validate_within_budget
from rules_helpers import ruleset, write_set


BOMB = Path(__file__).resolve().parents[1] / "fixtures" / "hostile" / "billion-laughs.yaml"  # 9**9 strings


def billion_laughs() -> str:
    return BOMB.read_text(encoding="utf-8")


def test_rules_validate_refuses_a_billion_laughs_file_without_expanding_it(tmp_path: Path) -> None:
    bomb = tmp_path / "lol.yaml"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    assert bomb.stat().st_size < 400
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = CliRunner().invoke(cli, ["rules", "validate", str(bomb)], catch_exceptions=False)
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert result.exit_code == 1
    assert f"{bomb}:1: invalid YAML: YAML anchor 'a': anchors and aliases are not allowed in rule files" in result.output
    assert grown_mib < 50, f"peak RSS grew by {grown_mib:.0f} MiB"


def test_an_alias_alone_is_refused_at_its_line(tmp_path: Path) -> None:
    path = write_set(tmp_path, ruleset())
    text = path.read_text(encoding="utf-8")
    path.write_text(text + "extra: *nothing\n", encoding="utf-8")
    problems = load_rule_sets([path]).problems
    assert [(p.line, p.reason.split(";")[0]) for p in problems] == [
        (text.count("\n") + 1, "invalid YAML: YAML alias 'nothing': anchors and aliases are not allowed in rule files"),
    ]


def test_oversize_and_overlarge_documents_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("a: '" + "x" * MAX_RULE_FILE_BYTES + "'\n", encoding="utf-8")
    (problem,) = load_rule_sets([big]).problems
    assert problem.reason.endswith(f"exceeds the rule-file limit of {MAX_RULE_FILE_BYTES}")
    many = tmp_path / "many.yaml"
    many.write_text("a: [" + ",".join(["1"] * (MAX_RULE_NODES + 1)) + "]\n", encoding="utf-8")
    (problem,) = load_rule_sets([many]).problems
    assert f"more than {MAX_RULE_NODES} YAML nodes" in problem.reason
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 50_000 + "]" * 50_000 + "\n", encoding="utf-8")
    (problem,) = load_rule_sets([deep]).problems
    assert problem.reason == "invalid YAML: nested deeper than the parser allows"


def test_budgeted_validation_reports_problems_and_enforces_its_budget(tmp_path: Path) -> None:
    good = write_set(tmp_path / "good", ruleset())
    assert validate_within_budget([good], ["claim"]) == []
    bomb = tmp_path / "bomb" / "lol.yaml"
    bomb.parent.mkdir()
    bomb.write_text(billion_laughs(), encoding="utf-8")
    (problem,) = validate_within_budget([bomb], ["claim"])
    assert (problem.file, problem.line) == (str(bomb), 1) and "anchor 'a'" in problem.reason
    large = write_set(tmp_path / "large", ruleset(keyword_lists={"fraud": [f"word{i}" for i in range(60_000)]}))
    (starved,) = validate_within_budget([large], ["claim"], memory_bytes=32 * 2**20)
    assert starved.reason == "validation needed more than 32 MiB; refused"
    (slow,) = validate_within_budget([good], ["claim"], timeout_s=0.001)
    assert slow.reason == "validation took longer than 0 s; refused"
