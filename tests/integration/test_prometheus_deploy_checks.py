"""deploy/ checked by the real tools: promtool (config, rules, rule unit tests) and amtool (config, routing)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from promstack import DEPLOY, RULE_FILES, binary

pytestmark = pytest.mark.prometheus

AM_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"


def _run(*args: str | Path) -> str:
    out = subprocess.run([str(a) for a in args], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, f"{args}:\n{out.stdout}\n{out.stderr}"
    return out.stdout + out.stderr


def test_promtool_checks_the_config_and_rules() -> None:
    promtool = binary("promtool")
    assert "SUCCESS" in _run(promtool, "check", "config", DEPLOY / "prometheus" / "prometheus.yml")
    assert len(RULE_FILES) == 2
    _run(promtool, "check", "rules", *RULE_FILES)


def test_promtool_unit_tests_cover_every_alert_rule_firing_and_not_firing() -> None:
    tests = sorted((DEPLOY / "prometheus" / "tests").glob("*.yml"))
    _run(binary("promtool"), "test", "rules", *tests)
    alerts = {r["alert"] for f in RULE_FILES for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"] if "alert" in r}
    firing, quiet = set(), set()
    for path in tests:
        for case in yaml.safe_load(path.read_text())["tests"]:
            for check in case.get("alert_rule_test", []):
                (firing if check["exp_alerts"] else quiet).add(check["alertname"])
    assert firing == alerts, alerts - firing
    assert quiet == alerts, alerts - quiet


def test_amtool_accepts_the_alertmanager_config() -> None:
    assert "SUCCESS" in _run(binary("amtool"), "check-config", AM_CONFIG)


@pytest.mark.parametrize("labels, receiver", [
    (["alertname=CCTComplianceAlert", "severity=critical", "page=true"], "oncall-pager"),
    (["alertname=CCTComplianceAlert", "severity=high", "page=true", "dsa_articles=18"], "oncall-pager"),
    (["alertname=CCTComplianceAlert", "severity=high", "page=false"], "tns-channel"),
    (["alertname=CCTConsumerStalled", "severity=critical", "team=sre"], "oncall-pager"),
    (["alertname=CCTAlertStorm", "severity=warning", "team=sre"], "sre-channel"),
])
def test_alertmanager_routes_pages_to_on_call_and_the_rest_to_channels(labels: list[str], receiver: str) -> None:
    out = _run(binary("amtool"), "config", "routes", "test", f"--config.file={AM_CONFIG}", f"--verify.receivers={receiver}", *labels)
    assert receiver in out
