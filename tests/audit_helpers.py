"""A fixture monitor run for the audit tests: the sample broadcast through keyword-only fixture rules,
with the decision log wired in by `build_monitor` exactly as `cct-monitor run --audit-log` does."""

from __future__ import annotations

from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.app import build_monitor
from monitor.metrics import Metrics
from monitor.sample import sample_broadcast_path
from monitor.settings import Settings

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "audit"
RULES_OLD = FIXTURES / "rules_old"
RULES_NEW = FIXTURES / "rules_new"


def fixture_settings(log_dir: Path, rules: Path = RULES_OLD, **audit: object) -> Settings:
    """Settings for a file-source run with no classifier, no decision output and no alert channels."""
    return Settings(
        classifier={"enabled": False},
        rules={"paths": [rules], "watch": False},
        output={"decisions_path": ""},
        alerts={"channels": []},
        metrics={"enabled": False},
        audit={"path": str(log_dir), **audit},
    )


def run_fixture(log_dir: Path, rules: Path = RULES_OLD, transcript: Path | None = None, **audit: object) -> None:
    """Run the monitor over a transcript (default: the sample broadcast) into the decision log at `log_dir`."""
    settings = fixture_settings(log_dir, rules, **audit)
    monitor = build_monitor(settings, "file", str(transcript or sample_broadcast_path()),
                            metrics=Metrics(CollectorRegistry()))
    monitor.runner.run()
