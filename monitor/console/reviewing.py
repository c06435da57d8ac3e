"""Record a reviewer's decision exactly as `cct-monitor review` does, then announce it on the reviews topic.

The decision log is the record: the review is appended there first (through `ReviewIntake`, channel
`console`), with the authenticated user as reviewer. It is then published on `kafka.reviews_topic` as
the `{alert_id, outcome, reviewer, note, ts}` message a case tool sends; `ts` is the logged
`reviewed_at`, so a `review --from-kafka` consumer on the same log recognises it and logs it once.
Publishing runs on its own thread and never delays or loses the logged review.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from typing import Any

from monitor.audit.reviews import ReviewIntake, ReviewMessage, UnknownAlert
from monitor.console.metrics import ConsoleMetrics
from monitor.settings import KafkaSettings

log = logging.getLogger(__name__)
CHANNEL = "console"

__all__ = ["ReviewDesk", "ReviewPublisher", "UnknownAlert"]


class ReviewPublisher(threading.Thread):
    """Publishes logged reviews on the reviews topic, retrying a few times; failures are counted."""

    def __init__(self, settings: KafkaSettings, metrics: ConsoleMetrics, attempts: int = 3) -> None:
        super().__init__(name="review-publisher", daemon=True)
        self.settings = settings
        self.metrics = metrics
        self.attempts = attempts
        self.pending: queue.Queue[dict[str, Any] | None] = queue.Queue()
        self._producer: Any = None

    def publish(self, message: dict[str, Any]) -> None:
        self.pending.put(message)

    def stop(self, timeout_s: float = 10.0) -> None:
        self.pending.put(None)
        self.join(timeout_s)

    def run(self) -> None:
        while (message := self.pending.get()) is not None:
            for attempt in range(1, self.attempts + 1):
                try:
                    self._send(message)
                    break
                except Exception as exc:  # noqa: BLE001 (any client failure: retry, then count)
                    self._close()
                    if attempt == self.attempts:
                        self.metrics.publish_failures.inc()
                        log.error("review %s logged but not published on %s: %s", message["alert_id"],
                                  self.settings.reviews_topic, exc.__class__.__name__)
        self._close()

    def _send(self, message: dict[str, Any]) -> None:
        from monitor.kafka_client import new_producer

        if self._producer is None:
            self._producer = new_producer(self.settings, acks="all")
        value = json.dumps(message, ensure_ascii=False).encode("utf-8")
        self._producer.send(self.settings.reviews_topic, key=message["alert_id"].encode(), value=value).get(timeout=15)

    def _close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            finally:
                self._producer = None


class ReviewDesk:
    """Takes reviews from authenticated users: log first, then publish."""

    def __init__(self, intake: ReviewIntake, metrics: ConsoleMetrics, publisher: ReviewPublisher | None) -> None:
        self.intake = intake
        self.metrics = metrics
        self.publisher = publisher
        self._lock = threading.Lock()

    def submit(self, alert_id: str, outcome: str, reviewer: str, note: str | None) -> dict[str, Any]:
        """Append the review (raises UnknownAlert, or pydantic's ValidationError for a bad outcome/note)."""
        message = ReviewMessage(alert_id=alert_id, outcome=outcome, reviewer=reviewer, note=note or None)
        with self._lock:  # ReviewIntake's index is not shared between threads
            record = self.intake.submit(message, CHANNEL)
        if record is None:  # the same review, same millisecond: already logged
            raise ValueError("this review was already recorded")
        body = record["body"]
        self.metrics.console_reviews.labels(body["outcome"]).inc()
        if self.publisher is not None:
            self.publisher.publish({"alert_id": body["alert_id"], "outcome": body["outcome"], "reviewer": body["reviewer"],
                                    "note": body["note"], "ts": body["reviewed_at"]})
        return record
