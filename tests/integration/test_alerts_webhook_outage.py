"""A webhook receiver that fails (HTTP 500s and timeouts) for a while: alerts are retried from the queue and all
arrive once it recovers, none twice; the durable channel is never held up; the metrics count what happened."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from alert_factory import decision_with, make_alert
from alerting_harness import WebhookReceiver
from kafka_harness import wait_until
from prometheus_client import CollectorRegistry

from monitor.channels.base import ChannelConfig
from monitor.channels.jsonl import JsonlChannel
from monitor.channels.webhook import WebhookChannel
from monitor.metrics import Metrics
from monitor.sinks.alerts import AlertSink

pytestmark = pytest.mark.integration

SECRET = "outage-secret"


def test_alerts_survive_a_webhook_outage(tmp_path: Path) -> None:
    recovered = threading.Event()

    def behaviour(n: int) -> int | None:
        if recovered.is_set():
            return 200
        return None if n % 3 == 1 else 500  # server errors, and every third request hangs past the timeout

    metrics = Metrics(CollectorRegistry())
    with WebhookReceiver(SECRET, behaviour, hang_s=3.0) as receiver:
        hook = WebhookChannel(
            ChannelConfig("webhook", retry_base_s=0.05, retry_max_s=0.2, breaker_failures=3, breaker_reset_s=0.2),
            receiver.url, secret=SECRET, timeout_s=1.5,
        )
        jsonl = JsonlChannel(ChannelConfig("jsonl"), tmp_path / "alerts.jsonl")
        sink = AlertSink([jsonl, hook], metrics, drain_timeout_s=30)
        first = [make_alert(broadcast_id="bc-out", seqs=(i,)) for i in range(5)]
        repeat = make_alert(broadcast_id="bc-out", seqs=(0,), count=2)  # a folded repeat of the first alert

        sink.write([decision_with(first, broadcast_id="bc-out")])
        sink.flush()  # the durable path completes while the webhook is down
        sink.write([decision_with([repeat], seq=9, broadcast_id="bc-out")])
        sink.write([decision_with(first, broadcast_id="bc-out")])  # a redelivered batch adds nothing
        sink.flush()
        on_disk = [json.loads(line) for line in (tmp_path / "alerts.jsonl").read_text().splitlines()]
        assert [(a["alert_id"], a["count"]) for a in on_disk] == [(a.alert_id, a.count) for a in [*first, repeat]]

        wait_until(lambda: receiver.failed >= 6, 60, "six failed webhook attempts")
        assert receiver.accepted == []
        recovered.set()
        assert sink.drain(60)
        got = receiver.alert_ids()
        sink.close()

    want = [(a.alert_id, a.count) for a in [*first, repeat]]
    assert sorted(got) == sorted(want) and len(set(got)) == len(got)
    assert receiver.bad_signatures == 0
    for delivery in receiver.accepted:
        alert = delivery["body"]["alert"]
        assert alert["evidence"] and alert["speaker"]["name"] == "Caller Dave"
        assert delivery["headers"]["X-CCT-Signature"].startswith("sha256=")

    def sample(name: str) -> float:
        return metrics.registry.get_sample_value(name, {"channel": "webhook", "durable": "false"}) or 0.0

    failures = sample("cct_alert_delivery_failures_total")
    # Every failed request the receiver saw is a failure the sender counted (a hung request times out at the
    # sender; the receiver may still be sleeping on it when the test ends, so it counts at arrival).
    assert failures == receiver.failed >= 6
    assert sample("cct_alert_delivery_retries_total") == failures
    assert sample("cct_alert_deliveries_total") == len(want)
    assert sample("cct_alert_queue_depth") == 0
    assert sample("cct_alert_dropped_total") == 0
    assert sample("cct_alert_channel_circuit_state") == 0
    assert metrics.registry.get_sample_value(
        "cct_alert_deliveries_total", {"channel": "jsonl", "durable": "true"}) == len(want)
    print(f"\nwebhook outage: {int(failures)} failed attempts, {int(sample('cct_alert_delivery_retries_total'))} retries, "
          f"{int(sample('cct_alert_deliveries_total'))} delivered, {len(got)} distinct at the receiver")
