"""Hot reload of rule files between batches: mtime polling (`rules.watch`) and SIGHUP (always).

A change (or SIGHUP) makes the reloader load, validate and test the new rule set in full — label
rules with the running classifier — and only then hand it to `Pipeline.set_engine`. The swap runs as a
`Runner.between_batches` hook, so no chunk is ever evaluated against a half-loaded set. Windows and open
alerts of rules whose sha256 did not change carry over. On any failure the old set stays in force, each
problem is logged as `file:line: reason`, `cct_rules_reload_success` drops to 0,
`cct_rules_reload_failures_total` counts it, and every registered operator hook is called.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.narratives.loader import narrative_dirs, set_files
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import Problem, RuleLoadError, discover
from monitor.rules_engine.metrics import rule_metrics
from monitor.rules_engine.stage import build_engine_with, describe_sets, resolve_rule_paths
from monitor.settings import RulesSettings

log = logging.getLogger(__name__)

FailureHook = Callable[[list[Problem]], None]
Fingerprint = tuple[tuple[str, int, int], ...]


def fingerprint(paths: list[Path]) -> Fingerprint:
    """(file, mtime_ns, size) of every rule file and narrative set under `paths`; changes when a file is
    added, removed or edited."""
    out = []
    for path in [*discover(paths), *set_files(narrative_dirs(paths))]:
        try:
            st = path.stat()
        except OSError:
            out.append((str(path), -1, -1))
            continue
        out.append((str(path), st.st_mtime_ns, st.st_size))
    return tuple(out)


def log_failure(problems: list[Problem]) -> None:
    """The default operator hook: one ERROR line per problem."""
    for problem in problems:
        log.error("rule reload rejected, keeping the rules in force: %s", problem)


class RuleReloader:
    """Call it between batches; it reloads when the rule files changed or SIGHUP arrived."""

    def __init__(self, settings: RulesSettings, pipeline: Pipeline, metrics: Metrics,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.paths = resolve_rule_paths(settings.paths)
        self.watch = settings.watch
        self.interval_s = settings.watch_interval_s
        self.pipeline = pipeline
        self.metrics = rule_metrics(metrics)
        self.clock = clock
        self.hooks: list[FailureHook] = [log_failure]
        self._requested = threading.Event()
        self._fingerprint = fingerprint(self.paths)
        self._last_check = clock()
        self.reloads = 0
        self.failures = 0

    def add_failure_hook(self, hook: FailureHook) -> None:
        """Also call `hook(problems)` when a reload is rejected (e.g. to alert operators)."""
        self.hooks.append(hook)

    def request(self) -> None:
        """Ask for a reload at the next batch boundary, changed or not (what SIGHUP does)."""
        self._requested.set()

    def install_sighup(self) -> bool:
        """Reload on SIGHUP; only possible from the main thread. Returns whether it was installed."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "SIGHUP"):
            return False
        signal.signal(signal.SIGHUP, lambda _sig, _frame: self.request())
        return True

    def __call__(self) -> None:
        """The between-batches hook: reload on request; with `watch`, also when the files changed (polled at most
        every `watch_interval_s`)."""
        requested = self._requested.is_set()
        now = self.clock()
        if not requested and (not self.watch or now - self._last_check < self.interval_s):
            return
        self._last_check = now
        current = fingerprint(self.paths)
        if not requested and current == self._fingerprint:
            return
        self._requested.clear()
        self._fingerprint = current
        self.reload()

    def reload(self) -> bool:
        """Build, validate and test the new set; swap it in only if everything passed."""
        self.metrics.reload_timestamp.set(time.time())
        try:
            engine = build_engine_with(self.paths, self.metrics, self.pipeline.classifier)
        except RuleLoadError as exc:
            self._fail(exc.problems)
            return False
        except Exception as exc:  # a reload must never take the monitor down
            log.exception("unexpected error while reloading rules")
            self._fail([Problem(", ".join(str(p) for p in self.paths), 1, f"unexpected error: {exc}")])
            return False
        previous = self.pipeline.engine
        if isinstance(previous, RuleEngine):
            engine.adopt_state(previous)
        engine.publish_metrics()
        self.pipeline.set_engine(engine)
        self.metrics.reload_success.set(1)
        self.reloads += 1
        log.info("rules reloaded: %s", describe_sets(engine))
        return True

    def _fail(self, problems: list[Problem]) -> None:
        self.failures += 1
        self.metrics.reload_success.set(0)
        self.metrics.reload_failures.inc()
        for hook in self.hooks:
            try:
                hook(problems)
            except Exception:
                log.exception("rule reload failure hook failed")
