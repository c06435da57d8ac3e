"""Measurements 1 and 2: the classifier alone, one chunk at a time (naive) and at its best (ceiling).

All of them run on the same texts: the first chunks of the workload stream the pipeline run produces
(with the context the pipeline's per-broadcast state gives each chunk).

- *naive, chunk alone* — the unoptimised classifier (torch fp32): each chunk tokenised and encoded
  alone, heads applied with the context features zeroed (`monitor.classify.bench.bench_naive`);
- *naive, same job* — what the monitor computes per chunk, one chunk at a time, torch fp32: the chunk
  and each of its context chunks encoded separately, nothing reused;
- *ceiling* — the pipeline's engine at its best settings: every distinct text encoded once, the whole
  set length-sorted globally into batches (`Scorer.embed` with a cold cache over all items at once),
  for each batch size of the sweep and each process × thread layout (one process with every thread,
  or one process per core working on its share of the broadcasts at the same time); the best is the
  ceiling. Each configuration is measured twice and its faster pass kept (a ceiling is the best the
  engine showed; on a shared host a pass can lose its cores for a while). The pipeline does the same work with batches sorted only within a poll, plus decoding, rules
  and sinks, so pipeline / ceiling ≤ 1 by construction.
- *encoders* — the encoder alone for each engine (torch fp32, torch dynamic int8 per-tensor, ONNX
  Runtime fp32 when exported, ONNX Runtime int8): throughput on the same texts and pooled-embedding
  cosine against torch fp32.
"""

from __future__ import annotations

import multiprocessing as mp
import time
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from monitor.classify.bench import bench_naive
from monitor.classify.stage import TransformerClassifier
from monitor.contracts import TranscriptChunk
from monitor.settings import ClassifierSettings, PipelineSettings
from monitor.stages import SourceRecord, WorkItem
from monitor.state import Admission, BroadcastStates


REPEATS = 2


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


def score_all_sorted(classifier: TransformerClassifier, items: Sequence[WorkItem], batch_size: int) -> float:
    """Seconds to score `items` at once: each distinct text encoded once, globally length-sorted batches."""
    scorer = classifier.scorer
    kept, scorer.max_batch_size = scorer.max_batch_size, batch_size
    kept_cache, scorer.cache.size = scorer.cache.size, max(scorer.cache.size, 4 * len(items))
    scorer.clear_cache()
    try:
        t0 = time.perf_counter()
        classifier.score(list(items))
        return time.perf_counter() - t0
    finally:
        scorer.max_batch_size, scorer.cache.size = kept, kept_cache
        scorer.clear_cache()


def share_of(items: Sequence[WorkItem], index: int, parts: int) -> list[WorkItem]:
    """The items of the broadcasts that hash to `index` of `parts` (as a partition split would give them)."""
    return [it for it in items if zlib.crc32(it.chunk.broadcast_id.encode()) % parts == index]


def _layout_worker(settings: ClassifierSettings, chunks: list[dict[str, Any]], pipeline: PipelineSettings, index: int,
                   parts: int, batch_size: int, barrier: Any, results: Any) -> None:
    from monitor.app import build_classifier
    from monitor.settings import Settings

    clf = build_classifier(Settings(classifier=settings))
    items = share_of(work_items(chunks, pipeline), index, parts)
    score_all_sorted(clf, items[:64], batch_size)
    for rep in range(REPEATS):
        barrier.wait()
        t0 = time.time()
        score_all_sorted(clf, items, batch_size)
        results.put((rep, index, len(items), t0, time.time()))


def parallel_ceiling(settings: ClassifierSettings, chunks: list[dict[str, Any]], pipeline: PipelineSettings, processes: int,
                     batch_size: int) -> float:
    """Chunks/s of `processes` classifier processes (each `settings.threads` threads) scoring their shares at once."""
    ctx = mp.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    procs = [ctx.Process(target=_layout_worker, args=(settings, chunks, pipeline, i, processes, batch_size, barrier, results))
             for i in range(processes)]
    for p in procs:
        p.start()
    got = []
    try:
        for _ in range(REPEATS * processes):
            got.append(results.get(timeout=600))
    finally:
        for p in procs:
            p.join(timeout=60)
            if p.is_alive():
                p.kill()
    if any(p.exitcode != 0 for p in procs):
        raise RuntimeError(f"a ceiling worker failed (exit codes {[p.exitcode for p in procs]})")
    best = 0.0
    for rep in range(REPEATS):
        runs = [g for g in got if g[0] == rep]
        span = max(t1 for *_, t1 in runs) - min(t0 for *_, t0, _ in runs)
        best = max(best, sum(n for _, _, n, _, _ in runs) / max(1e-9, span))
    return best


def ceiling(classifier: TransformerClassifier, items: Sequence[WorkItem], batch_sizes: Sequence[int], engine: str,
            layouts: Sequence[tuple[int, int]] = (), settings: ClassifierSettings | None = None,
            chunks: list[dict[str, Any]] | None = None, pipeline: PipelineSettings | None = None) -> dict[str, Any]:
    """The best chunks/s over the batch sizes (one process, every thread) and then the process × thread layouts."""
    sweep: dict[str, dict[str, float]] = {}
    for size in sorted(set(batch_sizes)):
        seconds = min(score_all_sorted(classifier, items, size) for _ in range(REPEATS))
        sweep[str(size)] = {"throughput_cps": round(len(items) / seconds, 1)}
    best = max(sweep, key=lambda s: sweep[s]["throughput_cps"])
    threads = classifier.scorer.encoder.config.threads
    by_layout = {f"1x{threads}": sweep[best]["throughput_cps"]}
    for processes, per in layouts:
        if processes == 1 or settings is None or chunks is None or pipeline is None:
            continue
        cps = parallel_ceiling(settings.model_copy(update={"threads": per}), chunks, pipeline, processes, int(best))
        by_layout[f"{processes}x{per}"] = round(cps, 1)
    layout = max(by_layout, key=lambda k: by_layout[k])
    return {"chunks": len(items), "engine": engine, "sweep": sweep, "best_batch_size": int(best),
            "layouts": by_layout, "best_layout": layout, "throughput_cps": by_layout[layout],
            "method": "each distinct text once, globally length-sorted batches, cold embedding cache"}


def encoder_table(encoders: dict[str, Any], texts: Sequence[str], batch_size: int) -> list[dict[str, Any]]:
    """Per encoder: texts/s on `texts` (length-sorted batches) and pooled-embedding cosine vs the first one."""
    rows, ref = [], None
    for name, enc in encoders.items():
        enc.encode(list(texts[:batch_size]), batch_size)
        t0 = time.perf_counter()
        vecs = enc.encode(list(texts), batch_size)
        cps = len(texts) / (time.perf_counter() - t0)
        ref = vecs if ref is None else ref
        cos = (vecs * ref).sum(1) / (np.linalg.norm(vecs, axis=1) * np.linalg.norm(ref, axis=1))
        rows.append({"encoder": name, "texts_per_s": round(cps, 1), "cosine_min": round(float(cos.min()), 4),
                     "cosine_mean": round(float(cos.mean()), 4)})
    return rows


def encoders_for_table(settings: ClassifierSettings, layers: tuple[int, ...], onnx_dir: Path | None) -> dict[str, Any]:
    """torch fp32 (the reference), torch dynamic int8, ONNX Runtime fp32 (when exported) and int8."""
    from monitor.classify.encoder import Encoder, EncoderConfig
    from monitor.classify.onnx_export import read_manifest
    from monitor.classify.ort_encoder import OnnxEncoder

    cfg = EncoderConfig(model=settings.model, threads=settings.threads, max_tokens=settings.max_tokens,
                        offline=settings.offline, layers=layers)
    out: dict[str, Any] = {"torch fp32": Encoder(cfg), "torch int8 (dynamic, per-tensor)": Encoder(replace(cfg, quantize_int8=True))}
    if onnx_dir is not None and (onnx_dir / "manifest.json").is_file():
        files = read_manifest(onnx_dir)["files"]
        if "fp32" in files:
            out["onnxruntime fp32"] = OnnxEncoder(cfg, onnx_dir, "fp32")
        out["onnxruntime int8 (per-channel weights, per-token act.)"] = OnnxEncoder(cfg, onnx_dir, "int8")
    return out

