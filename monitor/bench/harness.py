"""The moving parts of a pipeline benchmark: a private broker, monitor processes, a paced producer, collectors."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from monitor.kafka_client import connect_consumer, connect_producer
from monitor.settings import KafkaSettings
from monitor.timefmt import utc_iso

REPO_ROOT = Path(__file__).resolve().parents[2]


class PrivateBroker:
    """A single-node Kafka started by `scripts/kafka.sh` in a temporary directory, stopped on exit."""

    def __init__(self, script: Path | None = None) -> None:
        self.script = script or REPO_ROOT / "scripts" / "kafka.sh"
        if not self.script.is_file():
            raise FileNotFoundError(
                f"{self.script} not found: run the benchmark from a checkout, or pass --bootstrap HOST:PORT"
            )
        self.dir = Path(tempfile.mkdtemp(prefix="cct-bench-kafka-"))
        self.bootstrap = ""

    def __enter__(self) -> PrivateBroker:
        out = subprocess.run(
            ["bash", str(self.script), "start", str(self.dir)], capture_output=True, text=True, timeout=300, check=False
        )
        if out.returncode != 0:
            raise RuntimeError(f"could not start Kafka: {out.stderr.strip()[-2000:]}")
        self.bootstrap = out.stdout.strip().splitlines()[-1]
        return self

    def __exit__(self, *_exc: object) -> None:
        subprocess.run(["bash", str(self.script), "stop", str(self.dir)], capture_output=True, timeout=60, check=False)
        shutil.rmtree(self.dir, ignore_errors=True)


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def now_ts() -> tuple[float, str]:
    """(epoch seconds, the same instant as RFC 3339 with milliseconds)."""
    t = time.time()
    return t, utc_iso(t)


@dataclass
class Registry:
    """Send time and phase of every chunk the benchmark produced, by chunk id."""

    sent: dict[str, tuple[float, str]] = field(default_factory=dict)

    def phase_ids(self, phase: str) -> list[str]:
        return [cid for cid, (_, p) in self.sent.items() if p == phase]


def _settings(bootstrap: str) -> KafkaSettings:
    """Connection settings of the bench's own producer and alert reader (PLAINTEXT to the benchmarked broker)."""
    return KafkaSettings(bootstrap_servers=bootstrap, client_id="cct-bench")


class Producer:
    """Publishes workload chunks keyed by broadcast_id, stamping `ts` at send time."""

    def __init__(self, bootstrap: str, topic: str, registry: Registry) -> None:
        self.topic = topic
        self.registry = registry
        self.producer: KafkaProducer = connect_producer(
            _settings(bootstrap), "bench producer", lambda: False, acks=1, linger_ms=5, batch_size=256 * 1024,
        )

    def send(self, chunk: dict[str, Any], phase: str, partition: int | None = None) -> None:
        t, stamp = now_ts()
        chunk["ts"] = stamp
        bid = chunk["broadcast_id"]
        self.registry.sent[f"{bid}#{chunk['seq']}"] = (t, phase)
        self.producer.send(self.topic, key=bid.encode(), value=json.dumps(chunk).encode(), partition=partition)

    def burst(self, source: Iterator[dict[str, Any]], n: int, phase: str) -> float:
        """Send `n` chunks as fast as possible; returns when all are acknowledged (epoch seconds)."""
        for _ in range(n):
            self.send(next(source), phase)
        self.producer.flush(timeout=120)
        return time.time()

    def paced(self, source: Iterator[dict[str, Any]], rate: float, seconds: float, phase: str) -> tuple[int, float]:
        """Send at `rate` chunks/s for `seconds`; returns (chunks sent, achieved rate)."""
        total = max(1, int(rate * seconds))
        t0 = time.monotonic()
        sent = 0
        while sent < total:
            due = min(total, int((time.monotonic() - t0) * rate) + 1)
            while sent < due:
                self.send(next(source), phase)
                sent += 1
            time.sleep(max(0.0, t0 + sent / rate - time.monotonic()))
        self.producer.flush(timeout=120)
        return sent, sent / max(1e-9, time.monotonic() - t0)

    def close(self) -> None:
        self.producer.close(timeout=10)


class AlertCollector:
    """Reads the alerts topic in a thread and notes when each alert became visible to a downstream reader."""

    def __init__(self, bootstrap: str, topic: str) -> None:
        self.consumer: KafkaConsumer = connect_consumer(
            _settings(bootstrap), "bench alert reader", lambda: False, enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        self.topic = topic
        self.received: list[tuple[float, bytes]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="bench-alerts", daemon=True)

    def start(self, partitions: int) -> AlertCollector:
        self.consumer.assign([TopicPartition(self.topic, p) for p in range(partitions)])
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            polled = self.consumer.poll(timeout_ms=100)
            t = time.time()
            for records in polled.values():
                self.received.extend((t, r.value) for r in records)

    def alerts(self) -> list[tuple[float, dict[str, Any]]]:
        """(receive time, alert) for every alert message read so far."""
        out = []
        for t, raw in list(self.received):
            try:
                out.append((t, json.loads(raw)))
            except (TypeError, ValueError):
                continue
        return out

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.consumer.close()


@dataclass
class DecisionReader:
    """Incrementally reads a monitor's JSONL decision file."""

    path: Path
    offset: int = 0
    decided: dict[str, float] = field(default_factory=dict)
    partition: dict[str, int] = field(default_factory=dict)
    _tail: bytes = b""

    def refresh(self) -> int:
        """Read what was appended since the last call; returns the number of new decisions."""
        if not self.path.exists():
            return 0
        with open(self.path, "rb") as fh:
            fh.seek(self.offset)
            data = self._tail + fh.read()
        self.offset += len(data) - len(self._tail)
        lines = data.split(b"\n")
        self._tail = lines.pop()
        n = 0
        for line in lines:
            if not line:
                continue
            rec = json.loads(line)
            self.decided[rec["chunk_id"]] = rec["decided_at"]
            src = rec.get("source") or {}
            if "partition" in src:
                self.partition[rec["chunk_id"]] = src["partition"]
            n += 1
        return n

    def partitions_of(self, chunk_ids: set[str]) -> list[int]:
        """The partitions this replica decided any of `chunk_ids` from."""
        return sorted({p for cid, p in self.partition.items() if cid in chunk_ids})


class MonitorProcess:
    """One `cct-monitor run --source kafka` replica in its own process, configured through CCT_ variables."""

    def __init__(
        self, index: int, env_overrides: dict[str, str], workdir: Path, config: Path | None, args: list[str] | None = None,
    ) -> None:
        self.index = index
        self.metrics_port = free_port()
        self.decisions = workdir / f"decisions-{index}.jsonl"
        self.log = workdir / f"monitor-{index}.log"
        env = dict(os.environ)
        env.update(env_overrides)
        env["CCT_OUTPUT__DECISIONS_PATH"] = str(self.decisions)
        env["CCT_METRICS__PORT"] = str(self.metrics_port)
        env["CCT_METRICS__HOST"] = "127.0.0.1"
        env["CCT_KAFKA__CLIENT_ID"] = f"cct-bench-{index}"
        env["CCT_AUDIT__PATH"] = str(workdir / f"audit-{index}")
        cmd = [sys.executable, "-m", "monitor"]
        if config is not None:
            cmd += ["--config", str(config)]
        cmd += ["--log-level", "INFO", "run", "--source", "kafka", *(args or [])]
        self._log_fh = open(self.log, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(cmd, env=env, stdout=self._log_fh, stderr=subprocess.STDOUT, cwd=os.getcwd())
        self._terminated = False
        self.reader = DecisionReader(self.decisions)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def scrape(self) -> str:
        """The replica's /metrics text ('' when unreachable)."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as resp:
                return resp.read().decode()
        except OSError:
            return ""

    def terminate(self) -> None:
        """SIGTERM, once: finish the in-flight batch and leave (`stop` waits for it). A second SIGTERM could
        reach the replica after Python has restored the default handler on its way out and kill it (-15)."""
        if self.alive() and not self._terminated:
            self.proc.send_signal(signal.SIGTERM)
            self._terminated = True

    def stop(self, timeout_s: float = 30.0) -> int | None:
        """SIGTERM (unless sent already), wait for the in-flight batch to finish; SIGKILL if it does not."""
        if self.alive():
            self.terminate()
            try:
                self.proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self._log_fh.close()
        return self.proc.returncode

    def log_tail(self, n: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-n:])
        except FileNotFoundError:
            return ""


def model_info(metrics_text: str) -> dict[str, str]:
    """The labels of `cct_model_info` (engine, precision, encoder, sha256…) from a /metrics scrape."""
    for line in metrics_text.splitlines():
        if line.startswith("cct_model_info{"):
            return dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line.split("{", 1)[1].rsplit("}", 1)[0]))
    return {}


def stage_seconds(metrics_text: str) -> dict[str, float]:
    """Summed seconds per pipeline stage from a `cct_stage_duration_seconds_sum{stage=…}` scrape."""
    out: dict[str, float] = {}
    for line in metrics_text.splitlines():
        if line.startswith("cct_stage_duration_seconds_sum{"):
            name = line.split('stage="', 1)[1].split('"', 1)[0]
            out[name] = out.get(name, 0.0) + float(line.rsplit(" ", 1)[1])
    return out

