"""Kafka source: a kafka-python consumer-group member with manual commits and a dead-letter producer.

Offsets are committed only by `commit`, which the runner calls after the batch's decisions are
safely written. A broker that is down at start is retried with backoff and logged, not crashed on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.consumer.subscription_state import ConsumerRebalanceListener
from kafka.coordinator.assignors.cooperative_sticky import CooperativeStickyAssignor
from kafka.coordinator.assignors.range import RangePartitionAssignor
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from kafka.errors import KafkaConfigurationError, KafkaError
from kafka.structs import OffsetAndMetadata

from monitor.settings import KafkaSettings
from monitor.stages import DeadLetter, SourceRecord

log = logging.getLogger(__name__)

ASSIGNORS = {
    "range": (RangePartitionAssignor,),
    "roundrobin": (RoundRobinPartitionAssignor,),
    "cooperative-sticky": (CooperativeStickyAssignor,),
}


def connect_with_backoff(factory: Callable[[], object], what: str, stop: Callable[[], bool], cap_s: float) -> object:
    """Call `factory` until the broker answers, logging one clear line per attempt."""
    delay = 0.5
    while True:
        try:
            return factory()
        except KafkaConfigurationError:
            raise
        except (KafkaError, OSError) as exc:
            if stop():
                raise
            log.warning("%s: broker not reachable (%s); retrying in %.1fs", what, exc.__class__.__name__, delay)
            time.sleep(delay)
            delay = min(cap_s, delay * 2)


def dlq_headers(letter: DeadLetter) -> list[tuple[str, bytes]]:
    """The headers a dead letter carries: why it was rejected and where it came from."""
    rec = letter.record
    return [
        ("cct.dlq.reason", letter.reason.encode()),
        ("cct.dlq.detail", letter.detail.encode("utf-8", "replace")[:1024]),
        ("cct.source.topic", rec.topic.encode()),
        ("cct.source.partition", str(rec.partition).encode()),
        ("cct.source.offset", str(rec.offset).encode()),
    ]


class _Rebalances(ConsumerRebalanceListener):
    def __init__(self, source: KafkaSource) -> None:
        self.source = source

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("partitions revoked: %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in revoked))
        self.source.assignment_changed(revoked, assigned=False)

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        log.info("partitions assigned: %s", sorted(f"{tp.topic}[{tp.partition}]" for tp in assigned))
        self.source.assignment_changed(assigned, assigned=True)


class KafkaSource:
    """Consumes the transcripts topic as a member of the monitor's consumer group."""

    def __init__(
        self,
        settings: KafkaSettings,
        on_assignment: Callable[[set[TopicPartition], bool], None] | None = None,
        stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.on_assignment = on_assignment
        self.rebalances = 0
        common = settings.client_config()
        consumer_conf = dict(
            common,
            group_id=settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset=settings.auto_offset_reset,
            max_poll_records=settings.max_poll_records,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            partition_assignment_strategy=ASSIGNORS[settings.partition_assignment],
        )
        if settings.group_instance_id:
            consumer_conf["group_instance_id"] = settings.group_instance_id
        self.consumer: KafkaConsumer = connect_with_backoff(
            lambda: KafkaConsumer(**consumer_conf), "consumer", stop, settings.reconnect_backoff_max_s
        )
        self.consumer.subscribe([settings.input_topic], listener=_Rebalances(self))
        self._producer: KafkaProducer | None = None
        self._stop = stop
        self._paused = False
        log.info("subscribed to %s as group %s via %s", settings.input_topic, settings.group_id, settings.bootstrap_servers)

    @property
    def exhausted(self) -> bool:
        return False

    def assignment_changed(self, partitions: set[TopicPartition], assigned: bool) -> None:
        self.rebalances += 1
        if self.on_assignment is not None:
            self.on_assignment(partitions, assigned)

    def poll(self, timeout_s: float) -> list[SourceRecord]:
        """One batch of at most `max_poll_records`; an unreachable broker yields an empty batch."""
        try:
            polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=self.settings.max_poll_records)
        except KafkaError as exc:
            log.warning("poll failed (%s); retrying", exc)
            time.sleep(min(1.0, timeout_s))
            return []
        records: list[SourceRecord] = []
        for tp_records in polled.values():
            for r in tp_records:
                records.append(SourceRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp))
        return records

    def commit(self, records: Sequence[SourceRecord]) -> None:
        """Commit the offset after the highest record of each partition in the batch."""
        offsets: dict[TopicPartition, OffsetAndMetadata] = {}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            if tp not in offsets or offsets[tp].offset <= r.offset:
                offsets[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        if offsets:
            self.consumer.commit(offsets)

    @property
    def producer(self) -> KafkaProducer:
        """The dead-letter producer, created on first use (acks=all, idempotent)."""
        if self._producer is None:
            self._producer = connect_with_backoff(
                lambda: KafkaProducer(**self.settings.client_config(), acks="all", linger_ms=5, retries=5),
                "dead-letter producer", self._stop, self.settings.reconnect_backoff_max_s,
            )
        return self._producer

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        """Publish the dead letters and wait for the broker to acknowledge every one."""
        futures = [
            self.producer.send(
                self.settings.dlq_topic, key=letter.record.key, value=letter.record.value or b"",
                headers=dlq_headers(letter),
            )
            for letter in letters
        ]
        self.producer.flush(timeout=30)
        for fut in futures:
            fut.get(timeout=30)

    def pause(self) -> None:
        if not self._paused:
            self.consumer.pause(*self.consumer.assignment())
            self._paused = True

    def resume(self) -> None:
        if self._paused:
            self.consumer.resume(*self.consumer.paused())
            self._paused = False

    def close(self) -> None:
        """Leave the group cleanly (offsets are committed by the runner, never auto-committed)."""
        if self._producer is not None:
            self._producer.flush(timeout=10)
            self._producer.close(timeout=10)
        self.consumer.close(autocommit=False)
