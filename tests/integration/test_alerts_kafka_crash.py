"""The Kafka alerts topic after a consumer crash (SIGKILL) and restart mid-stream holds exactly the expected
alert ids: none lost, none foreign; a replayed batch can repeat a record, never change it."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from alerting_harness import FRAUD_RULE, committed_or_zero, write_rules
from kafka_harness import (
    BackgroundProducer, chunk, create_topic, encode, end_offsets, read_topic, start_monitor,
    wait_until,
)

from monitor.alert import make_alert_id

pytestmark = pytest.mark.integration

BROADCASTS, SEQS = 4, 60


def _stream(prefix: str) -> tuple[list[bytes], set[str]]:
    """Interleaved broadcasts where every 4th chunk claims the election is rigged; the alert ids they must raise."""
    chunks, expected = [], set()
    for seq in range(SEQS):
        for b in range(BROADCASTS):
            bid = f"{prefix}-b{b}"
            if seq % 4 == 1:
                chunks.append(chunk(bid, seq, f"{bid} line {seq}: this election is rigged"))
                expected.add(make_alert_id(*FRAUD_RULE, bid, [seq]))
            else:
                chunks.append(chunk(bid, seq))
    return encode(chunks), expected


def test_alerts_topic_holds_exactly_the_expected_alerts_after_a_crash(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path,
) -> None:
    topic, alerts_topic, group = f"crash-{unique_name}", f"crash-alerts-{unique_name}", f"g-crash-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    create_topic(kafka_bootstrap, alerts_topic, 2)
    values, expected = _stream(unique_name)
    settings = {
        "rules": {"paths": [str(write_rules(tmp_path))]},
        "kafka": {"max_poll_records": 8},
        "alerts": {"channels": [{"type": "kafka", "topic": alerts_topic}]},
    }
    producer = BackgroundProducer(kafka_bootstrap, topic, values, batch=20, pause_s=0.05)
    first = start_monitor(tmp_path / "first", kafka_bootstrap, topic, group, settings=settings)
    second = None
    try:
        producer.start()
        first.wait_decisions(len(values) // 3, timeout_s=120)
        first.kill()  # SIGKILL mid-stream: no flush, no commit of the in-flight batch
        crashed_at = len(first.decisions())
        assert crashed_at < len(values)
        producer.finish()
        second = start_monitor(tmp_path / "second", kafka_bootstrap, topic, group, settings=settings)
        ends = end_offsets(kafka_bootstrap, topic)
        wait_until(lambda: committed_or_zero(kafka_bootstrap, group, topic) == ends, 180, "restart to commit everything")
        second.terminate()
    finally:
        first.stop_quietly()
        if second is not None:
            second.stop_quietly()

    n_records = sum(end_offsets(kafka_bootstrap, alerts_topic).values())
    records = read_topic(kafka_bootstrap, alerts_topic, n_records)
    ids = Counter()
    for rec in records:
        body = json.loads(rec.value)
        headers = dict(rec.headers)
        assert rec.key.decode() == body["broadcast_id"]
        assert headers["cct.alert_id"].decode() == body["alert_id"] and body["count"] == 1
        ids[body["alert_id"]] += 1
    assert set(ids) == expected
    repeated = sum(n - 1 for n in ids.values())
    print(f"\ncrash test: {len(expected)} expected alerts, {n_records} records, {repeated} replayed after the "
          f"SIGKILL at decision {crashed_at} of {len(values)}")
