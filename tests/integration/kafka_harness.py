"""Helpers for the real-broker tests: run `python -m monitor` as a subprocess (Kafka or file source), write rule
sets, and inspect the broker.

Every wait is a poll loop with a generous deadline, so a slow machine makes a test slower, never red.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import requests
import yaml
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from monitor.kafka_admin import create_topics
from monitor.settings import KafkaSettings

T = TypeVar("T")

# Short group timeouts so a SIGKILLed member is evicted in seconds, not the 30 s default.
TEST_SETTINGS: dict[str, Any] = {
    "rules": {"paths": []},
    "kafka": {"session_timeout_ms": 6000, "heartbeat_interval_ms": 1000, "poll_timeout_ms": 200},
}


def wait_until(condition: Callable[[], T], timeout_s: float, what: str | Callable[[], str], interval_s: float = 0.1) -> T:
    """Poll `condition` until it returns something truthy; fail with `what` (or what it returns) after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what() if callable(what) else what}")
        time.sleep(interval_s)


def chunk(broadcast_id: str, seq: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
    """One valid transcript chunk, 4 s of speech per seq."""
    return {
        "broadcast_id": broadcast_id, "seq": seq, "text": text or f"{broadcast_id} says line {seq}",
        "start_ms": seq * 4000, "end_ms": seq * 4000 + 3800, "speaker": {"id": "host", "role": "host"}, **extra,
    }


def transcript(prefix: str, broadcasts: int, seqs: int) -> list[dict[str, Any]]:
    """`broadcasts` interleaved broadcasts of `seqs` chunks each, in emission order."""
    return [chunk(f"{prefix}-b{b}", s) for s in range(seqs) for b in range(broadcasts)]


def encode(chunks: Iterable[dict[str, Any]]) -> list[bytes]:
    return [json.dumps(c).encode() for c in chunks]


def kafka_settings(bootstrap: str, topic: str) -> KafkaSettings:
    return KafkaSettings(bootstrap_servers=bootstrap, input_topic=topic)


def create_topic(bootstrap: str, topic: str, partitions: int) -> None:
    """Create `topic` and wait until every partition has a leader."""
    create_topics(kafka_settings(bootstrap, topic), {topic: partitions})
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        wait_until(lambda: len(consumer.partitions_for_topic(topic) or ()) == partitions, 30, f"topic {topic}")
    finally:
        consumer.close()


class Producer:
    """A test producer that keys by broadcast_id (as `cct-monitor produce` does) and waits for acks."""

    def __init__(self, bootstrap: str) -> None:
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)

    def send(self, topic: str, values: Sequence[bytes], keys: Sequence[bytes | None] | None = None) -> None:
        futures = []
        for i, value in enumerate(values):
            key = keys[i] if keys is not None else _key_of(value)
            futures.append(self.producer.send(topic, key=key, value=value))
        self.producer.flush(timeout=60)
        for fut in futures:
            fut.get(timeout=60)

    def close(self) -> None:
        self.producer.close(timeout=10)

    def __enter__(self) -> Producer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class BackgroundProducer(threading.Thread):
    """Publishes `values` in small batches with pauses, so a monitor consumes a stream that is still growing."""

    def __init__(self, bootstrap: str, topic: str, values: Sequence[bytes], batch: int = 100, pause_s: float = 0.05) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.topic, self.values = bootstrap, topic, list(values)
        self.batch, self.pause_s = batch, pause_s
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            with Producer(self.bootstrap) as producer:
                for i in range(0, len(self.values), self.batch):
                    producer.send(self.topic, self.values[i : i + self.batch])
                    time.sleep(self.pause_s)
        except BaseException as exc:  # reported by finish()
            self.error = exc

    def finish(self, timeout_s: float = 120) -> None:
        """Wait until every value is acknowledged; re-raise a producer failure."""
        self.join(timeout_s)
        assert not self.is_alive(), "background producer did not finish"
        if self.error is not None:
            raise self.error


def _key_of(value: bytes) -> bytes | None:
    try:
        return str(json.loads(value)["broadcast_id"]).encode()
    except (ValueError, KeyError, TypeError):
        return None


def end_offsets(bootstrap: str, topic: str) -> dict[int, int]:
    """Log-end offset of every partition of `topic`."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        return {tp.partition: off for tp, off in consumer.end_offsets(tps).items()}
    finally:
        consumer.close()


def committed_offsets(bootstrap: str, group: str, topic: str) -> dict[int, int | None]:
    """The group's committed offset of every partition of `topic` (None where nothing is committed)."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    try:
        parts = sorted(consumer.partitions_for_topic(topic) or ())
        return {p: consumer.committed(TopicPartition(topic, p)) for p in parts}
    finally:
        consumer.close()


def committed_to_end(bootstrap: str, group: str, topic: str) -> bool:
    """Every partition of `topic` that holds records is committed by `group` up to its end."""
    committed = committed_offsets(bootstrap, group, topic)
    return all(committed.get(p) == end for p, end in end_offsets(bootstrap, topic).items() if end)


def read_topic(bootstrap: str, topic: str, expected: int, timeout_s: float = 30) -> list[Any]:
    """Read `expected` records from the start of `topic` (fails if fewer arrive in time)."""
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    records: list[Any] = []
    try:
        deadline = time.monotonic() + timeout_s
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500).values():
                records.extend(batch)
    finally:
        consumer.close()
    assert len(records) >= expected, f"{topic}: read {len(records)} of {expected} records"
    return records


def read_decisions(path: Path, start: int = 0, end: int | None = None) -> list[dict[str, Any]]:
    """Decision records in `path` between byte offsets; a line torn by a SIGKILL is left out."""
    if not path.exists():
        return []
    data = path.read_bytes()[start:end]
    out = []
    for line in data.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("type") == "decision":
            out.append(record)
    return out


@dataclass
class MonitorProcess:
    """A `python -m monitor run` subprocess with its log and decisions file."""

    proc: subprocess.Popen
    log_path: Path
    decisions_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def decisions(self) -> list[dict[str, Any]]:
        return read_decisions(self.decisions_path)

    def wait_alive(self, condition: Callable[[], T], timeout_s: float, what: str, interval_s: float = 0.1) -> T:
        """`wait_until`, failing early with the log if the process exits meanwhile."""

        def check() -> T:
            value = condition()
            if not value and self.proc.poll() is not None:
                raise AssertionError(f"monitor exited ({self.proc.returncode}) while waiting for {what}:\n{self.log()[-3000:]}")
            return value

        return wait_until(check, timeout_s, what, interval_s)

    def wait_decisions(self, n: int, timeout_s: float = 60) -> list[dict[str, Any]]:
        """Wait until at least `n` decisions are written (fails early if the process died)."""
        def enough() -> list[dict[str, Any]] | None:
            got = self.decisions()
            return got if len(got) >= n else None

        return self.wait_alive(enough, timeout_s, f"{n} decisions in {self.decisions_path.name}", interval_s=0.02)

    def wait_log(self, pattern: str, timeout_s: float = 60) -> re.Match[str]:
        return wait_until(lambda: re.search(pattern, self.log()), timeout_s, f"log line /{pattern}/")

    def assigned_partitions(self) -> set[int]:
        """Partitions named in this member's 'partitions assigned' lines (minus revoked ones, in order)."""
        owned: set[int] = set()
        for kind, listing in re.findall(r"partitions (assigned|revoked): (\[.*\])$", self.log(), re.M):
            parts = {int(p) for p in re.findall(r"\[(\d+)\]", listing)}
            owned = owned | parts if kind == "assigned" else owned - parts
        return owned

    def metrics_port(self) -> int:
        return int(self.wait_log(r"metrics on http://[\d.]+:(\d+)/metrics").group(1))

    def metrics_text(self) -> str:
        return requests.get(f"http://127.0.0.1:{self.metrics_port()}/metrics", timeout=10).text

    def terminate(self, timeout_s: float = 60) -> tuple[int, float]:
        """SIGTERM; returns (exit code, seconds until exit)."""
        t0 = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=timeout_s)
        return rc, time.monotonic() - t0

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=30)

    def stop_quietly(self) -> None:
        """Cleanup for a test that failed half-way: never leave a monitor running."""
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=30)


def monitor_env(bootstrap: str | None) -> dict[str, str]:
    """The parent environment without any CCT_ setting, plus the broker address (if any)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CCT_")}
    if bootstrap is not None:
        env["CCT_KAFKA__BOOTSTRAP_SERVERS"] = bootstrap
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_monitor(
    workdir: Path, bootstrap: str, topic: str, group: str, name: str = "m",
    decisions: Path | None = None, settings: dict[str, Any] | None = None, args: Sequence[str] = (),
) -> MonitorProcess:
    """Start `python -m monitor run` against `topic` in its own working directory."""
    return _launch(workdir, name, bootstrap, settings, decisions, [
        "--source", "kafka", "--topic", topic, "--group-id", group, "--dlq-topic", f"{topic}.dlq", *args,
    ])


def start_file_monitor(workdir: Path, transcript: Path, rules: Path, name: str = "m") -> MonitorProcess:
    """Start `python -m monitor run --source file --follow` tailing `transcript`, with the rules in `rules` watched
    every 0.2 s and no decision log."""
    settings = {"rules": {"paths": [str(rules)], "watch_interval_s": 0.2}, "metrics": {"host": "127.0.0.1"},
                "audit": {"path": ""}}
    return _launch(workdir, name, None, settings, None, ["--source", "file", "--input", str(transcript), "--follow"])


def _launch(workdir: Path, name: str, bootstrap: str | None, settings: dict[str, Any] | None,
            decisions: Path | None, source_args: Sequence[str]) -> MonitorProcess:
    """`python -m monitor run` (no classifier, metrics on a free port) with TEST_SETTINGS under `settings`."""
    workdir.mkdir(parents=True, exist_ok=True)
    config = workdir / f"{name}.yaml"
    config.write_text(yaml.safe_dump(_merge(TEST_SETTINGS, settings or {})), encoding="utf-8")
    decisions = decisions or workdir / f"{name}.decisions.jsonl"
    log_path = workdir / f"{name}.log"
    log_level = os.environ.get("CCT_TEST_MONITOR_LOG_LEVEL", "INFO")  # DEBUG shows the Kafka client's protocol log
    cmd = [
        sys.executable, "-m", "monitor", "--config", str(config), "--log-level", log_level, "run", *source_args,
        "--no-classifier", "--metrics-port", "0", "--decisions", str(decisions),
    ]
    with open(log_path, "ab") as log_fh:
        proc = subprocess.Popen(cmd, cwd=workdir, env=monitor_env(bootstrap), stdout=log_fh, stderr=subprocess.STDOUT)
    return MonitorProcess(proc, log_path, decisions)


def keyword_rule_set(set_id: str, rule_id: str, words: Sequence[str], tests: Sequence[str], *, version: str = "1.0.0",
                     category: str = "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
                     extra: str = "") -> str:
    """A rule file with one medium-severity enforce rule firing on `words`; `extra` adds rule lines (window,
    cooldown) and `tests` are its inline test mappings. The DSA category stands on line 19."""
    test_lines = "".join(f"      - {t}\n" for t in tests)
    return f"""\
id: {set_id}
version: {version}
title: {set_id} rules
owner: qa
jurisdiction: [EU]
effective_from: 2024-01-01
keyword_lists:
  words: [{", ".join(words)}]
rules:
  - id: {rule_id}
    version: {version}
    title: {rule_id} test rule
    modified: 2026-11-27
    status: stable
    mode: enforce
    severity: medium
    dsa:
      articles: ["34(1)(c)"]
      category: {category}
      decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
    tos_clause: "4.2"
    when: {{keywords: {{list: words}}}}
{extra}    tests:
{test_lines}"""


def run_cli(workdir: Path, bootstrap: str, *args: str, timeout_s: float = 120) -> subprocess.CompletedProcess:
    """Run one `python -m monitor ...` command to completion."""
    workdir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        [sys.executable, "-m", "monitor", *args], cwd=workdir, env=monitor_env(bootstrap),
        capture_output=True, text=True, timeout=timeout_s,
    )


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
