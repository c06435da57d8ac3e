"""The pipeline's rules stage built from settings: load, validate, self-test, compile."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Sequence
from pathlib import Path

from monitor.metrics import Metrics
from monitor.narratives.index import TextEncoder
from monitor.narratives.matcher import encoder_for
from monitor.rules_engine.engine import RuleEngine
from monitor.rules_engine.loader import RuleLoadError, load_or_raise
from monitor.rules_engine.metrics import RuleMetrics, rule_metrics
from monitor.rules_engine.model import KNOWN_LABELS
from monitor.rules_engine.testing import Scorer, run_rule_tests
from monitor.settings import RulesSettings
from monitor.stages import Classifier

log = logging.getLogger(__name__)

CHECKOUT = Path(__file__).resolve().parents[2]


def resolve_rule_paths(paths: Sequence[Path | str]) -> list[Path]:
    """Rule paths as configured; a relative path missing under the working directory is taken from this
    checkout when it exists there, so the default `rules` works from any directory of a clone."""
    resolved = []
    for raw in paths:
        path = Path(raw)
        if not path.is_absolute() and not path.exists() and (CHECKOUT / path).exists():
            path = CHECKOUT / path
        resolved.append(path)
    return resolved


def build_engine(
    paths: Sequence[Path | str], metrics: RuleMetrics | None = None, scorer: Scorer | None = None,
    labels: Sequence[str] = KNOWN_LABELS, encoder: TextEncoder | None = None, languages: Sequence[str] | None = None,
) -> RuleEngine:
    """Load and validate the rule files, run their inline tests, compile them.

    Tests of rules that read classifier scores run only when a `scorer` is given, and only in the `languages`
    it reads; `encoder` is the narrative matcher's (see `RuleEngine`). Raises RuleLoadError (with every `file:line: reason`) when a file does not
    validate or a test fails.
    """
    sets = load_or_raise(resolve_rule_paths(paths), labels)
    report = run_rule_tests(sets, scorer, encoder=encoder, languages=languages)
    if report.failed:
        raise RuleLoadError([o.problem() for o in report.failed])
    engine = RuleEngine(sets, metrics, encoder=encoder)
    note = (" (rules reading classifier scores are tested when a classifier reading the test's language is present)"
            if report.skipped else "")
    log.info("rule tests: %s%s", report.summary(), note)
    return engine


def build_engine_with(
    paths: Sequence[Path | str], metrics: RuleMetrics | None, classifier: Classifier | None
) -> RuleEngine:
    """`build_engine` whose label rules are tested with `classifier` (and its labels) when there is one, and
    whose narrative matcher reuses the classifier's embeddings."""
    if classifier is None:
        return build_engine(paths, metrics)
    # a routing classifier releases the multilingual engine again if only the tests loaded it
    lazy = getattr(classifier, "lazy_through", None)
    with lazy() if lazy is not None else contextlib.nullcontext():
        return build_engine(paths, metrics, scorer=classifier.score,
                            labels=tuple(dict.fromkeys((*KNOWN_LABELS, *classifier.info.labels))),
                            encoder=encoder_for(classifier), languages=classifier.info.languages)


def engine_from_settings(settings: RulesSettings, metrics: Metrics, classifier: Classifier | None = None) -> RuleEngine:
    """The RuleEngine for `settings.paths`, its metrics registered on `metrics.registry`.

    With a classifier, every inline rule test runs at start, label rules included, as on a reload.
    """
    rm = rule_metrics(metrics)
    rm.reload_timestamp.set(time.time())
    try:
        engine = build_engine_with(settings.paths, rm, classifier)
    except RuleLoadError:
        rm.reload_success.set(0)
        raise
    rm.reload_success.set(1)
    engine.publish_metrics()
    log.info("rules loaded: %s", describe_sets(engine))
    return engine


def describe_sets(engine: RuleEngine) -> str:
    """The sets in force as `id@version, …` with the combined sha256, for log lines."""
    info = engine.info
    sets = ", ".join(f"{s['id']}@{s['version']}" for s in info["sets"])
    return f"{sets} (sha256 {info['sha256'][:12]})"
