"""Reviewer outcomes (Art. 20: the human decision) into the decision log and into metrics.

A review names an alert that is in the log, an outcome, the reviewer and an optional note. Its
`review_id` is a hash of those plus its time, so a redelivered Kafka message is logged once.
Metrics: reviewed and confirmed counts per rule and label, and precision per rule over a sliding
period (confirmed / (confirmed + false_positive) among reviews in the period), computed at scrape.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Literal

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from monitor.audit.chain import utc_now_iso
from monitor.audit.log import AuditLog
from monitor.audit.read import AlertEntry, LogView, parse_time

OUTCOMES = ("confirmed", "false_positive", "needs_escalation")
Outcome = Literal["confirmed", "false_positive", "needs_escalation"]


class ReviewMessage(BaseModel):
    """A reviewer outcome as a case tool sends it on `compliance.reviews`."""

    model_config = ConfigDict(extra="ignore")
    alert_id: StrictStr = Field(min_length=1, max_length=128)
    outcome: Outcome
    reviewer: StrictStr = Field(min_length=1, max_length=256)
    note: StrictStr | None = Field(default=None, max_length=4000)
    ts: datetime | None = None


class UnknownAlert(LookupError):
    """The review names an alert that is not in the decision log."""


def alert_labels(alert: dict[str, Any]) -> list[str]:
    """The classifier labels an alert's rule conditioned on (its thresholds), else 'none'."""
    return sorted(alert.get("thresholds") or {}) or ["none"]


def review_body(message: ReviewMessage, entry: AlertEntry, channel: str, at: float) -> dict[str, Any]:
    """The body of a `review` record: the outcome plus the rule, category, labels and language it judges."""
    reviewed_at = utc_now_iso(message.ts.timestamp()) if message.ts else utc_now_iso(at)
    alert = entry.alert
    material = "\x1f".join([message.alert_id, message.outcome, message.reviewer, message.note or "", reviewed_at])
    return {
        "review_id": hashlib.sha256(material.encode("utf-8")).hexdigest()[:32],
        "alert_id": message.alert_id, "outcome": message.outcome, "reviewer": message.reviewer,
        "note": message.note, "reviewed_at": reviewed_at, "channel": channel,
        "rule_id": alert["rule"]["id"], "rule_version": alert["rule"]["version"],
        "category": alert["dsa"]["category"], "labels": alert_labels(alert), "language": alert.get("language"),
    }


class ReviewMetrics:
    """Reviewed/confirmed counters per rule and label, and a sliding-period precision gauge per rule."""

    def __init__(self, registry: CollectorRegistry, period_s: float = 7 * 86400.0,
                 clock: Callable[[], float] = time.time) -> None:
        self.period_s = period_s
        self.clock = clock
        self.reviewed = Counter("cct_reviews", "Reviewer outcomes recorded, by rule, label and outcome",
                                ["rule", "label", "outcome"], registry=registry)
        self.confirmed = Counter("cct_reviews_confirmed", "Alerts confirmed by a reviewer, by rule and label",
                                 ["rule", "label"], registry=registry)
        self._window: deque[tuple[float, str, str]] = deque()
        self._rules: set[str] = set()
        self._lock = threading.Lock()  # observe() runs on the consumer thread, precision() on the scrape thread
        registry.register(self)

    def observe(self, body: dict[str, Any], count: bool = True) -> None:
        """Account one review; `count=False` only seeds the precision window (reviews logged before start)."""
        rule, outcome = body["rule_id"], body["outcome"]
        if count:
            for label in body["labels"]:
                self.reviewed.labels(rule, label, outcome).inc()
                if outcome == "confirmed":
                    self.confirmed.labels(rule, label).inc()
        at = parse_time(body["reviewed_at"]).timestamp()
        with self._lock:
            self._rules.add(rule)
            self._window.append((at, rule, outcome))

    def precision(self) -> dict[str, float | None]:
        """Per rule: confirmed / (confirmed + false positives) over the sliding period (None without verdicts)."""
        horizon = self.clock() - self.period_s
        with self._lock:
            while self._window and self._window[0][0] < horizon:
                self._window.popleft()
            tally: dict[str, list[int]] = {rule: [0, 0] for rule in self._rules}
            window = list(self._window)
        for at, rule, outcome in window:
            if at < horizon:
                continue
            if outcome == "confirmed":
                tally[rule][0] += 1
            elif outcome == "false_positive":
                tally[rule][1] += 1
        return {rule: (c / (c + f) if c + f else None) for rule, (c, f) in tally.items()}

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "cct_rule_precision", f"Reviewed precision per rule over the last {self.period_s:g} s "
            "(confirmed / (confirmed + false positives))", labels=["rule"],
        )
        for rule, value in sorted(self.precision().items()):
            if value is not None:
                family.add_metric([rule], value)
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []


class ReviewIntake:
    """Validates reviews against the log and appends them; idempotent for redelivered messages."""

    def __init__(self, audit_log: AuditLog, metrics: ReviewMetrics | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self.log = audit_log
        self.metrics = metrics
        self.clock = clock
        self.view = LogView(audit_log.directory)
        self._seen = self.view.review_keys()
        if metrics is not None:
            horizon = clock() - metrics.period_s
            for entry in self.view.alerts.values():
                for review in entry.reviews:
                    if parse_time(review.record["body"]["reviewed_at"]).timestamp() >= horizon:
                        metrics.observe(review.record["body"], count=False)

    def submit(self, message: ReviewMessage, channel: str) -> dict[str, Any] | None:
        """Append one review; returns the logged record, or None when it was already logged."""
        entry = self._entry(message.alert_id)
        body = review_body(message, entry, channel, self.clock())
        if body["review_id"] in self._seen:
            return None
        record = self.log.append("review", body)
        self._seen.add(body["review_id"])
        if self.metrics is not None:
            self.metrics.observe(body)
        return record

    def _entry(self, alert_id: str) -> AlertEntry:
        entry = self.view.alerts.get(alert_id)
        if entry is None:
            self.view = LogView(self.log.directory)
            self._seen |= self.view.review_keys()
            entry = self.view.alerts.get(alert_id)
        if entry is None:
            raise UnknownAlert(f"alert {alert_id} is not in the decision log {self.log.directory}")
        return entry
