"""Measurements 1 and 2: the classifier alone, one chunk at a time (naive) and with its best batching (ceiling).

They run on the texts of the same workload stream the pipeline run produces. Two naive baselines:

- *chunk alone* — the classifier's own helper (`monitor.classify.bench.bench_naive`): each chunk
  tokenised and encoded alone, heads applied with the context features zeroed;
- *same job* — what the monitor computes per chunk, done one chunk at a time: the monitor's scorer with
  encoder batch size 1 and its embedding cache emptied before every chunk, so the chunk and each of its
  context chunks (the previous chunks of its broadcast, which heads with `text+context` features read)
  are encoded separately and nothing is reused.

The ceiling (`bench_batched`) scores consecutive batches with a cold embedding cache, for each encoder
batch size of the sweep, and keeps the best.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from monitor.classify.bench import bench_batched, bench_naive
from monitor.classify.stage import TransformerClassifier
from monitor.contracts import TranscriptChunk
from monitor.settings import PipelineSettings
from monitor.stages import SourceRecord, WorkItem
from monitor.state import Admission, BroadcastStates


def work_items(chunks: Sequence[dict[str, Any]], settings: PipelineSettings) -> list[WorkItem]:
    """WorkItems carrying the context the pipeline's per-broadcast state would hand the classifier."""
    states = BroadcastStates(settings.window_seconds, settings.window_max_chunks, settings.dedupe_seqs, settings.max_broadcasts)
    items = []
    for i, raw in enumerate(chunks):
        chunk = TranscriptChunk.model_validate(raw)
        if states.admit(chunk) in (Admission.DUPLICATE, Admission.NON_FINAL):
            continue
        items.append(WorkItem(chunk, SourceRecord("bench", 0, i, None, None), states.context(chunk, settings.context_chunks)))
    return items


def naive(classifier: TransformerClassifier, texts: Sequence[str], precision: str) -> dict[str, Any]:
    """Chunks/s scoring one chunk at a time through encoder + heads."""
    row = bench_naive(classifier, list(texts), precision)
    return {"chunks": row.chunks, "throughput_cps": row.chunks_per_s, "ms_per_chunk_p50": row.batch_ms_p50,
            "ms_per_chunk_p95": row.batch_ms_p95}


def naive_same_job(classifier: TransformerClassifier, items: Sequence[WorkItem]) -> dict[str, Any]:
    """Chunks/s scoring each chunk with its context, one text per encoder call and no embedding reuse."""
    scorer = classifier.scorer
    kept = scorer.max_batch_size
    scorer.max_batch_size = 1
    try:
        t0 = time.perf_counter()
        for item in items:
            scorer.clear_cache()
            classifier.score([item])
        elapsed = time.perf_counter() - t0
    finally:
        scorer.max_batch_size = kept
        scorer.clear_cache()
    with_ctx = sum(1 for item in items if item.context)
    return {"chunks": len(items), "with_context": with_ctx, "context_used": scorer.context_n,
            "throughput_cps": round(len(items) / elapsed, 1)}


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
