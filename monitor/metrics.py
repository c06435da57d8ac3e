"""Prometheus metrics, all built against one injectable registry (prefix `cct_`).

Tests pass a fresh `CollectorRegistry`; the running monitor serves its registry on /metrics.
Labelled series that dashboards read are pre-initialised so they show zeros, not gaps.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, start_http_server

from monitor import __version__
from monitor.contracts import InvalidChunk

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0)
STAGE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
STAGES = ("decode", "state", "classify", "rules", "emit", "commit")
SKIP_REASONS = ("non_final", "duplicate")


class Metrics:
    """The monitor's metric families. Other modules add theirs through `registry`."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.build_info = Info("cct_build", "Build information of the monitor", registry=r)
        self.build_info.info({"version": __version__})
        self.chunks_consumed = Counter("cct_chunks_consumed", "Records polled from the source", registry=r)
        self.chunks_processed = Counter(
            "cct_chunks_processed", "Valid chunks that went through the whole pipeline", registry=r
        )
        self.dead_lettered = Counter(
            "cct_chunks_dead_lettered", "Records sent to the dead-letter topic, by reason", ["reason"], registry=r
        )
        for reason in InvalidChunk.REASONS:
            self.dead_lettered.labels(reason)
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
            buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024), registry=r,
        )
        self.broadcasts_active = Gauge("cct_broadcasts_active", "Broadcasts with state in this process", registry=r)
        self.emit_failures = Counter(
            "cct_emit_failures", "Batches whose durable sinks failed and were retried", registry=r
        )
        self.paused = Gauge("cct_consumption_paused", "1 while consumption is paused for a failing durable sink", registry=r)
        self.last_batch_timestamp = Gauge(
            "cct_last_batch_timestamp_seconds", "Unix time the last batch was committed", registry=r
        )

    def serve(self, host: str, port: int) -> int:
        """Start the /metrics HTTP endpoint in a daemon thread; returns the bound port."""
        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        return server.server_port
