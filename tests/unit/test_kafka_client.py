"""Kafka client hygiene: which failures are final, kafka-python's repeated lines, lost/back logging."""

from __future__ import annotations

import logging

import pytest
from kafka.errors import GroupAuthorizationFailedError, KafkaConnectionError, KafkaTimeoutError

from monitor.kafka_client import (
    ClientLogWatch, KafkaAccessError, LinkState, cause_of, classify, connect_with_backoff, derived_instance_id,
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(("error", "kind"), [
    ("Connection lost: [Error 58] SaslAuthenticationFailedError: Authentication failed due to invalid credentials", "authentication"),
    ("SaslHandshake failed: IllegalSaslStateError", "authentication"),
    (GroupAuthorizationFailedError("g"), "authorisation"),
    ("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate", "tls"),
    ("KafkaConnectionError: Handshake failed: [SSL: WRONG_VERSION_NUMBER] wrong version number", "tls"),
    (KafkaConnectionError("111 ECONNREFUSED"), None),
    ("KafkaConnectionError: socket disconnected", None),
    (KafkaTimeoutError("Unable to bootstrap from 127.0.0.1:9092"), None),
])
def test_only_failures_that_retrying_cannot_fix_are_classified(error: object, kind: str | None) -> None:
    assert classify(error) == kind


def test_the_cause_drops_the_connection_repr() -> None:
    line = "<KafkaConnection node_id=bootstrap-0 (disconnected)>: Connection lost: [Error 58] SaslAuthenticationFailedError: bad"
    assert cause_of(line) == "[Error 58] SaslAuthenticationFailedError: bad"


def test_repeated_client_lines_are_rate_limited_and_counted(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    watch = ClientLogWatch(window_s=30, clock=clock)
    logger = logging.getLogger("kafka.test-rate-limit")
    logger.addHandler(watch)
    logger.propagate = False
    try:
        with caplog.at_level(logging.INFO):
            for port in range(40_000, 40_050):
                logger.error("Connection failed: KafkaConnectionError: 111 ECONNREFUSED on port %d", port)
                logger.error(f"Bootstrap attempt to 127.0.0.1:{port} failed")  # pre-formatted: digits ignored
                clock.now += 1
        assert len(caplog.records) == 4, [r.getMessage() for r in caplog.records]
        assert caplog.records[2].getMessage().endswith("[29 similar lines suppressed in the last 30 s]")
    finally:
        logger.removeHandler(watch)
    assert watch.failure_since(0) is None
    logger.addHandler(watch)
    try:
        logger.error("Connection lost: [Error 58] SaslAuthenticationFailedError: invalid credentials")
    finally:
        logger.removeHandler(watch)
    assert watch.failure_since(clock.now) == ("authentication", "[Error 58] SaslAuthenticationFailedError: invalid credentials")
    assert watch.failure_since(clock.now + 1) is None


def test_a_client_that_reports_an_access_failure_ends_the_wait_at_once() -> None:
    def factory() -> object:
        raise GroupAuthorizationFailedError("group g")

    with pytest.raises(KafkaAccessError) as info:
        connect_with_backoff(factory, "consumer", stop=lambda: False, cap_s=1.0)
    assert info.value.kind == "authorisation"


def test_an_access_failure_logged_just_after_the_constructor_gives_up_is_still_final() -> None:
    """kafka-python's network thread may log the SASL failure a moment after the constructor it serves raised its
    bootstrap timeout: that is a wrong password, not an unreachable broker to retry."""
    import threading
    import time

    def factory() -> object:
        def late() -> None:
            time.sleep(0.2)
            logging.getLogger("kafka.net.transport").error(
                "Abort ([Error 58] SaslAuthenticationFailedError: Authentication failed due to invalid credentials)")
        threading.Thread(target=late, daemon=True).start()
        raise KafkaTimeoutError("Unable to bootstrap from ['127.0.0.1:9092']")

    give_up = time.monotonic() + 10
    with pytest.raises(KafkaAccessError) as info:
        connect_with_backoff(factory, "consumer", stop=lambda: time.monotonic() > give_up, cap_s=1.0)
    assert info.value.kind == "authentication"


def test_link_state_says_lost_once_and_back_once(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    link = LinkState("consumer", clock=clock)
    with caplog.at_level(logging.INFO, logger="monitor.kafka_client"):
        link.update(False)  # never connected yet: starting, not lost
        link.update(True)
        for _ in range(5):
            link.update(False)
            clock.now += 2
        link.update(True)
        link.update(True)
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "consumer: Kafka connection lost; reconnecting (kafka-python's own lines are rate-limited)"),
        ("INFO", "consumer: Kafka connection back after 10.0 s; consuming again"),
    ]


def test_static_membership_is_derived_from_the_pod_name_only_under_kubernetes() -> None:
    assert derived_instance_id({"KUBERNETES_SERVICE_HOST": "10.0.0.1", "HOSTNAME": "cct-monitor-7d9f-x2k"}) == "cct-monitor-7d9f-x2k"
    assert derived_instance_id({"HOSTNAME": "laptop"}) is None
    assert derived_instance_id({"KUBERNETES_SERVICE_HOST": "10.0.0.1"}) is None
