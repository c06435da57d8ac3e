"""Classifier throughput and latency on realistic chunks (10–40 words): batched fp32/int8 and the
naive per-chunk baseline, measured in one run. `cct-monitor bench` and scripts/bench_classifier.py use it."""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from monitor.classify.batcher import MicroBatcher
from monitor.classify.stage import TransformerClassifier, classifier_from_settings
from monitor.settings import ClassifierSettings

DATA = Path(__file__).resolve().parents[1] / "data"
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64, 128)


@dataclass
class BenchRow:
    """One measured configuration."""

    mode: str
    precision: str
    batch_size: int
    chunks: int
    chunks_per_s: float
    batch_ms_p50: float
    batch_ms_p95: float


def realistic_chunks(n: int, seed: int = 0) -> list[str]:
    """`n` transcript-like chunks of 10–40 words, cut from the bundled sample broadcast and the
    project-written example speech (so every chunk is distinct and of live-speech length)."""
    words: list[str] = []
    for path in sorted(DATA.glob("*.jsonl")) + sorted((DATA / "synthetic").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line).get("text")
                if isinstance(text, str):
                    words.extend(text.split())
    if len(words) < 100:
        raise RuntimeError(f"not enough bundled text under {DATA} to build benchmark chunks")
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        size = rng.randint(10, 40)
        start = rng.randrange(0, len(words) - size)
        out.append(" ".join(words[start : start + size]))
    return out


def _percentiles(ms: Sequence[float]) -> tuple[float, float]:
    arr = np.asarray(ms)
    return round(float(np.percentile(arr, 50)), 2), round(float(np.percentile(arr, 95)), 2)


def bench_batched(clf: TransformerClassifier, chunks: Sequence[str], batch_size: int, precision: str) -> BenchRow:
    """Score `chunks` in consecutive batches of `batch_size` with a cold embedding cache."""
    clf.scorer.clear_cache()
    clf.scorer.max_batch_size = max(clf.scorer.max_batch_size, batch_size)
    lat = []
    t0 = time.perf_counter()
    for start in range(0, len(chunks), batch_size):
        t = time.perf_counter()
        clf.score_texts(chunks[start : start + batch_size])
        lat.append((time.perf_counter() - t) * 1000)
        clf.scorer.clear_cache()
    total = time.perf_counter() - t0
    p50, p95 = _percentiles(lat)
    return BenchRow("batched", precision, batch_size, len(chunks), round(len(chunks) / total, 1), p50, p95)


def bench_naive(clf: TransformerClassifier, chunks: Sequence[str], precision: str) -> BenchRow:
    """The naive baseline: one chunk at a time, tokenised and encoded alone (no batching, no length
    sorting, no embedding cache), then the heads applied."""
    enc = clf.scorer.encoder
    lat = []
    t0 = time.perf_counter()
    for text in chunks:
        t = time.perf_counter()
        vec = enc.encode_batch([text])
        clf.scorer.predictor.predict(vec, np.zeros_like(vec), np.zeros(1, dtype=bool), [text])
        lat.append((time.perf_counter() - t) * 1000)
    total = time.perf_counter() - t0
    p50, p95 = _percentiles(lat)
    return BenchRow("naive-per-chunk", precision, 1, len(chunks), round(len(chunks) / total, 1), p50, p95)


def bench_microbatcher(clf: TransformerClassifier, chunks: Sequence[str], broadcasts: int, max_batch_size: int,
                       max_wait_ms: float, precision: str) -> BenchRow:
    """`broadcasts` concurrent producers each submit their chunks one at a time through a MicroBatcher;
    latency is per chunk (submit → score)."""
    clf.scorer.clear_cache()
    batcher = MicroBatcher(clf.score_texts, max_batch_size=max_batch_size, max_wait_ms=max_wait_ms)
    share = [chunks[i::broadcasts] for i in range(broadcasts)]
    lat: list[float] = []

    def produce(mine: list[str]) -> None:
        for text in mine:
            t = time.perf_counter()
            batcher.submit(text).result()
            lat.append((time.perf_counter() - t) * 1000)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(broadcasts) as pool:
        list(pool.map(produce, share))
    total = time.perf_counter() - t0
    batcher.close()
    p50, p95 = _percentiles(lat)
    mean_batch = statistics.mean(batcher.stats.sizes) if batcher.stats.sizes else 0
    return BenchRow(f"microbatch({broadcasts} broadcasts, mean batch {mean_batch:.0f})", precision, max_batch_size,
                    len(chunks), round(len(chunks) / total, 1), p50, p95)


def run_bench(
    settings: ClassifierSettings, n_chunks: int = 512, batch_sizes: Sequence[int] = BATCH_SIZES,
    precisions: Sequence[str] = ("fp32", "int8"), naive_chunks: int = 128, broadcasts: int = 0,
    report: Callable[[BenchRow], None] | None = None,
) -> list[BenchRow]:
    """Measure every precision × batch size, plus the naive baseline (and the micro-batcher when
    `broadcasts` > 0). Rows are passed to `report` as they are measured and returned."""
    chunks = realistic_chunks(n_chunks)
    rows: list[BenchRow] = []

    def add(row: BenchRow) -> None:
        rows.append(row)
        if report:
            report(row)

    for precision in precisions:
        clf = classifier_from_settings(settings.model_copy(update={"engine": "torch", "quantize_int8": precision == "int8"}))
        clf.score_texts(chunks[:8])
        add(bench_naive(clf, chunks[:naive_chunks], precision))
        for size in batch_sizes:
            add(bench_batched(clf, chunks, size, precision))
        if broadcasts:
            add(bench_microbatcher(clf, chunks, broadcasts, settings.max_batch_size, settings.max_wait_ms, precision))
    return rows


def format_row(row: BenchRow) -> str:
    """One aligned text line for a result row."""
    return (f"{row.mode:<42} {row.precision:<5} batch {row.batch_size:>4}  {row.chunks_per_s:>8.1f} chunks/s  "
            f"batch latency p50 {row.batch_ms_p50:>8.2f} ms  p95 {row.batch_ms_p95:>8.2f} ms")


def rows_as_dicts(rows: Sequence[BenchRow]) -> list[dict]:
    """Rows as plain data (JSON output)."""
    return [asdict(r) for r in rows]
