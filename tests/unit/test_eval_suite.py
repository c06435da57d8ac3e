"""The functional suite's schema and expectations, and the per-group rates the eval reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.eval.functional import CaseResult, Fired
from monitor.eval.suite import FunctionalCase, SuiteError, load_suite
from monitor.eval.report import hate_functionality_section, language_section
from monitor.eval.summary import classifier_level, stance_level, summarise

HARMFUL = {"id": "t-1", "category": "threat", "case_type": "plain", "polarity": "harmful", "speaker_role": "caller",
           "text": "I will hurt the mayor.", "expect": "alert", "min_severity": "medium"}
DEBUNK = {"id": "t-2", "category": "threat", "case_type": "debunk_quote", "polarity": "hard_negative",
          "speaker_role": "host", "text": "He did not threaten anyone.", "expect": "at_most_info"}
SPORT = {"id": "t-3", "category": "threat", "case_type": "figurative", "polarity": "hard_negative",
         "speaker_role": "commentator", "text": "They murdered them 4-0.", "expect": "no_alert"}


def write(tmp_path: Path, *rows: dict | str) -> Path:
    path = tmp_path / "suite.jsonl"
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_shipped_suite_loads_with_its_documented_size_and_balance() -> None:
    cases = load_suite()
    assert len(cases) >= 480
    share = sum(c.harmful for c in cases) / len(cases)
    assert 0.5 <= share <= 0.6
    assert {c.category for c in cases} == {"election", "health", "threat", "hate", "claim"}
    assert len({c.text for c in cases if not c.pair}) == sum(1 for c in cases if not c.pair)


def test_every_bad_line_is_reported_with_file_and_line(tmp_path: Path) -> None:
    bad_severity = {**HARMFUL, "id": "t-9", "min_severity": None}
    path = write(tmp_path, HARMFUL, "{not json", bad_severity, {**DEBUNK, "id": "t-1"}, {**SPORT, "case_type": "plain"})
    with pytest.raises(SuiteError) as err:
        load_suite(path)
    problems = err.value.problems
    assert problems[0].startswith(f"{path}:2: not JSON")
    assert problems[1].startswith(f"{path}:3: ") and "min_severity" in problems[1]
    assert problems[2] == f"{path}:4: duplicate id 't-1' (first at {path}:1)"
    assert problems[3].startswith(f"{path}:5: ") and "case_type 'plain'" in problems[3]
    assert len(problems) == 4


def test_a_context_pair_needs_two_cases_with_the_same_text_and_opposite_expectations(tmp_path: Path) -> None:
    ctx = [{"speaker_role": "host", "text": "A"}]
    first = {**HARMFUL, "case_type": "context_pair", "pair": "p", "context": ctx}
    twin = {**DEBUNK, "case_type": "context_pair", "pair": "p", "text": "something else"}
    with pytest.raises(SuiteError, match="pair 'p' must share its text"):
        load_suite(write(tmp_path, first, twin))
    twin["text"] = first["text"]
    assert len(load_suite(write(tmp_path, first, twin))) == 2


@pytest.mark.parametrize(("row", "severities", "ok"), [
    (HARMFUL, [], False), (HARMFUL, ["low"], False), (HARMFUL, ["info", "medium"], True), (HARMFUL, ["critical"], True),
    (DEBUNK, [], True), (DEBUNK, ["info"], True), (DEBUNK, ["low"], False),
    (SPORT, [], True), (SPORT, ["info"], False),
])
def test_expectations_judge_the_severities_raised(row: dict, severities: list[str], ok: bool) -> None:
    assert FunctionalCase.model_validate(row).satisfied_by(severities) is ok


def result(row: dict, *alerts: tuple[str, str], scores: dict[str, float] | None = None) -> CaseResult:
    return CaseResult(FunctionalCase.model_validate(row), scores or {}, [Fired(r, s) for r, s in alerts])


def test_summary_counts_hits_false_alarms_and_stance_negatives_above_info() -> None:
    results = [
        result(HARMFUL, ("threat-rule", "high")),
        result({**HARMFUL, "id": "t-4"}, ("threat-rule", "low")),
        result(DEBUNK, ("threat-rule", "high")),
        result(SPORT),
    ]
    s = summarise(results)
    assert s["overall"] == {"harmful": 2, "hits": 1, "recall": 0.5, "any_alert": 1.0, "shadow_only": 0,
                           "negatives": 2, "false_alarms": 1, "fp_rate": 0.5}
    assert s["by_case_type"]["debunk_quote"]["false_alarms"] == 1
    assert s["by_case_type"]["figurative"]["fp_rate"] == 0.0
    assert list(s["by_case_type"]) == ["plain", "debunk_quote", "figurative"]
    assert s["stance_above_info"] == {"cases": 1, "count": 1, "ids": ["t-2"]}
    assert [m["id"] for m in s["misses"]] == ["t-4"] and [f["id"] for f in s["false_alarms"]] == ["t-2"]


def test_classifier_level_uses_the_category_label_at_its_threshold() -> None:
    cases = [FunctionalCase.model_validate(r) for r in (HARMFUL, DEBUNK, SPORT)]
    level = classifier_level(cases, [{"threat": 0.9}, {"threat": 0.6}, {"threat": 0.1}], {"threat": 0.5})
    assert level["threat"] == {"label": "threat", "threshold": 0.5, "harmful": 1, "recall": 1.0, "negatives": 2,
                               "fp_rate": 0.5, "roc_auc": 1.0, "pairs_ordered": None}
    assert classifier_level(cases, [{}, {}, {}], {})["threat"]["missing"] is True


def test_context_pairs_count_as_ordered_when_the_harmful_side_scores_higher() -> None:
    ctx = ({"speaker_role": "host", "text": "A"},)
    rows = [{**HARMFUL, "id": f"h{i}", "case_type": "context_pair", "pair": f"p{i}", "context": ctx} for i in range(2)]
    rows += [{**DEBUNK, "id": f"n{i}", "case_type": "context_pair", "pair": f"p{i}", "text": HARMFUL["text"]} for i in range(2)]
    cases = [FunctionalCase.model_validate(r) for r in rows]
    level = classifier_level(cases, [{"threat": 0.9}, {"threat": 0.2}, {"threat": 0.3}, {"threat": 0.6}], {"threat": 0.5})
    assert level["threat"]["pairs_ordered"] == 0.5


GERMAN_THREAT = {**HARMFUL, "id": "de-t-1", "language": "de", "text": "Wir wissen, wo der Bürgermeister wohnt."}
GERMAN_DEBUNK = {**DEBUNK, "id": "de-t-2", "language": "de", "text": "Niemand hat ihn bedroht."}


def test_cases_declare_their_language_and_an_unknown_code_is_a_located_error(tmp_path: Path) -> None:
    assert FunctionalCase.model_validate(HARMFUL).language == "en"
    (tmp_path / "languages").mkdir()
    nested = tmp_path / "languages" / "de.jsonl"
    nested.write_text(json.dumps(GERMAN_THREAT) + "\n" + json.dumps({**GERMAN_DEBUNK, "language": "xx"}) + "\n",
                      encoding="utf-8")
    write(tmp_path, HARMFUL)
    with pytest.raises(SuiteError) as err:
        load_suite(tmp_path)
    assert err.value.problems == [f"{nested}:2: language: Value error, unknown language (ISO 639-1) 'xx'"]
    nested.write_text(json.dumps(GERMAN_THREAT) + "\n", encoding="utf-8")
    assert [(c.id, c.language) for c in load_suite(tmp_path)] == [("de-t-1", "de"), ("t-1", "en")]


def test_shipped_suite_has_at_least_30_balanced_cases_in_each_of_eight_eu_languages() -> None:
    cases = load_suite()
    for language in ("de", "fr", "es", "it", "pl", "nl", "pt", "ro"):
        mine = [c for c in cases if c.language == language]
        harmful = sum(c.harmful for c in mine)
        assert len(mine) >= 30 and 0.4 <= harmful / len(mine) <= 0.6, (language, len(mine), harmful)
        assert {c.category for c in mine} == {"election", "health", "threat", "hate", "claim"}
        assert {"counter_speech", "debunk_quote", "negation"} <= {c.case_type for c in mine}


def test_each_language_gets_a_row_with_its_unscored_cases_and_the_breakdowns_stay_english() -> None:
    results = [
        result(HARMFUL, ("threat-rule", "high")),
        result(DEBUNK),
        CaseResult(FunctionalCase.model_validate(GERMAN_THREAT), {}, [], unsupported_language="de"),
        CaseResult(FunctionalCase.model_validate(GERMAN_DEBUNK), {}, [Fired("de-keyword-rule", "high")],
                   unsupported_language="de"),
    ]
    s = summarise(results)
    assert s["overall"]["harmful"] == 1 and s["overall"]["recall"] == 1.0 and s["overall"]["fp_rate"] == 0.0
    assert s["breakdown_language"] == "en" and s["stance_above_info"]["count"] == 0
    assert list(s["by_language"]) == ["en", "de", "all"]
    de = s["by_language"]["de"]
    assert (de["cases"], de["hits"], de["recall"], de["false_alarms"], de["fp_rate"]) == (2, 0, 0.0, 1, 1.0)
    assert (de["unsupported_language"], de["unsupported_as"]) == (2, ["de"])
    assert de["stance_above_info"] == {"cases": 1, "count": 1, "ids": ["de-t-2"]}
    assert s["by_language"]["en"]["unsupported_language"] == 0
    assert s["by_language"]["all"]["cases"] == 4 and s["by_language"]["all"]["recall"] == 0.5
    assert {m["id"]: m["unsupported_language"] for m in s["misses"]} == {"de-t-1": "de"}
    table = language_section([{"name": "m", "functional": s}])
    assert "| de | 2 (1 harmful) | 0.00 (0/1) | 1.00 (1/1) | 1/1 | 2/2 |" in table
    assert "| en | 2 (1 harmful) | 1.00 (1/1) | 0.00 (0/1) | 0/1 | 0/2 |" in table
    misread = summarise([CaseResult(FunctionalCase.model_validate(HARMFUL), {}, [], unsupported_language="de")])
    assert "| en | 1 (1 harmful) | 0.00 (0/1) | – | 0/0 | 1/1 (as de) |" in language_section([{"name": "m", "functional": misread}])


def test_stance_level_separates_harmful_cases_from_framed_ones_at_the_rules_cuts() -> None:
    report = {**DEBUNK, "id": "t-5", "case_type": "reporting"}
    cases = [FunctionalCase.model_validate(r) for r in (HARMFUL, {**HARMFUL, "id": "t-4"}, DEBUNK, report, SPORT)]
    scores = [{"stance_assert": s} for s in (0.9, 0.6, 0.7, 0.1, 0.99)]
    level = stance_level(cases, scores)
    assert level["harmful"] == 2 and level["framed"] == 2  # the figurative case is neither
    assert level["roc_auc"] == 0.75
    assert level["harmful_at_0.5"] == 1.0 and level["harmful_at_0.75"] == 0.5
    assert level["framed_at_0.5"] == 0.5 and level["framed_at_0.75"] == 0.0
    assert level["by_category"]["threat"]["roc_auc"] == 0.75
    assert stance_level(cases, [{"threat": 0.5}] * 5)["missing"] is True


def test_hate_cases_get_hatecheck_style_accuracy_per_functionality_in_the_report() -> None:
    hate = {**HARMFUL, "id": "h-1", "category": "hate", "min_severity": "low", "text": "They are vermin."}
    counter = {**DEBUNK, "id": "h-2", "category": "hate", "case_type": "counter_speech", "text": "Calling them vermin is vile."}
    results = [result(hate, ("hate-rule", "medium")), result({**hate, "id": "h-3"}),
               result(counter), result({**counter, "id": "h-4"}, ("hate-rule", "high")), result(HARMFUL)]
    table = summarise(results)["hate_functionalities"]
    assert table == {"all": {"cases": 4, "ok": 2, "accuracy": 0.5}, "plain": {"cases": 2, "ok": 1, "accuracy": 0.5},
                     "counter_speech": {"cases": 2, "ok": 1, "accuracy": 0.5}}
    lines = hate_functionality_section([{"name": "current", "functional": {"hate_functionalities": table}}])
    assert "| **all** | 0.50 (2/4) |" in lines and "| counter_speech | 0.50 (1/2) |" in lines
