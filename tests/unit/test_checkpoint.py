"""The checkpoint's order: dead letters, then durable sinks, then offsets; nothing is committed while one fails."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.checkpoint import Checkpoint, StopDuringOutage
from monitor.health import Health
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.settings import PipelineSettings
from monitor.sinks.decisions import DecisionSink
from monitor.sources.file import FileSource
from monitor.stages import DeadLetter


class FlakyDlqFileSource(FileSource):
    """The file source whose dead-letter file cannot be written for the first `failures` attempts."""

    def __init__(self, path: str, dlq_path: str, failures: int, events: list[str]) -> None:
        super().__init__(path, dlq_path=dlq_path)
        self.failures = failures
        self.events = events

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        if self.failures:
            self.failures -= 1
            self.events.append("dlq failed")
            raise OSError("dead-letter file unavailable")
        super().dead_letter(letters)
        self.events.append("dlq")

    def commit(self, records) -> None:  # type: ignore[no-untyped-def]
        super().commit(records)
        self.events.append(f"commit {self.committed_offset}")


class RecordingSink(DecisionSink):
    def __init__(self, path: str, events: list[str]) -> None:
        super().__init__(path)
        self.events = events

    def flush(self) -> None:
        super().flush()
        self.events.append("sink")


def test_offsets_are_committed_only_after_the_dead_letters_and_the_durable_sink(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"broadcast_id": "b", "seq": 0, "text": "x"}\n{not json\n{"broadcast_id": "b", "seq": 1, "text": "y"}\n')
    events: list[str] = []
    metrics = Metrics(CollectorRegistry())
    health = Health(window_s=60)
    source = FlakyDlqFileSource(str(src), str(tmp_path / "dlq.jsonl"), failures=2, events=events)
    sink = RecordingSink(str(tmp_path / "decisions.jsonl"), events)
    checkpoint = Checkpoint(source, [sink], metrics, health, threading.Event())
    records = source.poll(1.0)
    checkpoint.complete(records, Pipeline(PipelineSettings(), metrics).process(records))
    assert events == ["dlq failed", "dlq failed", "dlq", "sink", "commit 3"]
    assert metrics.registry.get_sample_value("cct_emit_failures_total") == 2
    assert metrics.registry.get_sample_value("cct_consumption_paused") == 0
    assert health.liveness()[1]["state"] == "polling", "the pause is over once the batch is through"
    assert (tmp_path / "dlq.jsonl").read_text().count("not_json") == 1


class DownSink(DecisionSink):
    """A durable sink whose disk is gone; the first failure asks the process to stop."""

    def __init__(self, path: str, stop: threading.Event) -> None:
        super().__init__(path)
        self.stop = stop

    def flush(self) -> None:
        self.stop.set()
        raise OSError("disk gone")


def test_a_stop_during_an_outage_leaves_the_batch_uncommitted(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"broadcast_id": "b", "seq": 0, "text": "x"}\n')
    events: list[str] = []
    metrics = Metrics(CollectorRegistry())
    health = Health(window_s=60)
    stop = threading.Event()
    source = FlakyDlqFileSource(str(src), str(tmp_path / "dlq.jsonl"), failures=0, events=events)
    checkpoint = Checkpoint(source, [DownSink(str(tmp_path / "decisions.jsonl"), stop)], metrics, health, stop)
    records = source.poll(1.0)
    with pytest.raises(StopDuringOutage):
        checkpoint.complete(records, Pipeline(PipelineSettings(), metrics).process(records))
    assert events == []  # nothing committed
    assert metrics.registry.get_sample_value("cct_emit_failures_total") == 1
    assert health.liveness()[1]["paused_for"].startswith("durable sink decisions failing")
