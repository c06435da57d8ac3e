"""Reviewer outcomes from the real `compliance.reviews`-style topic into the decision log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from monitor.audit.read import LogView, iter_records
from monitor.audit.verify import EXIT_OK, verify
from monitor.cli import cli

from audit_helpers import run_fixture

pytestmark = pytest.mark.integration


def _consume(log_dir: Path, bootstrap: str, topic: str, group: str) -> dict:
    env = {"CCT_KAFKA__GROUP_ID": group, "CCT_METRICS__ENABLED": "false"}
    out = CliRunner().invoke(cli, ["review", "--from-kafka", "--idle-exit", "3", "--log", str(log_dir),
                                   "--bootstrap-servers", bootstrap, "--reviews-topic", topic], env=env)
    assert out.exit_code == 0, out.output
    return json.loads(out.output.strip().splitlines()[-1])


def test_reviews_from_kafka_are_logged_once_and_bad_ones_skipped(kafka_bootstrap: str, unique_name: str,
                                                                 tmp_path: Path) -> None:
    log_dir = tmp_path / "log"
    run_fixture(log_dir)
    ids = {tuple(e.alert["seqs"]): e.alert_id for e in LogView(log_dir).alerts.values()}
    topic, group = f"reviews-{unique_name}", f"g-reviews-{unique_name}"
    admin = KafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()
    good = {"alert_id": ids[(31,)], "outcome": "confirmed", "reviewer": "case-tool-7", "note": "procedure lie",
            "ts": "2026-11-27T10:00:00Z"}
    messages = [
        json.dumps(good).encode(),
        json.dumps(good).encode(),
        json.dumps({"alert_id": ids[(101,)], "outcome": "false_positive", "reviewer": "case-tool-7",
                    "ts": "2026-11-27T10:05:00Z"}).encode(),
        b"{not json",
        json.dumps({"alert_id": ids[(99,)], "outcome": "maybe", "reviewer": "x"}).encode(),
        json.dumps({"alert_id": "0" * 32, "outcome": "confirmed", "reviewer": "x"}).encode(),
    ]
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    for value in messages:
        producer.send(topic, value)
    producer.flush()

    stats = _consume(log_dir, kafka_bootstrap, topic, group)
    assert stats == {"logged": 2, "duplicates": 1, "rejected": {"not_json": 1, "invalid": 1, "unknown_alert": 1}}
    reviews = [loc.record["body"] for loc in iter_records(log_dir) if loc.record["type"] == "review"]
    assert [(r["alert_id"], r["outcome"]) for r in reviews] == [(ids[(31,)], "confirmed"), (ids[(101,)], "false_positive")]
    assert reviews[0]["reviewed_at"] == "2026-11-27T10:00:00.000Z" and reviews[0]["channel"].startswith(f"kafka:{topic}")
    assert verify(log_dir).exit_code == EXIT_OK

    producer.send(topic, json.dumps({**good, "alert_id": ids[(32,)]}).encode())
    producer.flush()
    producer.close()
    again = _consume(log_dir, kafka_bootstrap, topic, group)
    assert again["logged"] == 1 and again["duplicates"] == 0
    assert LogView(log_dir).alerts[ids[(32,)]].outcome == "confirmed"
