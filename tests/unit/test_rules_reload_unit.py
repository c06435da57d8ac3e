"""RuleReloader between batches: polls on its interval, swaps only a valid and tested set, keeps the old one otherwise."""

from __future__ import annotations

import os
from pathlib import Path

from prometheus_client import CollectorRegistry
from rules_helpers import item, ruleset, settle, write_set

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rules_engine.loader import Problem
from monitor.rules_engine.reload import RuleReloader
from monitor.rules_engine.stage import engine_from_settings
from monitor.settings import PipelineSettings, RulesSettings


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


WINDOWED = {
    "window": {"count": 2, "seconds": 600},
    "tests": [{"window": ["rigged"], "text": "it is rigged", "expect": "alert"},
              {"text": "it is rigged", "expect": "no_alert"}, {"text": "all fine", "expect": "no_alert"}],
}


def setup(tmp_path: Path, watch: bool = True) -> tuple[RuleReloader, Pipeline, Metrics, Clock, Path]:
    path = write_set(tmp_path / "rules", ruleset(WINDOWED))
    settings = RulesSettings(paths=[tmp_path / "rules"], watch=watch, watch_interval_s=2.0)
    metrics = Metrics(CollectorRegistry())
    pipeline = Pipeline(PipelineSettings(), metrics, None, engine_from_settings(settings, metrics))
    clock = Clock()
    return RuleReloader(settings, pipeline, metrics, clock=clock), pipeline, metrics, clock, path


def touch(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


def sample(metrics: Metrics, name: str) -> float | None:
    return metrics.registry.get_sample_value(name)


def test_broken_change_keeps_the_old_engine_and_reports(tmp_path: Path) -> None:
    reloader, pipeline, metrics, clock, path = setup(tmp_path)
    seen: list[list[Problem]] = []
    reloader.add_failure_hook(seen.append)
    old = pipeline.engine
    touch(path, path.read_text().replace("STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS",
                                         "STATEMENT_CATEGORY_BOGUS"))
    settle(reloader)
    assert pipeline.engine is old, "nothing is checked before the polling interval"
    clock.now = 2.5
    settle(reloader)
    assert pipeline.engine is old
    assert [str(p).split(": ", 1)[1] for p in seen[0]] == ["rule 'r-test': dsa.category: unknown DSA category 'STATEMENT_CATEGORY_BOGUS'"]
    assert sample(metrics, "cct_rules_reload_success") == 0.0
    assert sample(metrics, "cct_rules_reload_failures_total") == 1.0
    clock.now = 5.0
    settle(reloader)
    assert sample(metrics, "cct_rules_reload_failures_total") == 1.0, "an unchanged broken file is not retried"


def test_failing_rule_test_is_rejected(tmp_path: Path) -> None:
    reloader, pipeline, metrics, clock, path = setup(tmp_path)
    old = pipeline.engine
    wrong = ruleset({**WINDOWED, "tests": [*WINDOWED["tests"], {"text": "all fine", "expect": "alert"}]})
    touch(path, write_set(tmp_path / "rules", wrong).read_text())
    clock.now = 3.0
    settle(reloader)
    assert pipeline.engine is old
    assert sample(metrics, "cct_rules_reload_failures_total") == 1.0


def test_valid_change_swaps_and_keeps_state_of_unchanged_rules(tmp_path: Path) -> None:
    reloader, pipeline, metrics, clock, path = setup(tmp_path)
    assert pipeline.engine is not None
    assert pipeline.engine.evaluate([item("rigged", 0)], None)[0].firings == []
    extra = ruleset(WINDOWED, {"id": "r-new"}, set_id="test-set")
    extra["version"] = "1.1.0"
    write_set(tmp_path / "rules", extra)
    touch(path, path.read_text())
    clock.now = 3.0
    settle(reloader)
    engine = pipeline.engine
    assert [r.rule.id for r in engine.rules] == ["r-test", "r-new"]
    assert sample(metrics, "cct_rules_reload_success") == 1.0
    assert metrics.registry.get_sample_value("cct_ruleset_info", {"ruleset": "test-set", "version": "1.1.0",
                                                                   "sha256": engine.sets[0].sha256}) == 1.0
    fired = [f["rule_id"] for f in engine.evaluate([item("rigged", 1)], None)[0].firings]
    assert fired == ["r-test", "r-new"], "r-test's window (seq 0) survived the reload"


def test_request_reloads_without_a_change_even_when_not_watching(tmp_path: Path) -> None:
    reloader, pipeline, _, clock, path = setup(tmp_path, watch=False)
    old = pipeline.engine
    touch(path, path.read_text().replace("title: Test rule", "title: Renamed rule").replace(
        "version: 1.0.0\n  title: Renamed", "version: 1.0.1\n  title: Renamed"))
    clock.now = 10.0
    settle(reloader)
    assert pipeline.engine is old, "without watch, file changes wait for SIGHUP"
    reloader.request()
    settle(reloader)
    assert pipeline.engine is not old and pipeline.engine.rules[0].rule.title == "Renamed rule"
