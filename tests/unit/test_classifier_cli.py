"""`cct-monitor classify` keeps ids and order, reports bad lines by number and skips only those."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.cli import cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def test_classify_round_trips_ids_in_order_and_reports_bad_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "the minimum wage has not gone up in six years"}),
        "this is not json",
        json.dumps({"id": 7, "text": "", "context": []}),
        json.dumps({"id": "no-text"}),
        json.dumps({"id": "c", "text": "and then they rigged the count overnight", "context": ["about the election"]}),
        "",
        json.dumps({"id": "d", "text": "good evening everyone"}),
    ]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    proc = CliRunner().invoke(cli, ["classify", "--input", str(src), "--output", str(out),
                                     "--heads-dir", str(ROOT / "models" / "heads"), "--threads", "2"])
    assert proc.exit_code == 0, proc.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["a", 7, "c", "d"]
    assert set(rows[0]["scores"]) == {"claim", "election", "health", "threat", "hate", "stance_assert"}
    assert rows[1]["scores"] == dict.fromkeys(rows[1]["scores"], 0.0)
    assert "line 2: skipped: not JSON" in proc.stderr
    assert "line 4: skipped: missing 'text'" in proc.stderr
    assert "4 scored, 2 bad line(s) skipped" in proc.stderr


def test_classify_reads_stdin_and_writes_stdout() -> None:
    proc = CliRunner().invoke(cli, ["classify", "--threads", "2"], input=json.dumps({"id": "x", "text": "hello there"}) + "\n")
    assert proc.exit_code == 0, proc.output
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert row["id"] == "x" and all(0.0 <= p <= 1.0 for p in row["scores"].values())


def _classify(tmp_path: Path, rows: list[dict], *flags: str) -> list[dict]:
    src, out = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    src.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    proc = CliRunner().invoke(cli, ["classify", "--input", str(src), "--output", str(out), "--threads", "1", *flags])
    assert proc.exit_code == 0, proc.output
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_a_line_in_another_eu_language_is_scored_by_the_multilingual_engine(tmp_path: Path) -> None:
    from monitor.multilingual.engine import default_export_dir

    if not (default_export_dir() / "manifest.json").is_file():
        pytest.skip("the multilingual engine is not built (cct-monitor model export-multilingual)")
    rows = [{"id": "en", "text": "they rigged the count overnight and the postal votes were thrown away"},
            {"id": "de-declared", "language": "de", "text": "Die Briefwahlstimmen wurden in der Nacht weggeworfen."},
            {"id": "de-found", "text": "Die Briefwahlstimmen wurden in der Nacht weggeworfen, das weiß doch jeder hier."}]
    routed = {r["id"]: r for r in _classify(tmp_path, rows, "--multilingual", "on")}
    english = {r["id"]: r for r in _classify(tmp_path, rows, "--multilingual", "off")}
    assert routed["en"]["language"] == "en"
    assert routed["en"]["scores"] == pytest.approx(english["en"]["scores"], abs=1e-4)  # batch padding only
    assert routed["de-declared"]["language"] == "de" and routed["de-found"]["language"] == "de"
    for key in ("de-declared", "de-found"):
        # not the English engine's reading of German
        assert routed[key]["scores"] != pytest.approx(english[key]["scores"], abs=1e-3)


def test_a_bad_language_field_is_reported_and_the_line_skipped(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"id": "x", "text": "hello there", "language": 7}) + "\n", encoding="utf-8")
    proc = CliRunner().invoke(cli, ["classify", "--input", str(src), "--threads", "1", "--multilingual", "off"])
    assert proc.exit_code == 0, proc.output
    assert "line 1: skipped: 'language' must be a language code" in proc.stderr
