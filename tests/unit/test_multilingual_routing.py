"""Routing chunks by language between the English classifier and the multilingual engine (issue 15 §2)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.contracts import TranscriptChunk
from monitor.metrics import Metrics
from monitor.multilingual.routing import (MultilingualUnavailable, RoutedClassifier, multilingual_classifier,
                                          with_multilingual)
from monitor.pipeline import Pipeline
from monitor.rules_engine.stage import build_engine
from monitor.settings import ClassifierSettings, PipelineSettings
from monitor.stages import ModelInfo, SourceRecord, WorkItem

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "rules" / "languages.yaml"


class Recording:
    """A classifier over fixed scores that records which texts it was asked to score."""

    def __init__(self, name: str, languages: tuple[str, ...], election: float, labels=("election",)) -> None:
        self.info = ModelInfo(name, name[0] * 64, labels, languages=languages)
        self.scorer = None
        self.election = election
        self.texts: list[str] = []

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        self.texts.extend(item.chunk.text for item in items)
        return [{"election": self.election} for _ in items]

    def score_texts(self, texts, contexts=None):
        return [{"election": self.election} for _ in texts]

    def metrics_info(self) -> dict[str, str]:
        return {"name": self.info.name}


def _item(text: str, language: str | None, declared: str | None = None) -> WorkItem:
    chunk = TranscriptChunk.model_validate({"broadcast_id": "b", "seq": 0, "text": text, "language": declared})
    return WorkItem(chunk=chunk, record=SourceRecord("t", 0, 0, None, b""), language=language)


def test_each_item_is_scored_once_by_its_languages_classifier_in_order() -> None:
    english, multi = Recording("english", ("en",), 0.1), Recording("multi", ("de", "fr"), 0.9)
    routed = RoutedClassifier(english, multi)
    items = [_item("hallo", "de"), _item("hello", "en"), _item("bonjour", "fr"), _item("huh", None), _item("tere", "et")]
    scores = routed.score(items)
    assert [s["election"] for s in scores] == [0.9, 0.1, 0.9, 0.1, 0.1]
    assert multi.texts == ["hallo", "bonjour"] and english.texts == ["hello", "huh", "tere"]
    assert [routed.model_for(i).name for i in items] == ["multi", "english", "multi", "english", "english"]
    assert routed.info.languages == ("en", "de", "fr"), "the supported set is both models' languages"
    assert routed.score_texts(["no language"]) == [{"election": 0.1}], "plain texts go to the English model"


def test_a_declared_language_routes_an_item_the_language_router_has_not_seen() -> None:
    english, multi = Recording("english", ("en",), 0.1), Recording("multi", ("de",), 0.9)
    routed = RoutedClassifier(english, multi)
    assert routed.score([_item("Wahlbetrug", None, declared="de"), _item("fraud", None, declared="en")]) == [
        {"election": 0.9}, {"election": 0.1}], "inline rule tests declare their language in the chunk"


def test_heads_for_different_labels_are_refused() -> None:
    with pytest.raises(ValueError, match="same labels"):
        RoutedClassifier(Recording("english", ("en",), 0.1), Recording("multi", ("de",), 0.9, labels=("hate",)))


def test_a_stance_head_only_one_engine_has_is_allowed() -> None:
    routed = RoutedClassifier(Recording("english", ("en",), 0.1, labels=("election", "stance_assert")),
                              Recording("multi", ("de",), 0.9))
    assert routed.info.labels == ("election", "stance_assert")


def test_auto_without_an_engine_keeps_the_english_classifier_and_on_refuses(tmp_path: Path) -> None:
    english = Recording("english", ("en",), 0.1)
    missing = {"multilingual_onnx_dir": tmp_path / "none", "multilingual_models_dir": tmp_path / "none"}
    assert with_multilingual(english, ClassifierSettings(multilingual="auto", **missing)) is english
    assert multilingual_classifier(ClassifierSettings(multilingual="off")) is None
    with pytest.raises(MultilingualUnavailable, match="no ONNX encoder|manifest"):
        multilingual_classifier(ClassifierSettings(multilingual="on", **missing))


def test_decisions_and_alerts_carry_the_model_that_scored_their_chunk() -> None:
    english, multi = Recording("english", ("en",), 0.9), Recording("multi", ("de",), 0.9)
    routed = RoutedClassifier(english, multi)
    pipeline = Pipeline(PipelineSettings(), Metrics(CollectorRegistry()), classifier=routed, engine=build_engine([RULES]))

    def rec(offset: int, **chunk: object) -> SourceRecord:
        return SourceRecord("t", 0, offset, None, json.dumps(chunk).encode())

    result = pipeline.process([
        rec(0, broadcast_id="de", seq=0, language="de", text="die Briefwahl wurde heimlich verschoben"),
        rec(1, broadcast_id="en", seq=0, language="en", text="they moved the postal vote in secret"),
        rec(2, broadcast_id="de", seq=1, language="de", text="und niemand hat es gemerkt"),
    ])
    records = {(r["broadcast_id"], r["seq"]): r for r in (d.to_record() for d in result.decisions)}
    assert {k: (r["language"], r["model"]["name"]) for k, r in records.items()} == {
        ("de", 0): ("de", "multi"), ("de", 1): ("de", "multi"), ("en", 0): ("en", "english")}
    assert all(r["unsupported_language"] is None and r["scores"] == {"election": 0.9} for r in records.values())
    alerts = [a for d in result.decisions for a in d.alerts]
    assert {(a.language, a.model.name) for a in alerts} == {("de", "multi"), ("en", "english")}
