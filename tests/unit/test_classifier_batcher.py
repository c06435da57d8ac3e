"""The micro-batcher hands every caller its own result and never exceeds the batch size."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from monitor.classify.batcher import MicroBatcher


def _score(texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    return [{"len": float(len(t)), "ctx": float(len(c))} for t, c in zip(texts, contexts)]


def test_results_reach_their_callers_across_concurrent_broadcasts() -> None:
    batcher = MicroBatcher(_score, max_batch_size=8, max_wait_ms=50)
    results: dict[tuple[int, int], dict[str, float]] = {}

    def broadcast(b: int) -> None:
        for seq in range(20):
            text = "x" * (b * 100 + seq)
            results[(b, seq)] = batcher.submit(text, ["prev"] * (seq % 3)).result()

    threads = [threading.Thread(target=broadcast, args=(b,)) for b in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    batcher.close()
    assert all(results[(b, s)] == {"len": float(b * 100 + s), "ctx": float(s % 3)} for b in range(6) for s in range(20))
    assert batcher.stats.requests == 120
    assert max(batcher.stats.sizes) <= 8


def test_score_many_keeps_order_and_errors_reach_the_caller() -> None:
    batcher = MicroBatcher(_score, max_batch_size=4, max_wait_ms=0)
    assert [r["len"] for r in batcher.score_many(["a", "bbb", "cc", "dddd", "e"])] == [1.0, 3.0, 2.0, 4.0, 1.0]
    batcher.close()
    with pytest.raises(RuntimeError):
        batcher.submit("late")

    def broken(texts: Sequence[str], contexts: Sequence[Sequence[str]]) -> list[dict[str, float]]:
        raise ValueError("model failed")

    failing = MicroBatcher(broken, max_batch_size=2, max_wait_ms=0)
    with pytest.raises(ValueError, match="model failed"):
        failing.submit("x").result()
    failing.close()
