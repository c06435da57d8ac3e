"""A decisions file left with a half-written last line by a crash stays valid JSONL after a restart."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.contracts import TranscriptChunk
from monitor.sinks.decisions import DecisionSink, drop_torn_tail
from monitor.stages import Decision, SourceRecord, WorkItem


def decision(seq: int) -> Decision:
    chunk = TranscriptChunk(broadcast_id="b", seq=seq, text=f"line {seq}")
    return Decision(WorkItem(chunk, SourceRecord("t", 0, seq, b"b", b"{}")), None)


def test_restart_cuts_the_torn_line_and_appends_whole_records(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    sink = DecisionSink(str(path))
    sink.write([decision(0), decision(1)])
    sink.flush()
    sink.close()
    whole = path.read_bytes()
    path.write_bytes(whole + b'{"type": "decision", "chunk_id": "b#2", "te')  # killed mid-write

    restarted = DecisionSink(str(path))
    restarted.write([decision(2)])
    restarted.flush()
    restarted.close()
    records = [json.loads(x) for x in path.read_text().splitlines()]
    assert [r["chunk_id"] for r in records] == ["b#0", "b#1", "b#2"]


def test_intact_and_empty_files_are_left_alone(tmp_path: Path) -> None:
    intact = tmp_path / "intact.jsonl"
    intact.write_bytes(b'{"a": 1}\n')
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert drop_torn_tail(str(intact)) == 0 and intact.read_bytes() == b'{"a": 1}\n'
    assert drop_torn_tail(str(empty)) == 0 and empty.read_bytes() == b""
    assert drop_torn_tail(str(tmp_path / "missing.jsonl")) == 0


def test_a_torn_first_line_empties_the_file(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_bytes(b"x" * 20000)  # longer than one scan block, no newline at all
    assert drop_torn_tail(str(path)) == 20000
    assert path.read_bytes() == b""
