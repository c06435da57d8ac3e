"""`cct-monitor eval`: the functional suite through the shipped model and rules, report and JSON."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from monitor.cli import cli
from monitor.eval.suite import load_suite

def small_suite(tmp_path: Path) -> tuple[Path, list[str]]:
    """A plain threat, one context pair (both sides), a benign opinion and a German threat from the shipped suite."""
    cases = load_suite()
    pair = next(c.pair for c in cases if c.pair and c.category == "threat")
    chosen = ([next(c for c in cases if c.category == "threat" and c.case_type == "plain" and c.language == "en")]
              + [c for c in cases if c.pair == pair] + [next(c for c in cases if c.case_type == "opinion")]
              + [next(c for c in cases if c.language == "de" and c.category == "threat" and c.harmful)])
    path = tmp_path / "suite.jsonl"
    path.write_text("".join(c.model_dump_json(exclude_defaults=True) + "\n" for c in chosen), encoding="utf-8")
    return path, [c.id for c in chosen]


def test_eval_runs_the_suite_through_the_rules_and_skips_absent_public_data(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    suite, ids = small_suite(tmp_path)
    result = CliRunner().invoke(cli, ["eval", "--suite", str(suite), "--data", str(tmp_path / "none"),
                                      "--out", str(out), "--threads", "2", "--multilingual", "off"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert "no public data sets at" in report["public_data"]["skipped"]
    assert "absent" in report["baseline"]["skipped"]
    (model,) = report["models"]
    # with the multilingual engine off, only the inline tests in other languages are skipped
    assert model["name"] == "current" and " 0 failed," in model["rule_tests"] and not model["rule_test_failures"]
    functional = model["functional"]
    assert functional["overall"]["harmful"] == 2 and functional["overall"]["negatives"] == 2
    assert set(functional["by_case_type"]) == {"plain", "context_pair", "opinion"}
    overall = functional["overall"]
    english_misses = [m for m in functional["misses"] if m["language"] == "en"]
    assert overall["hits"] + len(english_misses) == 2 and overall["false_alarms"] == len(functional["false_alarms"])
    for case in functional["misses"] + functional["false_alarms"]:
        assert case["ok"] is False and case["id"] in ids
    assert "| **all** |" in result.output and "## Public test splits" in result.output
    de = functional["by_language"]["de"]
    assert (de["cases"], de["harmful"], de["hits"], de["unsupported_language"]) == (1, 1, 0, 1)
    assert functional["by_language"]["en"]["unsupported_language"] == 0
    assert report["suite"]["languages"] == {"de": 1, "en": 4}
    assert "| de | 1 (1 harmful) | 0.00 (0/1) | – | 0/0 | 1/1 |" in result.output
    assert "Skipped: no public data sets at" in result.output
    hatecheck = model["hatecheck_style"]  # the HateCheck-style set runs by default, heads and rules
    assert hatecheck["cases"] == sum(v["head"]["cases"] for k, v in hatecheck["functionalities"].items() if k != "all")
    assert hatecheck["functionalities"]["all"]["rules"]["cases"] == hatecheck["cases"] >= 400
    assert "### HateCheck-style set by functionality" in result.output


def test_detect_language_leaves_the_language_to_the_pipeline_which_identifies_the_german_case(tmp_path: Path) -> None:
    out = tmp_path / "eval.json"
    suite, _ = small_suite(tmp_path)
    result = CliRunner().invoke(cli, ["eval", "--suite", str(suite), "--no-public", "--no-baseline", "--detect-language",
                                      "--no-hatecheck", "--out", str(out), "--threads", "2", "--multilingual", "off"])
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["suite"]["language"] == "identified by the pipeline"
    rows = report["models"][0]["functional"]["by_language"]
    assert (rows["de"]["unsupported_language"], rows["de"]["unsupported_as"]) == (1, ["de"])
    assert rows["en"]["unsupported_language"] == 0
    assert "Case languages: identified by the pipeline." in result.output
    assert "hatecheck_style" not in report["models"][0] and "HateCheck-style set" not in result.output


def test_bad_model_and_rules_arguments_are_clear_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", "--model", "oops", "--no-public", "--no-baseline"])
    assert result.exit_code != 0 and "--model 'oops': expected NAME=PATH" in result.output
    result = runner.invoke(cli, ["eval", "--model", f"new={tmp_path / 'missing'}", "--no-public", "--no-baseline"])
    assert result.exit_code != 0 and "no such directory" in result.output
    result = runner.invoke(cli, ["eval", "--rules", f"other={tmp_path}", "--no-public", "--no-baseline"])
    assert result.exit_code != 0 and "--rules for unknown model(s) other" in result.output
