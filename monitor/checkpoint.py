"""The checkpoint: the one owner of a batch's commit sequence — dead letters, then durable sinks, then offsets.

Offsets are committed only after the dead-letter topic acknowledged the batch's dead letters and every
durable sink flushed its decisions. While one of them fails, the source is paused (it keeps polling, so
it keeps its group membership), the health says so, and the failed steps are retried with the shared
backoff policy (`monitor.retry`: 0.2 s doubling to 30 s, half jitter); each retry is counted in
`cct_emit_failures_total`; nothing is dropped and nothing is committed. A stop request during such an outage raises
StopDuringOutage and leaves the batch uncommitted, to be redelivered.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tenacity import RetryCallState

from monitor.health import Health
from monitor.metrics import Metrics
from monitor.pipeline import BatchResult
from monitor.retry import Backoff
from monitor.stages import Sink, Source, SourceRecord

log = logging.getLogger(__name__)


class StopDuringOutage(RuntimeError):
    """Raised when asked to stop while a batch cannot be delivered; its offsets stay uncommitted."""


BACKOFF = Backoff(base_s=0.2, cap_s=30.0)


class Undelivered(Exception):
    """A step of the commit sequence failed; `failing` names it for the health and the log."""

    def __init__(self, failing: str) -> None:
        super().__init__(failing)
        self.failing = failing


@dataclass(slots=True)
class _Progress:
    """What of one batch is delivered so far."""

    dlq_done: bool
    pending_sinks: list[Sink]


class Checkpoint:
    """Completes one batch at a time: dead letters → durable sinks → offsets, in that order."""

    def __init__(self, source: Source, sinks: Sequence[Sink], metrics: Metrics, health: Health,
                 stop_event: threading.Event, backoff: Backoff = BACKOFF, rng: random.Random | None = None) -> None:
        self.source = source
        self.sinks = list(sinks)
        self.metrics = metrics
        self.health = health
        self.stop_event = stop_event
        self._retrying = backoff.retrying(self._sleep_polling, on_exception=lambda e: isinstance(e, Undelivered),
                                          before_sleep=self._pause, rng=rng)

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
        progress = _Progress(dlq_done=not result.dead_letters, pending_sinks=list(self.sinks))
        self._retrying(self._attempt, result, progress)
        retries = self._retrying.statistics["attempt_number"] - 1
        if retries:
            self.source.resume()
            self.metrics.paused.set(0)
            self.health.paused(None)
            log.info("durable sinks recovered after %d retries; consumption resumed", retries)

    def _attempt(self, result: BatchResult, progress: _Progress) -> None:
        """One try at what is still undelivered; raises Undelivered naming what failed."""
        if not progress.dlq_done:
            try:
                self.source.dead_letter(result.dead_letters)
            except Exception as exc:
                log.warning("dead-letter publish failed, will retry: %s", exc)
                raise Undelivered("the dead-letter topic") from exc
            progress.dlq_done = True
        progress.pending_sinks = self._write(progress.pending_sinks, result)
        if progress.pending_sinks:
            raise Undelivered("durable sink " + ", ".join(sink.name for sink in progress.pending_sinks))

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

    def _pause(self, state: RetryCallState) -> None:
        """Before each retry: count it and pause consumption, saying what is failing."""
        failure = state.outcome.exception() if state.outcome is not None else None
        failing = failure.failing if isinstance(failure, Undelivered) else "delivery"
        self.metrics.emit_failures.inc()
        self.metrics.paused.set(1)
        self.health.paused(f"{failing} failing; the batch is retried, polling keeps the group membership")
        self.source.pause()

    def _sleep_polling(self, seconds: float) -> None:
        """Sleep one backoff delay, polling to keep the group membership; a stop request ends it."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.stop_event.is_set():
                raise StopDuringOutage("stopping while a durable sink is down: the batch stays uncommitted")
            self.source.poll(min(0.2, max(0.0, deadline - time.monotonic())))
            self.health.progress()
