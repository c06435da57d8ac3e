"""Through the pipeline: a German chunk is not scored by the English classifier; an English one still alerts."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rules_engine.stage import build_engine
from monitor.settings import PipelineSettings
from monitor.stages import ModelInfo, SourceRecord, WorkItem

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "languages.yaml"


class RecordingClassifier:
    """An English-only classifier that scores every text it is given as an election falsehood, and records it."""

    info = ModelInfo("english-only", "0" * 64, ("election",), languages=("en",))

    def __init__(self) -> None:
        self.texts: list[str] = []

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        self.texts.extend(item.chunk.text for item in items)
        return [{"election": 0.9} for _ in items]


def _record(offset: int, **chunk: object) -> SourceRecord:
    return SourceRecord("t", 0, offset, None, json.dumps(chunk).encode())


def test_a_german_chunk_is_unsupported_not_scored_and_an_english_one_alerts(caplog: pytest.LogCaptureFixture) -> None:
    metrics = Metrics(CollectorRegistry())
    classifier = RecordingClassifier()
    pipeline = Pipeline(PipelineSettings(), metrics, classifier=classifier, engine=build_engine([RULES]))
    german = "die Briefwahl wurde heimlich auf Donnerstag verschoben, das war Wahlbetrug"
    english = "they moved the postal vote to thursday in secret, it was all a fraud"
    with caplog.at_level(logging.WARNING, logger="monitor.language"):
        result = pipeline.process([
            _record(0, broadcast_id="de-show", seq=0, text=german),
            _record(1, broadcast_id="de-show", seq=1, text="ja genau, das sagen alle"),
            _record(2, broadcast_id="en-show", seq=0, text=english),
        ])
        pipeline.process([_record(3, broadcast_id="de-show", seq=2, text="und niemand hat es gemerkt, unglaublich")])
    assert classifier.texts == [english], "German chunks never reach the English classifier"
    de0, de1, en = (d.to_record() for d in result.decisions)
    assert (de0["unsupported_language"], de0["language"], de0["language_source"]) == ("de", "de", "detected")
    assert de0["scores"] == {} and de1["unsupported_language"] == "de"
    assert [f["rule_id"] for f in result.decisions[0].firings] == ["lang.betrug-keyword"], \
        "only the rule that declares German reads the German chunk"
    assert en["unsupported_language"] is None and en["language"] == "en"
    assert [a.rule.id for a in result.decisions[2].alerts] == ["lang.election-score"]
    assert result.decisions[2].alerts[0].language == "en", "the alert carries the language used"
    assert result.decisions[0].alerts[0].language == "de"
    assert metrics.registry.get_sample_value("cct_unsupported_language_chunks_total", {"language": "de"}) == 3
    said = [r.getMessage() for r in caplog.records if "does not read" in r.getMessage()]
    assert len(said) == 1 and "de-show" in said[0], "the log says so once per broadcast"


def test_a_declared_language_routes_without_detection() -> None:
    metrics = Metrics(CollectorRegistry())
    classifier = RecordingClassifier()
    pipeline = Pipeline(PipelineSettings(), metrics, classifier=classifier, engine=build_engine([RULES]))
    result = pipeline.process([_record(0, broadcast_id="b", seq=0, text="vote fraud everywhere", language="pl")])
    record = result.decisions[0].to_record()
    assert (record["unsupported_language"], record["language_source"]) == ("pl", "chunk")
    assert classifier.texts == [] and result.decisions[0].alerts == []
