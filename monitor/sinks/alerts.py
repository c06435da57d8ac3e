"""The alert sink: fans each batch's alerts out to the channels, without loss on the durable ones.

`write` queues every enforce-mode alert on every channel that accepts it. `flush` returns only when
the durable channels (Kafka topic, JSONL) acknowledged all of them, and raises otherwise, so the
runner pauses consumption, retries the batch and commits nothing until they do. Best-effort
channels (webhook, Alertmanager, console) are drained by their own worker threads, with retries
and a circuit breaker, and never hold up the durable path. A retried batch is not sent twice:
each channel remembers what it queued and delivered by (alert_id, count).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from monitor.channels.base import Channel, Delivery, DeliveryError, Envelope
from monitor.metrics import Metrics
from monitor.stages import Decision

log = logging.getLogger(__name__)


class AlertSink:
    """A `monitor.stages.Sink` that delivers `Decision.alerts` to alert channels."""

    name = "alerts"

    def __init__(self, channels: Sequence[Channel], metrics: Metrics, drain_timeout_s: float = 10.0) -> None:
        self.metrics = metrics
        self.drain_timeout_s = drain_timeout_s
        self.deliveries = [Delivery(ch, metrics) for ch in channels]
        self.durable = any(d.durable for d in self.deliveries)
        self._raised: set[tuple[str, int]] = set()
        for d in self.deliveries:
            if not d.durable:
                d.start()

    def write(self, decisions: Sequence[Decision]) -> None:
        """Queue the batch's enforce-mode alerts (shadow-mode alerts are never delivered)."""
        for decision in decisions:
            for alert in decision.alerts:
                if alert.rule.mode != "enforce":
                    continue
                env = Envelope(alert, decision.item.chunk.ts)
                if env.key not in self._raised:
                    self._raised.add(env.key)
                    self.metrics.alerts_raised.labels(alert.rule.id, alert.rule.severity, alert.dsa.category).inc()
                for d in self.deliveries:
                    d.enqueue(env)
        if len(self._raised) > 100_000:
            self._raised.clear()

    def flush(self) -> None:
        """Block until every durable channel acknowledged what was queued; raise if any did not."""
        errors = []
        for d in self.deliveries:
            if d.durable:
                try:
                    d.deliver_pending()
                except DeliveryError as exc:
                    errors.append(str(exc))
        if errors:
            raise DeliveryError("; ".join(errors))

    def drain(self, timeout_s: float) -> bool:
        """Wait until the best-effort queues are empty too (for tests and `alerts test`)."""
        return all(d.drain(timeout_s) for d in self.deliveries)

    def close(self) -> None:
        """Give best-effort channels `drain_timeout_s` to deliver what they hold, then stop every channel."""
        for d in self.deliveries:
            d.stop(self.drain_timeout_s)
