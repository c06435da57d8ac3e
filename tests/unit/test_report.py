"""The transparency report: counts equal the alerts and reviews of a fixture run; CSV shape; chart files."""

from __future__ import annotations

import base64
import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from monitor import dsa
from monitor.audit.log import AuditLog
from monitor.audit.read import LogView
from monitor.audit.reviews import ReviewIntake, ReviewMessage
from monitor.cli import cli

from audit_helpers import run_fixture

OUTCOMES = {(31,): "confirmed", (32,): "confirmed", (170,): "false_positive",
            (99,): "confirmed", (101,): "false_positive", (104,): "needs_escalation"}


def _rows(path: Path) -> dict[tuple[str, str], dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return {(r["row"], r["language"]): r for r in csv.DictReader(fh)}


def test_report_counts_equal_the_fixture_run(tmp_path: Path) -> None:
    log_dir = tmp_path / "log"
    run_fixture(log_dir)
    run_fixture(log_dir)
    intake = ReviewIntake(AuditLog(log_dir))
    view = LogView(log_dir)
    for entry in view.alerts.values():
        outcome = OUTCOMES.get(tuple(entry.alert["seqs"]))
        if outcome:
            intake.submit(ReviewMessage(alert_id=entry.alert_id, outcome=outcome, reviewer="rv-1"), "test")
    today = datetime.now(UTC).date()
    period = f"{today - timedelta(days=3)}/{today + timedelta(days=3)}"
    out = CliRunner().invoke(cli, ["report", "--period", period, "--log", str(log_dir),
                                   "--out", str(tmp_path / "out")])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["alerts"] == len(view.alerts) == 7

    own = _rows(tmp_path / "out" / "own_initiative.csv")
    assert {row for row, _ in own} == set(dsa.CATEGORIES) | set(dsa.SPECIFICATIONS) | {"TOTAL"}
    total = own[("TOTAL", "ALL")]
    assert (total["detections"], total["reviewed"], total["confirmed"], total["false_positive"],
            total["needs_escalation"]) == ("7", "6", "3", "2", "1")
    assert total["measures"] == total["measures_after_solely_automated_detection"] == "3"
    assert total["precision"] == "0.6000" and total["recall"] == ""
    civic = own[("STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "ALL")]
    assert civic["detections"] == "7"
    assert own[("KEYWORD_VIOLATION_NATIONAL_LAW", "ALL")]["detections"] == "3"
    assert own[("KEYWORD_VIOLATION_NATIONAL_LAW", "ALL")]["precision"] == "0.6667"
    assert own[("STATEMENT_CATEGORY_VIOLENCE", "ALL")]["detections"] == "0"

    means = _rows(tmp_path / "out" / "automated_means.csv")
    assert means[("TOTAL", "EN")]["detections"] == "7" and ("TOTAL", "ALL") in means
    assert all(r["detections"] != "0" for r in means.values())

    png = (tmp_path / "out" / "report.png").read_bytes()
    assert png.startswith(b"\x89PNG")
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert base64.b64encode(png).decode() in page and "KEYWORD_VIOLATION_NATIONAL_LAW" in page


def test_alerts_outside_the_period_are_not_counted(tmp_path: Path) -> None:
    run_fixture(tmp_path / "log")
    out = CliRunner().invoke(cli, ["report", "--period", "2020-01-01/2020-06-30", "--log", str(tmp_path / "log"),
                                   "--out", str(tmp_path / "out")])
    assert out.exit_code == 0 and json.loads(out.output)["alerts"] == 0
    assert _rows(tmp_path / "out" / "own_initiative.csv")[("TOTAL", "ALL")]["detections"] == "0"


def test_the_cli_loads_matplotlib_only_for_the_report_command() -> None:
    """Every `cct-monitor` process (replicas included) imports the CLI; matplotlib is ~30 MiB of it."""
    import subprocess
    import sys

    code = "import sys, monitor.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "False"
