"""Across a real rebalance the new owner of a partition continues a windowed rule's open alert instead of
opening a second one: the previous owner's decided chunks are replayed through the rules on assignment."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.kafka_harness import (
    Producer, chunk, committed_offsets, create_topic, encode, keyword_rule_set, start_monitor, wait_until,
)

pytestmark = pytest.mark.integration

RULES = keyword_rule_set(
    "rebalance-test", "rebalance.repeated-fraud", ["rigged"],
    ["{window: [the vote is rigged], text: the vote is rigged, expect: alert}", "{text: the vote is rigged, expect: no_alert}"],
    extra="    window: {count: 2, seconds: 600}\n    cooldown: 600\n",
)


def firings(decisions: list[dict]) -> list[tuple[str, int, str]]:
    return [(f["alert_id"], f["count"], f["outcome"]) for d in decisions for f in d["firings"]]


def test_new_owner_folds_into_the_alert_the_previous_owner_opened(
    kafka_bootstrap: str, unique_name: str, tmp_path: Path,
) -> None:
    topic, group = f"rebal-{unique_name}", f"g-rebal-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "set.yaml").write_text(RULES, encoding="utf-8")
    settings = {"rules": {"paths": [str(rules)]}}
    said = [chunk("bc", seq, "the vote is rigged") for seq in range(5)]
    a = start_monitor(tmp_path, kafka_bootstrap, topic, group, "a", settings=settings)
    b = None
    try:
        wait_until(lambda: a.assigned_partitions() == {0}, 60, "a to own the partition")
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, encode(said[:3]))
        before = firings(a.wait_decisions(3))
        assert [(count, outcome) for _, count, outcome in before] == [(1, "alert"), (2, "folded")]
        alert_id = before[0][0]
        wait_until(lambda: committed_offsets(kafka_bootstrap, group, topic) == {0: 3}, 60, "a to commit")

        b = start_monitor(tmp_path, kafka_bootstrap, topic, group, "b", settings=settings)
        b.wait_log(r"subscribed to")
        rc, _ = a.terminate()
        assert rc == 0, a.log()[-3000:]
        wait_until(lambda: b.assigned_partitions() == {0}, 60, "b to take the partition over")
        b.wait_log(r"rebuilt the state of 3 chunks from 3 records")
        with Producer(kafka_bootstrap) as producer:
            producer.send(topic, encode(said[3:]))
        after = firings(b.wait_decisions(2))
        rc_b, _ = b.terminate()
        assert rc_b == 0, b.log()[-3000:]
    finally:
        a.stop_quietly()
        if b is not None:
            b.stop_quietly()
    assert after == [(alert_id, 3, "folded"), (alert_id, 4, "folded")]
    assert "Traceback" not in a.log() + b.log()
