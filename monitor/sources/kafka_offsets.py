"""Offsets for the consumer-lag series, fetched at scrape time by a consumer of their own.

The group member's KafkaConsumer belongs to the poll loop: calling it from the scrape thread is not
thread-safe, and running its network loop outside `poll` can complete a group join the member then
never applies. This fetcher uses a separate, never-subscribed KafkaConsumer (it joins no group) to read
log-end offsets and the group's committed offsets, under its own lock and with bounded timeouts.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from monitor.kafka_client import new_consumer
from monitor.settings import KafkaSettings

log = logging.getLogger(__name__)

TIMEOUT_MS = 1_500


class KafkaOffsets:
    """`KafkaStats` offset fetcher: high watermarks and committed offsets of (topic, partition) pairs."""

    def __init__(self, settings: KafkaSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._consumer: KafkaConsumer | None = None

    def _client(self) -> KafkaConsumer:
        if self._consumer is None:
            self._consumer = new_consumer(
                self.settings, group_id=self.settings.group_id, enable_auto_commit=False,
                request_timeout_ms=max(TIMEOUT_MS * 2, 5_000),
            )
        return self._consumer

    def high_watermarks(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """Log-end offset of each partition."""
        with self._lock:
            ends = self._client().end_offsets([TopicPartition(t, p) for t, p in partitions], timeout_ms=TIMEOUT_MS)
        return {(tp.topic, tp.partition): off for tp, off in ends.items()}

    def committed(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        """The group's committed offset of each partition, or its beginning offset when nothing is committed."""
        tps = [TopicPartition(t, p) for t, p in partitions]
        with self._lock:
            client = self._client()
            starts = client.beginning_offsets(tps, timeout_ms=TIMEOUT_MS)
            found = {}
            for tp in tps:
                off = client.committed(tp, timeout_ms=TIMEOUT_MS)
                found[(tp.topic, tp.partition)] = off if off is not None else starts[tp]
        return found

    def close(self) -> None:
        with self._lock:
            if self._consumer is not None:
                try:
                    self._consumer.close(autocommit=False)
                except KafkaError as exc:
                    log.debug("closing the offsets consumer: %s", exc)
                self._consumer = None
