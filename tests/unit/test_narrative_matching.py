"""Known-narrative matching end to end: the `narrative` leaf in rules (right narrative and fact-check, debunks
and unrelated speech do not fire, rating / expiry / territory), one matcher call per batch, the fact-check
on the alert, its renderings and the statement of reasons, hot reload of a narrative set, and the
`narratives search` JSONL contract."""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry
from rules_helpers import item, ruleset, settle, write_set

from monitor.audit.read import AlertEntry, Located
from monitor.channels.alertmanager import am_alert
from monitor.channels.render import console_text
from monitor.channels.webhook import slack_payload
from monitor.metrics import Metrics
from monitor.narratives.loader import load_sets
from monitor.narratives.matcher import NarrativeMatcher
from monitor.narratives.spans import CLAUSE_FLOOR, MAX_SPANS, clause_spans
from monitor.pipeline import Pipeline
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import load_or_raise, load_rule_sets
from monitor.rules_engine.reload import RuleReloader
from monitor.rules_engine.stage import engine_from_settings
from monitor.settings import PipelineSettings, RulesSettings
from monitor.sor.build import decision_facts

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "narratives"
PENS_URL = "https://konkret24.tvn24.pl/polska/example-pens"
DEAD_URL = "https://www.politifact.com/factchecks/2020/dec/22/claudia-tenney/ny-22-some-voters-cast-ballots-mail-and-died-elect/"
BLEACH_URL = "https://www.politifact.com/factchecks/2020/jan/30/tweets/no-drinking-bleach-will-not-ward-corona/"

PENS = {"id": "pens-vanishing-ink", "claim": "The pens at polling stations have ink that disappears, so your vote can be wiped.",
        "rating": "false", "factcheck": {"url": PENS_URL, "publisher": "Konkret24", "language": "pl"},
        "paraphrases": ["bring your own pen, the ones at the polling station have vanishing ink"], "topics": ["voting-procedure"]}
DEAD = {"id": "dead-voters", "claim": "Thousands of dead people cast ballots, which changed the result.", "rating": "pants-fire",
        "factcheck": {"url": DEAD_URL, "publisher": "PolitiFact"}, "paraphrases": ["dead people voted in this election"]}
BLEACH = {"id": "bleach-cure", "claim": "Drinking a diluted bleach solution protects you from the coronavirus.", "rating": "false",
          "factcheck": {"url": BLEACH_URL, "publisher": "PolitiFact"}, "paraphrases": ["a little bleach in water keeps the virus away"]}
PENS_SAID = "bring your own pen on sunday, the pens at the polling station have ink that vanishes so they can wipe your vote"
DEAD_SAID = "and dead people voted in this election, thousands of them, that is how the result was changed"


@pytest.fixture(autouse=True)
def _embedding_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCT_EMBED_CACHE", str(tmp_path / "embed-cache.sqlite"))


def narrative_set(*narratives: dict[str, Any], version: str = "1.0.0") -> dict[str, Any]:
    return {"id": "mini", "version": version, "title": "Mini set", "owner": "tests", "updated": "2026-12-01",
            "narratives": [copy.deepcopy(n) for n in narratives]}


NARRATIVE_RULE: dict[str, Any] = {
    "id": "known-narrative",
    "when": {"narrative": {"set": "mini", "min_score": 0.5}},
    "unless": [{"reason": "debunk", "when": {"keywords": {"list": "debunking"}}}],
    "actions": {"decision_visibility": "DECISION_VISIBILITY_CONTENT_LABELLED"},
    "tests": [{"text": PENS_SAID, "expect": "alert", "narrative": "pens-vanishing-ink"},
              {"text": "the weather tomorrow is sunny with light winds", "expect": "no_alert"}],
}
KEYWORDS = {"debunking": ["is false", "no evidence", "fact check*"]}


def write_rules(root: Path, rule: dict[str, Any] | None = None, *narratives: dict[str, Any]) -> Path:
    rules = root / "rules"
    write_set(rules, ruleset(rule or NARRATIVE_RULE, keyword_lists=KEYWORDS))
    write_set(rules / "narratives", narrative_set(*(narratives or (PENS, DEAD))), name="mini.yaml")
    return rules


def engine_at(root: Path, rule: dict[str, Any] | None = None, *narratives: dict[str, Any]) -> RuleEngine:
    return RuleEngine(load_or_raise([write_rules(root, rule, *narratives)]))


def test_paraphrase_fires_with_the_right_narrative_and_fact_check(tmp_path: Path) -> None:
    engine = engine_at(tmp_path)
    pens, dead, unrelated, debunk = engine.evaluate([
        item(PENS_SAID, 1), item(DEAD_SAID, 2, broadcast="b2"),
        item("the weather tomorrow will be sunny with light winds in the north", 3, broadcast="b3"),
        item("the claim that polling-station pens have vanishing ink is false, the commission checked them", 4, broadcast="b4"),
    ], None)
    [alert] = pens.alerts
    fc = alert.model_extra["factcheck"]
    assert {k: fc[k] for k in ("url", "rating", "publisher", "narrative_id", "set")} == {
        "url": PENS_URL, "rating": "false", "publisher": "Konkret24", "narrative_id": "pens-vanishing-ink", "set": "mini"}
    assert 0.5 <= fc["score"] <= 1.0
    [stamp] = load_sets([tmp_path / "rules" / "narratives"])[0]
    assert fc["set_version"] == "1.0.0" and fc["set_sha256"] == stamp.sha256
    assert pens.ruleset["narrative_sets"] == [{"id": "mini", "version": "1.0.0", "sha256": stamp.sha256}]
    assert dead.alerts[0].model_extra["factcheck"]["narrative_id"] == "dead-voters"
    assert unrelated.firings == []
    assert debunk.firings == [] and debunk.alerts == []


def test_rating_filter_expiry_and_territory(tmp_path: Path) -> None:
    only_misleading = {**NARRATIVE_RULE, "when": {"narrative": {"set": "mini", "min_score": 0.5, "rating": ["misleading"]}}}
    assert engine_at(tmp_path / "a", only_misleading).evaluate([item(PENS_SAID)], None)[0].firings == []

    expired = {**PENS, "expires": "2025-01-01"}
    decision = engine_at(tmp_path / "b", None, expired, DEAD).evaluate([item(PENS_SAID, ts="2026-05-01T10:00:00Z")], None)[0]
    assert decision.firings == []

    local = {**PENS, "territories": ["PL"]}
    engine = engine_at(tmp_path / "c", None, local, DEAD)
    elsewhere, here, unknown = engine.evaluate([item(PENS_SAID, 1, territories=["DE"]), item(PENS_SAID, 2, broadcast="b2", territories=["PL"]),
                                                item(PENS_SAID, 3, broadcast="b3")], None)
    assert elsewhere.firings == [] and here.firings and unknown.firings


def test_unknown_narrative_set_is_reported_at_its_line(tmp_path: Path) -> None:
    rules = write_rules(tmp_path, {**NARRATIVE_RULE, "when": {"narrative": {"set": "nope", "min_score": 0.5}}})
    result = load_rule_sets([rules])
    assert [(Path(p.file).name, p.reason) for p in result.problems] == [
        ("set.yaml", "rule 'known-narrative': when.narrative.set: unknown narrative set 'nope' (known: mini)")]
    assert result.problems[0].line > 1


def test_invalid_narrative_file_is_reported_with_file_and_line(tmp_path: Path) -> None:
    broken = narrative_set(PENS, {**DEAD, "factcheck": {"publisher": "PolitiFact"}})
    path = write_set(tmp_path / "narratives", broken, name="broken.yaml")
    sets, problems = load_sets([path.parent])
    assert sets == []
    [problem] = problems
    assert problem.file == str(path) and problem.reason == "narratives[1].factcheck: missing required field 'url'"
    factcheck_lines = [n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if line == "  factcheck:"]
    assert problem.line == factcheck_lines[1]


def test_one_matcher_call_per_batch_for_all_sets(tmp_path: Path) -> None:
    health = {**NARRATIVE_RULE, "id": "known-health-narrative", "when": {"narrative": {"set": "health", "min_score": 0.5}},
              "tests": [{"text": "a little bleach in water keeps the virus away", "expect": "alert"},
                        {"text": "the weather tomorrow is sunny with light winds", "expect": "no_alert"}]}
    rules = write_rules(tmp_path)
    write_set(rules, ruleset(health, keyword_lists=KEYWORDS, set_id="health-rules"), name="health-rules.yaml")
    write_set(rules / "narratives", {**narrative_set(BLEACH), "id": "health"}, name="health.yaml")
    engine = RuleEngine(load_or_raise([rules]))
    assert set(engine.narratives.indexes) == {"mini", "health"}
    matcher = engine.narratives
    calls: list[int] = []
    real = matcher.encoder

    class Counting:
        dim, variant = real.dim, real.variant

        def encode(self, texts, batch_size=64):  # noqa: ANN001, ANN201
            calls.append(len(texts))
            return real.encode(texts, batch_size)

    matcher.encoder = Counting()
    decisions = engine.evaluate([item(f"{PENS_SAID} {i}", i, broadcast=f"b{i}") for i in range(6)], None)
    clauses = len(clause_spans(f"{PENS_SAID} 0"))
    assert calls == [6] + ([6 * clauses] if clauses else [])  # whole chunks in one call, their clauses in one more
    assert all(d.alerts and d.alerts[0].factcheck["url"] == PENS_URL for d in decisions)
    calls.clear()
    unrelated = "the weather was awful this weekend, we stayed in and watched the football, then we cooked pasta"
    engine.evaluate([item(unrelated, 1, broadcast="w")], None)
    assert calls == [1]  # far from every narrative: its clauses are not matched (no extra encoder forward)


def test_clauses_of_a_chunk_are_the_parts_with_enough_words() -> None:
    assert clause_spans("the audit was run by the same people, amira, come on, the dead are voting down south") == [
        "the audit was run by the same people", "the dead are voting down south"]
    assert clause_spans("one clause only without any break in it") == []
    assert len(clause_spans(", ".join(f"clause number {i} of this chunk" for i in range(10)))) == MAX_SPANS


def test_a_claim_said_in_one_clause_of_a_longer_chunk_fires(tmp_path: Path) -> None:
    rule = {**NARRATIVE_RULE, "when": {"narrative": {"set": "mini", "min_score": 0.45}}}
    engine = engine_at(tmp_path, rule)
    said = ("we spent the whole weekend knocking on doors in the old town with the volunteers, the weather was awful, "
            "and guess what, the dead are still voting in this town")
    [whole] = engine.narratives.match([said], [[]])
    assert CLAUSE_FLOOR <= whole["mini"][0].score < 0.45  # a near miss: the whole chunk is diluted by its other clauses
    [decision] = engine.evaluate([item(said, 1)], None)
    [alert] = decision.alerts
    assert alert.model_extra["factcheck"]["narrative_id"] == "dead-voters"
    assert alert.model_extra["factcheck"]["score"] >= 0.45


def test_context_scope_reads_the_preceding_chunks_without_encoding_them_again(tmp_path: Path) -> None:
    """`scope: context` matches the utterance together with the chunks before it; those chunks were embedded when
    they were decided, so the batch that reads them as context encodes only its own chunk."""
    engine = engine_at(tmp_path)
    matcher = NarrativeMatcher(list(engine.narratives.sets.values()), {"mini", "mini@context"})
    before = [PENS_SAID, "that is what they told everyone at the market this morning"]
    follow_up = "so remember what i said and do not trust them on sunday"
    matcher.match(before, [[], [before[0]]])
    encoded = matcher.encoder.encoded
    [found] = matcher.match([follow_up], [before])
    assert matcher.encoder.encoded == encoded + 1
    alone = next(m.score for m in found["mini"] if m.id == "pens-vanishing-ink")
    with_context = next(m.score for m in found["mini@context"] if m.id == "pens-vanishing-ink")
    assert found["mini@context"][0].id == "pens-vanishing-ink" and with_context > alone + 0.05


def test_alert_renderings_and_statement_of_reasons_cite_the_fact_check(tmp_path: Path) -> None:
    [alert] = engine_at(tmp_path).evaluate([item(PENS_SAID, audience={"listeners": 5000})], None)[0].alerts
    assert PENS_URL in console_text(alert) and "factcheck rated false by Konkret24" in console_text(alert)
    slack = json.dumps(slack_payload(alert, None))
    assert f"<{PENS_URL}|Konkret24: false>" in slack
    annotations = am_alert(alert, 300.0)["annotations"]
    assert annotations["factcheck_url"] == PENS_URL and "pens-vanishing-ink" in annotations["factcheck"]
    assert any("narrative 'pens-vanishing-ink'" in line for line in console_text(alert).splitlines())

    record = {"seq": 5, "type": "alert", "body": {"alert_id": alert.alert_id, "alert": alert.model_dump(mode="json")}}
    review = {"seq": 6, "type": "review", "body": {"outcome": "confirmed", "reviewed_at": "2026-03-02T09:00:00Z"}}
    facts = decision_facts(AlertEntry(Located("f", 1, record), reviews=[Located("f", 2, review)]), [])
    assert "narrative pens-vanishing-ink of set mini" in facts and PENS_URL in facts and "Konkret24" in facts


def test_hot_reload_rebuilds_the_index_and_keeps_the_old_one_on_error(tmp_path: Path) -> None:
    rules = write_rules(tmp_path)
    settings = RulesSettings(paths=[rules], watch=True, watch_interval_s=1.0)
    metrics = Metrics(CollectorRegistry())
    pipeline = Pipeline(PipelineSettings(), metrics, None, engine_from_settings(settings, metrics))
    now = [0.0]
    reloader = RuleReloader(settings, pipeline, metrics, clock=lambda: now[0])
    first = pipeline.engine
    assert len(first.narratives.indexes["mini"]) == 2
    bleach_said = [item("a little bleach in water every morning keeps the virus away", 1)]
    assert first.evaluate(bleach_said, None)[0].firings == []

    path = rules / "narratives" / "mini.yaml"
    path.write_text(yaml.safe_dump(narrative_set(PENS, DEAD, BLEACH, version="1.1.0"), sort_keys=False), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 10**9,) * 2)
    now[0] = 5.0
    settle(reloader)
    second = pipeline.engine
    assert second is not first and reloader.reloads == 1
    assert len(second.narratives.indexes["mini"]) == 3
    [alert] = second.evaluate(bleach_said, None)[0].alerts
    assert alert.model_extra["factcheck"]["url"] == BLEACH_URL and alert.model_extra["factcheck"]["set_version"] == "1.1.0"

    path.write_text(path.read_text(encoding="utf-8").replace("publisher: PolitiFact", "publisher: ''", 1), encoding="utf-8")
    os.utime(path, ns=(path.stat().st_mtime_ns + 2 * 10**9,) * 2)
    now[0] = 10.0
    settle(reloader)
    assert pipeline.engine is second and reloader.failures == 1
    assert pipeline.engine.evaluate(bleach_said, None)[0].alerts


def _search(index: Path, queries: list[dict[str, Any]], top_k: int) -> list[dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "monitor", "narratives", "search", "--index", str(index), "--top-k", str(top_k)],
                          input="".join(json.dumps(q) + "\n" for q in queries), capture_output=True, text=True, env=env,
                          cwd=ROOT, check=False, timeout=300)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_search_contract_on_a_verified_claims_file() -> None:
    queries = [{"id": "q-sharpie", "text": "they made us fill in the ballot with a sharpie, that is voter fraud"},
               {"id": 7, "text": "drinking bleach will stop you catching the coronavirus"}]
    out = _search(FIXTURES / "vclaims.jsonl", queries, 2)
    assert [row["id"] for row in out] == ["q-sharpie", 7]
    for row in out:
        assert len(row["matches"]) == 2 and set(row) == {"id", "matches"}
        scores = [m["score"] for m in row["matches"]]
        assert scores == sorted(scores, reverse=True) and all(set(m) == {"id", "score"} for m in row["matches"])
    assert out[0]["matches"][0]["id"] == "vclaim-pol-18461"
    assert out[1]["matches"][0]["id"] == "vclaim-pol-17664"


def test_search_contract_on_the_shipped_narrative_sets() -> None:
    out = _search(ROOT / "rules" / "narratives", [{"id": "a", "text": PENS_SAID}], 3)
    assert [m["id"] for m in out[0]["matches"]][0] == "pl-disappearing-ink-pens"


def test_search_reads_optional_context_and_date_and_rejects_a_bad_date() -> None:
    said = {"id": "q", "text": "they made us fill in the ballot with a sharpie, that is voter fraud",
            "context": ["what happened at your polling place?"], "date": "2020-11-04"}
    [row] = _search(FIXTURES / "vclaims.jsonl", [said], 2)
    assert row["id"] == "q" and row["matches"][0]["id"] == "vclaim-pol-18461"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "monitor", "narratives", "search", "--index", str(FIXTURES / "vclaims.jsonl")],
                          input=json.dumps({**said, "date": "4 Nov 2020"}) + "\n", capture_output=True, text=True,
                          env=env, cwd=ROOT, check=False, timeout=300)
    assert done.returncode != 0 and "stdin:1: 'date' must be YYYY-MM-DD" in done.stderr


def test_search_takes_the_day_from_a_transcript_line_id_when_no_date_is_given() -> None:
    text = "they made us fill in the ballot with a sharpie, that is voter fraud"
    dated, from_id, undated = _search(FIXTURES / "vclaims.jsonl", [
        {"id": "q", "text": text, "date": "2020-11-04"},
        {"id": "20201104_press_briefing_0012", "text": text},
        {"id": "20201104", "text": text}], 3)
    assert from_id["matches"] == dated["matches"]
    assert undated["matches"] != dated["matches"]


def test_search_reads_a_speaker_given_or_named_by_a_transcript_id_and_rejects_a_bad_one(tmp_path: Path) -> None:
    from monitor.narratives.speakers import MIN_CLAIMS

    said = "they made us fill in the ballot with a sharpie, that is voter fraud"
    claims = [{"vclaim_id": "sharpie-pat", "vclaim": "If you were forced to use a Sharpie on your ballot, that is voter fraud.",
               "speaker": "Pat Example", "date": "stated on November 3, 2020 in a speech:"},
              {"vclaim_id": "sharpie-post", "vclaim": "If you were forced to use a Sharpie on your ballot, that is voter fraud!",
               "speaker": "Facebook posts", "date": "stated on November 3, 2020 in a Facebook post:"}]
    claims += [{"vclaim_id": f"pat-{n}", "vclaim": f"Our county built {n + 2} new bridges this decade.", "speaker": "Pat Example",
                "date": "stated on May 1, 2019 in a speech:"} for n in range(MIN_CLAIMS)]
    index = tmp_path / "vclaims.jsonl"
    index.write_text("".join(json.dumps(c) + "\n" for c in claims), encoding="utf-8")
    plain, by_post, named, from_id = _search(index, [
        {"id": "q", "text": said, "date": "2020-11-04"},
        {"id": "q", "text": said, "date": "2020-11-04", "speaker": "Facebook posts"},
        {"id": "q", "text": said, "date": "2020-11-04", "speaker": "PAT EXAMPLE"},
        {"id": "20201104_Example_rally_0012", "text": said}], 2)
    score = [{m["id"]: m["score"] for m in row["matches"]} for row in (plain, by_post, named)]
    assert set(score[0]) == {"sharpie-pat", "sharpie-post"}
    # a speaker lifts their own claim and lowers the other's; the id's event names Pat Example, its day the date
    assert score[1]["sharpie-post"] > score[0]["sharpie-post"] and score[1]["sharpie-pat"] < score[0]["sharpie-pat"]
    assert score[2]["sharpie-pat"] > score[0]["sharpie-pat"] and score[2]["sharpie-post"] < score[0]["sharpie-post"]
    assert from_id["matches"] == named["matches"]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    done = subprocess.run([sys.executable, "-m", "monitor", "narratives", "search", "--index", str(index)],
                          input=json.dumps({"id": "q", "text": said, "speaker": ["Pat Example"]}) + "\n", capture_output=True,
                          text=True, env=env, cwd=ROOT, check=False, timeout=300)
    assert done.returncode != 0 and "stdin:1: 'speaker' must be a string" in done.stderr
