"""Commits are sent without waiting (`commit_async`); their replies arrive at a later poll. A commit that fails for a
retriable reason (a rebalance in progress) is retried at the next poll, even when no new record arrives, for the
partitions the member still owns, unless a later commit of the partition superseded it; `close` waits for the last.

Found by the SASL/TLS real-broker tests under load: the group rebalanced right after the only batch, its commit
failed with RebalanceInProgressError, and with nothing more on the topic the offsets stayed uncommitted.
The broker-side race is not reproducible on demand, so the source's logic is exercised here with a consumer
stand-in that answers commits at the next poll, as kafka-python does, and fails the first ones asked to.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kafka import TopicPartition
from kafka.errors import RebalanceInProgressError, TopicAuthorizationFailedError

from monitor.kafka_client import KafkaAccessError, LinkState
from monitor.settings import KafkaSettings
from monitor.sources.kafka import KafkaSource
from monitor.stages import SourceRecord


class AsyncCommitConsumer:
    """Owns `owned`; answers each commit at the next poll, failing the first `failures` with `error`; records what
    the broker accepted, and what was committed synchronously."""

    def __init__(self, owned: set[TopicPartition], failures: int = 1, error: Exception | None = None) -> None:
        self.owned, self.failures_left = owned, failures
        self.error = error or RebalanceInProgressError("the group is rebalancing")
        self.committed: list[dict[int, int]] = []
        self.sync_committed: list[dict[int, int]] = []
        self._in_flight: list[tuple[dict[TopicPartition, Any], Callable[[dict, object], None]]] = []

    def assignment(self) -> set[TopicPartition]:
        return set(self.owned)

    def commit_async(self, offsets: dict[TopicPartition, Any], callback: Callable[[dict, object], None]) -> None:
        self._in_flight.append((offsets, callback))

    def commit(self, offsets: dict[TopicPartition, Any], timeout_ms: int | None = None) -> None:
        self.sync_committed.append({tp.partition: meta.offset for tp, meta in offsets.items()})

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        answered, self._in_flight = self._in_flight, []
        for offsets, callback in answered:
            if self.failures_left:
                self.failures_left -= 1
                callback(offsets, self.error)
            else:
                self.committed.append({tp.partition: meta.offset for tp, meta in offsets.items()})
                callback(offsets, object())
        return {}

    def close(self, autocommit: bool) -> None:
        pass


def source_with(consumer: AsyncCommitConsumer) -> KafkaSource:
    source = KafkaSource.__new__(KafkaSource)  # no broker: the commit logic alone
    source.settings, source.consumer, source.stats, source._producer, source._offsets = (
        KafkaSettings(), consumer, None, None, None)
    source._uncommitted, source._sent, source._acked, source._commit_failure = {}, {}, {}, None
    source._paused, source._link = False, LinkState("consumer")
    return source


def record(partition: int, offset: int) -> SourceRecord:
    return SourceRecord("t", partition, offset, None, b"{}", 0)


def test_a_commit_failed_by_a_rebalance_is_retried_at_the_next_poll_without_new_records() -> None:
    consumer = AsyncCommitConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    source = source_with(consumer)
    source.commit([record(0, 9), record(1, 10)])
    assert source.poll(0.01) == []  # the reply: failed; the offsets are sent again
    assert consumer.committed == []
    source.poll(0.01)
    assert consumer.committed == [{0: 10, 1: 11}]
    source.poll(0.01)
    assert consumer.committed == [{0: 10, 1: 11}]  # nothing left to retry


def test_offsets_of_a_partition_revoked_meanwhile_are_not_retried() -> None:
    consumer = AsyncCommitConsumer({TopicPartition("t", 0), TopicPartition("t", 1)})
    source = source_with(consumer)
    source.commit([record(0, 4), record(1, 7)])
    consumer.owned = {TopicPartition("t", 1)}  # partition 0 moved to another member before the reply
    source.poll(0.01)  # failed: sent again for partition 1 only
    source.commit([record(1, 8)])
    source.poll(0.01)
    assert consumer.committed == [{1: 8}, {1: 9}]  # the new owner of partition 0 resumes from its committed offset


def test_a_failed_commit_superseded_by_a_later_one_is_not_sent_again() -> None:
    consumer = AsyncCommitConsumer({TopicPartition("t", 0)})
    source = source_with(consumer)
    source.commit([record(0, 4)])
    source.commit([record(0, 8)])  # sent before the first one's reply
    source.poll(0.01)  # the first fails, the second is accepted
    source.poll(0.01)
    assert consumer.committed == [{0: 9}]  # offset 5 is never committed after 9


def test_close_waits_for_the_last_offsets_when_their_reply_has_not_come() -> None:
    consumer = AsyncCommitConsumer({TopicPartition("t", 0), TopicPartition("t", 1)}, failures=0)
    source = source_with(consumer)
    source.commit([record(0, 4), record(1, 2)])
    source.poll(0.01)  # both accepted
    source.commit([record(0, 6)])  # no reply yet
    source.close()
    assert consumer.sync_committed == [{0: 7}]


def test_a_commit_denied_by_the_broker_raises_an_access_error_at_the_next_poll() -> None:
    consumer = AsyncCommitConsumer({TopicPartition("t", 0)}, error=TopicAuthorizationFailedError("not authorised"))
    source = source_with(consumer)
    source.commit([record(0, 4)])
    with pytest.raises(KafkaAccessError):
        source.poll(0.01)
