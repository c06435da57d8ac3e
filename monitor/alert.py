"""The alert contract (DESIGN.md): what a rule firing tells people and channels.

`alert_id` is a deterministic hash of rule id + rule version + broadcast + evidence seqs, so a
redelivery or a replay of the same evidence never yields a second, different alert.
"""

from __future__ import annotations

import hashlib
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["info", "low", "medium", "high", "critical"]
SEVERITIES: tuple[str, ...] = get_args(Severity)  # lowest first


def make_alert_id(rule_id: str, rule_version: str, broadcast_id: str, seqs: list[int]) -> str:
    """sha256 over the evidence identity, shortened to 32 hex characters."""
    material = "\x1f".join([rule_id, rule_version, broadcast_id, ",".join(str(s) for s in sorted(seqs))])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()[:32]


class AlertRule(BaseModel):
    """Which rule fired."""

    model_config = ConfigDict(frozen=True)
    id: str
    version: str
    sha256: str
    title: str
    severity: str
    mode: str
    ruleset: str | None = None
    ruleset_version: str | None = None


class AlertDSA(BaseModel):
    """The law and policy the rule implements (Transparency Database identifiers)."""

    model_config = ConfigDict(frozen=True)
    articles: list[str]
    category: str
    specification: list[str] = Field(default_factory=list)
    decision_ground: str
    tos_clause: str | None = None


class AlertModel(BaseModel):
    """The classifier that produced the scores."""

    model_config = ConfigDict(frozen=True)
    name: str
    sha256: str


class AlertFactCheck(BaseModel):
    """The fact-check of the known narrative an alert repeats (optional `factcheck` of the alert)."""

    model_config = ConfigDict(frozen=True, extra="allow")
    url: str
    rating: str
    publisher: str
    narrative_id: str
    score: float
    set: str | None = None
    set_version: str | None = None
    set_sha256: str | None = None


def factcheck_of_alert(alert: Alert) -> AlertFactCheck | None:
    """The alert's `factcheck`, when a narrative rule raised it (carried as an additive field)."""
    raw = (alert.model_extra or {}).get("factcheck")
    return AlertFactCheck.model_validate(raw) if isinstance(raw, dict) else None


class Alert(BaseModel):
    """One alert, readable on its own: who said what, when, which rule fired and why, what to do."""

    model_config = ConfigDict(extra="allow")
    alert_id: str
    rule: AlertRule
    dsa: AlertDSA
    broadcast_id: str
    title: str | None = None
    seqs: list[int]
    start_ms: int | None = None
    end_ms: int | None = None
    speaker: dict[str, Any] | None = None
    evidence: str
    scores: dict[str, float] = Field(default_factory=dict)
    thresholds: dict[str, float] = Field(default_factory=dict)
    explanation: list[dict[str, Any]] = Field(default_factory=list)
    model: AlertModel | None = None
    detected_at: str
    latency_ms: float | None = None  # from the chunk's `ts` (when it was said) to detection
    read_latency_ms: float | None = None  # from the monitor reading the chunk to detection
    audience: dict[str, Any] | None = None
    language: str | None = None
    territories: list[str] | None = None
    actions: dict[str, Any] = Field(default_factory=dict)
    count: int = 1
    cooldown_s: float | None = Field(default=None, description="the rule's cooldown: repeats within it fold into this alert")
    source: list[dict[str, Any]] = Field(default_factory=list)
