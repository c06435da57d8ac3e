"""Micro-batching across broadcasts: chunks arriving one by one from many broadcasts are scored together.

A worker thread takes the first waiting request, then keeps collecting until `max_batch_size` requests
are in hand or `max_wait_ms` has passed since that first one, and scores them in one call. Callers get
a `Future` per request. This trades at most `max_wait_ms` of latency for the throughput of a batch.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field

ScoreFn = Callable[[Sequence[str], Sequence[Sequence[str]]], list[dict[str, float]]]


@dataclass
class BatcherStats:
    """Counts for monitoring: batches scored, requests scored and the size of each batch."""

    batches: int = 0
    requests: int = 0
    sizes: list[int] = field(default_factory=list)


class MicroBatcher:
    """Collects `submit` calls into batches for `score_fn(texts, contexts)`."""

    def __init__(self, score_fn: ScoreFn, max_batch_size: int = 64, max_wait_ms: float = 20.0) -> None:
        if max_batch_size < 1 or max_wait_ms < 0:
            raise ValueError("max_batch_size must be >= 1 and max_wait_ms >= 0")
        self.score_fn = score_fn
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_ms / 1000.0
        self.stats = BatcherStats()
        self._queue: queue.Queue[tuple[str, list[str], Future] | None] = queue.Queue()
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="cct-microbatcher", daemon=True)
        self._worker.start()

    def submit(self, text: str, context: Sequence[str] = ()) -> Future:
        """Queue one text; the future resolves to its {label: probability}."""
        if self._closed:
            raise RuntimeError("the batcher is closed")
        fut: Future = Future()
        self._queue.put((text, list(context), fut))
        return fut

    def score_many(self, texts: Sequence[str], contexts: Sequence[Sequence[str]] | None = None) -> list[dict[str, float]]:
        """Submit several texts and wait for all of them (they may share batches with other callers)."""
        futures = [self.submit(t, contexts[i] if contexts else ()) for i, t in enumerate(texts)]
        return [f.result() for f in futures]

    def _collect(self) -> list[tuple[str, list[str], Future]] | None:
        first = self._queue.get()
        if first is None:
            return None
        batch = [first]
        deadline = time.monotonic() + self.max_wait_s
        while len(batch) < self.max_batch_size:
            remaining = deadline - time.monotonic()
            try:
                nxt = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                self._queue.put(None)
                break
            batch.append(nxt)
        return batch

    def _run(self) -> None:
        while True:
            batch = self._collect()
            if batch is None:
                return
            try:
                results = self.score_fn([b[0] for b in batch], [b[1] for b in batch])
            except Exception as exc:
                for _, _, fut in batch:
                    fut.set_exception(exc)
                continue
            self.stats.batches += 1
            self.stats.requests += len(batch)
            self.stats.sizes.append(len(batch))
            for (_, _, fut), res in zip(batch, results):
                fut.set_result(res)

    def close(self) -> None:
        """Score what is queued, then stop the worker."""
        if not self._closed:
            self._closed = True
            self._queue.put(None)
            self._worker.join()
