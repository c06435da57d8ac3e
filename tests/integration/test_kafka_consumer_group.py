"""Consumer-group behaviour of real monitor processes: crash recovery and sharing partitions."""

from __future__ import annotations

import json

from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from kafka_harness import (
    BackgroundProducer, Producer, committed_offsets, create_topic, encode, end_offsets, read_decisions,
    start_monitor, transcript, wait_until,
)

pytestmark = pytest.mark.integration

PARTITIONS = 6
SMALL_BATCHES = {"kafka": {"max_poll_records": 50}}
CRASH_BATCHES = {"kafka": {"max_poll_records": 20}}


def fully_committed(bootstrap: str, group: str, topic: str) -> bool:
    ends = end_offsets(bootstrap, topic)
    return committed_offsets(bootstrap, group, topic) == {p: (e if e else None) for p, e in ends.items()}


def positions(decisions: list[dict[str, Any]]) -> Counter:
    return Counter((d["source"]["partition"], d["source"]["offset"]) for d in decisions)


def test_sigkill_mid_stream_loses_nothing_and_redeliveries_are_identifiable(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path, record_property: Any,
) -> None:
    topic, group = f"crash-{unique_name}", f"g-crash-{unique_name}"
    create_topic(kafka_bootstrap, topic, PARTITIONS)
    chunks = transcript(f"crash-{unique_name}", 30, 100)
    expected = {f"{c['broadcast_id']}#{c['seq']}" for c in chunks}
    decisions_path = tmp_path / "decisions.jsonl"
    # A backlog keeps the first monitor busy (the kill lands mid-batch), while the rest streams in live.
    backlog, live = encode(chunks[:2000]), encode(chunks[2000:])
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, backlog)
    stream = BackgroundProducer(kafka_bootstrap, topic, live, batch=100, pause_s=0.05)

    first = start_monitor(tmp_path, kafka_bootstrap, topic, group, "first", decisions_path, CRASH_BATCHES)
    stream.start()
    try:
        first.wait_decisions(300)
        # Kill right after the next batch reaches the file: its offsets are most likely not committed yet.
        written = decisions_path.stat().st_size
        wait_until(lambda: decisions_path.stat().st_size > written, 60, "the next batch", interval_s=0.0005)
        first.kill()
        # the end of the last whole line: a line the kill tore is dropped by the restart, which writes from there
        split = decisions_path.read_bytes().rfind(b"\n") + 1
        committed_at_kill = committed_offsets(kafka_bootstrap, group, topic)

        second = start_monitor(tmp_path, kafka_bootstrap, topic, group, "second", decisions_path, CRASH_BATCHES)
        try:
            stream.finish()
            wait_until(lambda: expected <= {d["chunk_id"] for d in read_decisions(decisions_path)}, 120,
                       "every chunk decided after the restart")
            wait_until(lambda: fully_committed(kafka_bootstrap, group, topic), 60, "committed offsets == end offsets")
            rc, _ = second.terminate()
        finally:
            second.stop_quietly()
    finally:
        first.stop_quietly()
        stream.join(5)
    assert rc == 0, second.log()[-3000:]

    everything = read_decisions(decisions_path)
    before, after = read_decisions(decisions_path, end=split), read_decisions(decisions_path, start=split)
    assert {d["chunk_id"] for d in everything} == expected
    assert len(everything) == len(before) + len(after)  # the restart never appends onto a line torn by the kill
    assert all(isinstance(json.loads(line), dict) for line in decisions_path.read_bytes().splitlines())  # no torn line left
    assert len(before) < len(chunks), "the first monitor was not killed mid-stream"
    # Within one process nothing is decided twice.
    assert max(Counter(d["chunk_id"] for d in before).values()) == 1
    assert max(Counter(d["chunk_id"] for d in after).values()) == 1
    # Committed means decided: every offset below the commit at the kill is in the first run's output.
    first_run = positions(before)
    for partition, offset in committed_at_kill.items():
        assert all((partition, o) in first_run for o in range(offset or 0)), partition
    # Redeliveries are exactly the decided-but-uncommitted records, re-read from the same position.
    where_first = {d["chunk_id"]: (d["source"]["partition"], d["source"]["offset"]) for d in before}
    redelivered = [d for d in after if d["chunk_id"] in where_first]
    for d in redelivered:
        partition, offset = where_first[d["chunk_id"]]
        assert (d["source"]["partition"], d["source"]["offset"]) == (partition, offset)
        assert offset >= (committed_at_kill[partition] or 0)
    record_property("decided_before_kill", len(before))
    record_property("redelivered_after_restart", len(redelivered))
    print(f"SIGKILL test: {len(before)} decided before the kill, {len(redelivered)} redelivered after the restart")


def test_two_monitors_share_partitions_and_a_graceful_leave_hands_over(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path,
) -> None:
    topic, group = f"pair-{unique_name}", f"g-pair-{unique_name}"
    create_topic(kafka_bootstrap, topic, PARTITIONS)
    a = start_monitor(tmp_path, kafka_bootstrap, topic, group, "a", settings=SMALL_BATCHES)
    b = start_monitor(tmp_path, kafka_bootstrap, topic, group, "b", settings=SMALL_BATCHES)
    try:
        wait_until(lambda: a.assigned_partitions() and b.assigned_partitions()
                   and len(a.assigned_partitions() | b.assigned_partitions()) == PARTITIONS, 60,
                   "both members to hold partitions")
        owned_a, owned_b = a.assigned_partitions(), b.assigned_partitions()
        assert not owned_a & owned_b

        first_half = transcript(f"pair1-{unique_name}", 24, 25)
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, encode(first_half))
        wait_until(lambda: len(a.decisions()) + len(b.decisions()) >= len(first_half), 60, "the first half decided")
        wait_until(lambda: fully_committed(kafka_bootstrap, group, topic), 60, "committed offsets == end offsets")
        for member, owned in ((a, owned_a), (b, owned_b)):
            decided = member.decisions()
            assert decided, "a member decided nothing"
            assert {d["source"]["partition"] for d in decided} <= owned
        ids = Counter(d["chunk_id"] for d in a.decisions() + b.decisions())
        assert set(ids) == {f"{c['broadcast_id']}#{c['seq']}" for c in first_half}
        assert max(ids.values()) == 1, "a chunk was decided by both members"

        second_half = transcript(f"pair2-{unique_name}", 24, 50)
        stream = BackgroundProducer(kafka_bootstrap, topic, encode(second_half), batch=60, pause_s=0.05)
        decided_before = len(a.decisions())
        stream.start()
        try:
            a.wait_decisions(decided_before + 50)
            rc, _ = a.terminate()
            assert rc == 0, a.log()[-3000:]
            wait_until(lambda: b.assigned_partitions() == set(range(PARTITIONS)), 60, "b to take over every partition")
        finally:
            stream.finish()
        everything = {f"{c['broadcast_id']}#{c['seq']}" for c in first_half + second_half}
        wait_until(lambda: everything <= {d["chunk_id"] for d in a.decisions() + b.decisions()}, 60,
                   "every chunk decided by the remaining member")
        wait_until(lambda: fully_committed(kafka_bootstrap, group, topic), 60, "committed offsets == end offsets")
        rc_b, _ = b.terminate()
    finally:
        a.stop_quietly()
        b.stop_quietly()
    assert rc_b == 0
    all_decisions = a.decisions() + b.decisions()
    assert {d["chunk_id"] for d in all_decisions} == everything
    assert max(positions(all_decisions).values()) == 1, "a committed record was decided twice"
    assert "Traceback" not in a.log() + b.log()


def test_static_member_restarted_after_a_crash_gets_its_partitions_back_without_a_rebalance(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path,
) -> None:
    topic, group = f"static-{unique_name}", f"g-static-{unique_name}"
    create_topic(kafka_bootstrap, topic, PARTITIONS)
    a = start_monitor(tmp_path, kafka_bootstrap, topic, group, "a", args=["--group-instance-id", "replica-a"])
    b = start_monitor(tmp_path, kafka_bootstrap, topic, group, "b", args=["--group-instance-id", "replica-b"])
    restarted = None
    try:
        wait_until(lambda: a.assigned_partitions() and b.assigned_partitions()
                   and len(a.assigned_partitions() | b.assigned_partitions()) == PARTITIONS, 60,
                   "both members to hold partitions")
        owned_a, owned_b = a.assigned_partitions(), b.assigned_partitions()
        b_rebalances = b.log().count("partitions ")
        a.kill()
        restarted = start_monitor(tmp_path, kafka_bootstrap, topic, group, "a2", args=["--group-instance-id", "replica-a"])
        wait_until(restarted.assigned_partitions, 60, "the restarted replica to get partitions")
        assert restarted.assigned_partitions() == owned_a
        assert b.assigned_partitions() == owned_b
        assert b.log().count("partitions ") == b_rebalances, "the other replica was rebalanced"

        chunks = transcript(f"static-{unique_name}", 24, 10)
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, encode(chunks))
        wanted = {f"{c['broadcast_id']}#{c['seq']}" for c in chunks}
        wait_until(lambda: wanted <= {d["chunk_id"] for d in restarted.decisions() + b.decisions()}, 60,
                   "every chunk decided by the two replicas")
        assert {d["source"]["partition"] for d in restarted.decisions()} <= owned_a
    finally:
        for member in (a, b, restarted):
            if member is not None:
                member.stop_quietly()
