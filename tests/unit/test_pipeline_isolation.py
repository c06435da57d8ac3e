"""One record that makes a stage raise is dead-lettered alone; the rest of its batch is decided as usual."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rules_engine.stage import build_engine
from monitor.settings import PipelineSettings
from monitor.stages import ModelInfo, SourceRecord, WorkItem

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "fuzz.yaml"


class PoisonSensitiveScorer:
    """A classifier that fails on every call containing the text 'poison', as a tokenizer bug would."""

    info = ModelInfo("poison-sensitive", "0" * 64, ("claim",))

    def __init__(self) -> None:
        self.calls: list[int] = []

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        self.calls.append(len(items))
        if any("poison" in item.chunk.text for item in items):
            raise TypeError("TextEncodeInput must be Union[TextInputSequence, ...]")
        return [{"claim": 0.1} for _ in items]


def _records(texts: list[str]) -> list[SourceRecord]:
    return [
        SourceRecord("t", 0, i, b"b", json.dumps({"broadcast_id": "b", "seq": i, "text": t}).encode())
        for i, t in enumerate(texts)
    ]


def test_a_record_the_classifier_fails_on_is_dead_lettered_and_the_batch_carries_on() -> None:
    m = Metrics(CollectorRegistry())
    scorer = PoisonSensitiveScorer()
    pipeline = Pipeline(PipelineSettings(), m, classifier=scorer, engine=build_engine([RULES]))
    records = [*_records(["the vote is rigged", "poison pill", "a quiet line"]), SourceRecord("t", 0, 3, b"b", b"{not json")]
    result = pipeline.process(records)
    assert [d.item.chunk.seq for d in result.decisions] == [0, 2]
    assert result.decisions[0].alerts, "the rules still decide the records around the failing one"
    assert [(d.record.offset, d.reason) for d in result.dead_letters] == [(3, "not_json"), (1, "processing_error")]
    assert "classify: TypeError" in result.dead_letters[1].detail
    assert scorer.calls == [3, 1, 1, 1, 1], "one batch call, then each record alone, the failing one twice"
    assert m.registry.get_sample_value("cct_processing_errors_total", {"stage": "classify", "exception": "TypeError"}) == 1
    assert m.registry.get_sample_value("cct_chunks_dead_lettered_total", {"reason": "processing_error"}) == 1


def test_a_decoder_failure_of_any_kind_is_a_dead_letter() -> None:
    m = Metrics(CollectorRegistry())
    pipeline = Pipeline(PipelineSettings(), m)
    weird = SourceRecord("t", 0, 0, None, 12345)  # type: ignore[arg-type]  # a source bug: the decoder raises TypeError
    result = pipeline.process([weird, *_records(["x", "y"])[1:]])
    assert [d.item.chunk.seq for d in result.decisions] == [1]
    assert [(d.reason, d.detail.split(":")[0]) for d in result.dead_letters] == [("decode_error", "TypeError")]
