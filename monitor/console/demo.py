"""`cct-monitor console demo`: the bundled sample broadcast through the file source into a decision log
and a decisions file, demo accounts with a fresh password, then the console on them (docs/console.md)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.console.accounts import Account, hash_password, write_account
from monitor.settings import Settings

DEMO_USERS = (("reviewer", "reviewer"), ("auditor", "auditor"), ("admin", "admin"))


@dataclass(frozen=True, slots=True)
class DemoSetup:
    settings: Settings
    password: str | None  # None when the accounts of an earlier demo run are reused
    alerts: int


def _secret_file(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text + "\n")


def run_sample(settings: Settings, log_dir: Path, decisions: Path) -> int:
    """Run the monitor over the sample broadcast into `log_dir` and `decisions`; returns alerts logged."""
    from monitor.app import build_monitor
    from monitor.metrics import Metrics
    from monitor.sample import sample_broadcast_path

    run = settings.model_copy(deep=True)
    run.output.decisions_path = str(decisions)
    run.output.format = "jsonl"
    run.audit.path = str(log_dir)
    run.alerts.channels = []
    run.rules.watch = False
    monitor = build_monitor(run, "file", str(sample_broadcast_path()), metrics=Metrics(CollectorRegistry()))
    monitor.runner.run()
    return sum(getattr(s, "alerts_logged", 0) for s in monitor.sinks)


def prepare_demo(settings: Settings, directory: Path) -> DemoSetup:
    """Everything the demo console needs under `directory`; an earlier run there is reused as it is."""
    directory.mkdir(parents=True, exist_ok=True)
    log_dir, decisions = directory / "log", directory / "decisions.jsonl"
    alerts = 0
    if not (log_dir.is_dir() and any(log_dir.glob("decisions-*.jsonl"))):
        decisions.unlink(missing_ok=True)
        alerts = run_sample(settings, log_dir, decisions)
    users, key = directory / "users.yaml", directory / "session.key"
    password = None
    if not users.exists():
        password = secrets.token_urlsafe(12)
        for name, role in DEMO_USERS:
            write_account(users, Account(name=name, role=role, password_hash=hash_password(password)))
    if not key.exists():
        _secret_file(key, secrets.token_urlsafe(48))
    console = settings.model_copy(deep=True)
    console.audit.path = str(log_dir)
    console.console.users_file = users
    console.console.decisions_path = str(decisions)
    console.console.session_secret_file = key
    console.console.publish_reviews = False  # no broker in the demo: reviews go to the decision log only
    return DemoSetup(console, password, alerts)
