"""The single-threaded poll → process → emit → commit loop and its lifecycle.

Offsets are committed only after every durable sink has flushed the batch's decisions and the
dead letters are acknowledged. While a durable sink fails, the source is paused (it keeps
polling, so it keeps its group membership) and the batch is retried with backoff; nothing is
dropped. SIGTERM/SIGINT finish the in-flight batch, flush, commit and leave the group.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Callable, Sequence

from monitor.health import Health
from monitor.metrics import Metrics
from monitor.pipeline import BatchResult, Pipeline
from monitor.stages import Sink, Source, SourceRecord

log = logging.getLogger(__name__)


def install_signal_handlers(stop_event: threading.Event) -> None:
    """SIGTERM and SIGINT set `stop_event`: the loop finishes its in-flight batch, flushes, commits and leaves."""

    def _stop(signum: int, _frame: object) -> None:
        log.info("received %s: finishing the in-flight batch, then stopping", signal.Signals(signum).name)
        stop_event.set()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)


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

    def reset(self) -> None:
        self.attempt = 0


class Runner:
    """Drives a Source through a Pipeline into Sinks until stopped or the source is exhausted."""

    def __init__(
        self,
        source: Source,
        pipeline: Pipeline,
        sinks: Sequence[Sink],
        metrics: Metrics,
        poll_timeout_s: float = 0.5,
        between_batches: Sequence[Callable[[], None]] = (),
        stop_event: threading.Event | None = None,
        health: Health | None = None,
    ) -> None:
        self.source = source
        self.pipeline = pipeline
        self.sinks = list(sinks)
        self.metrics = metrics
        self.poll_timeout_s = poll_timeout_s
        self.between_batches = list(between_batches)
        self.stop_event = stop_event or threading.Event()
        self.health = health or Health(window_s=float("inf"))
        self.batches = 0
        self.processed = 0
        self.dead_lettered = 0

    def stop(self) -> None:
        self.stop_event.set()

    def run(self) -> None:
        """Loop until stopped; always flushes sinks and closes the source on the way out."""
        try:
            while not self.stop_event.is_set():
                for hook in self.between_batches:
                    hook()
                records = self.source.poll(self.poll_timeout_s)
                self.health.progress()
                if not records:
                    if self.source.exhausted:
                        break
                    continue
                self.handle_batch(records)
        except StopDuringOutage as exc:
            log.error("%s", exc)
        finally:
            self.health.stopped()
            for sink in self.sinks:
                try:
                    sink.flush()
                    sink.close()
                except Exception:
                    log.exception("sink %s failed to close cleanly", sink.name)
            self.source.close()
            log.info(
                "stopped after %d batches: %d chunks decided, %d dead-lettered",
                self.batches, self.processed, self.dead_lettered,
            )

    def handle_batch(self, records: list[SourceRecord]) -> BatchResult:
        """Process, emit and commit one batch."""
        m = self.metrics
        m.chunks_consumed.inc(len(records))
        m.batch_records.observe(len(records))
        result = self.pipeline.process(records)
        t0 = time.perf_counter()
        self._deliver(result)
        t1 = time.perf_counter()
        self.source.commit(records)
        t2 = time.perf_counter()
        m.stage_seconds.labels("emit").observe(t1 - t0)
        m.stage_seconds.labels("commit").observe(t2 - t1)
        m.chunks_processed.inc(len(result.decisions))
        m.last_batch_timestamp.set(time.time())
        self.batches += 1
        self.processed += len(result.decisions)
        self.dead_lettered += len(result.dead_letters)
        return result

    def _deliver(self, result: BatchResult) -> None:
        """Write dead letters and decisions; retry until every durable sink has them."""
        backoff = Backoff()
        pending_sinks = list(self.sinks)
        dlq_done = not result.dead_letters
        while True:
            failing = "the dead-letter topic"
            try:
                if not dlq_done:
                    self.source.dead_letter(result.dead_letters)
                    dlq_done = True
                still_pending = []
                for sink in pending_sinks:
                    try:
                        sink.write(result.decisions)
                        sink.flush()
                    except Exception as exc:
                        if not sink.durable:
                            log.warning("best-effort sink %s failed: %s", sink.name, exc)
                            continue
                        log.warning("durable sink %s failed, will retry: %s", sink.name, exc)
                        still_pending.append(sink)
                pending_sinks = still_pending
                if not pending_sinks:
                    break
                failing = "durable sink " + ", ".join(sink.name for sink in pending_sinks)
            except Exception as exc:
                log.warning("dead-letter publish failed, will retry: %s", exc)
            self.metrics.emit_failures.inc()
            self.metrics.paused.set(1)
            self.health.paused(f"{failing} failing; the batch is retried, polling keeps the group membership")
            self.source.pause()
            delay = backoff.next_delay()
            deadline = time.monotonic() + delay
            while time.monotonic() < deadline:
                if self.stop_event.is_set():
                    raise StopDuringOutage("stopping while a durable sink is down: the batch stays uncommitted")
                self.source.poll(min(0.2, max(0.0, deadline - time.monotonic())))
                self.health.progress()
        if backoff.attempt:
            self.source.resume()
            self.metrics.paused.set(0)
            self.health.paused(None)
            log.info("durable sinks recovered after %d retries; consumption resumed", backoff.attempt)
