"""The per-broadcast state owner: rule windows and open alerts live beside the chunk windows, survive a
revoke/assign with rebuild, share one broadcast cap, and are forgotten with a revoked partition."""

from __future__ import annotations

import json
from pathlib import Path

from kafka import TopicPartition
from prometheus_client import CollectorRegistry
from rules_helpers import ruleset, settle, write_set

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rebuild import WindowRebuilder
from monitor.rules_engine.reload import RuleReloader
from monitor.rules_engine.stage import engine_from_settings
from monitor.settings import KafkaSettings, PipelineSettings, RulesSettings
from monitor.stages import SourceRecord

WINDOWED = {"window": {"count": 2, "seconds": 600}, "cooldown": 600,
            "tests": [{"window": ["rigged"], "text": "it is rigged", "expect": "alert"},
                      {"text": "it is rigged", "expect": "no_alert"}]}


def record(seq: int, bid: str = "b1", partition: int = 0, text: str = "it was rigged") -> SourceRecord:
    value = json.dumps({"broadcast_id": bid, "seq": seq, "text": text, "start_ms": seq * 4000,
                        "end_ms": seq * 4000 + 3500}).encode()
    return SourceRecord("t", partition, seq, bid.encode(), value, 1_700_000_000_000 + seq)


def owner(tmp_path: Path, rule: dict | None = None, **pipeline: object) -> tuple[Pipeline, Metrics]:
    """A fresh process's pipeline (the rules in tmp_path/rules, written once)."""
    rules = tmp_path / "rules"
    if not rules.exists():
        write_set(rules, ruleset(rule or WINDOWED))
    metrics = Metrics(CollectorRegistry())
    settings = RulesSettings(paths=[rules])
    return Pipeline(PipelineSettings(**pipeline), metrics, None, engine_from_settings(settings, metrics)), metrics


def alerts(pipeline: Pipeline, records: list[SourceRecord]) -> list[tuple[str, int]]:
    return [(a.alert_id, a.count) for d in pipeline.process(records).decisions for a in d.alerts]


def test_windowed_rule_does_not_open_a_second_alert_after_revoke_and_assign_with_rebuild(tmp_path: Path) -> None:
    previous, _ = owner(tmp_path)
    decided = [record(seq) for seq in range(3)]
    opened = alerts(previous, decided)
    assert [count for _, count in opened] == [1, 2]  # seq 1 opens it, seq 2 folds into it
    alert_id = opened[0][0]
    WindowRebuilder(KafkaSettings(), previous).on_assignment({TopicPartition("t", 0)}, assigned=False)
    assert len(previous.states) == 0

    new_owner, metrics = owner(tmp_path)
    assert new_owner.replay(decided) == 3
    assert [c.seq for c in new_owner.states.window("b1")] == [0, 1, 2]
    firings = {"rule": "r-test", "severity": "medium", "mode": "enforce",
               "category": "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"}
    assert metrics.registry.get_sample_value("cct_rule_firings_total", firings) == 0  # replay counts nothing
    assert metrics.registry.get_sample_value("cct_rule_evaluations_total", {"rule": "r-test", "mode": "enforce"}) == 0
    assert alerts(new_owner, [record(3), record(4)]) == [(alert_id, 3), (alert_id, 4)]

    without_rebuild, _ = owner(tmp_path)
    fresh = alerts(without_rebuild, [record(3), record(4)])
    assert len(fresh) == 1 and fresh[0][0] != alert_id  # what a new owner did before: a second alert


def test_replay_restores_a_partial_window(tmp_path: Path) -> None:
    new_owner, _ = owner(tmp_path)
    new_owner.replay([record(0)])  # one match of the two the window needs
    [(alert_id, count)] = alerts(new_owner, [record(1)])
    assert count == 1 and alert_id


def test_revoke_forgets_only_the_broadcasts_of_revoked_partitions(tmp_path: Path) -> None:
    pipeline, _ = owner(tmp_path)
    pipeline.process([record(0, "b1", partition=0), record(0, "b2", partition=1)])
    assert pipeline.states.rule_states("b1") and pipeline.states.rule_states("b2")
    WindowRebuilder(KafkaSettings(), pipeline).on_assignment({TopicPartition("t", 1)}, assigned=False)
    assert pipeline.states.window("b2") == [] and pipeline.states.window("b1")
    assert pipeline.states.rule_states("b2") == {}
    assert list(pipeline.states.rule_states("b1"))  # b1 keeps its rule window
    assert alerts(pipeline, [record(1, "b2", partition=1)]) == []  # b2's window starts over


def test_one_broadcast_cap_bounds_chunk_and_rule_state(tmp_path: Path) -> None:
    pipeline, _ = owner(tmp_path, max_broadcasts=2)
    assert pipeline.engine is not None and pipeline.engine.states is pipeline.states
    for bid in ("b1", "b2", "b3"):
        pipeline.process([record(0, bid)])
    assert len(pipeline.states) == 2 and pipeline.states.evicted == 1
    assert alerts(pipeline, [record(1, "b1")]) == []  # b1's rule window was evicted with its chunks
    assert len(alerts(pipeline, [record(1, "b3")])) == 1


def test_hot_reload_keeps_unchanged_rule_state_and_drops_a_changed_rule_s(tmp_path: Path) -> None:
    pipeline, metrics = owner(tmp_path)
    pipeline.process([record(0)])
    path = tmp_path / "rules" / "set.yaml"
    reloader = RuleReloader(RulesSettings(paths=[tmp_path / "rules"]), pipeline, metrics)
    reloader.request()
    settle(reloader)
    assert reloader.reloads == 1 and pipeline.engine.states is pipeline.states
    assert len(alerts(pipeline, [record(1)])) == 1  # same sha256: the window carried over

    write_set(path.parent, ruleset({**WINDOWED, "window": {"count": 2, "seconds": 601}}))
    reloader.request()
    settle(reloader)
    assert reloader.reloads == 2
    keys = list(pipeline.states.rule_states("b1"))
    assert keys == [] and alerts(pipeline, [record(2)]) == []  # changed rule: its old state is dropped
