"""Hostile input against a running monitor and a real broker: no record, however malformed, stops the consumer.

12,000 records, 10,000 of them malformed in every way the contract names (including the three that once
crash-looped the monitor: nesting deeper than the parser allows, an integer literal over Python's 4,300-digit
limit and an escaped lone surrogate in `text`), are interleaved with valid chunks on a 3-partition topic.
The monitor must stay up, decide every valid chunk exactly once, dead-letter every malformed record with
the reason of its kind, and commit up to the end of every partition.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from tests.integration.kafka_harness import (
    Producer, chunk, committed_offsets, create_topic, end_offsets, read_topic, start_monitor, wait_until,
)

FUZZ_RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "fuzz.yaml"
MALFORMED = 10_000
VALID = 2_000


def _valid(b: str, seq: int) -> bytes:
    text = "the vote is rigged" if seq % 10 == 0 else f"{b} says line {seq}"
    return json.dumps(chunk(b, seq, text)).encode()


def _deep(rng: random.Random) -> bytes:
    depth = rng.randint(300, 8_000)  # stays under the 64 KiB size limit
    opener, closer = rng.choice([(b"[", b"]"), (b'{"a":', b"}")])
    inner = opener * depth + b"1" + closer * depth
    return b'{"broadcast_id":"x","seq":1,"text":"t","extra":' + inner + b"}" if rng.random() < 0.5 else inner


def _bigint(rng: random.Random) -> bytes:
    digits = b"9" * rng.randint(4_301, 20_000)
    field = rng.choice([b"seq", b"start_ms", b"n"])
    return b'{"broadcast_id":"x","seq":1,"text":"t",' + b'"' + field + b'":' + digits + b"}"


def _surrogate(rng: random.Random) -> bytes:
    lone = rng.choice([r"\ud800", r"\udfff", r"\udc00 tail", r"a\ud83d"])
    return ('{"broadcast_id":"x","seq":1,"text":"rigged ' + lone + '"}').encode()


# kind → (expected dead-letter reason, generator)
KINDS: dict[str, tuple[str, Callable[[random.Random], bytes | None]]] = {
    "deep": ("too_deep", _deep),
    "bigint": ("invalid_number", _bigint),
    "surrogate": ("invalid_text", _surrogate),
    "seq_2_70": ("out_of_range", lambda r: json.dumps({"broadcast_id": "x", "seq": 2**70 + r.randint(0, 9), "text": "t"}).encode()),
    "not_json": ("not_json", lambda r: b'{"broadcast_id": "x", "seq": ' + str(r.randint(0, 99)).encode()),
    "tombstone": ("not_json", lambda r: None),
    "not_utf8": ("not_utf8", lambda r: b"\xff\xfe" + r.randbytes(r.randint(0, 40))),
    "not_object": ("not_object", lambda r: json.dumps(r.choice([[1, 2], "text", 3, None])).encode()),
    "missing": ("missing_field", lambda r: json.dumps({"broadcast_id": "x", "text": "t"}).encode()),
    "wrong_type": ("wrong_type", lambda r: json.dumps({"broadcast_id": "x", "seq": "one", "text": "t"}).encode()),
    "negative": ("invalid_value", lambda r: json.dumps({"broadcast_id": "x", "seq": -r.randint(1, 9), "text": "t"}).encode()),
    "too_large": ("too_large", lambda r: json.dumps({"broadcast_id": "x", "seq": 1, "text": "a" * 70_000}).encode()),
}


def _records(prefix: str) -> tuple[list[bytes | None], list[bytes | None], Counter, set[str]]:
    """Keys, values, the expected dead-letter count per reason and the chunk ids of the valid chunks."""
    rng = random.Random(14)
    kinds = sorted(KINDS)
    malformed = [rng.choice(kinds) for _ in range(MALFORMED - 3 * 50)] + ["deep", "bigint", "surrogate"] * 50
    rng.shuffle(malformed)
    expected: Counter = Counter(KINDS[k][0] for k in malformed)
    valid = [(f"{prefix}-b{b}", s) for s in range(VALID // 4) for b in range(4)]
    keys: list[bytes | None] = []
    values: list[bytes | None] = []
    bad = iter(malformed)
    good = iter(valid)
    for i in range(MALFORMED + VALID):
        if i % 6 == 5:  # one valid chunk after every five malformed records
            b, s = next(good)
            keys.append(b.encode())
            values.append(_valid(b, s))
        else:
            keys.append(str(i % 7).encode())
            values.append(KINDS[next(bad)][1](rng))
    return keys, values, expected, {f"{b}#{s}" for b, s in valid}


def test_malformed_records_never_stop_the_consumer(kafka_bootstrap: str, unique_name: str, tmp_path: Path) -> None:
    topic, group = f"fuzz-{unique_name}", f"g-{unique_name}"
    create_topic(kafka_bootstrap, topic, 3)
    create_topic(kafka_bootstrap, f"{topic}.dlq", 1)
    keys, values, expected, valid_ids = _records(unique_name)
    assert sum(expected.values()) == MALFORMED and len(valid_ids) == VALID
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, values, keys)
    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group, args=["--rules", str(FUZZ_RULES)])
    try:
        decisions = monitor.wait_decisions(VALID, timeout_s=240)
        ends = end_offsets(kafka_bootstrap, topic)
        assert sum(ends.values()) == MALFORMED + VALID
        wait_until(lambda: committed_offsets(kafka_bootstrap, group, topic) == ends, 120, "commits up to the log end")
        assert monitor.proc.poll() is None, f"monitor exited:\n{monitor.log()[-3000:]}"

        ids = [d["chunk_id"] for d in decisions]
        assert len(ids) == len(set(ids)) == VALID, "every valid chunk is decided exactly once"
        assert set(ids) == valid_ids
        fired = [d for d in decisions if d["alert_ids"]]
        assert len(fired) == VALID // 10, "the rules kept deciding between the malformed records"

        dlq = read_topic(kafka_bootstrap, f"{topic}.dlq", MALFORMED, timeout_s=120)
        reasons = Counter(dict(r.headers)["cct.dlq.reason"].decode() for r in dlq)
        assert reasons == expected
        metrics = monitor.metrics_text()
        for reason, n in expected.items():
            assert f'cct_chunks_dead_lettered_total{{reason="{reason}"}} {float(n)}' in metrics
        rc, _ = monitor.terminate()
        assert rc == 0
    finally:
        monitor.stop_quietly()
