"""A durable alert channel that refuses writes: consumption pauses (nothing committed, nothing dropped) and
resumes when the channel recovers. The outage is real: the broker rejects alert records larger than the
alerts topic's `max.message.bytes` until the test raises the limit."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from alerting_harness import FRAUD_RULE, committed_or_zero, write_rules
from kafka import KafkaAdminClient
from kafka.admin import ConfigResource, ConfigResourceType, NewTopic
from kafka_harness import (
    BackgroundProducer, chunk, create_topic, encode, end_offsets, read_topic, start_monitor,
    wait_until,
)

from monitor.alert import make_alert_id

pytestmark = pytest.mark.integration


def _metric(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name)}{re.escape(labels)} (\S+)$", text, re.M)
    return float(m.group(1)) if m else 0.0


def test_durable_channel_outage_pauses_consumption_and_loses_nothing(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path,
) -> None:
    topic, alerts_topic, group = f"dur-{unique_name}", f"dur-alerts-{unique_name}", f"g-dur-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    try:
        admin.create_topics([NewTopic(alerts_topic, 1, 1, topic_configs={"max.message.bytes": "512"})])
        chunks = [chunk(f"{unique_name}-b{b}", s, f"line {s}: this election is rigged" if s % 5 == 2 else None)
                  for s in range(40) for b in range(2)]
        expected = {make_alert_id(*FRAUD_RULE, c["broadcast_id"], [c["seq"]]) for c in chunks if "rigged" in c["text"]}
        settings = {
            "rules": {"paths": [str(write_rules(tmp_path))]},
            "kafka": {"max_poll_records": 10},
            "alerts": {"channels": [{"type": "kafka", "topic": alerts_topic, "breaker_reset_s": 1.0}]},
        }
        monitor = start_monitor(tmp_path, kafka_bootstrap, topic, group, settings=settings)
        try:
            monitor.wait_log(r"partitions assigned: \[.+\]")
            producer = BackgroundProducer(kafka_bootstrap, topic, encode(chunks), batch=40)
            producer.start()
            producer.finish()
            ends = end_offsets(kafka_bootstrap, topic)
            wait_until(lambda: _metric(monitor.metrics_text(), "cct_alert_delivery_failures_total",
                                       '{channel="kafka",durable="true"}') >= 3, 60, "failed alert deliveries")
            text = monitor.metrics_text()
            assert _metric(text, "cct_consumption_paused") == 1
            assert _metric(text, "cct_alert_deliveries_total", '{channel="kafka",durable="true"}') == 0
            assert committed_or_zero(kafka_bootstrap, group, topic) != ends  # the batch with the first alert is not committed

            admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, alerts_topic,
                                                configs={"max.message.bytes": "1048588"})])
            wait_until(lambda: committed_or_zero(kafka_bootstrap, group, topic) == ends, 120, "recovery and full commit")
            text = monitor.metrics_text()
            assert _metric(text, "cct_consumption_paused") == 0
            assert _metric(text, "cct_alert_deliveries_total", '{channel="kafka",durable="true"}') == len(expected)
            assert _metric(text, "cct_alert_delivery_retries_total", '{channel="kafka",durable="true"}') >= 1
            monitor.wait_log(r"durable sinks recovered after \d+ retries; consumption resumed")
            assert len(monitor.decisions()) == len(chunks)
        finally:
            monitor.stop_quietly()
    finally:
        admin.close()
    n = sum(end_offsets(kafka_bootstrap, alerts_topic).values())
    records = read_topic(kafka_bootstrap, alerts_topic, n)
    assert {json.loads(r.value)["alert_id"] for r in records} == expected
    assert len(records) == len(expected)
