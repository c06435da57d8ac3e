"""Faults between the monitor and a real broker: wrong credentials, a wrong protocol, a broker restarted mid-stream.

The session broker has a SASL_PLAINTEXT listener with a SCRAM-SHA-512 user; the restart test runs on a
broker of its own (`scripts/kafka.sh restart` keeps the data directory and the ports).
"""

from __future__ import annotations

import re
import time
from pathlib import Path
from typing import Any

from tests.integration.kafka_harness import (
    BackgroundProducer, Producer, committed_offsets, create_topic, encode, end_offsets, start_monitor, transcript,
    wait_until,
)

SASL = {"security_protocol": "SASL_PLAINTEXT", "sasl_mechanism": "SCRAM-SHA-512"}


def _sasl_settings(user: str, password: str) -> dict[str, Any]:
    return {"kafka": {**SASL, "sasl_username": user, "sasl_password": password}}


def _committed_to_end(bootstrap: str, group: str, topic: str) -> bool:
    """Every partition that holds records is committed up to its end."""
    committed = committed_offsets(bootstrap, group, topic)
    return all(committed.get(p) == end for p, end in end_offsets(bootstrap, topic).items() if end)


def test_wrong_password_exits_3_with_one_clear_line(kafka_bootstrap: str, kafka_sasl: tuple[str, str, str],
                                                    unique_name: str, tmp_path: Path) -> None:
    sasl_bootstrap, user, _ = kafka_sasl
    topic = f"auth-{unique_name}"
    create_topic(kafka_bootstrap, topic, 1)
    t0 = time.monotonic()
    monitor = start_monitor(tmp_path, sasl_bootstrap, topic, f"g-{unique_name}",
                            settings=_sasl_settings(user, "not-the-password"))
    try:
        rc = monitor.proc.wait(timeout=120)
        elapsed = time.monotonic() - t0
        log = monitor.log()
        assert rc == 3, log[-3000:]
        ours = [line for line in log.splitlines() if "monitor.cli.run_cmd: Kafka authentication failure" in line]
        assert len(ours) == 1, log[-3000:]
        assert f"for the consumer at {sasl_bootstrap} (security_protocol SASL_PLAINTEXT, SCRAM-SHA-512, user {user})" in ours[0]
        assert "SaslAuthenticationFailedError" in ours[0] and "exiting with status 3" in ours[0]
        assert "not-the-password" not in log, "the secret never reaches the log"
        assert "not reachable" not in log, "wrong credentials are not reported as an unreachable broker"
        print(f"wrong password: exit 3 after {elapsed:.1f} s")
    finally:
        monitor.stop_quietly()


def test_right_password_consumes_over_sasl(kafka_bootstrap: str, kafka_sasl: tuple[str, str, str],
                                           unique_name: str, tmp_path: Path) -> None:
    sasl_bootstrap, user, password = kafka_sasl
    topic, group = f"sasl-{unique_name}", f"g-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    create_topic(kafka_bootstrap, f"{topic}.dlq", 1)
    with Producer(kafka_bootstrap) as producer:
        producer.send(topic, [*encode(transcript(unique_name, 2, 10)), b"{not json"])
    monitor = start_monitor(tmp_path, sasl_bootstrap, topic, group, settings=_sasl_settings(user, password))
    try:
        monitor.wait_decisions(20, timeout_s=120)
        wait_until(lambda: _committed_to_end(kafka_bootstrap, group, topic), 180, "commits over SASL")
        assert end_offsets(kafka_bootstrap, f"{topic}.dlq") == {0: 1}, "the dead-letter producer authenticates too"
        rc, _ = monitor.terminate()
        assert rc == 0
        assert password not in monitor.log()
    finally:
        monitor.stop_quietly()


def test_sigterm_while_waiting_on_a_listener_of_the_wrong_protocol_stops_at_once(
    kafka_sasl: tuple[str, str, str], unique_name: str, tmp_path: Path,
) -> None:
    sasl_bootstrap, _, _ = kafka_sasl  # a PLAINTEXT client to a SASL listener: the broker just hangs up
    monitor = start_monitor(tmp_path, sasl_bootstrap, f"t-{unique_name}", f"g-{unique_name}")
    try:
        monitor.wait_log(r"metrics on http://", timeout_s=60)
        time.sleep(3)  # well inside kafka-python's bootstrap wait
        assert monitor.proc.poll() is None
        rc, seconds = monitor.terminate(timeout_s=60)
        assert rc == 0
        assert "stopped before the Kafka source connected" in monitor.log()
        assert seconds < 5, f"SIGTERM took {seconds:.1f} s"
        print(f"SIGTERM during the connection wait: stopped in {seconds:.2f} s")
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
        wait_until(lambda: _committed_to_end(bootstrap, group, topic), 60, "commits")
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
        wait_until(lambda: _committed_to_end(bootstrap, group, topic), 60, "commits after the restart")
        log = monitor.log()
        assert len(re.findall(r"Kafka connection lost", log)) == 1, log[-4000:]
        assert len(re.findall(r"INFO monitor\.kafka_client: consumer: Kafka connection back after", log)) == 1, log[-4000:]
        rc, _ = monitor.terminate()
        assert rc == 0
        print(f"broker restart: first new decision {resumed_s:.1f} s after the broker was back; "
              f"{len(decisions) - len(ids)} redelivered")
    finally:
        monitor.stop_quietly()
