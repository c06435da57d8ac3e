"""The shipped rule sets with the real classifier: their inline tests pass, and on the bundled sample broadcast
the planted passages fire the right rules while the hard negatives (debunks, counter-speech, negation,
sports talk, lawful debate) do not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.metrics import Metrics
from monitor.narratives.matcher import encoder_for
from monitor.pipeline import Pipeline
from monitor.rules_engine.loader import load_or_raise
from monitor.rules_engine.stage import build_engine
from monitor.rules_engine.testing import run_rule_tests
from monitor.sample import sample_broadcast_path
from monitor.settings import ClassifierSettings, PipelineSettings
from monitor.stages import Classifier, SourceRecord

RULES = Path(__file__).resolve().parents[2] / "rules"
FACT_CHECK = "claim-high-reach"
# The expected-file category of a planted passage → the rules that implement it.
RULES_FOR = {
    "election_procedure": {"election-false-voting-procedure"},
    "election_fraud": {"election-fraud-narrative", "election-reject-results"},
    "threat": {"threat-to-life", "incitement-to-violence", "sustained-violent-rhetoric"},
    "hate": {"hate-dehumanisation", "hate-expulsion-violence"},
    "health": {"health-false-cure", "health-vaccine-conspiracy"},
    "claim": {FACT_CHECK},
}


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    """The monitor's classifier: English, routed with the multilingual engine when it is built."""
    from monitor.classify.stage import classifier_from_settings
    from monitor.multilingual.routing import with_multilingual

    settings = ClassifierSettings(threads=2)
    return with_multilingual(classifier_from_settings(settings), settings)


def test_shipped_rule_tests_pass_with_the_real_classifier(classifier: Classifier) -> None:
    report = run_rule_tests(load_or_raise([RULES], classifier.info.labels), classifier.score)
    assert report.skipped == 0
    assert not report.failed, "\n".join(str(o.problem()) for o in report.failed)
    assert report.passed >= 40


@pytest.fixture(scope="module")
def sample_firings(classifier: Classifier) -> dict[int, list[dict]]:
    """Run the sample broadcast through the real pipeline stages; rule firings per seq."""
    path = sample_broadcast_path()
    lines = path.read_bytes().splitlines()
    records = [SourceRecord(str(path), 0, i + 1, None, line) for i, line in enumerate(lines) if line.strip()]
    pipeline = Pipeline(PipelineSettings(), Metrics(), classifier,
                        build_engine([RULES], scorer=classifier.score, encoder=encoder_for(classifier)))
    firings: dict[int, list[dict]] = {}
    for start in range(0, len(records), 32):
        for decision in pipeline.process(records[start:start + 32]).decisions:
            alerts = {a.rule.id: a for a in decision.alerts}
            for f in decision.firings:
                alert = alerts.get(f["rule_id"])
                firings.setdefault(decision.item.chunk.seq, []).append(
                    {**f, "alerted": alert is not None, "actions": alert.actions if alert else None,
                     "factcheck": alert.model_extra.get("factcheck") if alert else None})
    return firings


def passages() -> list[dict]:
    expected = json.loads(sample_broadcast_path().with_name("sample_broadcast.expected.json").read_text())
    return expected["passages"]


@pytest.mark.parametrize("passage", [p for p in passages() if p["expect"] == "alert"], ids=lambda p: p["id"])
def test_planted_passage_fires_the_right_rule(classifier: Classifier, sample_firings: dict[int, list[dict]],
                                             passage: dict) -> None:
    if passage.get("language", "en") not in classifier.info.languages:
        pytest.skip(f"the classifier does not read '{passage['language']}' (the multilingual engine is not built)")
    wanted = RULES_FOR[passage["category"]]
    hits = [f for s in passage["seqs"] for f in sample_firings.get(s, [])]
    right = [f for f in hits if f["rule_id"] in wanted]
    assert right, f"{passage['id']}: none of {sorted(wanted)} fired on seqs {passage['seqs']} (fired: {hits})"
    for f in right:
        assert f["alerted"] == (f["mode"] == "enforce")
    if passage["category"] == "claim":
        assert {f["rule_id"] for f in hits} == {FACT_CHECK}, "a check-worthy claim only goes to the fact-check queue"


@pytest.mark.parametrize("passage", [p for p in passages() if p["expect"] == "no_alert"], ids=lambda p: p["id"])
def test_hard_negative_does_not_fire(sample_firings: dict[int, list[dict]], passage: dict) -> None:
    hits = [f["rule_id"] for s in passage["seqs"] for f in sample_firings.get(s, []) if f["rule_id"] != FACT_CHECK]
    assert hits == [], f"{passage['id']} ({passage['note']}) fired {hits}"


def test_threat_to_life_pages_at_critical_severity(sample_firings: dict[int, list[dict]]) -> None:
    [passage] = [p for p in passages() if p["id"] == "threat"]
    threat = [f for s in passage["seqs"] for f in sample_firings.get(s, []) if f["rule_id"] == "threat-to-life"]
    assert threat and all(f["severity"] == "critical" and f["actions"]["page_art18"] for f in threat)
    assert len({f["alert_id"] for f in threat}) == 1, "the second threatening chunk folds into the open alert"


def test_planted_known_narratives_alert_with_their_fact_check(sample_firings: dict[int, list[dict]]) -> None:
    # seq 103 says the dead-voters claim in one clause of a longer turn that also dismisses an audit
    for seq in (99, 103):
        [hit] = [f for f in sample_firings.get(seq, []) if f["rule_id"] == "election-known-narrative"]
        assert hit["alerted"] and hit["factcheck"]["url"].startswith("https://"), (seq, hit)


def test_shipped_narratives_share_no_six_word_sequence_with_the_functional_suite() -> None:
    """The suite stays held out: no narrative wording is a near-copy of a suite utterance or its context."""
    import re

    import yaml

    def grams(text: str) -> set[tuple[str, ...]]:
        words = re.findall(r"[a-z0-9']+", text.lower())
        return {tuple(words[i:i + 6]) for i in range(len(words) - 5)}

    suite: set[tuple[str, ...]] = set()
    for path in (RULES.parent / "tests" / "functional").glob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            case = json.loads(line)
            for text in (case["text"], *(t["text"] for t in case.get("context", []))):
                suite |= grams(text)
    shared = {(n["id"], " ".join(g)) for path in (RULES / "narratives").glob("*.yaml")
              for n in yaml.safe_load(path.read_text(encoding="utf-8"))["narratives"]
              for text in (n["claim"], *n.get("paraphrases", []), *n.get("examples", [])) for g in grams(text) & suite}
    assert shared == set()


def test_no_moderation_alert_outside_the_planted_passages(sample_firings: dict[int, list[dict]]) -> None:
    planted = {s for p in passages() if p["expect"] == "alert" for s in p["seqs"]}
    stray = {s: [f["rule_id"] for f in fs] for s, fs in sample_firings.items()
             if s not in planted and any(f["rule_id"] != FACT_CHECK for f in fs)}
    assert stray == {}


def test_rules_test_command_passes_on_the_shipped_rules(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from monitor.cli import cli

    junit = tmp_path / "rules-junit.xml"
    result = CliRunner().invoke(cli, ["rules", "test", str(RULES), "--junit", str(junit)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].endswith(" failed, 0 skipped")
    assert " 0 failed" in result.output.splitlines()[-1]
    assert junit.exists()
