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
