#!/usr/bin/env python3
"""Where a monitor replica's resident memory (and CPU per chunk) goes, component by component (measurement only).

Builds the classify and rules stages as `cct-monitor run` does (`monitor.app`), then runs the pipeline
(no Kafka, no sinks) over the bench workload's English chunks in polls of 256, printing the process RSS
after each step and the peak (VmHWM):

    python scripts/replica_memory.py [--chunks 8000] [--threads 1] [--batch 32] [--multilingual auto|on|off]
                                     [--german 0] [--mixed-share 0] [--no-english-arena] [--poll 256] [--blas-threads N]
    python scripts/replica_memory.py --engine-parts [--library-tokenizers] [--session-config KEY=VALUE ...] [--no-mem-pattern]
    python scripts/replica_memory.py --encode-peaks [--batches 12] [--multilingual-arena shrink|keep|off]

`--german N` appends N German chunks (tests/fixtures/languages/spoken.tsv) at the end, to show the
multilingual engine loading at the first one; `--mixed-share S` puts that share of the workload's broadcasts in
de es fr it nl pl pt ro (the bench's mixed-language phase); `--no-english-arena` runs the English session without
ONNX Runtime's CPU arena; `--poll` sets the records per polled batch; `--blas-threads N` lets numpy's BLAS
use N threads instead of the one the classifier sets; `--engine-parts` instead loads each export's tokenizer
and session on their own (with ONNX Runtime session config entries such as `session.disable_prepacking=1`
and `--no-mem-pattern`, to see what they change). The last line gives the pipeline's CPU time per chunk. `--encode-peaks` instead
runs the multilingual engine alone over `--batches` batches of 32 of the workload's non-English chunks and
prints, per `encode_batch`, its time and how far the peak (VmHWM, reset before each batch) rose above the
RSS before it, with the session's CPU arena shrunk after every run (the engine's setting), kept, or off.
"""

from __future__ import annotations

import argparse
import ctypes
import gc
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def rss() -> tuple[float, float]:
    """(RSS, peak RSS) of this process in MiB."""
    fields = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


class Steps:
    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, name: str) -> None:
        now, peak = rss()
        print(f"{name:<58} RSS {now:7.1f} MiB  {now - self.last:+7.1f}   peak {peak:7.1f}", flush=True)
        self.last = now


def engine_parts(session_config: list[str], mem_pattern: bool, library: bool) -> None:
    """RSS added by each export's tokenizer (`FastTokenizer`, as the engine holds it: the library's model, or the
    lean Unigram; `--library-tokenizers` the library's for both), then its ONNX Runtime session (as `OnnxEncoder`
    opens them; the word embedding is not in the graph, `lookup_tables`, so it is not counted here), with `session_config` entries (KEY=VALUE) and the memory pattern on or off."""
    import onnxruntime as ort
    import tokenizers

    from monitor.classify.fast_tokenizer import FastTokenizer

    step = Steps()
    step("onnxruntime and tokenizers imported")
    held: list[object] = []  # kept alive, as an encoder keeps them
    for name in ("onnx", "onnx-multilingual"):
        export = ROOT / "models" / name
        manifest = json.loads((export / "manifest.json").read_text())
        path = export / manifest["tokenizer"]["file"]
        held.append(tokenizers.Tokenizer.from_file(str(path)) if library else
                    FastTokenizer(path, int(manifest["pad_id"]), manifest["inputs"]))
        step(f"models/{name}: tokenizer" + (" (library)" if library else ""))
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.enable_mem_pattern = mem_pattern
        for entry in session_config:
            key, _, value = entry.partition("=")
            options.add_session_config_entry(key, value)
        held.append(ort.InferenceSession(str(export / manifest["files"]["int8"]["file"]), options,
                                         providers=["CPUExecutionProvider"]))
        step(f"models/{name}: ONNX Runtime session")


def reset_peak() -> None:
    """Start VmHWM again from the current RSS (Linux `clear_refs` 5)."""
    Path("/proc/self/clear_refs").write_text("5")


def encode_peaks(batches: int, threads: int, arena: str) -> None:
    """Per multilingual `encode_batch` of 32 non-English workload chunks: time and peak above the RSS before it."""
    from monitor.bench.workload import Workload
    from monitor.multilingual.engine import MultilingualEncoder

    MultilingualEncoder.memory_arena, MultilingualEncoder.shrink_arena = arena != "off", arena == "shrink"
    chunks = (c for c in Workload(500, seed=7, run_id="mem", non_english_share=0.3) if c["language"] != "en")
    texts = [next(chunks)["text"] for _ in range(32 * batches)]
    encoder = MultilingualEncoder(threads=threads)
    encoder.encode_batch(texts[:32])  # loads the session and tokenizer
    trim = ctypes.CDLL("libc.so.6").malloc_trim
    step, worst, took = Steps(), 0.0, []
    for i in range(batches):
        trim(0)
        before = rss()[0]
        reset_peak()
        t0 = time.perf_counter()
        encoder.encode_batch(texts[32 * i:32 * i + 32])
        took.append(time.perf_counter() - t0)
        worst = max(worst, rss()[1] - before)
        step(f"batch {i + 1}: {1000 * took[-1]:.0f} ms, peak {rss()[1] - before:+.1f} MiB above the RSS before it")
    took.sort()
    print(f"CPU arena {arena}: median {1000 * took[len(took) // 2]:.0f} ms per batch of 32, "
          f"largest rise of the peak {worst:.1f} MiB, RSS after {rss()[0]:.1f} MiB")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--chunks", type=int, default=8000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--multilingual", choices=["auto", "on", "off"], default="auto")
    ap.add_argument("--german", type=int, default=0)
    ap.add_argument("--mixed-share", type=float, default=0.0)
    ap.add_argument("--no-english-arena", action="store_true")
    ap.add_argument("--poll", type=int, default=256)
    ap.add_argument("--blas-threads", type=int, default=None)
    ap.add_argument("--engine-parts", action="store_true")
    ap.add_argument("--session-config", action="append", default=[], metavar="KEY=VALUE")
    ap.add_argument("--no-mem-pattern", action="store_true")
    ap.add_argument("--library-tokenizers", action="store_true")
    ap.add_argument("--encode-peaks", action="store_true")
    ap.add_argument("--batches", type=int, default=12)
    ap.add_argument("--multilingual-arena", choices=["shrink", "keep", "off"], default="shrink")
    args = ap.parse_args()
    if args.engine_parts:
        engine_parts(args.session_config, not args.no_mem_pattern, args.library_tokenizers)
        return
    if args.encode_peaks:
        encode_peaks(args.batches, args.threads, args.multilingual_arena)
        return
    step = Steps()
    step("python")
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import tokenizers  # noqa: F401
    from prometheus_client import CollectorRegistry

    from monitor.app import build_classifier, build_engine
    from monitor.bench.workload import Workload
    from monitor.metrics import Metrics
    from monitor.pipeline import Pipeline
    from monitor.settings import Settings
    from monitor.stages import SourceRecord

    step("imports (numpy, onnxruntime, tokenizers, kafka, pydantic, monitor)")
    settings = Settings()
    settings.rules.paths = [ROOT / "rules"]
    settings.classifier.threads, settings.classifier.max_batch_size = args.threads, args.batch
    settings.classifier.multilingual = args.multilingual
    if args.no_english_arena:
        from monitor.classify.ort_encoder import OnnxEncoder

        OnnxEncoder.memory_arena = False  # the multilingual engine keeps its own (shrunk after every run)
    classifier = build_classifier(settings)
    step("classifier(s) built (the multilingual engine verified, not loaded)")
    metrics = Metrics(CollectorRegistry())
    engine = build_engine(settings, metrics, classifier)
    step("rule engine: rules, narrative indexes, startup rule tests")
    if args.blas_threads:
        from threadpoolctl import threadpool_limits

        threadpool_limits(limits=args.blas_threads, user_api="blas")
    pipeline = Pipeline(settings.pipeline, metrics, classifier, engine)
    stream = iter(Workload(500, seed=7, run_id="mem", non_english_share=args.mixed_share))
    chunks = [next(stream) for _ in range(args.chunks)]
    spoken = (line.split("\t", 1) for line in (ROOT / "tests/fixtures/languages/spoken.tsv").read_text("utf-8").splitlines())
    german = [text for lang, text in spoken if lang == "de"]
    chunks += [{"broadcast_id": "mem-de", "seq": i, "language": "de", "text": german[i % len(german)]}
               for i in range(args.german)]
    records = [SourceRecord("t", 0, i, None, json.dumps(c).encode()) for i, c in enumerate(chunks)]
    cpu, every = 0.0, max(1, 2048 // args.poll)
    for n, start in enumerate(range(0, len(records), args.poll)):
        t0 = time.process_time()
        pipeline.process(records[start:start + args.poll])
        cpu += time.process_time() - t0
        if n % every == every - 1 or start + args.poll >= len(records):
            step(f"after {min(start + args.poll, len(records))} chunks")
    trim = ctypes.CDLL("libc.so.6").malloc_trim
    trim(0)
    step("malloc_trim")
    cached = len(classifier.scorer.cache) if classifier is not None else 0
    if classifier is not None:
        classifier.scorer.clear_cache()
    gc.collect()
    trim(0)
    step(f"the scorer's embedding LRU emptied ({cached} vectors)")
    print(f"pipeline CPU: {1000 * cpu / len(records):.2f} ms per chunk (polls of {args.poll})")


if __name__ == "__main__":
    main()
