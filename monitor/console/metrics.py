"""The console's Prometheus metrics: reviews by outcome (via ReviewMetrics), time to first review, queue depth."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

# From "within the broadcast delay" to "the next day": the spread a T&S lead asks about.
FIRST_REVIEW_BUCKETS = (5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 24 * 3600)


class ConsoleMetrics:
    """Registered on `registry`; `queue_depth` is read at scrape time."""

    def __init__(self, registry: CollectorRegistry, queue_depth: Callable[[], dict[str, int]]) -> None:
        self.queue_depth = queue_depth
        self.first_review = Histogram(
            "cct_alert_first_review_seconds", "Time from an alert's detection to its first review (any channel), by outcome",
            ["outcome"], buckets=FIRST_REVIEW_BUCKETS, registry=registry,
        )
        self.console_reviews = Counter(
            "cct_console_reviews", "Reviews recorded through the console, by outcome", ["outcome"], registry=registry,
        )
        self.publish_failures = Counter(
            "cct_console_review_publish_failures", "Reviews logged but not published on the reviews topic",
            registry=registry,
        )
        registry.register(self)

    def observe_first_review(self, body: dict[str, Any], seconds: float) -> None:
        self.first_review.labels(body["outcome"]).observe(seconds)

    def collect(self) -> Iterable[GaugeMetricFamily]:
        family = GaugeMetricFamily("cct_console_queue_depth", "Open alerts (unreviewed or escalated), by severity",
                                   labels=["severity"])
        for severity, count in self.queue_depth().items():
            family.add_metric([severity], count)
        yield family

    def describe(self) -> Iterable[GaugeMetricFamily]:
        return []
