"""Kafka source: a kafka-python consumer-group member with manual commits and a dead-letter producer.

Offsets are committed only by `commit`, which the runner calls after the batch's decisions are
safely written; the commit is sent without waiting for the broker's reply (handled at a later poll), and
`close` waits for the last one. A broker that is down at start is retried with backoff and logged, not crashed on;
wrong credentials, a denied ACL or a TLS failure raise `KafkaAccessError` (see monitor.kafka_client).
While running, losing the broker is logged once as a WARNING and its return once as INFO.
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
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata
from tenacity import RetryCallState

from monitor.kafka_client import (
    KafkaAccessError, LinkState, classify, connect_backoff, connect_consumer, connect_producer, derived_instance_id,
    sleep_unless_stopped,
)
from monitor.metrics import KafkaStats
from monitor.settings import KafkaSettings
from monitor.sources.kafka_offsets import KafkaOffsets
from monitor.stages import DeadLetter, SourceRecord

log = logging.getLogger(__name__)

CLOSE_COMMIT_TIMEOUT_MS = 10_000

ASSIGNORS = {
    "range": (RangePartitionAssignor,),
    "roundrobin": (RoundRobinPartitionAssignor,),
    "cooperative-sticky": (CooperativeStickyAssignor,),
}


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
        stats: KafkaStats | None = None,
    ) -> None:
        self.settings = settings
        self.on_assignment = on_assignment
        self.rebalances = 0
        self.stats = stats
        self._offsets = KafkaOffsets(settings) if stats is not None else None
        if stats is not None:
            stats.fetcher = self._offsets
        self._paused = False
        #: Offsets of decided records whose commit failed for a retriable reason (e.g. a rebalance in
        #: progress): committed at the next poll for the partitions this member still owns, so a quiet topic
        #: does not leave them uncommitted until the next record arrives.
        self._uncommitted: dict[TopicPartition, OffsetAndMetadata] = {}
        #: The highest offset sent in a commit and the highest the broker acknowledged, per partition.
        self._sent: dict[TopicPartition, int] = {}
        self._acked: dict[TopicPartition, int] = {}
        self._commit_failure: KafkaAccessError | None = None
        consumer_conf = dict(
            group_id=settings.group_id,
            enable_auto_commit=False,
            auto_offset_reset=settings.auto_offset_reset,
            max_poll_records=settings.max_poll_records,
            max_poll_interval_ms=settings.max_poll_interval_ms,
            session_timeout_ms=settings.session_timeout_ms,
            heartbeat_interval_ms=settings.heartbeat_interval_ms,
            partition_assignment_strategy=ASSIGNORS[settings.partition_assignment],
        )
        instance_id = settings.group_instance_id or derived_instance_id()
        if instance_id:
            consumer_conf["group_instance_id"] = instance_id
        self.consumer: KafkaConsumer = connect_consumer(settings, "consumer", stop, **consumer_conf)
        self._wait_for_topic(stop)
        self.consumer.subscribe([settings.input_topic], listener=_Rebalances(self))
        self._producer: KafkaProducer | None = None
        self._stop = stop
        self._link = LinkState("consumer")
        log.info("subscribed to %s as group %s via %s%s", settings.input_topic, settings.group_id, settings.bootstrap_servers,
                 f" (static member {instance_id})" if instance_id else "")

    @property
    def exhausted(self) -> bool:
        return False

    def _wait_for_topic(self, stop: Callable[[], bool]) -> None:
        """Wait until the input topic exists, saying so in the log, instead of idling in the group without partitions."""
        topic = self.settings.input_topic

        def problem() -> str | None:
            if stop():
                return None
            try:
                return None if self.consumer.partitions_for_topic(topic) else (
                    "does not exist yet (create it with `cct-monitor topics create`)")
            except KafkaError as exc:
                return f"metadata unavailable ({exc})"

        def say(state: RetryCallState) -> None:
            assert state.outcome is not None
            log.warning("input topic %s %s; retrying in %.1fs", topic, state.outcome.result(), state.upcoming_sleep)

        connect_backoff(self.settings.reconnect_backoff_max_s).retrying(
            lambda seconds: sleep_unless_stopped(seconds, stop) and None,
            on_result=lambda found: found is not None, before_sleep=say,
        )(problem)

    def assignment_changed(self, partitions: set[TopicPartition], assigned: bool) -> None:
        self.rebalances += 1
        if not assigned:  # a partition owned again later starts from the group's committed offset
            for tp in partitions:
                self._sent.pop(tp, None)
                self._acked.pop(tp, None)
        if assigned and self._paused:
            self.consumer.pause(*partitions)
        if self.stats is not None:
            tps = [(tp.topic, tp.partition) for tp in partitions]
            (self.stats.assigned if assigned else self.stats.revoked)(tps)
        if self.on_assignment is not None:
            self.on_assignment(partitions, assigned)

    def poll(self, timeout_s: float) -> list[SourceRecord]:
        """One batch of at most `max_poll_records`; an unreachable broker yields an empty batch."""
        self._finish_interrupted_join()
        try:
            polled = self.consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=self.settings.max_poll_records)
        except KafkaError as exc:
            kind = classify(exc)
            if kind is not None:
                raise KafkaAccessError(kind, "consumer", f"{type(exc).__name__}: {exc}") from exc
            log.warning("poll failed (%s); retrying", exc)
            time.sleep(min(1.0, timeout_s))
            return []
        self._link.update(bool(polled) or self._connected())
        self._raise_commit_failure()
        if self._uncommitted:
            self._retry_uncommitted()
        if self._paused and polled:
            self._rewind(polled)
            return []
        records: list[SourceRecord] = []
        for tp_records in polled.values():
            for r in tp_records:
                records.append(SourceRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp))
        if self.stats is not None:
            self.stats.polled((tp.topic, tp.partition) for tp, recs in polled.items() if recs)
        return records

    def _connected(self) -> bool:
        """Whether the group coordinator is known (it is forgotten when its broker connection drops)."""
        coordinator = getattr(self.consumer, "_coordinator", None)
        if coordinator is None or not hasattr(coordinator, "coordinator_unknown"):
            return True
        return not coordinator.coordinator_unknown()

    def _finish_interrupted_join(self) -> None:
        """Work around a kafka-python 3.0 race that can leave this member in the group with no partitions.

        A rebalance triggered by a metadata change (the topic's partitions becoming known, or
        partitions added) is tracked only by comparing metadata snapshots. If `poll` times out while
        its SyncGroup is in flight, the leader's new snapshot makes the client believe no rejoin is
        needed, so the finished join is never applied and the member idles forever. Marking the
        rejoin as requested keeps the client awaiting the join; a join found finished but unapplied is
        redone. Both are no-ops on clients without these attributes.
        """
        coordinator = getattr(self.consumer, "_coordinator", None)
        if coordinator is None or not hasattr(coordinator, "request_rejoin"):
            return
        if coordinator.need_rejoin():
            coordinator.request_rejoin()
            return
        join = getattr(coordinator, "_join_task", None)
        if join is not None and getattr(join, "is_done", False):
            log.info("a group join completed outside poll and was not applied; rejoining the group")
            coordinator.request_rejoin()

    def _rewind(self, polled: dict) -> None:
        """Seek back to records that arrived while paused (a partition assigned mid-pause), so none is skipped."""
        for tp, recs in polled.items():
            if recs:
                self.consumer.seek(tp, min(r.offset for r in recs))
        log.info("rewound %d partition(s) that delivered records while consumption was paused", len(polled))

    def commit(self, records: Sequence[SourceRecord]) -> None:
        """Send the commit of the offset after the highest record of each partition in the batch (with any offsets
        whose commit failed before), without waiting for the broker's reply.

        The runner calls this only once the batch's dead letters, alerts and decisions are durable, so what is
        committed is never ahead of what is written; the reply is handled at a later poll (`_on_commit`). Commits
        travel in order on the coordinator's connection, ahead of any later JoinGroup, and `close` commits the last
        offsets synchronously, so a rebalance or a stop loses no decided offset that a synchronous commit would
        have kept."""
        self._raise_commit_failure()
        owned = self.consumer.assignment()
        offsets = {tp: meta for tp, meta in self._uncommitted.items() if tp in owned}
        for r in records:
            tp = TopicPartition(r.topic, r.partition)
            if tp not in offsets or offsets[tp].offset <= r.offset:
                offsets[tp] = OffsetAndMetadata(r.offset + 1, "", -1)
        self._uncommitted = {}
        if offsets:
            self._commit(offsets)

    def _commit(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        for tp, meta in offsets.items():
            self._sent[tp] = max(meta.offset, self._sent.get(tp, -1))
        try:
            self.consumer.commit_async(offsets, callback=self._on_commit)
        except KafkaError as exc:
            self._on_commit(offsets, exc)

    def _on_commit(self, offsets: dict[TopicPartition, OffsetAndMetadata], response: object) -> None:
        """The broker's reply to one commit (called by kafka-python inside a later poll or commit)."""
        if not isinstance(response, BaseException):
            self._acknowledged(offsets)
            return
        if isinstance(response, CommitFailedError):
            log.warning("commit rejected after a rebalance (%s); the partitions' new owner resumes from the last "
                        "committed offset, so these records may be decided again", response)
            return
        kind = classify(response)
        if kind is not None:
            self._commit_failure = KafkaAccessError(kind, "consumer commit", f"{type(response).__name__}: {response}")
            return
        # retried at the next poll, unless a later commit of the partition was sent meanwhile (it supersedes this one)
        latest = {tp: meta for tp, meta in offsets.items() if meta.offset >= self._sent.get(tp, -1)}
        log.warning("commit failed (%s); retried at the next poll", response)
        for tp, meta in latest.items():
            if tp not in self._uncommitted or self._uncommitted[tp].offset < meta.offset:
                self._uncommitted[tp] = meta

    def _acknowledged(self, offsets: dict[TopicPartition, OffsetAndMetadata]) -> None:
        """Note the acknowledged offsets that advance a partition (replies of two commits can be handed over
        newest first) and count them as committed."""
        advanced = {}
        for tp, meta in offsets.items():
            if meta.offset > self._acked.get(tp, -1):
                self._acked[tp] = meta.offset
                advanced[(tp.topic, tp.partition)] = meta.offset
        if self.stats is not None:
            self.stats.committed(advanced)

    def _raise_commit_failure(self) -> None:
        """Raise the access failure (credentials, ACL, TLS) a commit's reply reported."""
        failure, self._commit_failure = self._commit_failure, None
        if failure is not None:
            raise failure

    def _retry_uncommitted(self) -> None:
        """Commit the offsets a failed commit left, for the partitions this member still owns (a revoked
        partition's new owner resumes from its last committed offset)."""
        owned = self.consumer.assignment()
        pending = {tp: meta for tp, meta in self._uncommitted.items() if tp in owned}
        self._uncommitted = {}
        if pending:
            self._commit(pending)

    def _commit_last(self) -> None:
        """At close: commit, and wait for, the last offsets sent for the partitions still owned."""
        owned = self.consumer.assignment()
        last = {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in self._sent.items()
                if tp in owned and offset > self._acked.get(tp, -1)}
        if not last:
            return
        try:
            self.consumer.commit(last, timeout_ms=CLOSE_COMMIT_TIMEOUT_MS)
        except KafkaError as exc:
            log.warning("the last commit before leaving failed (%s); these records may be decided again", exc)
            return
        self._acknowledged(last)

    @property
    def producer(self) -> KafkaProducer:
        """The dead-letter producer, created on first use (acks=all, idempotent)."""
        if self._producer is None:
            self._producer = connect_producer(
                self.settings, "dead-letter producer", self._stop, acks="all", linger_ms=5, retries=5,
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
        if self._offsets is not None:
            if self.stats is not None:
                self.stats.fetcher = None
            self._offsets.close()
        self._commit_last()
        self.consumer.close(autocommit=False)
