"""End to end over the real broker: a `cct-monitor run` subprocess consumes the sample broadcast with a keyword
rule set; its alerts go to the Kafka alerts topic, a JSONL file, a signed webhook and a real Alertmanager,
while a real Prometheus scrapes it every second. The scraped data must match what the run did, and every
PromQL expression of the Grafana dashboard and of the Prometheus rules must return data.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from alerting_harness import SAMPLE_BROADCAST, WebhookReceiver, expected_alert_ids, write_rules
from kafka_harness import MonitorProcess, create_topic, kafka_settings, read_topic, start_monitor, wait_until
from promstack import alertmanager, as_bool, dashboard_exprs, prometheus, query, rule_exprs, value

from monitor.kafka_admin import produce_transcript
from monitor.sample import sample_broadcast_path

pytestmark = [pytest.mark.integration, pytest.mark.prometheus]

COOLDOWN_S = 6
SECRET = "test-hmac-secret"
SAMPLE_RECORDS = 184  # lines in the sample: 179 decided chunks, 4 non-final hypotheses, 1 duplicate
SAMPLE_DECIDED = 179


class Notifications:
    """Collects Alertmanager webhook notifications (firing and resolved)."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                outer.received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/am"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def resolved_alert_ids(self) -> set[str]:
        return {a["labels"]["alert_id"] for n in self.received for a in n["alerts"] if a["status"] == "resolved"}


@dataclass
class Run:
    monitor: MonitorProcess
    prom: str
    am: str
    am_active_at_start: list[dict[str, Any]]
    notifications: Notifications
    webhook: WebhookReceiver
    jsonl: Path
    topic: str
    alerts_topic: str
    bootstrap: str


@pytest.fixture(scope="module")
def run(kafka_bootstrap: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    tmp = tmp_path_factory.mktemp("prom-run")
    uid = tmp.name.replace("_", "-")[-12:]
    topic, alerts_topic = f"transcripts-{uid}", f"alerts-{uid}"
    create_topic(kafka_bootstrap, topic, 2)
    create_topic(kafka_bootstrap, alerts_topic, 2)
    notifications = Notifications()
    am_config = tmp / "am.yml"
    am_config.write_text(yaml.safe_dump({
        "route": {"receiver": "collect", "group_by": ["alert_id"], "group_wait": "1s", "group_interval": "1s",
                  "repeat_interval": "1h"},
        "receivers": [{"name": "collect", "webhook_configs": [{"url": notifications.url, "send_resolved": True}]}],
    }))
    rules = write_rules(tmp)
    jsonl = tmp / "alerts.jsonl"
    with WebhookReceiver(SECRET) as webhook, alertmanager(tmp, am_config) as am:
        settings = {
            "rules": {"paths": [str(rules)]},
            "kafka": {"max_poll_records": 20},
            "alerts": {"cooldown_s": COOLDOWN_S, "channels": [
                {"type": "kafka", "topic": alerts_topic},
                {"type": "jsonl", "path": str(jsonl)},
                {"type": "webhook", "url": webhook.url, "secret": SECRET, "retry_base_s": 0.1},
                {"type": "alertmanager", "url": am, "retry_base_s": 0.1},
            ]},
        }
        monitor = start_monitor(tmp, kafka_bootstrap, topic, f"g-{uid}", settings=settings)
        try:
            port = int(monitor.wait_log(r"metrics on http://[\d.]+:(\d+)/metrics").group(1))
            monitor.wait_log(r"partitions assigned: \[.+\]")
            with prometheus(tmp, [f"127.0.0.1:{port}"]) as prom:
                wait_until(lambda: value(prom, 'up{job="cct-monitor"}') == 1, 60, "first scrape")
                lines = sample_broadcast_path().read_bytes().splitlines()
                produce_transcript(kafka_settings(kafka_bootstrap, topic), lines, restamp=True)
                monitor.wait_decisions(SAMPLE_DECIDED, timeout_s=120)
                expected = set(expected_alert_ids())
                wait_until(lambda: expected <= {a["labels"]["alert_id"] for a in requests.get(f"{am}/api/v2/alerts").json()}
                           or expected <= notifications.resolved_alert_ids(), 60, "alerts in Alertmanager")
                active = requests.get(f"{am}/api/v2/alerts", params={"filter": 'alertname="CCTComplianceAlert"'}).json()
                yield Run(monitor, prom, am, active, notifications, webhook, jsonl, topic, alerts_topic, kafka_bootstrap)
        finally:
            monitor.stop_quietly()
            notifications.server.shutdown()


def test_prometheus_sees_what_the_run_did(run: Run) -> None:
    p, t = run.prom, run.topic
    n_alerts = len(expected_alert_ids())
    wait_until(lambda: value(p, "sum(cct_chunks_processed_total)") == SAMPLE_DECIDED, 60, "processed count scraped")
    assert value(p, "sum(cct_chunks_consumed_total)") == SAMPLE_RECORDS
    assert value(p, 'sum(cct_chunks_skipped_total{reason="non_final"})') == 4
    assert value(p, 'sum(cct_chunks_skipped_total{reason="duplicate"})') == 1
    wait_until(lambda: value(p, "sum(cct_alerts_raised_total)") == n_alerts, 30, "alerts raised scraped")
    by_rule = {r["metric"]["rule"]: float(r["value"][1]) for r in query(p, "sum by (rule) (cct_alerts_raised_total)")}
    assert by_rule == {"test.election-fraud": 3.0, "test.threat-to-life": 2.0}
    for channel in ("kafka", "jsonl", "webhook", "alertmanager"):
        wait_until(lambda c=channel: value(p, f'sum(cct_alert_deliveries_total{{channel="{c}"}})') == n_alerts, 30,
                   f"{channel} deliveries scraped")
        assert value(p, f'sum(cct_alert_delivery_failures_total{{channel="{channel}"}})') == 0
    assert value(p, 'sum(cct_alert_delivery_latency_seconds_count{channel="kafka"})') == n_alerts
    # lag falls to zero once everything is committed; the high watermark is the whole sample
    wait_until(lambda: value(p, f'sum(cct_kafka_consumer_lag{{topic="{t}"}})') == 0
               and value(p, f'sum(cct_kafka_committed_offset{{topic="{t}"}})') == SAMPLE_RECORDS
               and value(p, f'sum(cct_kafka_high_watermark{{topic="{t}"}})') == SAMPLE_RECORDS, 60, "lag at zero")
    assert value(p, f'count(cct_kafka_seconds_since_last_record{{topic="{t}"}})') == 2
    assert value(p, "sum(cct_rules_reload_success)") == 1


def _returns_data(prom: str, exprs: list[tuple[str, str]], timeout_s: float = 60) -> None:
    """Every expression returns at least one series (recording rules need an evaluation or two first)."""
    missing = dict(exprs)
    deadline = time.monotonic() + timeout_s
    while missing and time.monotonic() < deadline:
        for name, expr in list(missing.items()):
            if query(prom, expr):
                del missing[name]
        if missing:
            time.sleep(1)
    assert not missing, "expressions without data:\n" + "\n".join(f"{n}: {e}" for n, e in missing.items())


def test_every_dashboard_expression_returns_data(run: Run) -> None:
    exprs = dashboard_exprs()
    assert len(exprs) >= 25
    _returns_data(run.prom, [(f"{title} #{i}", expr) for i, (title, expr) in enumerate(exprs)])


def test_every_rule_expression_returns_data(run: Run) -> None:
    rules = rule_exprs()
    assert {name for kind, name, _ in rules if kind == "alert"} >= {
        "CCTConsumerLagGrowing", "CCTConsumerStalled", "CCTDeadLetterRateHigh", "CCTAlertChannelFailing",
        "CCTSpeechToAlertSLOBurn", "CCTRulesReloadFailing", "CCTAlertStorm",
    }
    _returns_data(run.prom, [(name, as_bool(expr) if kind == "alert" else expr) for kind, name, expr in rules])
    # and on this healthy run, no operator alert fires
    firing = [a for a in requests.get(f"{run.prom}/api/v1/alerts").json()["data"]["alerts"] if a["state"] == "firing"]
    assert firing == []


def test_alerts_reach_kafka_and_jsonl_with_full_evidence(run: Run) -> None:
    expected = expected_alert_ids()
    lines = [json.loads(line) for line in run.jsonl.read_text().splitlines()]
    assert {a["alert_id"] for a in lines} == set(expected) and len(lines) == len(expected)
    for alert in lines:
        rule, seq = expected[alert["alert_id"]]
        assert alert["rule"]["id"] == rule and alert["seqs"] == [seq]
        assert alert["evidence"] and alert["speaker"]["name"] and alert["audience"]["listeners"] > 0
        assert alert["start_ms"] is not None and alert["explanation"] and alert["dsa"]["category"]
    records = read_topic(run.bootstrap, run.alerts_topic, len(expected))
    assert len(records) == len(expected)
    for rec in records:
        body = json.loads(rec.value)
        headers = dict(rec.headers)
        assert rec.key == SAMPLE_BROADCAST.encode() == body["broadcast_id"].encode()
        assert headers["cct.alert_id"].decode() == body["alert_id"]
    assert {json.loads(r.value)["alert_id"] for r in records} == set(expected)


def test_webhook_receives_signed_alerts_once_each(run: Run) -> None:
    expected = expected_alert_ids()
    wait_until(lambda: len(run.webhook.alert_ids()) >= len(expected), 30, "webhook deliveries")
    assert run.webhook.bad_signatures == 0
    assert sorted(run.webhook.alert_ids()) == sorted((a, 1) for a in expected)
    for delivery in run.webhook.accepted:
        alert = delivery["body"]["alert"]
        assert delivery["headers"]["X-CCT-Delivery-Id"] == f"{alert['alert_id']}:1"
        assert alert["evidence"] and alert["rule"]["title"] and alert["dsa"]["articles"]


def test_alertmanager_gets_labelled_alerts_that_resolve_after_the_cooldown(run: Run) -> None:
    expected = expected_alert_ids()
    wait_until(lambda: set(expected) <= run.notifications.resolved_alert_ids(), 60, "resolved notifications")
    # what Alertmanager listed while the alerts were active, and what it notified (firing, then resolved)
    seen = [a for a in run.am_active_at_start] + [a for n in run.notifications.received for a in n["alerts"]]
    assert {a["labels"]["alert_id"] for a in run.am_active_at_start} <= set(expected)
    assert {a["labels"]["alert_id"] for a in seen} == set(expected)
    for am in seen:
        labels, notes = am["labels"], am["annotations"]
        rule, seq = expected[labels["alert_id"]]
        assert labels["alertname"] == "CCTComplianceAlert" and labels["rule"] == rule
        assert labels["broadcast_id"] == SAMPLE_BROADCAST
        if rule == "test.threat-to-life":
            assert (labels["severity"], labels["category"], labels["page"]) == ("critical", "STATEMENT_CATEGORY_VIOLENCE", "true")
        else:
            assert labels["severity"] == "high" and labels["page"] == "false"
        assert notes["evidence"] and notes["explanation"].startswith("keywords") and notes["summary"]
        if am.get("status") != "firing":  # listed by the API, or resolved: endsAt is detection + cooldown
            starts, ends = (datetime.fromisoformat(am[k].replace("Z", "+00:00")) for k in ("startsAt", "endsAt"))
            assert (ends - starts).total_seconds() == pytest.approx(COOLDOWN_S, abs=0.01)
    still = requests.get(f"{run.am}/api/v2/alerts", params={"filter": 'alertname="CCTComplianceAlert"'}).json()
    assert still == []
