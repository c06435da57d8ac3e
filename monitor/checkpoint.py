"""The checkpoint: the one owner of a batch's commit sequence — dead letters, then durable sinks, then offsets.

Offsets are committed only after the dead-letter topic acknowledged the batch's dead letters and every
durable sink flushed its decisions. While one of them fails, the source is paused (it keeps polling, so
it keeps its group membership), the health says so, and the failed steps are retried with backoff;
nothing is dropped and nothing is committed. A stop request during such an outage raises
StopDuringOutage and leaves the batch uncommitted, to be redelivered.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence

from monitor.health import Health
from monitor.metrics import Metrics
from monitor.pipeline import BatchResult
from monitor.stages import Sink, Source, SourceRecord

log = logging.getLogger(__name__)


class StopDuringOutage(RuntimeError):
    """Raised when asked to stop while a batch cannot be delivered; its offsets stay uncommitted."""


class Backoff:
    """Exponential backoff with full jitter."""

    def __init__(self, base_s: float = 0.2, cap_s: float = 30.0, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.attempt = 0
        self.rng = rng or random.Random()

    def next_delay(self) -> float:
        """The next sleep, growing exponentially up to the cap."""
        delay = min(self.cap_s, self.base_s * (2**self.attempt))
        self.attempt += 1
        return self.rng.uniform(delay / 2, delay)


class Checkpoint:
    """Completes one batch at a time: dead letters → durable sinks → offsets, in that order."""

    def __init__(self, source: Source, sinks: Sequence[Sink], metrics: Metrics, health: Health,
                 stop_event: threading.Event) -> None:
        self.source = source
        self.sinks = list(sinks)
        self.metrics = metrics
        self.health = health
        self.stop_event = stop_event

    def complete(self, records: Sequence[SourceRecord], result: BatchResult) -> None:
        """Deliver the batch's dead letters and decisions, then commit its offsets."""
        t0 = time.perf_counter()
        self._deliver(result)
        t1 = time.perf_counter()
        self.source.commit(records)
        t2 = time.perf_counter()
        self.metrics.stage_seconds.labels("emit").observe(t1 - t0)
        self.metrics.stage_seconds.labels("commit").observe(t2 - t1)
        self.metrics.last_batch_timestamp.set(time.time())

    def _deliver(self, result: BatchResult) -> None:
        """Write dead letters and decisions; retry until the dead-letter topic and every durable sink have them."""
        backoff = Backoff()
        pending_sinks = list(self.sinks)
        dlq_done = not result.dead_letters
        while True:
            failing = "the dead-letter topic"
            try:
                if not dlq_done:
                    self.source.dead_letter(result.dead_letters)
                    dlq_done = True
                pending_sinks = self._write(pending_sinks, result)
                if not pending_sinks:
                    break
                failing = "durable sink " + ", ".join(sink.name for sink in pending_sinks)
            except Exception as exc:
                log.warning("dead-letter publish failed, will retry: %s", exc)
            self._wait(backoff, failing)
        if backoff.attempt:
            self.source.resume()
            self.metrics.paused.set(0)
            self.health.paused(None)
            log.info("durable sinks recovered after %d retries; consumption resumed", backoff.attempt)

    def _write(self, sinks: list[Sink], result: BatchResult) -> list[Sink]:
        """Write and flush the decisions to `sinks`; the durable ones that failed (best-effort failures are logged)."""
        still_pending = []
        for sink in sinks:
            try:
                sink.write(result.decisions)
                sink.flush()
            except Exception as exc:
                if not sink.durable:
                    log.warning("best-effort sink %s failed: %s", sink.name, exc)
                    continue
                log.warning("durable sink %s failed, will retry: %s", sink.name, exc)
                still_pending.append(sink)
        return still_pending

    def _wait(self, backoff: Backoff, failing: str) -> None:
        """Pause consumption and sleep the next backoff delay, polling to keep the group membership."""
        self.metrics.emit_failures.inc()
        self.metrics.paused.set(1)
        self.health.paused(f"{failing} failing; the batch is retried, polling keeps the group membership")
        self.source.pause()
        deadline = time.monotonic() + backoff.next_delay()
        while time.monotonic() < deadline:
            if self.stop_event.is_set():
                raise StopDuringOutage("stopping while a durable sink is down: the batch stays uncommitted")
            self.source.poll(min(0.2, max(0.0, deadline - time.monotonic())))
            self.health.progress()
