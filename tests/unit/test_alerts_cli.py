"""`cct-monitor alerts test` reports per-channel success and fails when a channel does."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from monitor.cli import cli


def test_alerts_test_sends_one_synthetic_alert_per_channel(tmp_path: Path) -> None:
    out = tmp_path / "alerts.jsonl"
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump({"alerts": {"channels": [
        {"type": "jsonl", "path": str(out)},
        {"type": "webhook", "name": "dead-hook", "url": "http://127.0.0.1:9/hook", "timeout_s": 1},
    ]}}))
    result = CliRunner().invoke(cli, ["--config", str(config), "alerts", "test", "--source", "file"])
    assert result.exit_code == 1
    assert "ok      jsonl" in result.output
    assert "FAILED  dead-hook" in result.output
    alert = json.loads(out.read_text())
    assert alert["rule"]["id"] == "cct.channel-test" and alert["rule"]["severity"] == "info"
    assert "test alert" in alert["evidence"]


def test_alerts_test_exits_zero_when_every_channel_acknowledges(tmp_path: Path) -> None:
    config = tmp_path / "cfg.yaml"
    config.write_text(yaml.safe_dump({"alerts": {"channels": [{"type": "jsonl", "path": str(tmp_path / "a.jsonl")}]}}))
    result = CliRunner().invoke(cli, ["--config", str(config), "alerts", "test", "--source", "file"])
    assert result.exit_code == 0, result.output
    assert "1 channel(s)" in result.output
