"""Per-broadcast ordering, duplicate and non-final filtering, and the window's memory bounds."""

from __future__ import annotations

from monitor.contracts import TranscriptChunk
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.settings import PipelineSettings
from monitor.stages import SourceRecord
from monitor.state import Admission, BroadcastStates


def chunk(seq: int, bid: str = "b", start_s: float | None = None, final: bool = True, text: str = "t") -> TranscriptChunk:
    start = None if start_s is None else int(start_s * 1000)
    end = None if start is None else start + 3000
    return TranscriptChunk(broadcast_id=bid, seq=seq, text=f"{text}{seq}", start_ms=start, end_ms=end, is_final=final)


def test_duplicates_and_non_final_hypotheses_are_not_admitted() -> None:
    states = BroadcastStates()
    assert states.admit(chunk(0, start_s=0)) is Admission.ACCEPTED
    assert states.admit(chunk(1, final=False)) is Admission.NON_FINAL
    assert states.admit(chunk(1, start_s=3)) is Admission.ACCEPTED
    assert states.admit(chunk(1, start_s=3)) is Admission.DUPLICATE
    assert states.admit(chunk(0, bid="other", start_s=0)) is Admission.ACCEPTED
    assert [c.seq for c in states.window("b")] == [0, 1]


def test_late_chunk_is_kept_in_seq_order() -> None:
    states = BroadcastStates()
    for seq in (0, 1, 3):
        states.admit(chunk(seq, start_s=seq * 3))
    assert states.admit(chunk(2, start_s=6)) is Admission.LATE
    assert [c.seq for c in states.window("b")] == [0, 1, 2, 3]
    assert [c.seq for c in states.context(chunk(3), 2)] == [1, 2]


def test_window_keeps_only_the_last_n_seconds_of_speech() -> None:
    states = BroadcastStates(window_seconds=30)
    for seq in range(40):
        states.admit(chunk(seq, start_s=seq * 3))
    window = states.window("b")
    assert window[-1].seq == 39
    assert window[-1].end_ms - window[0].end_ms <= 30_000
    assert len(window) == 11


def test_window_chunk_cap_and_broadcast_cap_bound_memory() -> None:
    states = BroadcastStates(window_max_chunks=5, max_broadcasts=3)
    for seq in range(50):
        states.admit(chunk(seq))
    assert len(states.window("b")) == 5
    for i in range(10):
        states.admit(chunk(0, bid=f"x{i}"))
    assert len(states) == 3
    assert states.evicted == 8
    assert states.window("b") == []


def test_dedupe_memory_is_bounded_per_broadcast() -> None:
    states = BroadcastStates(dedupe_seqs=16)
    for seq in range(100):
        states.admit(chunk(seq))
    assert states.admit(chunk(99)) is Admission.DUPLICATE
    assert states.admit(chunk(5)) is Admission.LATE


def _record(offset: int, value: bytes) -> SourceRecord:
    return SourceRecord("t", 0, offset, b"b", value)


def test_pipeline_orders_by_seq_and_counts_what_it_skips() -> None:
    metrics = Metrics()
    pipeline = Pipeline(PipelineSettings(context_chunks=1), metrics)
    values = [
        b'{"broadcast_id":"b","seq":2,"text":"two"}',
        b'{"broadcast_id":"b","seq":1,"text":"one"}',
        b'{"broadcast_id":"b","seq":1,"text":"one"}',
        b'{"broadcast_id":"b","seq":3,"text":"three?","is_final":false}',
        b'{"broadcast_id":"b","seq":3,"text":"three"}',
        b'{"broadcast_id":"b","text":"no seq"}',
    ]
    result = pipeline.process([_record(i, v) for i, v in enumerate(values)])
    assert [d.item.chunk.seq for d in result.decisions] == [1, 2, 3]
    assert [c.seq for c in result.decisions[2].item.context] == [2]
    assert result.skipped == {"duplicate": 1, "non_final": 1}
    assert [(d.reason, d.record.offset) for d in result.dead_letters] == [("missing_field", 5)]
    reg = metrics.registry
    assert reg.get_sample_value("cct_chunks_skipped_total", {"reason": "duplicate"}) == 1
    assert reg.get_sample_value("cct_chunks_dead_lettered_total", {"reason": "missing_field"}) == 1
    assert reg.get_sample_value("cct_chunks_dead_lettered_total", {"reason": "not_utf8"}) == 0
