"""The console's view models and stores: queue, context window, timeline, rule quality, live tails."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from console_fixtures import decision_line, three_alerts, utc_now, write_alerts

from monitor.audit.log import AuditLog
from monitor.audit.read import LogView
from monitor.audit.reviews import ReviewIntake, ReviewMessage
from monitor.console import views
from monitor.console.rulefiles import rule_excerpt
from monitor.console.store import LiveLog, Transcripts

RULES = Path(__file__).resolve().parents[1] / "fixtures" / "audit" / "rules_old"


def _chunks(n: int, bid: str = "bc-1") -> list[dict]:
    return [{"seq": s, "broadcast_id": bid, "text": f"line {s}", "start_ms": s * 5000, "speaker": {"name": "Ana", "role": "host"}}
            for s in range(n)]


def _review(log_dir: Path, alert_id: str, outcome: str, who: str = "alice") -> None:
    audit_log = AuditLog(log_dir, fsync="never")
    try:
        ReviewIntake(audit_log).submit(ReviewMessage(alert_id=alert_id, outcome=outcome, reviewer=who), "test")
    finally:
        audit_log.close()


def test_context_window_takes_the_chunks_around_the_evidence_and_stops_at_the_edges() -> None:
    chunks = _chunks(10)
    lines = views.context_window(chunks, [5], 2, 3, [])
    assert [line.seq for line in lines] == [3, 4, 5, 6, 7, 8]
    assert [line.seq for line in lines if line.evidence] == [5]
    assert lines[0].at == "00:15" and lines[0].speaker == "Ana (host)"
    assert [line.seq for line in views.context_window(chunks, [0], 3, 1, [])] == [0, 1]
    assert [line.seq for line in views.context_window(chunks, [8, 9], 1, 5, [])] == [7, 8, 9]
    assert views.context_window(chunks, [42], 3, 3, []) == []  # evidence not (or no longer) in the transcript


def test_context_window_counts_chunks_not_seq_numbers_across_gaps() -> None:
    chunks = [c for c in _chunks(10) if c["seq"] not in (3, 4)]
    assert [line.seq for line in views.context_window(chunks, [5], 2, 0, [])] == [1, 2, 5]


def test_evidence_terms_are_highlighted_case_insensitively_only_in_the_evidence() -> None:
    chunks = [{"seq": 0, "text": "is it Rigged?"}, {"seq": 1, "text": "the vote is RIGGED and stolen"}]
    lines = views.context_window(chunks, [1], 1, 0, ["rigged", "stolen"])
    assert lines[0].segments == [views.Segment("is it Rigged?")]
    assert [(s.text, s.marked) for s in lines[1].segments] == [
        ("the vote is ", False), ("RIGGED", True), (" and ", False), ("stolen", True)]


def test_matched_terms_come_from_keywords_and_regex_matches_also_nested() -> None:
    explanation = [{"keywords": "fraud", "terms": ["rigged"]},
                   {"any": [{"regex": "x", "match": "stolen votes"}, {"label": "election", "score": 0.9}]}]
    assert views.matched_terms(explanation) == ["rigged", "stolen votes"]


def test_timeline_has_a_series_per_label_listeners_and_the_alerts_at_their_time(tmp_path: Path) -> None:
    now = utc_now()
    write_alerts(tmp_path / "log", three_alerts(now))
    view = LogView(tmp_path / "log")
    chunks = [{"seq": s, "start_ms": s * 5000, "end_ms": s * 5000 + 4000, "scores": {"election": s / 10, "hate": 0.1},
               "audience": {"listeners": 100 + s}} for s in range(5)]
    chunks.append({"seq": 5, "text": "no time"})  # a chunk without a time is left off the chart
    entries = [e for e in view.alerts.values() if e.alert["broadcast_id"] == "bc-1"]
    tl = views.timeline("bc-1", chunks, entries)
    assert tl.labels == ["election", "hate"]
    assert tl.series["election"] == [(s * 5.0, s / 10) for s in range(5)]
    assert tl.listeners == [(s * 5.0, 100 + s) for s in range(5)]
    assert [(m["t"], m["severity"]) for m in tl.alerts] == [(754.0, "high"), (754.0, "critical")]
    assert tl.duration_s == 761.5  # the alerts lie past the last chunk: the axis reaches them


def test_queue_groups_by_broadcast_newest_first_and_filters(tmp_path: Path) -> None:
    now = utc_now()
    alerts = three_alerts(now)
    write_alerts(tmp_path / "log", alerts)
    view = LogView(tmp_path / "log")
    groups = views.queue(view, views.QueueFilters(), now)
    assert [(g.broadcast_id, [r.severity for r in g.rows]) for g in groups] == [("bc-1", ["critical", "high"]), ("bc-2", ["low"])]
    assert groups[0].rows[0].age == "1m" and groups[0].rows[0].reach == "120,000 listeners, 56,000 followers"
    only = lambda **f: [r.alert_id for g in views.queue(view, views.QueueFilters(**f), now) for r in g.rows]  # noqa: E731
    assert only(mode="shadow") == [alerts[2].alert_id]
    assert only(severity="high") == [alerts[1].alert_id, alerts[0].alert_id]
    assert only(category="STATEMENT_CATEGORY_VIOLENCE") == [alerts[1].alert_id]
    assert only(broadcast="bc-2", rule="elections.rigged-claim") == [alerts[2].alert_id]

    _review(tmp_path / "log", alerts[0].alert_id, "confirmed")
    _review(tmp_path / "log", alerts[1].alert_id, "needs_escalation")
    view = LogView(tmp_path / "log")
    assert only(state="open") == [alerts[1].alert_id, alerts[2].alert_id]  # an escalated alert stays open
    assert only(state="reviewed") == [alerts[1].alert_id, alerts[0].alert_id]
    assert views.open_depth(view) == {"info": 0, "low": 1, "medium": 0, "high": 0, "critical": 1}


def test_filters_from_query_parameters_ignore_unknown_values() -> None:
    f = views.QueueFilters.parse({"severity": "extreme", "mode": "shadow", "state": "nonsense", "rule": " r1 "})
    assert (f.severity, f.mode, f.state, f.rule) == ("", "shadow", "open", "r1")


def test_rule_quality_counts_outcomes_and_precision_per_rule_and_mode(tmp_path: Path) -> None:
    now = utc_now()
    alerts = three_alerts(now)
    write_alerts(tmp_path / "log", alerts)
    _review(tmp_path / "log", alerts[0].alert_id, "false_positive")
    _review(tmp_path / "log", alerts[0].alert_id, "confirmed")  # the latest review is the outcome
    _review(tmp_path / "log", alerts[2].alert_id, "false_positive")
    table = views.rule_quality(LogView(tmp_path / "log"), (now - timedelta(days=1)).date(), now.date())
    enforce = {r.rule_id: r for r in table["enforce"]}
    assert (enforce["elections.rigged-claim"].confirmed, enforce["elections.rigged-claim"].precision) == (1, 1.0)
    assert (enforce["violence.threat"].open, enforce["violence.threat"].precision) == (1, None)
    [shadow] = table["shadow"]
    assert (shadow.rule_id, shadow.false_positive, shadow.precision) == ("elections.rigged-claim", 1, 0.0)
    assert views.rule_quality(LogView(tmp_path / "log"), (now + timedelta(days=1)).date(), (now + timedelta(days=2)).date()) == {
        "enforce": [], "shadow": []}


def test_live_log_reads_only_what_was_appended_and_times_first_reviews(tmp_path: Path) -> None:
    now = utc_now()
    alerts = three_alerts(now)
    write_alerts(tmp_path / "log", alerts[:1])
    _review(tmp_path / "log", alerts[0].alert_id, "confirmed")  # before the console started: not timed
    timed: list[tuple[str, float]] = []
    live = LiveLog(tmp_path / "log", on_first_review=lambda body, s: timed.append((body["alert_id"], s)))
    assert set(live.view.alerts) == {alerts[0].alert_id} and not live.refresh()
    write_alerts(tmp_path / "log", alerts[1:])
    _review(tmp_path / "log", alerts[1].alert_id, "false_positive")
    _review(tmp_path / "log", alerts[1].alert_id, "confirmed")  # not the first: not timed again
    assert live.refresh() and len(live.view.alerts) == 3
    assert [a for a, _ in timed] == [alerts[1].alert_id] and 55 <= timed[0][1] <= 600
    assert live.view.alerts[alerts[1].alert_id].outcome == "confirmed"


def test_transcripts_tail_a_growing_decisions_file_and_skip_a_torn_line(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text(decision_line("bc-1", 1, "one", {}, 10) + "not json\n" + decision_line("bc-1", 0, "zero", {}, 9)
                    + decision_line("bc-2", 0, "other", {}, None)[:30], encoding="utf-8")
    t = Transcripts(path)
    assert [c["text"] for c in t.chunks("bc-1")] == ["zero", "one"] and t.chunks("bc-2") == []
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(decision_line("bc-2", 0, "other", {}, None)[30:] + decision_line("bc-1", 1, "one again", {}, 11))
    assert t.refresh()
    assert [c["text"] for c in t.chunks("bc-1")] == ["zero", "one again"] and [c["text"] for c in t.chunks("bc-2")] == ["other"]
    assert not t.refresh()


def test_transcripts_are_bounded_per_broadcast_and_in_broadcasts(tmp_path: Path) -> None:
    path = tmp_path / "decisions.jsonl"
    path.write_text("".join(decision_line(f"bc-{b}", s, "x", {}, None) for b in range(3) for s in range(5)), encoding="utf-8")
    t = Transcripts(path, max_chunks=3, max_broadcasts=2)
    assert list(t.broadcasts) == ["bc-1", "bc-2"] and [c["seq"] for c in t.chunks("bc-2")] == [2, 3, 4]


def test_rule_excerpt_is_the_rule_s_own_lines_from_its_file() -> None:
    excerpt = rule_excerpt([RULES], "fx-voting-procedure")
    assert excerpt is not None and excerpt.path.endswith("elections.yaml") and excerpt.version == "1.0.0"
    lines = (RULES / "elections.yaml").read_text(encoding="utf-8").splitlines()
    assert lines[excerpt.first_line - 1].strip() == "- id: fx-voting-procedure"
    assert excerpt.text.splitlines()[0] == lines[excerpt.first_line - 1]
    assert "fx-election-fraud" not in excerpt.text and "no_alert" in excerpt.text
    assert rule_excerpt([RULES], "no-such-rule") is None


def test_latency_reads_in_seconds_live_and_as_an_age_for_a_replay() -> None:
    assert views.latency_text(840.0) == "0.84 s" and views.latency_text(None) is None
    assert views.latency_text(397_334_540.0) == "4d 14h"
