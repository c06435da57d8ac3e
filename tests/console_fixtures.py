"""Decision logs for the console's unit tests: alerts written as the audit sink writes them."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alert_factory import decision_with, make_alert
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from monitor.alert import Alert
from monitor.audit.log import AuditLog
from monitor.audit.records import TextRetention, alert_body
from monitor.console.accounts import Account, hash_password, write_account
from monitor.console.app import build_console, create_app
from monitor.settings import Settings

PASSWORD = "correct horse battery staple"
_HASH = hash_password(PASSWORD)


def write_alerts(log_dir: Path, alerts: list[Alert]) -> None:
    """Append one `alert` record per alert, with full text retention."""
    audit_log = AuditLog(log_dir, fsync="never")
    try:
        for alert in alerts:
            decision = decision_with([alert], seq=alert.seqs[0], broadcast_id=alert.broadcast_id)
            audit_log.append("alert", alert_body(alert, decision, TextRetention("keep")))
    finally:
        audit_log.close()


def three_alerts(now: datetime) -> list[Alert]:
    """bc-1: a high enforced alert (10 min old) and a critical one (1 min old); bc-2: a low shadow alert (5 min)."""
    return [
        make_alert("bc-1", (7,), "elections.rigged-claim", "high", detected_at=now - timedelta(minutes=10)),
        make_alert("bc-1", (12,), "violence.threat", "critical", category="STATEMENT_CATEGORY_VIOLENCE",
                   articles=("18",), detected_at=now - timedelta(minutes=1)),
        make_alert("bc-2", (3,), "elections.rigged-claim", "low", mode="shadow", detected_at=now - timedelta(minutes=5)),
    ]


def decision_line(broadcast_id: str, seq: int, text: str, scores: dict[str, float], listeners: int | None,
                  **extra: Any) -> str:
    record = {"type": "decision", "chunk_id": f"{broadcast_id}#{seq}", "broadcast_id": broadcast_id, "seq": seq,
              "start_ms": seq * 5000, "end_ms": seq * 5000 + 4800, "speaker": {"id": f"s{seq % 2}", "role": "guest"},
              "text": text, "audience": {"listeners": listeners} if listeners is not None else None,
              "scores": scores, "alert_ids": [], **extra}
    return json.dumps(record) + "\n"


def utc_now() -> datetime:
    return datetime.now(UTC)


def settings_for(tmp_path: Path, **console: object) -> Settings:
    """Console settings on `tmp_path/log` with the accounts alice (reviewer), sam (auditor), root (admin)."""
    users = tmp_path / "users.yaml"
    if not users.exists():
        for name, role in (("alice", "reviewer"), ("sam", "auditor"), ("root", "admin")):
            write_account(users, Account(name=name, role=role, password_hash=_HASH))
    return Settings(audit={"path": str(tmp_path / "log")}, metrics={"enabled": False},
                    console={"users_file": str(users), "publish_reviews": False, "session_secret": "k" * 48, **console})


def client_for(settings: Settings, registry: CollectorRegistry | None = None) -> TestClient:
    return TestClient(create_app(build_console(settings, registry)), follow_redirects=False)


def csrf_of(client: TestClient, path: str = "/login") -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text).group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD) -> int:
    token = csrf_of(client)
    return client.post("/login", data={"username": name, "password": password, "csrf_token": token, "next": "/"}).status_code


def page_token(client: TestClient, path: str = "/") -> str:
    return re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get(path).text).group(1)
