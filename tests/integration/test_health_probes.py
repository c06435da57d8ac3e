"""/healthz and /readyz of a running monitor: a blocked poll loop fails liveness while /metrics still answers.

The main loop is blocked for real: the decision sink writes into a named pipe whose reader stops
reading, so the sink's write blocks once the pipe buffer is full, exactly as a hung disk would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import requests

from tests.integration.kafka_harness import create_topic, start_monitor, wait_until


def _get(port: int, path: str) -> tuple[int, str]:
    response = requests.get(f"http://127.0.0.1:{port}{path}", timeout=10)
    return response.status_code, response.text


def _append(path: Path, start: int, n: int) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for seq in range(start, start + n):
            fh.write(json.dumps({"broadcast_id": "hz", "seq": seq, "text": f"line {seq} " + "words " * 30}) + "\n")


def test_a_blocked_poll_loop_fails_healthz_while_metrics_still_answers(tmp_path: Path) -> None:
    fifo = tmp_path / "decisions.pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_text("", encoding="utf-8")
    log = tmp_path / "monitor.log"
    env = {**os.environ, "CCT_KAFKA__MAX_POLL_INTERVAL_MS": "10000", "CCT_METRICS__HOST": "127.0.0.1",
           "CCT_AUDIT__PATH": "", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "monitor", "run", "--source", "file", "--input", str(transcript), "--follow",
           "--no-classifier", "--decisions", str(fifo), "--metrics-port", "0"]
    received = bytearray()

    def drain() -> int:
        try:
            while chunk := os.read(reader, 1 << 16):
                received.extend(chunk)
        except BlockingIOError:
            pass
        return received.count(b"\n")

    with log.open("w") as log_fh:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    try:
        port = int(wait_until(lambda: (m := re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", log.read_text()))
                              and m.group(1), 90, "the metrics endpoint"))
        _append(transcript, 0, 5)
        wait_until(lambda: drain() >= 5, 60, "the first decisions through the pipe")
        code, body = _get(port, "/healthz")
        assert code == 200 and json.loads(body)["state"] == "polling", body
        code, body = _get(port, "/readyz")
        ready = json.loads(body)
        assert code == 200 and "civic-elections " in ready["rules"] and ready["model"] == "disabled", body
        assert ready["source"] == f"file {transcript}"

        _append(transcript, 5, 2000)  # ~600 KB of decisions: far more than the pipe holds, and nobody reads
        stalled = wait_until(lambda: (r := _get(port, "/healthz"))[0] == 503 and r, 90, "/healthz to report the stall")
        assert json.loads(stalled[1])["status"] == "stalled"
        assert "made no progress" in json.loads(stalled[1])["reason"]
        code, metrics = _get(port, "/metrics")
        assert code == 200 and "cct_chunks_consumed_total" in metrics, "/metrics answers from its own thread"

        wait_until(lambda: drain() >= 2005, 120, "every decision once the pipe is read again", interval_s=0.01)
        wait_until(lambda: _get(port, "/healthz")[0] == 200, 60, "/healthz to recover")
    finally:
        proc.terminate()
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            drain()
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
        os.close(reader)
    assert proc.returncode == 0, log.read_text()[-3000:]


def test_readyz_lists_the_assigned_partitions_of_a_kafka_monitor(kafka_bootstrap: str, unique_name: str,
                                                                 tmp_path: Path) -> None:
    topic = f"ready-{unique_name}"
    create_topic(kafka_bootstrap, topic, 2)
    monitor = start_monitor(tmp_path, kafka_bootstrap, topic, f"g-{unique_name}")
    try:
        port = int(monitor.wait_log(r"metrics on http://[\d.]+:(\d+)/metrics").group(1))
        wait_until(lambda: _get(port, "/readyz")[0] == 200, 90, "/readyz")
        body = wait_until(lambda: (b := json.loads(_get(port, "/readyz")[1]))["partitions"] != "waiting for assignment"
                          and b, 90, "partitions assigned")
        assert body["partitions"] == [f"{topic}[0]", f"{topic}[1]"]
        assert body["source"] == f"kafka topic {topic} as group g-{unique_name}"
        assert _get(port, "/healthz")[0] == 200
        rc, _ = monitor.terminate()
        assert rc == 0
    finally:
        monitor.stop_quietly()
