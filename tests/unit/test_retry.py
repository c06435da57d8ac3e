"""The one retry/backoff policy: delays, caps and jitter, retry predicates, stops, and its users' counting."""

from __future__ import annotations

import logging
import random

import pytest
from kafka.errors import KafkaConnectionError, KafkaTimeoutError

from monitor.kafka_client import connect_backoff, connect_with_backoff
from monitor.retry import Backoff


def test_jittered_delays_double_from_base_up_to_the_cap_within_half_jitter() -> None:
    policy = Backoff(base_s=0.2, cap_s=30.0)
    delays = [policy.delay(retry, random.Random(7)) for retry in range(12)]
    for retry, delay in enumerate(delays):
        planned = min(30.0, 0.2 * 2**retry)
        assert planned / 2 <= delay <= planned
    assert delays[-1] >= 15.0  # capped at 30 s, never less than half of it
    assert delays == [policy.delay(retry, random.Random(7)) for retry in range(12)]  # reproducible with a seeded rng
    assert policy.delay(10_000) <= 30.0  # a long outage does not overflow


def test_kafka_connect_backoff_has_no_jitter_and_stops_growing_at_the_cap() -> None:
    assert [connect_backoff(2.0).delay(retry) for retry in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_retrying_retries_what_it_is_told_to_and_reraises_anything_else_unchanged() -> None:
    slept: list[float] = []
    announced: list[float] = []
    calls = iter([OSError("down"), OSError("down"), "done"])

    def attempt() -> str:
        outcome = next(calls)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    retrying = Backoff(1.0, 3.0, jitter=False).retrying(
        slept.append, on_exception=lambda e: isinstance(e, OSError),
        before_sleep=lambda state: announced.append(state.upcoming_sleep))
    assert retrying(attempt) == "done"
    assert slept == announced == [1.0, 2.0]
    assert retrying.statistics["attempt_number"] == 3

    def broken() -> None:
        raise ValueError("not retried")

    with pytest.raises(ValueError, match="not retried"):
        retrying(broken)


def test_retrying_on_a_result_and_a_sleep_that_raises_ends_the_retries() -> None:
    class Stopped(Exception):
        pass

    def sleep(_seconds: float) -> None:
        raise Stopped

    retrying = Backoff(0.1, 1.0).retrying(sleep, on_result=lambda value: value is None)
    with pytest.raises(Stopped):
        retrying(lambda: None)
    assert retrying(lambda: 3) == 3


def test_connect_with_backoff_retries_an_unreachable_broker_with_the_policy_s_delays(
    caplog: pytest.LogCaptureFixture,
) -> None:
    failures = [KafkaTimeoutError(), KafkaConnectionError("refused")]

    def factory() -> str:
        if failures:
            raise failures.pop(0)
        return "client"

    with caplog.at_level(logging.WARNING, logger="monitor.kafka_client"):
        assert connect_with_backoff(factory, "consumer", stop=lambda: False, cap_s=0.6) == "client"
    waits = [r.getMessage().rsplit("retrying in ", 1)[1] for r in caplog.records]
    assert waits == ["0.5s", "0.6s"]


def test_connect_with_backoff_ends_the_wait_on_a_stop_request() -> None:
    stopping = iter([False, True])

    def factory() -> str:
        raise KafkaTimeoutError()

    with pytest.raises(KafkaConnectionError, match="stopped while waiting"):
        connect_with_backoff(factory, "consumer", stop=lambda: next(stopping, True), cap_s=5.0)
