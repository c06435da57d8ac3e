"""Decision logs for the console's unit tests: alerts written as the audit sink writes them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from alert_factory import decision_with, make_alert

from monitor.alert import Alert
from monitor.audit.log import AuditLog
from monitor.audit.records import TextRetention, alert_body


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
