"""Prometheus metrics, all built against one injectable registry (prefix `cct_`).

Tests pass a fresh `CollectorRegistry`; the running monitor serves its registry on /metrics.
Labelled series that dashboards read are pre-initialised so they show zeros, not gaps.
"""

from __future__ import annotations

import logging
import platform
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, Protocol

from prometheus_client import (
    CollectorRegistry, Counter, Gauge, Histogram, Info, PlatformCollector, ProcessCollector,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

from monitor import __version__
from monitor.classify.labels import DEFAULT_LABELS
from monitor.contracts import InvalidChunk
from monitor.health import Health, serve

log = logging.getLogger(__name__)

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGES = ("decode", "state", "classify", "rules", "emit", "commit")
SKIP_REASONS = ("non_final", "duplicate")
SCORE_BUCKETS = (0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99, 1.0)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024)
CIRCUIT_STATES = {"closed": 0, "half_open": 1, "open": 2}


class Metrics:
    """The monitor's metric families. Other modules add theirs through `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.build_info = Info("cct_build", "Build information of the monitor", registry=r)
        self.build_info.info({"version": __version__, "python": platform.python_version()})
        ProcessCollector(registry=r)
        PlatformCollector(registry=r)
        self.chunks_consumed = Counter("cct_chunks_consumed", "Records polled from the source", registry=r)
        self.chunks_processed = Counter(
            "cct_chunks_processed", "Valid chunks that went through the whole pipeline", registry=r
        )
        self.dead_lettered = Counter(
            "cct_chunks_dead_lettered", "Records sent to the dead-letter topic, by reason", ["reason"], registry=r
        )
        for reason in InvalidChunk.REASONS:
            self.dead_lettered.labels(reason)
        self.processing_errors = Counter(
            "cct_processing_errors", "Records a stage raised on twice, alone, and that were dead-lettered as "
            "processing_error, by stage and exception class", ["stage", "exception"], registry=r,
        )
        self.skipped = Counter("cct_chunks_skipped", "Chunks skipped, by reason", ["reason"], registry=r)
        for reason in SKIP_REASONS:
            self.skipped.labels(reason)
        self.late_chunks = Counter(
            "cct_chunks_late", "Chunks that arrived after a higher seq of the same broadcast", registry=r
        )
        self.stage_seconds = Histogram(
            "cct_stage_duration_seconds", "Time spent per batch in each pipeline stage", ["stage"],
            buckets=STAGE_BUCKETS, registry=r,
        )
        for stage in STAGES:
            self.stage_seconds.labels(stage)
        self.decision_latency = Histogram(
            "cct_decision_latency_seconds", "Chunk `ts` to decision", buckets=LATENCY_BUCKETS, registry=r
        )
        self.batch_records = Histogram(
            "cct_batch_records", "Records per polled batch",
            buckets=BATCH_BUCKETS, registry=r,
        )
        self.broadcasts_active = Gauge("cct_broadcasts_active", "Broadcasts with state in this process", registry=r)
        self.unsupported_language = Counter(
            "cct_unsupported_language_chunks", "Chunks in a language the classifier does not read (not scored), "
            "by language", ["language"], registry=r,
        )
        self.emit_failures = Counter(
            "cct_emit_failures", "Batches whose durable sinks failed and were retried", registry=r
        )
        self.paused = Gauge("cct_consumption_paused", "1 while consumption is paused for a failing durable sink", registry=r)
        self.last_batch_timestamp = Gauge(
            "cct_last_batch_timestamp_seconds", "Unix time the last batch was committed", registry=r
        )

        self.classifier_batch_size = Histogram(
            "cct_classifier_batch_size", "Chunks per classifier call", buckets=BATCH_BUCKETS, registry=r
        )
        self.scores = Histogram(
            "cct_classifier_score", "Classifier score per label", ["label"], buckets=SCORE_BUCKETS, registry=r
        )
        for label in DEFAULT_LABELS:
            self.scores.labels(label)
        self.alerts_raised = Counter(
            "cct_alerts_raised", "Alerts (new or folded repeats) raised by the rules, by rule/severity/category",
            ["rule", "severity", "category"], registry=r,
        )
        self.alerts_routed = Counter(
            "cct_alerts", "Alerts routed to a channel, by rule/severity/category/channel",
            ["rule", "severity", "category", "channel"], registry=r,
        )
        self.alert_deliveries = Counter(
            "cct_alert_deliveries", "Alerts acknowledged by a channel", ["channel", "durable"], registry=r
        )
        self.alert_failures = Counter(
            "cct_alert_delivery_failures", "Failed delivery attempts, by channel", ["channel", "durable"], registry=r
        )
        self.alert_retries = Counter(
            "cct_alert_delivery_retries", "Delivery attempts that repeat a failed one", ["channel", "durable"], registry=r
        )
        self.alert_dropped = Counter(
            "cct_alert_dropped", "Alerts a best-effort channel dropped because its queue was full",
            ["channel", "durable"], registry=r,
        )
        self.alert_queue_depth = Gauge(
            "cct_alert_queue_depth", "Alerts waiting in a channel queue", ["channel", "durable"], registry=r
        )
        self.alert_circuit_state = Gauge(
            "cct_alert_channel_circuit_state", "Circuit breaker per channel: 0 closed, 1 half-open, 2 open",
            ["channel", "durable"], registry=r,
        )
        self.alert_delivery_latency = Histogram(
            "cct_alert_delivery_latency_seconds", "Chunk `ts` to the channel acknowledging the alert",
            ["channel", "durable"], buckets=LATENCY_BUCKETS, registry=r,
        )
        self.kafka_access_failures = Counter(
            "cct_kafka_access_failures", "Kafka authentication, authorisation or TLS failures (the monitor exits on one)",
            ["kind"], registry=r,
        )
        for kind in ("authentication", "authorisation", "tls"):
            self.kafka_access_failures.labels(kind)
        self.kafka = KafkaStats(registry=r)

    def init_classifier_labels(self, labels: Iterable[str]) -> None:
        """Pre-initialise the score histogram of every label a classifier reports."""
        for label in labels:
            self.scores.labels(label)

    def init_channel(self, channel: str, durable: bool) -> None:
        """Pre-initialise every per-channel series so dashboards show zeros before the first alert."""
        d = "true" if durable else "false"
        for family in (
            self.alert_deliveries, self.alert_failures, self.alert_retries, self.alert_dropped,
            self.alert_queue_depth, self.alert_circuit_state, self.alert_delivery_latency,
        ):
            family.labels(channel, d)

    def observe_scores(self, batch: Sequence[dict[str, float]]) -> None:
        """One classifier call: its size and every label score."""
        self.classifier_batch_size.observe(len(batch))
        children: dict[str, Any] = {}  # one `labels()` lookup (a lock and a key build) per label, not per score
        for scores in batch:
            for label, value in scores.items():
                child = children.get(label)
                if child is None:
                    child = children[label] = self.scores.labels(label)
                child.observe(value)

    def serve(self, host: str, port: int, health: Health | None = None) -> int:
        """Start the /metrics (and, with `health`, /healthz and /readyz) endpoint in a daemon thread; returns the port."""
        return serve(host, port, self.registry, health)


class OffsetsFetcher(Protocol):
    """Reads offsets from the broker for the lag series (see monitor.sources.kafka_offsets)."""

    def high_watermarks(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]: ...

    def committed(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]: ...


class KafkaStats(Collector):
    """Per-partition consumer state, turned into lag and idle-time series at scrape time.

    The poll loop records assignments, the partitions it got records from and what it committed.
    At each scrape the collector asks `fetcher` (a client of its own, never the group member's
    non-thread-safe consumer) for the high watermarks, and for committed offsets not known yet;
    if the broker does not answer, the last known values are served.
    """

    def __init__(self, registry: CollectorRegistry | None = None, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._high: dict[tuple[str, int], int] = {}
        self._committed: dict[tuple[str, int], int] = {}
        self._last_record: dict[tuple[str, int], float] = {}
        self._assigned: set[tuple[str, int]] = set()
        self._rebalances = 0
        self.fetcher: OffsetsFetcher | None = None
        if registry is not None:
            registry.register(self)

    def assigned(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Partitions this member now owns; their idle clock starts now."""
        now = self._clock()
        with self._lock:
            self._rebalances += 1
            for tp in partitions:
                self._assigned.add(tp)
                self._last_record.setdefault(tp, now)

    def revoked(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Partitions taken away: their series disappear from this member."""
        with self._lock:
            self._rebalances += 1
            for tp in partitions:
                self._assigned.discard(tp)
                for table in (self._high, self._committed, self._last_record):
                    table.pop(tp, None)

    def polled(self, partitions: Iterable[tuple[str, int]]) -> None:
        """Records arrived from these partitions."""
        now = self._clock()
        with self._lock:
            for tp in partitions:
                self._last_record[tp] = now

    def committed(self, offsets: dict[tuple[str, int], int]) -> None:
        """The next offsets to consume, as committed (or found committed) for the group.

        The log end is at least what was committed, so a high watermark fetched before the commit is raised to it.
        """
        with self._lock:
            self._committed.update(offsets)
            for tp, off in offsets.items():
                if tp in self._high and self._high[tp] < off:
                    self._high[tp] = off

    def high_watermarks(self, offsets: dict[tuple[str, int], int]) -> None:
        """The log-end offsets fetched from the broker."""
        with self._lock:
            self._high.update(offsets)

    def assigned_partitions(self) -> list[tuple[str, int]]:
        """The partitions this member owns now."""
        with self._lock:
            return sorted(self._assigned)

    def needs_committed(self) -> list[tuple[str, int]]:
        """Assigned partitions whose committed offset is not known yet."""
        with self._lock:
            return sorted(tp for tp in self._assigned if tp not in self._committed)

    def refresh(self) -> None:
        """Fetch high watermarks of the assigned partitions (and unknown committed offsets) from the broker."""
        fetcher = self.fetcher
        with self._lock:
            assigned = sorted(self._assigned)
        if fetcher is None or not assigned:
            return
        try:
            self.high_watermarks(fetcher.high_watermarks(assigned))
            unknown = self.needs_committed()
            if unknown:
                self.committed(fetcher.committed(unknown))
        except Exception as exc:  # a scrape must never fail because the broker is slow or down
            log.warning("consumer-lag refresh failed (%s: %s); serving the last known offsets", exc.__class__.__name__, exc)

    def collect(self) -> Iterator[GaugeMetricFamily | CounterMetricFamily]:
        self.refresh()
        now = self._clock()
        labels = ["topic", "partition"]
        lag = GaugeMetricFamily("cct_kafka_consumer_lag", "High watermark minus committed offset (never negative)", labels=labels)
        high = GaugeMetricFamily("cct_kafka_high_watermark", "Log-end offset of an assigned partition", labels=labels)
        committed = GaugeMetricFamily("cct_kafka_committed_offset", "Committed offset of an assigned partition", labels=labels)
        idle = GaugeMetricFamily(
            "cct_kafka_seconds_since_last_record", "Seconds since the last record from an assigned partition", labels=labels
        )
        assigned = GaugeMetricFamily("cct_kafka_assigned_partitions", "Partitions assigned to this member")
        rebalances = CounterMetricFamily("cct_kafka_rebalances", "Partition assignment changes (assigned or revoked)")
        with self._lock:
            for tp in sorted(self._assigned):
                lv = [tp[0], str(tp[1])]
                hw, co = self._high.get(tp), self._committed.get(tp)
                if hw is not None:
                    high.add_metric(lv, hw)
                if co is not None:
                    committed.add_metric(lv, co)
                if hw is not None and co is not None:
                    lag.add_metric(lv, max(0, hw - co))
                idle.add_metric(lv, max(0.0, now - self._last_record.get(tp, now)))
            assigned.add_metric([], len(self._assigned))
            rebalances.add_metric([], self._rebalances)
        yield from (lag, high, committed, idle, assigned, rebalances)

    def describe(self) -> list:
        return []
