"""Public-split sampling and metrics, the golden-file comparison and the case-as-broadcast records."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from monitor.classify.corpora import CorpusExample
from monitor.contracts import decode_chunk
from monitor.eval.broadcast import case_broadcast
from monitor.eval.golden import differences, read_golden, write_golden
from monitor.eval.public import available_sources, capped, public_metrics, public_test_rows
from monitor.eval.suite import FunctionalCase

FIXTURE_DATA = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"


def example(text: str, source: str = "s", **labels: int) -> CorpusExample:
    return CorpusExample(text=text, labels=dict(labels), group=text, source=source, licence="test")


def test_cap_takes_the_same_rows_whatever_the_input_order() -> None:
    rows = [example(f"text {i}", "a", hate=i % 2) for i in range(30)] + [example("only b", "b", hate=1)]
    first = capped(rows, 10)
    assert [e.text for e in capped(list(reversed(rows)), 10) if e.source == "a"] == [e.text for e in first if e.source == "a"]
    assert sum(e.source == "a" for e in first) == 10 and sum(e.source == "b" for e in first) == 1
    assert capped(rows, 0) == rows


def test_public_test_rows_come_only_from_the_test_split_of_sources_present() -> None:
    present, missing = available_sources(FIXTURE_DATA)
    assert set(present) == {"clef2019", "davidson", "yu2022-reddit"} and "conan" in missing
    rows = public_test_rows(FIXTURE_DATA, 0)
    assert rows and all(e.split == "test" for e in rows)


def test_public_metrics_per_source_and_task_at_the_threshold() -> None:
    rows = [example("a", hate=1), example("b", hate=0), example("c", hate=1), example("d", hate=0),
            example("e", "single", hate=1)]
    scores = [{"hate": 0.9}, {"hate": 0.6}, {"hate": 0.4}, {"hate": 0.1}, {"hate": 0.8}]
    by_source = {r["source"]: r for r in public_metrics(rows, scores, {"hate": 0.5})}
    s = by_source["s"]
    assert (s["n"], s["positives"], s["roc_auc"], s["precision"], s["recall"], s["f1"]) == (4, 2, 0.75, 0.5, 0.5, 0.5)
    assert s["pr_auc"] == pytest.approx(0.8333, abs=1e-4)
    assert by_source["single"]["roc_auc"] is None and by_source["single"]["recall"] == 1.0
    assert s["flagged"] == 0.5 and by_source["single"]["flagged"] == 1.0
    assert public_metrics(rows, scores, {"threat": 0.5}) == []


GOLDEN = {"tolerance": 0.02, "model": {"name": "m", "sha256": "x"}, "rules_sha256": "r", "cases": {
    "c-1": {"ok": True, "alerts": [["rule-a", "high"]], "scores": {"hate": 0.8, "threat": 0.1}},
    "c-2": {"ok": True, "alerts": [], "scores": {"hate": 0.05, "threat": 0.0}},
}}


def test_golden_accepts_score_noise_within_tolerance_and_nothing_else() -> None:
    same = json.loads(json.dumps(GOLDEN))
    same["cases"]["c-1"]["scores"]["hate"] = 0.815
    assert differences(GOLDEN, same) == []
    moved = json.loads(json.dumps(GOLDEN))
    moved["cases"]["c-1"]["scores"]["hate"] = 0.75
    moved["cases"]["c-2"] = {"ok": False, "alerts": [["rule-b", "low"]], "scores": {"hate": 0.05, "threat": 0.0, "stance_quote": 0.2}}
    moved["cases"]["c-3"] = moved["cases"]["c-2"]
    assert differences(GOLDEN, moved) == [
        "c-3: in the regression subset but not in the golden file",
        "c-1: hate 0.8000 -> 0.7500 (tolerance 0.02)",
        "c-2: alerts [] -> [['rule-b', 'low']]",
        "c-2: expectation met -> failed",
        "c-2: label 'stance_quote' added",
    ]


def test_golden_records_language_routing_and_a_change_of_it_is_a_difference() -> None:
    routed = json.loads(json.dumps(GOLDEN))
    routed["cases"]["c-2"] = {"ok": True, "alerts": [], "scores": {}, "unsupported_language": "de"}
    scored = json.loads(json.dumps(routed))
    del scored["cases"]["c-2"]["unsupported_language"]
    scored["cases"]["c-2"]["scores"] = {"hate": 0.05}
    assert differences(routed, scored) == ["c-2: unsupported_language de -> None", "c-2: label 'hate' added"]


def test_golden_file_round_trips_one_line_per_case(tmp_path: Path) -> None:
    path = tmp_path / "golden.json"
    write_golden(GOLDEN, path)
    assert read_golden(path) == GOLDEN
    assert sum('"c-' in line for line in path.read_text().splitlines()) == 2
    with pytest.raises(FileNotFoundError, match="--update-golden"):
        read_golden(tmp_path / "absent.json")


def test_a_case_becomes_its_context_turns_then_its_own_chunk() -> None:
    case = FunctionalCase.model_validate({
        "id": "x-1", "category": "threat", "case_type": "context_pair", "polarity": "harmful", "speaker_role": "caller",
        "context": [{"speaker_role": "host", "text": "The judge ruled today."}], "text": "We know where he lives.",
        "expect": "alert", "min_severity": "medium", "pair": "p"})
    b = case_broadcast(case, 100, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    chunks = [decode_chunk(r.value, 65536) for r in b.records]
    assert [(c.seq, c.text, c.speaker.role) for c in chunks] == [(0, "The judge ruled today.", "host"),
                                                                  (1, "We know where he lives.", "caller")]
    assert b.case_seq == 1 and [r.offset for r in b.records] == [100, 101]
    assert {c.broadcast_id for c in chunks} == {"eval-x-1"} and chunks[0].end_ms < chunks[1].start_ms
    assert chunks[1].audience is not None and chunks[1].territories and chunks[1].language == "en"
    german = case_broadcast(case.model_copy(update={"language": "de"}), 0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    assert {decode_chunk(r.value, 65536).language for r in german.records} == {"de"}
    undeclared = case_broadcast(case.model_copy(update={"language": "de"}), 0, dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                                declare_language=False)
    assert {decode_chunk(r.value, 65536).language for r in undeclared.records} == {None}
