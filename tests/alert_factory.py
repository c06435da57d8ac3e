"""Alerts built directly from the contract, for channel and sink tests (importable: tests/ is on sys.path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from monitor.alert import Alert, AlertDSA, AlertModel, AlertRule, make_alert_id
from monitor.contracts import TranscriptChunk
from monitor.stages import Decision, SourceRecord, WorkItem


DEFAULTS = {
    "actions": {"decision_visibility": "DECISION_VISIBILITY_CONTENT_LABELLED"},
    "explanation": [  # the shape monitor.rules_engine emits: matched leaves, exceptions checked, escalations
        {"label": "election", "gte": 0.8, "score": 0.93, "matched": True},
        {"keywords": "rigging", "scope": "text", "terms": ["rigged"], "matched": True},
        {"exceptions_checked": [{"reason": "quoting to debunk", "matched": False}]},
        {"escalations": [{"reason": "reach of 100,000 listeners or more", "levels": 1, "matched": True}]},
    ],
}


def make_alert(
    broadcast_id: str = "bc-1", seqs: tuple[int, ...] = (7,), rule_id: str = "elections.rigged-claim",
    severity: str = "high", category: str = "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
    articles: tuple[str, ...] = ("34(1)(c)", "35"), count: int = 1, mode: str = "enforce",
    detected_at: datetime | None = None, **extra: object,
) -> Alert:
    """A complete alert with deterministic id, as the rules engine would emit it."""
    detected = detected_at or datetime.now(UTC)
    return Alert(
        alert_id=make_alert_id(rule_id, "1.2.0", broadcast_id, list(seqs)),
        rule=AlertRule(id=rule_id, version="1.2.0", sha256="ab" * 32, title="Claim that the election is rigged",
                       severity=severity, mode=mode),
        dsa=AlertDSA(articles=list(articles), category=category,
                     specification=["KEYWORD_MISINFORMATION_DISINFORMATION"], decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT"),
        broadcast_id=broadcast_id, title="Evening call-in show", seqs=list(seqs), start_ms=754_000, end_ms=761_500,
        speaker={"id": "u-42", "name": "Caller Dave", "role": "caller"},
        evidence="the vote count is rigged, don't bother showing up on Sunday",
        scores={"election": 0.93, "claim": 0.71}, thresholds={"election": 0.8},
        model=AlertModel(name="minilm-heads", sha256="cd" * 32),
        detected_at=detected.isoformat(timespec="milliseconds").replace("+00:00", "Z"), latency_ms=850.0,
        audience={"listeners": 120_000, "followers": 56_000},
        count=count, **(DEFAULTS | extra),
    )


def decision_with(alerts: list[Alert], seq: int = 7, ts_ago_s: float = 1.0, broadcast_id: str = "bc-1") -> Decision:
    """A decision carrying `alerts`, its chunk emitted `ts_ago_s` seconds ago."""
    chunk = TranscriptChunk(broadcast_id=broadcast_id, seq=seq, text="...", ts=datetime.now(UTC) - timedelta(seconds=ts_ago_s))
    record = SourceRecord("transcripts", 0, seq, broadcast_id.encode(), b"{}")
    return Decision(WorkItem(chunk, record), None, alerts=alerts)
