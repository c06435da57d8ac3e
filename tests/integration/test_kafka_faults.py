"""Faults between the monitor and a real broker: wrong credentials, a wrong CA, a wrong protocol, a broker
restarted mid-stream.

The session broker has SASL_PLAINTEXT and SASL_SSL listeners with a SCRAM-SHA-512 user and an SSL listener
whose certificate a throwaway CA signed (`kafka_sasl`, `kafka_tls`); the restart test runs on a broker of its
own (`scripts/kafka.sh restart` keeps the data directory and the ports).
"""

from __future__ import annotations

import re
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.run_cmd import access_denied
from monitor.kafka_client import EXIT_ACCESS_DENIED, KafkaAccessError
from monitor.metrics import Metrics
from monitor.settings import KafkaSettings
from monitor.sources.kafka import KafkaSource
from tests.conftest import TlsListeners
from tests.integration.kafka_harness import (
    BackgroundProducer, Producer, committed_offsets, committed_to_end, create_topic, encode, end_offsets, start_monitor,
    transcript, wait_until,
)


@pytest.fixture(params=["SASL_PLAINTEXT", "SASL_SSL"])
def sasl_listener(request: pytest.FixtureRequest, kafka_sasl: tuple[str, str, str],
                  kafka_tls: TlsListeners) -> tuple[str, str, str, dict[str, Any]]:
    """(bootstrap, user, password, kafka settings but the password) of each SCRAM-SHA-512 listener."""
    plain_bootstrap, user, password = kafka_sasl
    settings: dict[str, Any] = {"security_protocol": request.param, "sasl_mechanism": "SCRAM-SHA-512", "sasl_username": user}
    if request.param == "SASL_SSL":
        settings["ssl_cafile"] = str(kafka_tls.ca_file)
        return kafka_tls.sasl_ssl_bootstrap, user, password, settings
    return plain_bootstrap, user, password, settings


def _tls_settings(ca_file: Path) -> dict[str, Any]:
    return {"kafka": {"security_protocol": "SSL", "ssl_cafile": str(ca_file)}}


def _one_access_line(log: str) -> str:
    """The monitor's single line about an access failure (fails unless there is exactly one)."""
    ours = [line for line in log.splitlines() if re.search(r"monitor\.cli\.run_cmd: Kafka \w+ failure", line)]
    assert len(ours) == 1, log[-3000:]
    assert "not reachable" not in log, "an access failure is not reported as an unreachable broker"
    return ours[0]


def _seconds_between(log: str, first: str, then: str) -> float:
    """Seconds between the log's first line containing `first` and its first line containing `then` (a figure only)."""
    def stamp(marker: str) -> datetime:
        line = next(line for line in log.splitlines() if marker in line)
        return datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")

    return (stamp(then) - stamp(first)).total_seconds()


def test_wrong_password_exits_3_with_one_clear_line(
    kafka_bootstrap: str, sasl_listener: tuple[str, str, str, dict[str, Any]], unique_name: str, tmp_path: Path,
) -> None:
    bootstrap, user, _, sasl = sasl_listener
    topic = f"auth-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    t0 = time.monotonic()
    monitor = start_monitor(tmp_path, bootstrap, topic, f"g-{unique_name}",
                            settings={"kafka": {**sasl, "sasl_password": "not-the-password"}})
    try:
        rc = monitor.proc.wait(timeout=120)
        elapsed = time.monotonic() - t0
        log = monitor.log()
        assert rc == EXIT_ACCESS_DENIED, log[-3000:]
        line = _one_access_line(log)
        assert f"Kafka authentication failure for the consumer at {bootstrap} (security_protocol {sasl['security_protocol']}, SCRAM-SHA-512, user {user}" in line
        assert "SaslAuthenticationFailedError" in line and "exiting with status 3" in line
        assert "not-the-password" not in log, "the secret never reaches the log"
        print(f"wrong password over {sasl['security_protocol']}: exit 3 after {elapsed:.1f} s")
    finally:
        monitor.stop_quietly()


def test_right_password_consumes_over_sasl(
    kafka_bootstrap: str, sasl_listener: tuple[str, str, str, dict[str, Any]], unique_name: str, tmp_path: Path,
) -> None:
    bootstrap, _, password, sasl = sasl_listener
    topic, group = f"sasl-{unique_name}", f"g-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    create_topic(kafka_bootstrap, f"{topic}.dlq", 1)
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, [*encode(transcript(unique_name, 2, 10)), b"{not json"])
    monitor = start_monitor(tmp_path, bootstrap, topic, group, settings={"kafka": {**sasl, "sasl_password": password}})
    try:
        monitor.wait_decisions(20, timeout_s=120)
        wait_until(lambda: committed_to_end(kafka_bootstrap, group, topic), 180,
                   lambda: f"commits over SASL (committed {committed_offsets(kafka_bootstrap, group, topic)}, end "
                   f"{end_offsets(kafka_bootstrap, topic)}; monitor log tail:\n{monitor.log()[-4000:]})")
        assert end_offsets(kafka_bootstrap, f"{topic}.dlq") == {0: 1}, "the dead-letter producer authenticates too"
        rc, _ = monitor.terminate()
        assert rc == 0
        assert password not in monitor.log()
    finally:
        monitor.stop_quietly()


def test_right_ca_consumes_commits_and_rebuilds_over_tls(
    kafka_bootstrap: str, kafka_tls: TlsListeners, unique_name: str, tmp_path: Path,
) -> None:
    topic, group = f"tls-{unique_name}", f"g-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    create_topic(kafka_bootstrap, f"{topic}.dlq", 1)
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, [*encode(transcript(unique_name, 2, 10)), b"{not json"])
    settings = _tls_settings(kafka_tls.ca_file)
    first = start_monitor(tmp_path, kafka_tls.ssl_bootstrap, topic, group, name="first", settings=settings)
    try:
        assert len(first.wait_decisions(20, timeout_s=120)) == 20
        wait_until(lambda: committed_to_end(kafka_bootstrap, group, topic), 180, "commits over TLS")
        assert end_offsets(kafka_bootstrap, f"{topic}.dlq") == {0: 1}, "the dead-letter producer speaks TLS too"
        assert first.terminate()[0] == 0
    finally:
        first.stop_quietly()
    # The next owner of the partitions re-reads their window over TLS as well (monitor/rebuild.py).
    second = start_monitor(tmp_path, kafka_tls.ssl_bootstrap, topic, group, name="second", settings=settings)
    try:
        second.wait_log(r"rebuilt the state of 20 chunks from 21 records", timeout_s=120)
        assert second.terminate()[0] == 0
        assert "failure" not in first.log() + second.log()
    finally:
        second.stop_quietly()


@pytest.mark.parametrize("case", ["unrelated CA", "TLS to a plaintext listener"])
def test_a_tls_failure_exits_3_with_one_clear_line(
    kafka_bootstrap: str, kafka_tls: TlsListeners, case: str, unique_name: str, tmp_path: Path,
) -> None:
    bootstrap, ca_file, cause = {
        "unrelated CA": (kafka_tls.ssl_bootstrap, kafka_tls.unrelated_ca_file, "CERTIFICATE_VERIFY_FAILED"),
        "TLS to a plaintext listener": (kafka_bootstrap, kafka_tls.ca_file, "Handshake failed: [SSL"),
    }[case]
    topic = f"tlsfail-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    t0 = time.monotonic()
    monitor = start_monitor(tmp_path, bootstrap, topic, f"g-{unique_name}", settings=_tls_settings(ca_file))
    try:
        rc = monitor.proc.wait(timeout=120)
        elapsed = time.monotonic() - t0
        line = _one_access_line(monitor.log())
        assert rc == EXIT_ACCESS_DENIED, monitor.log()[-3000:]
        assert f"Kafka TLS failure for the consumer at {bootstrap} (security_protocol SSL, CA file {ca_file})" in line
        assert cause in line and "exiting with status 3" in line
        print(f"{case}: exit 3 after {elapsed:.1f} s (process start included); the exit line "
              f"{_seconds_between(monitor.log(), 'Handshake failed', 'exiting with status 3'):.2f} s after the first "
              "handshake failure in the log")
    finally:
        monitor.stop_quietly()


def test_a_tls_failure_is_counted_by_kind(kafka_tls: TlsListeners, unique_name: str) -> None:
    settings = KafkaSettings(bootstrap_servers=kafka_tls.ssl_bootstrap, input_topic=f"t-{unique_name}",
                             security_protocol="SSL", ssl_cafile=kafka_tls.unrelated_ca_file)
    with pytest.raises(KafkaAccessError) as info:
        KafkaSource(settings)
    metrics = Metrics()
    assert access_denied(info.value, settings, metrics) == EXIT_ACCESS_DENIED
    assert metrics.registry.get_sample_value("cct_kafka_access_failures_total", {"kind": "tls"}) == 1
    assert metrics.registry.get_sample_value("cct_kafka_access_failures_total", {"kind": "authentication"}) == 0


@pytest.mark.parametrize("listener", ["SASL_PLAINTEXT", "SSL"])
def test_sigterm_while_waiting_on_a_listener_of_the_wrong_protocol_stops_at_once(
    kafka_sasl: tuple[str, str, str], kafka_tls: TlsListeners, listener: str, unique_name: str, tmp_path: Path,
) -> None:
    # a PLAINTEXT client to a SASL or TLS listener: the broker just hangs up, which looks like an unreachable broker
    bootstrap = kafka_sasl[0] if listener == "SASL_PLAINTEXT" else kafka_tls.ssl_bootstrap
    monitor = start_monitor(tmp_path, bootstrap, f"t-{unique_name}", f"g-{unique_name}")
    try:
        monitor.wait_log(r"metrics on http://", timeout_s=60)
        time.sleep(3)  # well inside kafka-python's bootstrap wait
        assert monitor.proc.poll() is None
        rc, seconds = monitor.terminate(timeout_s=60)
        assert rc == 0
        assert "stopped before the Kafka source connected" in monitor.log()
        assert seconds < 5, f"SIGTERM took {seconds:.1f} s"
        print(f"SIGTERM during the connection wait on the {listener} listener: stopped in {seconds:.2f} s")
    finally:
        monitor.stop_quietly()


def test_broker_restart_mid_stream_loses_nothing_and_resumes(restartable_kafka, unique_name: str, tmp_path: Path) -> None:
    bootstrap = restartable_kafka.bootstrap
    topic, group = f"restart-{unique_name}", f"g-{unique_name}"
    create_topic(bootstrap, topic, 2)
    before, after = transcript(f"{unique_name}-a", 4, 25), transcript(f"{unique_name}-z", 4, 25)
    with Producer(bootstrap) as producer:
        producer.send(topic, encode(before))
    monitor = start_monitor(tmp_path, bootstrap, topic, group)
    try:
        monitor.wait_decisions(len(before), timeout_s=120)
        wait_until(lambda: committed_to_end(bootstrap, group, topic), 60, "commits")
        restartable_kafka.stop()
        monitor.wait_log(r"WARNING monitor\.kafka_client: consumer: Kafka connection lost", timeout_s=60)
        time.sleep(5)
        restartable_kafka.start_again()
        back = time.monotonic()
        producer = BackgroundProducer(bootstrap, topic, encode(after), batch=20, pause_s=0.01)
        producer.start()
        producer.finish()
        first_new = wait_until(lambda: any(d["broadcast_id"].startswith(f"{unique_name}-z") for d in monitor.decisions()),
                               120, "the first decision after the restart")
        resumed_s = time.monotonic() - back
        decisions = monitor.wait_decisions(len(before) + len(after), timeout_s=120)
        assert first_new
        ids = {d["chunk_id"] for d in decisions}
        assert ids == {f"{c['broadcast_id']}#{c['seq']}" for c in before + after}, "nothing lost across the restart"
        wait_until(lambda: committed_to_end(bootstrap, group, topic), 60, "commits after the restart")
        log = monitor.log()
        assert len(re.findall(r"Kafka connection lost", log)) == 1, log[-4000:]
        assert len(re.findall(r"INFO monitor\.kafka_client: consumer: Kafka connection back after", log)) == 1, log[-4000:]
        rc, _ = monitor.terminate()
        assert rc == 0
        print(f"broker restart: first new decision {resumed_s:.1f} s after the broker was back; "
              f"{len(decisions) - len(ids)} redelivered")
    finally:
        monitor.stop_quietly()
