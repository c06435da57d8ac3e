"""Measurements 1 and 2: the classifier alone, one chunk at a time (naive) and with its best batching (ceiling).

Both use the classifier's own measurement helpers (`monitor.classify.bench`) on the texts of the same
workload stream the pipeline run produces: the naive baseline tokenises and encodes each chunk alone;
the ceiling scores consecutive batches with a cold embedding cache, for each encoder batch size of the
sweep, and keeps the best.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from monitor.classify.bench import bench_batched, bench_naive
from monitor.classify.stage import TransformerClassifier


def naive(classifier: TransformerClassifier, texts: Sequence[str], precision: str) -> dict[str, Any]:
    """Chunks/s scoring one chunk at a time through encoder + heads."""
    row = bench_naive(classifier, list(texts), precision)
    return {"chunks": row.chunks, "throughput_cps": row.chunks_per_s, "ms_per_chunk_p50": row.batch_ms_p50,
            "ms_per_chunk_p95": row.batch_ms_p95}


def ceiling(classifier: TransformerClassifier, texts: Sequence[str], batch_sizes: Sequence[int], precision: str) -> dict[str, Any]:
    """The best chunks/s over the batch sizes (ascending), each on its own consecutive slice of `texts`."""
    sizes = sorted(set(batch_sizes))
    per = max(1, len(texts) // len(sizes))
    sweep: dict[str, dict[str, float]] = {}
    for k, size in enumerate(sizes):
        row = bench_batched(classifier, list(texts[k * per : (k + 1) * per]), size, precision)
        sweep[str(size)] = {"throughput_cps": row.chunks_per_s, "batch_ms_p50": row.batch_ms_p50, "batch_ms_p95": row.batch_ms_p95}
    best = max(sweep, key=lambda s: sweep[s]["throughput_cps"])
    return {"chunks_per_batch_size": per, "precision": precision, "sweep": sweep, "best_batch_size": int(best),
            "throughput_cps": sweep[best]["throughput_cps"]}
