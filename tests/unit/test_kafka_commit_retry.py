"""A commit that fails for a retriable reason (a rebalance in progress) is retried at the next poll, even when
no new record arrives, for the partitions the member still owns.

Found by the SASL/TLS real-broker tests under load: the group rebalanced right after the only batch, its commit
failed with RebalanceInProgressError, and with nothing more on the topic the offsets stayed uncommitted.
The broker-side race is not reproducible on demand, so the source's logic is exercised here with a consumer
stand-in that fails the first commit the way kafka-python does.
"""

from __future__ import annotations

from typing import Any

from kafka import TopicPartition
from kafka.errors import RebalanceInProgressError

from monitor.kafka_client import LinkState
from monitor.settings import KafkaSettings
from monitor.sources.kafka import KafkaSource
from monitor.stages import SourceRecord


class FlakyCommitConsumer:
    """Owns `owned`; its first commit fails with a rebalance in progress; records what was committed."""

    def __init__(self, owned: set[TopicPartition]) -> None:
        self.owned, self.failures_left, self.committed = owned, 1, []

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def commit(self, offsets: dict[TopicPartition, Any]) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise RebalanceInProgressError("the group is rebalancing")
        self.committed.append({tp.partition: meta.offset for tp, meta in offsets.items()})

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        return {}


def source_with(consumer: FlakyCommitConsumer) -> KafkaSource:
    source = KafkaSource.__new__(KafkaSource)  # no broker: the commit logic alone
    source.settings, source.consumer, source.stats = KafkaSettings(), consumer, None
    source._uncommitted, source._paused, source._link = {}, False, LinkState("consumer")
    return source


def record(partition: int, offset: int) -> SourceRecord:
    return SourceRecord("t", partition, offset, None, b"{}", 0)


def test_a_commit_failed_by_a_rebalance_is_retried_at_the_next_poll_without_new_records() -> None:
    consumer = FlakyCommitConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    source = source_with(consumer)
    source.commit([record(0, 9), record(1, 10)])
    assert consumer.committed == []
    assert source.poll(0.01) == []
    assert consumer.committed == [{0: 10, 1: 11}]
    source.poll(0.01)
    assert consumer.committed == [{0: 10, 1: 11}]  # nothing left to retry


def test_offsets_of_a_partition_revoked_meanwhile_are_not_retried() -> None:
    consumer = FlakyCommitConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    source = source_with(consumer)
    source.commit([record(0, 4), record(1, 7)])
    consumer.owned = {TopicPartition("t", 1)}  # partition 0 moved to another member
    source.commit([record(1, 8)])
    assert consumer.committed == [{1: 9}]  # the new owner of partition 0 resumes from its committed offset
