"""Consume reviewer outcomes from Kafka (`compliance.reviews`) into the decision log.

Messages are JSON `{alert_id, outcome, reviewer, note, ts}`. Each polled batch is appended to the
log (fsynced) before its offsets are committed, so an outcome is never lost; a redelivered message
is recognised by its review id and logged once (a message without `ts` is dated by its Kafka
timestamp, so its review id is the same on every delivery). Messages that are not valid reviews, or
that name an alert not in the log, are counted by reason, logged and skipped, never stopping the
consumer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from monitor.audit.reviews import ReviewIntake, ReviewMessage, UnknownAlert
from monitor.settings import KafkaSettings
from monitor.kafka_client import connect_consumer

log = logging.getLogger(__name__)

REJECT_REASONS = ("not_json", "invalid", "unknown_alert")


@dataclass(slots=True)
class ConsumeStats:
    """What a consumer run did."""

    logged: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=lambda: dict.fromkeys(REJECT_REASONS, 0))


class ReviewConsumer:
    """A consumer-group member on the reviews topic that feeds a ReviewIntake."""

    def __init__(self, settings: KafkaSettings, intake: ReviewIntake, registry: CollectorRegistry,
                 group_id: str | None = None, stop: Callable[[], bool] = lambda: False) -> None:
        self.intake = intake
        self.stop = stop
        self.stats = ConsumeStats()
        self.rejected = Counter("cct_reviews_rejected", "Review messages skipped, by reason", ["reason"], registry=registry)
        for reason in REJECT_REASONS:
            self.rejected.labels(reason)
        self.consumer: KafkaConsumer = connect_consumer(
            settings, "reviews consumer", stop, group_id=group_id or f"{settings.group_id}-reviews",
            enable_auto_commit=False, auto_offset_reset="earliest", max_poll_records=settings.max_poll_records,
        )
        self.consumer.subscribe([settings.reviews_topic])
        log.info("consuming reviews from %s", settings.reviews_topic)

    def poll_once(self, timeout_s: float = 0.5) -> int:
        """Log one polled batch, then commit it; returns the number of messages seen."""
        polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000))
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        seen = 0
        for tp, records in polled.items():
            for record in records:
                seen += 1
                self._handle(record.value, f"{record.topic}[{record.partition}]@{record.offset}", record.timestamp)
                offsets[tp] = OffsetAndMetadata(record.offset + 1, "", -1)
        if offsets:
            self.consumer.commit(offsets)
        return seen

    def run(self, max_messages: int | None = None, idle_timeout_s: float | None = None) -> ConsumeStats:
        """Consume until stopped, until `max_messages` were handled, or after `idle_timeout_s` with nothing new."""
        handled = 0
        idle = 0.0
        while not self.stop():
            got = self.poll_once()
            handled += got
            idle = 0.0 if got else idle + 0.5
            if max_messages is not None and handled >= max_messages:
                break
            if idle_timeout_s is not None and idle >= idle_timeout_s:
                break
        return self.stats

    def close(self) -> None:
        self.consumer.close()

    def _handle(self, value: bytes | None, where: str, timestamp_ms: int) -> None:
        try:
            message = ReviewMessage.model_validate(json.loads(value or b""))
        except (json.JSONDecodeError, UnicodeDecodeError):
            self._reject("not_json", where, "not a JSON object")
            return
        except ValidationError as exc:
            self._reject("invalid", where, str(exc.errors()[0]["msg"]))
            return
        if message.ts is None and timestamp_ms >= 0:
            message = message.model_copy(update={"ts": datetime.fromtimestamp(timestamp_ms / 1000, UTC)})
        try:
            record = self.intake.submit(message, channel=f"kafka:{where}")
        except UnknownAlert as exc:
            self._reject("unknown_alert", where, str(exc))
            return
        if record is None:
            self.stats.duplicates += 1
        else:
            self.stats.logged += 1

    def _reject(self, reason: str, where: str, detail: str) -> None:
        self.stats.rejected[reason] += 1
        self.rejected.labels(reason).inc()
        log.warning("review message %s skipped (%s): %s", where, reason, detail)
