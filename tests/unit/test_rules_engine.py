"""Rule engine: every condition type, windows, exceptions, cooldown folding, escalation, shadow mode, determinism."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from monitor.alert import make_alert_id
from monitor.channels.render import console_text
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.leaves import LEAF_TYPES
from monitor.rules_engine.metrics import rule_metrics
from monitor.stages import ModelInfo
from rules_helpers import engine_for, fired, item, ruleset, write_set

LISTS = {
    "rigged": ["rigged", "stolen election", "fraud*"],
    "debunk": ["is false", "no evidence"],
}


def one(tmp_path: Path, when: dict, **rule) -> RuleEngine:
    return engine_for(tmp_path, {"when": when, **rule}, keyword_lists=LISTS)


@pytest.mark.parametrize(
    ("op", "threshold", "score", "expected"),
    [("gte", 0.8, 0.8, True), ("gte", 0.8, 0.79, False), ("gt", 0.8, 0.8, False), ("gt", 0.8, 0.81, True),
     ("lte", 0.2, 0.2, True), ("lte", 0.2, 0.3, False), ("lt", 0.2, 0.19, True), ("lt", 0.2, 0.2, False)],
)
def test_label_leaf_compares_the_score(tmp_path: Path, op: str, threshold: float, score: float, expected: bool) -> None:
    engine = one(tmp_path, {"label": "election", op: threshold})
    assert fired(engine, item("x", scores={"election": score})) == [["r-test"] if expected else []]


def test_label_leaf_without_a_score_never_matches(tmp_path: Path) -> None:
    engine = one(tmp_path, {"label": "election", "lte": 0.5})
    assert fired(engine, item("x")) == [[]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The vote is RIGGED!", True),           # case-insensitive
        ("a stolen   election, they say", True),  # multi-word, whitespace-insensitive
        ("fraudulent ballots", True),            # prefix term 'fraud*'
        ("Fräud everywhere", True),              # accent-insensitive
        ("they rigged-up a stage", True),        # punctuation separates words
        ("a well-rigging sailor", False),        # whole words only: 'rigging' is not 'rigged'
        ("the election was stolen", False),      # word order matters for phrases
        ("defraud", False),                      # prefix matches word starts only
    ],
)
def test_keyword_leaf_matches_whole_words(tmp_path: Path, text: str, expected: bool) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}})
    assert fired(engine, item(text)) == [["r-test"] if expected else []]


def test_keyword_context_scope_reads_the_preceding_chunks(tmp_path: Path) -> None:
    chunk_only = one(tmp_path / "a", {"keywords": {"list": "rigged"}})
    with_context = one(tmp_path / "b", {"keywords": {"list": "rigged", "scope": "context"}})
    it = item("and they did it again", context=["the count was rigged"])
    assert fired(chunk_only, it) == [[]]
    assert fired(with_context, it) == [["r-test"]]


def test_regex_leaf_is_case_and_accent_insensitive_and_reports_the_match(tmp_path: Path) -> None:
    engine = one(tmp_path, {"regex": {"pattern": r"\bvote\s+by\s+(text|sms)\b"}})
    decisions = engine.evaluate([item("You can VOTE by téxt now", 0), item("vote by post", 1)], None)
    assert [len(d.firings) for d in decisions] == [1, 0]
    assert decisions[0].firings[0]["matched"] == [
        {"regex": r"\bvote\s+by\s+(text|sms)\b", "scope": "chunk", "match": "VOTE by text", "matched": True}
    ]


def test_case_sensitive_regex(tmp_path: Path) -> None:
    engine = one(tmp_path, {"regex": {"pattern": "NATO", "case_sensitive": True}})
    assert fired(engine, item("NATO summit", 0), item("nato summit", 1)) == [["r-test"], []]


@pytest.mark.parametrize(
    ("when", "fields", "expected"),
    [
        ({"field": "speaker.role", "eq": "guest"}, {"speaker": {"role": "guest"}}, True),
        ({"field": "speaker.role", "eq": "guest"}, {"speaker": {"role": "host"}}, False),
        ({"field": "speaker.role", "eq": "guest"}, {}, False),
        ({"field": "speaker.role", "in": ["guest", "caller"]}, {"speaker": {"role": "caller"}}, True),
        ({"field": "language", "in": ["de", "fr"]}, {"language": "en"}, False),
        ({"field": "audience.listeners", "gte": 100000}, {"audience": {"listeners": 100000}}, True),
        ({"field": "audience.listeners", "gte": 100000}, {"audience": {"listeners": 99999}}, False),
        ({"field": "audience.listeners", "lte": 10}, {"audience": {"listeners": 5}}, True),
        ({"field": "territories", "contains": "DE"}, {"territories": ["FR", "DE"]}, True),
        ({"field": "territories", "contains": "DE"}, {"territories": ["FR"]}, False),
        ({"field": "territories", "in": ["DE", "AT"]}, {"territories": ["FR", "AT"]}, True),
        ({"field": "title", "contains": "debate"}, {"title": "Town hall DEBATE"}, True),
        ({"field": "speaker.id", "exists": True}, {"speaker": {"id": "u1"}}, True),
        ({"field": "speaker.id", "exists": False}, {}, True),
    ],
)
def test_field_predicates(tmp_path: Path, when: dict, fields: dict, expected: bool) -> None:
    engine = one(tmp_path, when)
    assert fired(engine, item("x", **fields)) == [["r-test"] if expected else []]


def test_all_any_not_tree(tmp_path: Path) -> None:
    engine = one(tmp_path, {"all": [
        {"keywords": {"list": "rigged"}},
        {"any": [{"label": "election", "gte": 0.5}, {"field": "speaker.role", "eq": "candidate"}]},
        {"not": {"keywords": {"list": "debunk"}}},
    ]})
    results = fired(
        engine,
        item("it is rigged", 0, scores={"election": 0.9}),
        item("it is rigged", 1, broadcast="b2", scores={"election": 0.1}, speaker={"role": "candidate"}),
        item("it is rigged", 2, broadcast="b3", scores={"election": 0.1}),
        item("that it is rigged is false", 3, broadcast="b4", scores={"election": 0.9}),
    )
    assert results == [["r-test"], ["r-test"], [], []]


def test_firing_explains_matched_leaves_with_values(tmp_path: Path) -> None:
    engine = one(tmp_path, {"all": [{"keywords": {"list": "rigged"}}, {"label": "election", "gte": 0.5},
                                    {"not": {"keywords": {"list": "debunk"}}}]})
    [decision] = engine.evaluate([item("a stolen election", scores={"election": 0.75})], None)
    matched = decision.firings[0]["matched"]
    assert matched[0] == {"keywords": "rigged", "scope": "chunk", "terms": ["stolen election"], "matched": True}
    assert matched[1] == {"label": "election", "gte": 0.5, "score": 0.75, "matched": True}
    assert matched[2]["matched"] is True and matched[2]["not"]["keywords"] == "debunk"
    assert decision.alerts[0].thresholds == {"election": 0.5}


def test_exception_suppresses_and_is_recorded(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    unless = [{"reason": "debunking", "when": {"keywords": {"list": "debunk"}}},
              {"reason": "host", "when": {"field": "speaker.role", "eq": "host"}}]
    engine = engine_for(tmp_path, {"unless": unless}, keyword_lists=LISTS, metrics=rule_metrics(registry))
    decisions = engine.evaluate([item("the claim it was rigged is false", 0), item("it was rigged", 1)], None)
    assert decisions[0].firings == []
    assert decisions[1].firings[0]["exceptions"] == [{"reason": "debunking", "matched": False},
                                                     {"reason": "host", "matched": False}]
    assert registry.get_sample_value("cct_rule_suppressed_total", {"rule": "r-test"}) == 1.0


def test_window_needs_count_matches_within_seconds(tmp_path: Path) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}}, window={"count": 3, "seconds": 60})
    items = [item("rigged", 0, end_ms=0), item("rigged", 1, end_ms=10_000), item("hello", 2, end_ms=20_000),
             item("rigged", 3, end_ms=30_000)]
    decisions = engine.evaluate(items, None)
    assert [len(d.firings) for d in decisions] == [0, 0, 0, 1]
    assert decisions[3].firings[0]["window"]["seqs"] == [0, 1, 3]
    assert decisions[3].alerts[0].seqs == [0, 1, 3]
    assert decisions[3].alerts[0].evidence == "rigged … rigged … rigged"


def test_window_expires_old_matches(tmp_path: Path) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 60})
    items = [item("rigged", 0, end_ms=0), item("rigged", 1, end_ms=61_000), item("rigged", 2, end_ms=90_000)]
    assert fired(engine, *items) == [[], [], ["r-test"]]


def test_window_per_speaker_and_per_broadcast(tmp_path: Path) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 600, "per_speaker": True})
    results = fired(
        engine,
        item("rigged", 0, speaker={"id": "a"}),
        item("rigged", 1, speaker={"id": "b"}),
        item("rigged", 0, broadcast="other", speaker={"id": "a"}),
        item("rigged", 2, speaker={"id": "a"}),
    )
    assert results == [[], [], [], ["r-test"]]


def test_cooldown_folds_repeats_into_the_open_alert(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    engine = engine_for(tmp_path, {"cooldown": 60}, keyword_lists=LISTS, metrics=rule_metrics(registry))
    items = [item("rigged", 0, end_ms=0), item("rigged", 1, end_ms=30_000), item("rigged", 2, end_ms=85_000),
             item("rigged", 3, end_ms=200_000)]
    decisions = engine.evaluate(items, None)
    alerts = [d.alerts[0] for d in decisions]
    first_id = make_alert_id("r-test", "1.0.0", "b1", [0])
    assert [a.alert_id for a in alerts[:3]] == [first_id] * 3
    assert [a.count for a in alerts] == [1, 2, 3, 1]
    assert alerts[1].seqs == [0] and alerts[1].model_extra["folded"] is True
    assert alerts[2].model_extra["last_seqs"] == [2] and alerts[2].model_extra["last_evidence"] == "rigged"
    assert alerts[3].alert_id == make_alert_id("r-test", "1.0.0", "b1", [3])
    assert "folded" not in alerts[3].model_extra
    assert [d.firings[0]["outcome"] for d in decisions] == ["alert", "folded", "folded", "alert"]
    assert registry.get_sample_value("cct_rule_folded_total", {"rule": "r-test"}) == 2.0


def test_a_fold_keeps_the_opening_speaker_and_names_the_new_one(tmp_path: Path) -> None:
    """A repeat by someone else folds into the open alert without re-attributing the opening evidence."""
    engine = engine_for(tmp_path, {"cooldown": 60}, keyword_lists=LISTS)
    guest = {"id": "g1", "name": "Guest", "role": "guest"}
    caller = {"id": "c7", "name": "Caller", "role": "caller"}
    decisions = engine.evaluate([item("rigged", 0, end_ms=0, speaker=guest),
                                 item("rigged", 1, end_ms=30_000, speaker=caller)], None)
    opening, fold = (d.alerts[0] for d in decisions)
    assert opening.speaker == guest and fold.speaker == guest
    assert fold.model_extra["last_speaker"] == caller
    text = console_text(fold)
    assert "  speaker   Guest (guest)" in text.splitlines()
    assert "by Caller (caller) (seq 1)" in text


def test_without_cooldown_every_firing_is_a_new_alert(tmp_path: Path) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}})
    decisions = engine.evaluate([item("rigged", 0), item("rigged", 1)], None)
    assert decisions[0].alerts[0].alert_id != decisions[1].alerts[0].alert_id


def test_escalation_raises_severity_and_clamps(tmp_path: Path) -> None:
    escalate = [{"when": {"field": "audience.listeners", "gte": 100000}, "levels": 1, "reason": "reach"},
                {"when": {"field": "speaker.role", "eq": "candidate"}, "levels": 4, "reason": "candidate"}]
    engine = engine_for(tmp_path, {"escalate": escalate}, keyword_lists=LISTS)
    decisions = engine.evaluate([
        item("rigged", 0, audience={"listeners": 10}),
        item("rigged", 0, broadcast="b2", audience={"listeners": 150000}),
        item("rigged", 0, broadcast="b3", audience={"listeners": 150000}, speaker={"role": "candidate"}),
    ], None)
    assert [d.alerts[0].rule.severity for d in decisions] == ["medium", "high", "critical"]
    assert decisions[1].firings[0]["escalations"] == [
        {"reason": "reach", "levels": 1, "matched": True}, {"reason": "candidate", "levels": 4, "matched": False}]


def test_shadow_rules_fire_but_never_alert(tmp_path: Path) -> None:
    registry = CollectorRegistry()
    engine = engine_for(tmp_path, {"mode": "shadow"}, keyword_lists=LISTS, metrics=rule_metrics(registry))
    [decision] = engine.evaluate([item("rigged")], None)
    assert decision.alerts == []
    assert decision.firings[0]["outcome"] == "shadow"
    labels = {"rule": "r-test", "severity": "medium", "mode": "shadow",
              "category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"}
    assert registry.get_sample_value("cct_rule_firings_total", labels) == 1.0
    assert registry.get_sample_value("cct_rule_evaluations_total", {"rule": "r-test", "mode": "shadow"}) == 1.0


def test_deprecated_rules_are_not_evaluated(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, {"status": "deprecated"}, keyword_lists=LISTS)
    assert fired(engine, item("rigged")) == [[]]


def test_alert_carries_the_contract_fields(tmp_path: Path) -> None:
    actions = {"channels": ["elections-desk"], "page_art18": False,
               "decision_visibility": "DECISION_VISIBILITY_CONTENT_LABELLED"}
    engine = engine_for(tmp_path, {"actions": actions}, keyword_lists=LISTS, clock=lambda: 1_795_000_010.0)
    chunk_ts = dt.datetime.fromtimestamp(1_795_000_009.5, dt.UTC).isoformat()
    it = item("it is rigged", 4, speaker={"id": "u1", "name": "Ann", "role": "guest"}, start_ms=100, end_ms=900,
              ts=chunk_ts, audience={"listeners": 5}, language="en", territories=["DE"], scores={"election": 0.4})
    model = ModelInfo("enc+heads", "abc123", ("election",))
    [decision] = engine.evaluate([it], model)
    alert = decision.alerts[0]
    assert alert.alert_id == make_alert_id("r-test", "1.0.0", "b1", [4])
    assert alert.rule.id == "r-test" and alert.rule.sha256 == engine.rules[0].sha256
    assert alert.rule.ruleset == "test-set"
    assert alert.dsa.category == "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    assert alert.evidence == "it is rigged" and alert.seqs == [4]
    assert (alert.start_ms, alert.end_ms) == (100, 900)
    assert alert.speaker == {"id": "u1", "name": "Ann", "role": "guest"}
    assert alert.scores == {"election": 0.4}
    assert alert.model is not None and alert.model.sha256 == "abc123"
    assert alert.latency_ms == pytest.approx(500.0)
    assert alert.audience == {"listeners": 5} and alert.language == "en" and alert.territories == ["DE"]
    assert alert.actions == actions
    assert alert.detected_at.endswith("Z")
    assert decision.ruleset == {"sha256": engine.sha256,
                                "sets": [{"id": "test-set", "version": "1.0.0", "sha256": engine.sets[0].sha256}]}
    assert decision.firings[0]["sha256"] == engine.rules[0].sha256


def test_engine_from_settings_implements_the_stage_protocol(tmp_path: Path) -> None:
    from monitor.metrics import Metrics
    from monitor.rules_engine.stage import engine_from_settings
    from monitor.settings import RulesSettings
    from monitor.stages import RuleEngine as RuleEngineProtocol

    write_set(tmp_path / "rules", ruleset())
    metrics = Metrics(CollectorRegistry())
    engine = engine_from_settings(RulesSettings(paths=[tmp_path / "rules"]), metrics)
    assert isinstance(engine, RuleEngineProtocol)
    assert engine.info["sets"] == [{"id": "test-set", "version": "1.0.0", "sha256": engine.sets[0].sha256}]
    assert [r["id"] for r in engine.info["rules"]] == ["r-test"]
    sample = metrics.registry.get_sample_value
    assert sample("cct_rules_reload_success") == 1.0
    assert sample("cct_ruleset_info", {"ruleset": "test-set", "version": "1.0.0", "sha256": engine.sets[0].sha256}) == 1.0
    assert sample("cct_rules_loaded", {"mode": "enforce"}) == 1.0


def test_evaluation_is_deterministic(tmp_path: Path) -> None:
    def run() -> list:
        engine = one(tmp_path, {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 60}, cooldown=30)
        items = [item(t, i, end_ms=i * 4000) for i, t in enumerate(["rigged", "x", "fraud", "rigged", "rigged"])]
        return [(d.firings, [a.alert_id for a in d.alerts]) for d in engine.evaluate(items, None)]

    assert run() == run()


def test_adopt_state_keeps_windows_of_unchanged_rules(tmp_path: Path) -> None:
    old = one(tmp_path / "a", {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 600})
    same = one(tmp_path / "b", {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 600})
    changed = one(tmp_path / "c", {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 601})
    assert fired(old, item("rigged", 0)) == [[]]
    same.adopt_state(old)
    changed.adopt_state(old)
    assert fired(same, item("rigged", 1)) == [["r-test"]]
    assert fired(changed, item("rigged", 1)) == [[]]


def test_explain_traces_every_rule_without_state(tmp_path: Path) -> None:
    engine = one(tmp_path, {"keywords": {"list": "rigged"}}, window={"count": 2, "seconds": 60},
                 unless=[{"reason": "debunking", "when": {"keywords": {"list": "debunk"}}}])
    [entry] = engine.explain(item("it was rigged"))
    assert entry["when"] == {"keywords": "rigged", "scope": "chunk", "terms": ["rigged"], "matched": True}
    assert entry["unless"][0]["reason"] == "debunking" and entry["unless"][0]["matched"] is False
    assert fired(engine, item("it was rigged")) == [[]]


def test_rule_set_is_inactive_outside_its_effective_period_but_its_tests_run(tmp_path: Path) -> None:
    from monitor.rules_engine.loader import load_or_raise
    from monitor.rules_engine.testing import run_rule_tests

    data = ruleset()
    data["effective_from"] = dt.date(2099, 1, 1)
    write_set(tmp_path / "rules", data)
    sets = load_or_raise([tmp_path / "rules"])
    assert fired(RuleEngine(sets), item("rigged", ts="2026-11-26T19:00:00Z"), item("rigged", 1)) == [[], []]
    report = run_rule_tests(sets)
    assert report.passed == 2 and not report.failed


def test_one_engine_follows_the_effective_period_day_by_day_within_a_batch(tmp_path: Path) -> None:
    from monitor.rules_engine.loader import load_or_raise

    data = ruleset()
    data["effective_from"], data["effective_until"] = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
    write_set(tmp_path / "rules", data)
    engine = RuleEngine(load_or_raise([tmp_path / "rules"]))
    days = ["2025-12-31", "2026-03-01", "2026-07-01", "2026-06-30", "2025-12-31"]
    assert fired(engine, *(item("rigged", i, broadcast=f"b{i}", ts=f"{day}T20:00:00Z") for i, day in enumerate(days))) == [
        [], ["r-test"], [], ["r-test"], []]


MULTILINGUAL = {"betrug": {"en": ["rigged"], "de": ["wahlbetrug", "gefälscht*"]}, "plain": ["stolen"]}


def test_a_per_language_list_matches_each_chunk_against_its_own_languages_terms(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, {"when": {"keywords": {"list": "betrug"}}, "languages": ["de", "en"]},
                        keyword_lists=MULTILINGUAL)
    detected = item("alles gefälscht, sag ich", 4, broadcast="b5")
    detected.language = "de"  # identified for its broadcast window, not declared on the chunk
    assert fired(engine,
                 item("Das war Wahlbetrug", 0, language="de"),
                 item("the vote was rigged", 1, broadcast="b2", language="de"),
                 item("the vote was rigged", 2, broadcast="b3", language="en"),
                 item("das war Wahlbetrug", 3, broadcast="b4", language="en"),
                 detected) == [["r-test"], [], ["r-test"], [], ["r-test"]]


def test_an_undetermined_chunk_is_matched_in_every_language_and_the_trace_names_the_language(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, {"when": {"keywords": {"list": "betrug"}}}, keyword_lists=MULTILINGUAL)
    undetermined, german, english = engine.evaluate(
        [item("wahlbetrug!", 0), item("wahlbetrug!", 1, broadcast="b2", language="de"),
         item("wahlbetrug!", 2, broadcast="b3", language="en")], None)
    assert undetermined.firings[0]["matched"] == [
        {"keywords": "betrug", "scope": "chunk", "terms": ["wahlbetrug"], "matched": True, "language": "any"}]
    assert german.firings[0]["matched"][0]["language"] == "de" and english.firings == []
    [entry] = engine.explain(item("gefälschte Stimmen", 3, broadcast="b4", language="de"))
    assert LEAF_TYPES["keywords"].explain(entry["when"]) == "keywords betrug [chunk, de]  (found: 'gefälscht*')"
    assert LEAF_TYPES["keywords"].describe(entry["when"]) == "keywords 'betrug' (de) in chunk: gefälscht*"


def test_a_plain_list_is_english_so_it_does_not_match_a_chunk_in_another_language(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, {"when": {"keywords": {"list": "plain"}}}, keyword_lists=MULTILINGUAL)
    assert fired(engine, item("stolen", 0, language="en"), item("stolen", 1, broadcast="b2", language="de"),
                 item("stolen", 2, broadcast="b3")) == [["r-test"], [], ["r-test"]]


def test_a_label_rule_test_in_a_language_the_scorer_does_not_read_is_skipped_not_run(tmp_path: Path) -> None:
    """A German inline test of a label rule with only the English model loaded (the multilingual engine off) is
    reported as skipped with its reason: scored by the English heads, its outcome would say nothing."""
    from monitor.rules_engine.loader import load_or_raise
    from monitor.rules_engine.testing import run_rule_tests

    rule = {"when": {"label": "election", "gte": 0.5},
            "tests": [{"text": "it is rigged", "expect": "alert"},
                      {"text": "alles gefälscht", "fields": {"language": "de"}, "expect": "alert"},
                      {"text": "all fine", "expect": "no_alert"}]}
    write_set(tmp_path / "rules", ruleset(rule))
    sets = load_or_raise([tmp_path / "rules"])
    seen: list[str] = []

    def scorer(items: list) -> list[dict[str, float]]:
        seen.extend(i.chunk.text for i in items)
        return [{"election": 0.1 if i.chunk.text == "all fine" else 0.9} for i in items]

    english = run_rule_tests(sets, scorer, languages=("en",))
    assert english.passed == 2 and not english.failed and english.skipped == 1
    (skip,) = [o for o in english.outcomes if o.skipped]
    assert skip.skip_reason == "the classifier does not read de" and "alles gefälscht" not in seen
    both = run_rule_tests(sets, scorer, languages=("en", "de"))
    assert both.passed == 3 and not both.skipped
    assert run_rule_tests(sets).outcomes[0].skip_reason == "needs the classifier"
