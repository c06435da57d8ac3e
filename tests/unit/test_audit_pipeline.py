"""The decision log in a monitor run: what gets logged, retention, durable retries, provenance and reviews."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client import CollectorRegistry

from monitor.audit.chain import log_files
from monitor.audit.log import AuditLog
from monitor.audit.read import LogView, iter_records
from monitor.audit.records import TextRetention, alert_body
from monitor.audit.reviews import ReviewIntake, ReviewMessage, ReviewMetrics, UnknownAlert
from monitor.audit.sink import AuditSink
from monitor.audit.verify import EXIT_OK, verify
from monitor.cli import cli
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rules_engine.stage import build_engine
from monitor.sample import sample_broadcast_path
from monitor.settings import PipelineSettings
from monitor.sources.file import FileSource

from audit_helpers import RULES_OLD, run_fixture

EXPECTED_ALERT_SEQS = {
    ("fx-voting-procedure", (31,)), ("fx-voting-procedure", (32,)), ("fx-voting-procedure", (170,)),
    ("fx-election-fraud", (99,)), ("fx-election-fraud", (101,)), ("fx-election-fraud", (104,)),
    ("fx-election-fraud", (153,)),
}


@pytest.fixture
def fixture_log(tmp_path: Path) -> Path:
    run_fixture(tmp_path / "log")
    return tmp_path / "log"


def _types(log_dir: Path) -> list[str]:
    return [loc.record["type"] for loc in iter_records(log_dir)]


def test_a_run_logs_start_ruleset_every_alert_and_stop(fixture_log: Path) -> None:
    types = _types(fixture_log)
    assert types[0] == "monitor_start" and types[1] == "ruleset_loaded" and types[-1] == "monitor_stop"
    view = LogView(fixture_log)
    assert {(e.alert["rule"]["id"], tuple(e.alert["seqs"])) for e in view.alerts.values()} == EXPECTED_ALERT_SEQS
    ruleset = next(loc.record["body"] for loc in iter_records(fixture_log) if loc.record["type"] == "ruleset_loaded")
    (path, digest), = ruleset["files"].items()
    assert path.endswith("elections.yaml") and len(digest) == 64
    assert {r["id"]: r["version"] for r in ruleset["ruleset"]["rules"]} == {
        "fx-election-fraud": "1.0.0", "fx-voting-procedure": "1.0.0"}
    entry = next(e for e in view.alerts.values() if e.alert["seqs"] == [104])
    assert entry.body["chunk_ids"] == ["sample-townhall-2026#104"]
    assert entry.body["source"][0]["offset"] > 104
    assert entry.alert["rule"]["sha256"] and entry.alert["explanation"][0]["terms"] == ["stolen"]
    assert verify(fixture_log).exit_code == EXIT_OK


def test_a_restart_continues_the_same_chain(fixture_log: Path) -> None:
    first = verify(fixture_log)
    run_fixture(fixture_log)
    second = verify(fixture_log)
    assert second.exit_code == EXIT_OK and second.records == 2 * first.records
    assert _types(fixture_log).count("monitor_start") == 2
    assert len(LogView(fixture_log).alerts) == len(EXPECTED_ALERT_SEQS)


def test_hash_retention_keeps_no_transcript_text(tmp_path: Path) -> None:
    run_fixture(tmp_path / "log", text_retention="hash")
    raw = b"".join(p.read_bytes() for p in log_files(tmp_path / "log"))
    assert b"this election is rigged before it even starts" not in raw
    entry = next(e for e in LogView(tmp_path / "log").alerts.values() if e.alert["seqs"] == [101])
    assert entry.alert["evidence"]["retention"] == "hash" and entry.evidence is None


def test_truncate_retention(tmp_path: Path) -> None:
    run_fixture(tmp_path / "log", text_retention="truncate:12")
    assert all(len(e.evidence or "") <= 12 for e in LogView(tmp_path / "log").alerts.values())


def _sample_decisions() -> list:
    pipeline = Pipeline(PipelineSettings(), Metrics(CollectorRegistry()), None, build_engine([RULES_OLD]))
    source = FileSource(str(sample_broadcast_path()), batch_size=500)
    decisions = pipeline.process(source.poll(0.0)).decisions
    source.close()
    return decisions


def test_retention_reaches_regex_matches_nested_in_the_explanation() -> None:
    decision = next(d for d in _sample_decisions() if d.alerts)
    nested = {"not": {"all": [{"regex": "rigged", "scope": "chunk", "match": "spoken words", "matched": True},
                              {"keywords": "none", "scope": "chunk", "terms": [], "matched": False}],
                      "matched": False}, "matched": True}
    alert = decision.alerts[0].model_copy(update={"explanation": [nested]})
    body = alert_body(alert, decision, TextRetention.parse("hash"))
    assert "spoken words" not in json.dumps(body)
    assert body["alert"]["explanation"][0]["not"]["all"][0]["match"]["retention"] == "hash"


def test_a_failed_durable_flush_leaves_nothing_and_the_retry_logs_each_alert_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    sink = AuditSink(AuditLog(tmp_path, fsync="batch"), TextRetention.parse("keep"), [RULES_OLD])
    decisions = _sample_decisions()
    size = log_files(tmp_path)[0].stat().st_size

    def disk_full(_fd: int) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as m:
        m.setattr("monitor.audit.log.os.fsync", disk_full)
        sink.write(decisions)
        with pytest.raises(OSError):
            sink.flush()
    assert log_files(tmp_path)[0].stat().st_size == size
    sink.write(decisions)
    sink.flush()
    sink.close()
    types = _types(tmp_path)
    assert types.count("alert") == len(EXPECTED_ALERT_SEQS) and types.count("ruleset_loaded") == 1
    assert verify(tmp_path).exit_code == EXIT_OK


def test_review_command_and_provenance(fixture_log: Path) -> None:
    view = LogView(fixture_log)
    alert_id = next(e.alert_id for e in view.alerts.values() if e.alert["seqs"] == [31])
    runner = CliRunner()
    out = runner.invoke(cli, ["review", alert_id, "--outcome", "confirmed", "--reviewer", "rv-17",
                              "--note", "false voting procedure", "--log", str(fixture_log)])
    assert out.exit_code == 0, out.output
    bad = runner.invoke(cli, ["review", "0" * 32, "--outcome", "confirmed", "--reviewer", "rv-17", "--log", str(fixture_log)])
    assert bad.exit_code != 0 and "not in the decision log" in bad.output
    shown = runner.invoke(cli, ["audit", "show", alert_id, "--log", str(fixture_log)])
    assert shown.exit_code == 0, shown.output
    prov = json.loads(shown.output)
    assert prov["input"]["chunk_ids"] == ["sample-townhall-2026#31"]
    assert prov["rule"]["id"] == "fx-voting-procedure" and prov["rule"]["version"] == "1.0.0"
    assert prov["ruleset_loaded"]["files"] and prov["explanation"][0]["keywords"] == "text_voting"
    assert prov["outcome"] == "confirmed" and prov["reviews"][0]["reviewer"] == "rv-17"
    assert verify(fixture_log).exit_code == EXIT_OK


def test_review_intake_is_idempotent_and_feeds_metrics(fixture_log: Path) -> None:
    registry = CollectorRegistry()
    now = [2_000_000_000.0]
    metrics = ReviewMetrics(registry, period_s=3600, clock=lambda: now[0])
    intake = ReviewIntake(AuditLog(fixture_log), metrics, clock=lambda: now[0])
    ids = {tuple(e.alert["seqs"]): e.alert_id for e in LogView(fixture_log).alerts.values()}
    confirmed = ReviewMessage(alert_id=ids[(101,)], outcome="confirmed", reviewer="rv-1")
    assert intake.submit(confirmed, "test") is not None
    assert intake.submit(confirmed, "test") is None
    intake.submit(ReviewMessage(alert_id=ids[(153,)], outcome="false_positive", reviewer="rv-1"), "test")
    intake.submit(ReviewMessage(alert_id=ids[(31,)], outcome="needs_escalation", reviewer="rv-2"), "test")
    with pytest.raises(UnknownAlert):
        intake.submit(ReviewMessage(alert_id="f" * 32, outcome="confirmed", reviewer="rv-1"), "test")
    value = registry.get_sample_value
    assert value("cct_reviews_total", {"rule": "fx-election-fraud", "label": "none", "outcome": "confirmed"}) == 1
    assert value("cct_reviews_confirmed_total", {"rule": "fx-election-fraud", "label": "none"}) == 1
    assert value("cct_rule_precision", {"rule": "fx-election-fraud"}) == 0.5
    assert value("cct_rule_precision", {"rule": "fx-voting-procedure"}) is None
    now[0] += 7200
    assert value("cct_rule_precision", {"rule": "fx-election-fraud"}) is None
    assert _types(fixture_log).count("review") == 3


def test_model_and_ruleset_records_are_written_when_they_change(tmp_path: Path) -> None:
    from monitor.stages import ModelInfo

    sink = AuditSink(AuditLog(tmp_path), TextRetention.parse("keep"), [RULES_OLD])
    model = ModelInfo("minilm+heads", "a" * 64, ("claim", "election"), {"election": 0.5})
    sink.record_components(model, {"sha256": "r1", "sets": []})
    sink.record_components(model, {"sha256": "r1", "sets": []})
    sink.record_components(ModelInfo("minilm+heads", "b" * 64, ("claim",)), {"sha256": "r2", "sets": []})
    sink.close()
    records = [loc.record for loc in iter_records(tmp_path)]
    assert [r["type"] for r in records] == [
        "monitor_start", "model_loaded", "ruleset_loaded", "model_loaded", "ruleset_loaded", "monitor_stop"]
    assert records[1]["body"] == {"name": "minilm+heads", "sha256": "a" * 64, "labels": ["claim", "election"],
                                  "thresholds": {"election": 0.5}}
    assert records[2]["body"]["files"] and records[4]["body"]["ruleset"]["sha256"] == "r2"
