"""The monitor as a real process against a real Kafka broker: full processing, dead letters, lifecycle, CLI."""

from __future__ import annotations

import json
import socket
from collections import Counter
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from monitor.contracts import InvalidChunk, decode_chunk
from monitor.sample import sample_broadcast_path
from kafka_harness import (
    BackgroundProducer, Producer, chunk, committed_offsets, create_topic, encode, end_offsets, read_topic,
    run_cli, start_monitor, transcript, wait_until,
)

pytestmark = pytest.mark.integration


def expected_outcome(lines: list[bytes]) -> tuple[list[str], Counter]:
    """The chunks that must each get one decision (valid, final, first occurrence of (broadcast_id, seq))
    and how many records are skipped, by reason."""
    seen: set[tuple[str, int]] = set()
    ids, skipped = [], Counter()
    for line in lines:
        try:
            c = decode_chunk(line)
        except InvalidChunk:
            skipped["invalid"] += 1
        else:
            if not c.is_final:
                skipped["non_final"] += 1
            elif c.key in seen:
                skipped["duplicate"] += 1
            else:
                seen.add(c.key)
                ids.append(c.chunk_id)
    return ids, skipped


def fully_committed(bootstrap: str, group: str, topic: str) -> bool:
    ends = end_offsets(bootstrap, topic)
    return committed_offsets(bootstrap, group, topic) == {p: (e if e else None) for p, e in ends.items()}


def by_reason(metrics_text: str, name: str) -> dict[str, float]:
    """One counter's samples by their `reason` label, from a /metrics scrape."""
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            if sample.name == name:
                out[sample.labels["reason"]] = sample.value
    return out


def test_sample_broadcast_is_fully_processed_and_committed(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic, group = f"sample-{unique_name}", f"g-sample-{unique_name}"
    create_topic(kafka_bootstrap, topic, 3)
    sample = sample_broadcast_path()
    lines = [line for line in sample.read_bytes().splitlines() if line.strip()]
    expected, skipped = expected_outcome(lines)
    assert len(expected) >= 150

    produced = run_cli(tmp_path, kafka_bootstrap, "produce", str(sample), "--topic", topic)
    assert produced.returncode == 0, produced.stderr
    assert json.loads(produced.stdout.splitlines()[-1])["records"] == len(lines)

    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group)
    try:
        monitor.wait_decisions(len(expected))
        wait_until(lambda: fully_committed(kafka_bootstrap, group, topic), 60, "committed offsets == end offsets")
        metrics = monitor.metrics_text()
        rc, _ = monitor.terminate()
    finally:
        monitor.stop_quietly()
    assert rc == 0, monitor.log()[-3000:]
    counted = by_reason(metrics, "cct_chunks_skipped_total")
    assert counted["non_final"] == skipped["non_final"] and counted["duplicate"] == skipped["duplicate"]
    assert sum(by_reason(metrics, "cct_chunks_dead_lettered_total").values()) == skipped["invalid"]
    decided = Counter(d["chunk_id"] for d in monitor.decisions())
    assert set(decided) == set(expected)
    assert max(decided.values()) == 1, [k for k, v in decided.items() if v > 1]
    assert "Traceback" not in monitor.log()


MALFORMED: list[tuple[str, bytes]] = [
    ("not_json", b'{"broadcast_id": "dlq", "seq": 1, "text": "unterminated'),
    ("not_utf8", b'{"broadcast_id": "dlq", "seq": 2, "text": "caf\xe9 \xff"}'),
    ("missing_field", b'{"broadcast_id": "dlq", "seq": 3}'),
    ("wrong_type", b'{"broadcast_id": "dlq", "seq": "4", "text": "seq is a string"}'),
    ("too_large", json.dumps({"broadcast_id": "dlq", "seq": 5, "text": "x" * (65 * 1024)}).encode()),
]


def test_malformed_records_are_dead_lettered_counted_and_skipped(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic, group = f"dlq-{unique_name}", f"g-dlq-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    create_topic(kafka_bootstrap, f"{topic}.dlq", 1)
    bid = f"ok-{unique_name}"
    values = [encode([chunk(bid, 0)])[0], *(raw for _, raw in MALFORMED), *encode(chunk(bid, s) for s in range(1, 6))]
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, values, keys=[bid.encode()] * len(values))

    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group)
    try:
        decisions = monitor.wait_decisions(6)
        wait_until(lambda: fully_committed(kafka_bootstrap, group, topic), 60, "committed offsets == end offsets")
        counted = by_reason(monitor.metrics_text(), "cct_chunks_dead_lettered_total")
        rc, _ = monitor.terminate()
    finally:
        monitor.stop_quietly()
    assert rc == 0
    assert sorted(d["seq"] for d in decisions) == list(range(6))
    assert {d["broadcast_id"] for d in decisions} == {bid}
    for reason, _ in MALFORMED:
        assert counted[reason] == 1, (reason, counted)
    assert sum(counted.values()) == len(MALFORMED)

    letters = read_topic(kafka_bootstrap, f"{topic}.dlq", len(MALFORMED))
    assert len(letters) == len(MALFORMED)
    for offset, (letter, (reason, raw)) in enumerate(zip(letters, MALFORMED, strict=True), start=1):
        headers = {k: v.decode() for k, v in letter.headers}
        assert headers["cct.dlq.reason"] == reason
        assert headers["cct.source.topic"] == topic
        assert headers["cct.source.partition"] == "0"
        assert headers["cct.source.offset"] == str(offset)
        assert headers["cct.dlq.detail"]
        assert letter.value == raw


def test_sigterm_finishes_the_batch_commits_and_exits_promptly(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic, group = f"term-{unique_name}", f"g-term-{unique_name}"
    create_topic(kafka_bootstrap, topic, 3)
    stream = BackgroundProducer(kafka_bootstrap, topic, encode(transcript(f"term-{unique_name}", 10, 200)), pause_s=0.1)
    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group, settings={"kafka": {"max_poll_records": 50}})
    stream.start()
    try:
        monitor.wait_decisions(200)
        rc, seconds = monitor.terminate()
    finally:
        monitor.stop_quietly()
        stream.finish()
    assert rc == 0, monitor.log()[-3000:]
    assert seconds < 20, f"SIGTERM took {seconds:.1f}s"
    log = monitor.log()
    assert "received SIGTERM" in log and "stopped after" in log
    assert "Traceback" not in log
    committed = committed_offsets(kafka_bootstrap, group, topic)
    decided: dict[int, list[int]] = {}
    for d in monitor.decisions():
        decided.setdefault(d["source"]["partition"], []).append(d["source"]["offset"])
    for partition, offset in committed.items():
        # Everything decided is committed, and nothing is committed that was not decided.
        assert sorted(decided.get(partition, [])) == list(range(offset or 0)), partition


def test_monitor_started_before_its_topic_waits_then_consumes(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic, group = f"late-{unique_name}", f"g-late-{unique_name}"
    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group)
    try:
        monitor.wait_log(rf"input topic {topic} does not exist yet")
        create_topic(kafka_bootstrap, topic, 3)
        chunks = transcript(f"late-{unique_name}", 6, 5)
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, encode(chunks))
        decided = monitor.wait_decisions(len(chunks))
        rc, _ = monitor.terminate()
    finally:
        monitor.stop_quietly()
    assert rc == 0
    assert sorted(d["chunk_id"] for d in decided) == sorted(f"{c['broadcast_id']}#{c['seq']}" for c in chunks)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_broker_is_retried_clearly_and_sigterm_exits(unique_name: str, tmp_path: Path) -> None:
    down = f"127.0.0.1:{closed_port()}"
    monitor = start_monitor(tmp_path, down, f"down-{unique_name}", f"g-down-{unique_name}")
    try:
        monitor.wait_log(rf"Kafka broker not reachable at {down}.*retrying in", timeout_s=30)
        monitor.wait_log(r"retrying in .*\n.*retrying in", timeout_s=30)
        assert "cct_build_info" in monitor.metrics_text()  # observable while it waits for the broker
        rc, seconds = monitor.terminate()
    finally:
        monitor.stop_quietly()
    assert rc == 0
    assert seconds < 10, f"SIGTERM took {seconds:.1f}s"
    assert "Traceback" not in monitor.log()


def test_topics_create_and_realtime_produce_keyed_by_broadcast(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic = f"cli-{unique_name}"
    names = ["--topic", topic, "--dlq-topic", f"{topic}.dlq", "--alerts-topic", f"{topic}.alerts"]
    created = run_cli(tmp_path, kafka_bootstrap, "topics", "create", *names, "--partitions", "4")
    assert created.returncode == 0, created.stderr
    assert f"{topic}: created" in created.stdout and f"{topic}.dlq: created" in created.stdout
    again = run_cli(tmp_path, kafka_bootstrap, "topics", "create", *names, "--partitions", "4")
    assert f"{topic}: exists" in again.stdout
    assert len(end_offsets(kafka_bootstrap, topic)) == 4
    assert len(end_offsets(kafka_bootstrap, f"{topic}.alerts")) == 4
    assert len(end_offsets(kafka_bootstrap, f"{topic}.dlq")) == 1

    chunks = transcript(f"cli-{unique_name}", 6, 10)  # seq 0..9: start_ms spans 36 s of speech
    path = tmp_path / "transcript.jsonl"
    path.write_bytes(b"\n".join(encode(chunks)) + b"\n")
    produced = run_cli(tmp_path, kafka_bootstrap, "produce", str(path), "--topic", topic, "--realtime", "--speed", "50")
    assert produced.returncode == 0, produced.stderr
    report = json.loads(produced.stdout.splitlines()[-1])
    assert report["records"] == len(chunks)
    assert report["seconds"] >= 36.0 / 50 * 0.95  # paced by start_ms at 50x

    records = read_topic(kafka_bootstrap, topic, len(chunks))
    partition_of: dict[str, set[int]] = {}
    for r in records:
        value = json.loads(r.value)
        assert r.key.decode() == value["broadcast_id"]
        assert value["ts"].endswith("Z")
        partition_of.setdefault(value["broadcast_id"], set()).add(r.partition)
    assert len(partition_of) == 6
    assert all(len(parts) == 1 for parts in partition_of.values()), partition_of


def test_produce_reports_unreachable_broker_without_traceback(unique_name: str, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_bytes(encode([chunk("x", 0)])[0] + b"\n")
    out = run_cli(tmp_path, f"127.0.0.1:{closed_port()}", "produce", str(path), "--topic", f"x-{unique_name}", timeout_s=120)
    assert out.returncode != 0
    assert "Traceback" not in out.stderr
