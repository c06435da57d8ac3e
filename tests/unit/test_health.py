"""Liveness and readiness as the poll loop and the wiring report them."""

from __future__ import annotations

from monitor.health import Health


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_liveness_says_whether_the_loop_polls_is_paused_or_stalled() -> None:
    clock = Clock()
    health = Health(window_s=30, clock=clock)
    ok, body = health.liveness()
    assert ok and body["state"] == "starting"
    clock.now += 31
    ok, body = health.liveness()
    assert not ok and body["status"] == "stalled", "a start that never reaches the poll loop is a stall too"
    health.progress()
    assert health.liveness()[1]["state"] == "polling"
    health.paused("durable sink alerts failing")
    clock.now += 10
    health.progress()  # a paused loop still polls to keep its group membership
    ok, body = health.liveness()
    assert ok and body["state"] == "paused" and body["paused_for"] == "durable sink alerts failing"
    clock.now += 30.5
    ok, body = health.liveness()
    assert not ok and body["reason"] == "the poll loop made no progress for 30 s (window 30 s)"
    health.paused(None)
    health.progress()
    assert health.liveness() == (True, {"state": "polling", "seconds_since_progress": 0.0, "window_s": 30, "status": "ok"})


def test_readiness_needs_rules_model_and_a_connected_source() -> None:
    health = Health(window_s=30)
    ok, body = health.readiness()
    assert not ok and body["loading"] == ["rules", "model"] and body["source"] == "not connected"
    health.loaded("model", "disabled")
    health.loaded("rules", "civic-elections 1.0.0")
    assert not health.readiness()[0], "not ready while the broker is not connected"
    health.source_connected("kafka topic t as group g")
    ok, body = health.readiness()
    assert ok and body["partitions"] == "waiting for assignment"
    health.partitions = lambda: [("t", 1), ("t", 0)]
    assert health.readiness()[1]["partitions"] == ["t[0]", "t[1]"]
    health.stopped()
    ok, body = health.readiness()
    assert not ok and body["reason"] == "the poll loop has stopped"
