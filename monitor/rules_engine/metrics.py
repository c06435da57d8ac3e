"""Prometheus families of the rules stage, registered once per registry on the injected `Metrics.registry`."""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge

from monitor.metrics import Metrics

_BY_REGISTRY: weakref.WeakKeyDictionary[CollectorRegistry, RuleMetrics] = weakref.WeakKeyDictionary()


class RuleMetrics:
    """Evaluations, firings, suppressions and folds per rule; rule-set info; reload outcome."""

    def __init__(self, registry: CollectorRegistry) -> None:
        r = registry
        self.evaluations = Counter(
            "cct_rule_evaluations", "Chunks evaluated against a rule", ["rule", "mode"], registry=r
        )
        self.firings = Counter(
            "cct_rule_firings", "Rule firings (shadow included), by rule, effective severity, DSA category and mode",
            ["rule", "severity", "category", "mode"], registry=r,
        )
        self.suppressed = Counter(
            "cct_rule_suppressed", "Chunks that matched a rule but were excepted by an `unless` entry", ["rule"], registry=r
        )
        self.folded = Counter(
            "cct_rule_folded", "Firings folded into an open alert within the rule's cooldown", ["rule"], registry=r
        )
        self.ruleset_info = Gauge(
            "cct_ruleset_info", "Loaded rule sets (value 1), with version and sha256",
            ["ruleset", "version", "sha256"], registry=r,
        )
        self.rules_loaded = Gauge("cct_rules_loaded", "Rules loaded, by mode", ["mode"], registry=r)
        self.reload_success = Gauge(
            "cct_rules_reload_success", "1 if the last rule load or reload succeeded, 0 if it failed", registry=r
        )
        self.reload_timestamp = Gauge(
            "cct_rules_reload_timestamp_seconds", "Unix time of the last rule load or reload attempt", registry=r
        )
        self.reload_failures = Counter(
            "cct_rules_reload_failures", "Rule reloads rejected (validation or tests failed)", registry=r
        )

    def publish_sets(self, sets: list[tuple[str, str, str]], modes: dict[str, int]) -> None:
        """Replace the rule-set info series with the sets now in force."""
        self.ruleset_info.clear()
        for ruleset, version, sha in sets:
            self.ruleset_info.labels(ruleset, version, sha).set(1)
        for mode in ("enforce", "shadow"):
            self.rules_loaded.labels(mode).set(modes.get(mode, 0))


def rule_metrics(metrics: Metrics | CollectorRegistry) -> RuleMetrics:
    """The RuleMetrics of a registry, created on first use (a registry accepts each family once)."""
    registry = metrics.registry if isinstance(metrics, Metrics) else metrics
    found = _BY_REGISTRY.get(registry)
    if found is None:
        found = _BY_REGISTRY[registry] = RuleMetrics(registry)
    return found
