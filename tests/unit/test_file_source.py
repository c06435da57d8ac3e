"""The file source: a JSONL file read to its end, a growing file tailed with --follow, and stdin."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from monitor.sources.file import FileSource

NO_RULES = {"rules": {"paths": []}}


def line(seq: int, bid: str = "f") -> bytes:
    return json.dumps({"broadcast_id": bid, "seq": seq, "text": f"line {seq}"}).encode() + b"\n"


def test_reads_a_file_to_its_end_then_is_exhausted(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_bytes(line(0) + b"\n" + line(1) + line(2).rstrip(b"\n"))  # a blank line; no final newline
    source = FileSource(str(path), batch_size=2)
    first, second = source.poll(0.1), source.poll(0.1)
    assert [r.offset for r in first + second] == [1, 3, 4]  # offsets are line numbers
    assert json.loads(second[-1].value)["seq"] == 2
    assert source.poll(0.1) == [] and source.exhausted
    source.commit(first + second)
    assert source.committed_offset == 4
    source.close()


def test_follow_tails_a_growing_file_and_joins_partial_lines(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(line(0) + line(1))
    source = FileSource(str(path), follow=True, batch_size=10)
    assert [json.loads(r.value)["seq"] for r in source.poll(0.2)] == [0, 1]
    assert source.poll(0.1) == [] and not source.exhausted
    with open(path, "ab") as fh:
        fh.write(line(2)[:10])  # a writer is half-way through a line
        fh.flush()
        assert source.poll(0.1) == []
        fh.write(line(2)[10:] + line(3))
    got = source.poll(0.2)
    assert [json.loads(r.value)["seq"] for r in got] == [2, 3]
    assert [r.offset for r in got] == [3, 4]
    assert not source.exhausted
    source.close()


def test_follow_returns_lines_written_while_it_waits(tmp_path: Path) -> None:
    path = tmp_path / "live.jsonl"
    path.write_bytes(b"")
    source = FileSource(str(path), follow=True)

    def append_later() -> None:
        time.sleep(0.2)
        with open(path, "ab") as fh:
            fh.write(line(7))

    writer = threading.Thread(target=append_later)
    writer.start()
    got = source.poll(30.0)  # returns as soon as the line is there, not after the whole timeout
    writer.join()
    assert [json.loads(r.value)["seq"] for r in got] == [7]
    source.close()


def test_stdin_source(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(line(0) + line(1))))
    source = FileSource("-")
    records = source.poll(0.1)
    assert [r.topic for r in records] == ["stdin", "stdin"]
    assert source.poll(0.1) == [] and source.exhausted
    source.close()


def _cli(tmp_path: Path) -> list[str]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(NO_RULES), encoding="utf-8")
    return [sys.executable, "-m", "monitor", "--config", str(config), "run", "--source", "file",
            "--no-classifier", "--metrics-port", "0"]


def test_cli_decides_chunks_piped_on_stdin(tmp_path: Path) -> None:
    stdin = line(0) + b"not json\n" + line(1) + line(1) + line(2)
    out = subprocess.run([*_cli(tmp_path), "--input", "-", "--decisions", "-"], input=stdin, capture_output=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    decisions = [json.loads(x) for x in out.stdout.splitlines() if x.startswith(b"{")]
    assert [d["chunk_id"] for d in decisions] == ["f#0", "f#1", "f#2"]  # the duplicate is dropped
    assert b"not_json" in out.stderr  # the dead letter is reported


def test_cli_follow_decides_appended_lines_and_stops_on_sigterm(tmp_path: Path) -> None:
    live, decisions = tmp_path / "live.jsonl", tmp_path / "decisions.jsonl"
    live.write_bytes(line(0))
    proc = subprocess.Popen([*_cli(tmp_path), "--input", str(live), "--follow", "--decisions", str(decisions)],
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        def decided() -> list[str]:
            if not decisions.exists():
                return []
            return [json.loads(x)["chunk_id"] for x in decisions.read_text().splitlines()]

        deadline = time.monotonic() + 60
        while decided() != ["f#0"] and time.monotonic() < deadline:
            time.sleep(0.05)
        with open(live, "ab") as fh:
            fh.write(line(1) + line(2))
        while decided() != ["f#0", "f#1", "f#2"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert decided() == ["f#0", "f#1", "f#2"]
        assert proc.poll() is None  # --follow keeps running at the end of the file
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert b"Traceback" not in proc.stderr.read()
