"""CPU time per chunk by stage of one monitor replica draining a backlog through a real broker.

    python -m monitor.bench.stage_cpu --bootstrap HOST:PORT [--chunks 6000] [--warmup 1000] [--threads 1]
        [--batch-size 32] [--profile out/stage_cpu.profile.txt] [--output out/stage_cpu.json]

The bench's capacity phase in one process, measured in CPU time rather than wall time (so a shared host's
load changes the figures little): the bench workload is produced to fresh topics, then the monitor built as
`cct-monitor run --source kafka` builds it (the bench's settings: decision file, decision log, the alerts
topic as the only alert channel) drains it with its own runner. The first `--warmup` chunks are not counted
(group join, ONNX Runtime's arena, the embedding cache filling). Each stage's main-thread CPU
(`time.thread_time`) is summed by wrapping the stage's callable on this one instance; the encoder forward
(ONNX Runtime's `run`) and the tokenizer are counted inside classify; the process's other threads (Kafka's
I/O threads, the alerts producer) from `/proc/self/task`. Measurement only: nothing here changes how the
monitor works. Compare two trees by running it with `PYTHONPATH=<tree>` on each, back to back.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from monitor.bench.procstats import parse_stat

#: Stages counted inside `classify` are indented; the report lists stages in the order a batch meets them.
ENCODER, TOKENIZER, CLASSIFY_OTHER = "  encoder forward (onnxruntime run)", "  tokenizer", "  other classifier code"
SCORES = "score histograms (metrics)"
ORDER = ("between batches", "poll", "decode", "state", "language", "classify", TOKENIZER, ENCODER, CLASSIFY_OTHER, SCORES,
         "rules", "render")


def _stage_order(name: str) -> tuple[int, str]:
    """Pipeline order; the sinks (`emit: …`) after rendering, then commit."""
    if name in ORDER:
        return ORDER.index(name), name
    return (len(ORDER), name) if name.startswith("emit") else (len(ORDER) + 1, name)


class GcClock:
    """Main-thread CPU seconds and count of the garbage collector's passes, by generation, while `counting`."""

    def __init__(self, clock: StageClock) -> None:
        self.clock = clock
        self.cpu: defaultdict[int, float] = defaultdict(float)
        self.passes: defaultdict[int, int] = defaultdict(int)
        self._t0 = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if not self.clock.counting or threading.get_ident() != self.clock._main:
            return
        if phase == "start":
            self._t0 = time.thread_time()
        else:
            self.cpu[info["generation"]] += time.thread_time() - self._t0
            self.passes[info["generation"]] += 1


class StageClock:
    """Main-thread CPU seconds and calls per named stage, summed over wrapped callables while `counting`."""

    def __init__(self) -> None:
        self.cpu: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.counting = False
        self._main = threading.get_ident()

    def wrap(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            if not self.counting or threading.get_ident() != self._main:
                return fn(*args, **kwargs)
            t0 = time.thread_time()
            try:
                return fn(*args, **kwargs)
            finally:
                self.cpu[name] += time.thread_time() - t0
                self.calls[name] += 1
        return timed

    def patch(self, obj: Any, attr: str, name: str) -> None:
        """Time `obj.attr` (an instance's method, or a class's for every instance) as stage `name`."""
        setattr(obj, attr, self.wrap(name, getattr(obj, attr)))


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each of this process's threads so far, by Python thread name (numbers dropped, so
    kafka-python's I/O threads add up), native threads (ONNX Runtime's, BLAS) under their kernel name."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    out: defaultdict[str, float] = defaultdict(float)
    for tid in os.listdir("/proc/self/task"):
        try:
            comm, cpu = parse_stat(Path(f"/proc/self/task/{tid}/stat").read_text())
        except OSError:
            continue
        name = names.get(int(tid)) or "native: " + comm
        out["main" if int(tid) == os.getpid() else _thread_kind(name)] += cpu
    return out


def _thread_kind(name: str) -> str:
    """A thread's name without its numbers (`kafka-io-3`, `Thread-12 (run)`)."""
    return re.sub(r"[-_ ]?\d+", "", name).strip() or name


def produce(bootstrap: str, topic: str, chunks: int, broadcasts: int, seed: int) -> None:
    from monitor.bench.harness import Producer, Registry
    from monitor.bench.workload import Workload

    producer = Producer(bootstrap, topic, Registry())
    stream = iter(Workload(broadcasts, seed=seed, run_id=topic))
    producer.burst(stream, chunks, "stage-cpu")
    producer.close()


def instrument(clock: StageClock, monitor: Any) -> None:
    """Wrap every stage of `monitor`'s process path (decode → state → classify → rules → render → sinks → commit)."""
    from monitor.classify.fast_tokenizer import FastTokenizer

    pipeline, runner = monitor.pipeline, monitor.runner
    source = runner.source
    clock.patch(source, "poll", "poll")
    clock.patch(source, "commit", "commit")
    clock.patch(pipeline, "decode", "decode")
    clock.patch(pipeline, "admit", "state")
    clock.patch(pipeline.languages, "route", "language")
    if pipeline.classifier is not None:
        clock.patch(pipeline.classifier, "score", "classify")
        clock.patch(pipeline.metrics, "observe_scores", SCORES)
    if pipeline.engine is not None:
        clock.patch(pipeline.engine, "evaluate", "rules")
    clock.patch(pipeline, "_renderable", "render")
    for sink in runner.sinks:
        clock.patch(sink, "write", f"emit: {sink.name} write")
        clock.patch(sink, "flush", f"emit: {sink.name} flush")
    runner.between_batches[:] = [clock.wrap("between batches", hook) for hook in runner.between_batches]
    import onnxruntime

    clock.patch(onnxruntime.InferenceSession, "run", ENCODER)
    clock.patch(FastTokenizer, "__call__", TOKENIZER)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    from prometheus_client import CollectorRegistry

    from monitor.app import build_monitor
    from monitor.kafka_admin import create_topics
    from monitor.metrics import Metrics
    from monitor.settings import AlertChannelSettings, KafkaSettings, Settings

    rid = f"stagecpu-{uuid.uuid4().hex[:8]}"
    topic, total = f"{rid}.transcripts", args.warmup + args.chunks
    create_topics(KafkaSettings(bootstrap_servers=args.bootstrap),
                  {topic: args.partitions, f"{rid}.alerts": 1, f"{rid}.dlq": 1})
    produce(args.bootstrap, topic, total, args.broadcasts, args.seed)
    work = Path(tempfile.mkdtemp(prefix="stage-cpu-"))
    settings = Settings()
    settings.kafka = settings.kafka.model_copy(update={
        "bootstrap_servers": args.bootstrap, "input_topic": topic, "alerts_topic": f"{rid}.alerts",
        "dlq_topic": f"{rid}.dlq", "group_id": f"{rid}-monitor", "auto_offset_reset": "earliest",
        "max_poll_records": args.poll})
    settings.classifier = settings.classifier.model_copy(update={"threads": args.threads, "max_batch_size": args.batch_size})
    settings.output = settings.output.model_copy(update={"decisions_path": str(work / "decisions.jsonl")})
    settings.audit = settings.audit.model_copy(update={"path": str(work / "audit")})
    settings.alerts = settings.alerts.model_copy(update={"channels": [AlertChannelSettings(type="kafka")]})
    settings = Settings.model_validate(settings.model_dump())
    monitor = build_monitor(settings, "kafka", metrics=Metrics(CollectorRegistry()))
    runner = monitor.runner
    clock = StageClock()
    instrument(clock, monitor)
    import gc

    collections = GcClock(clock)
    gc.callbacks.append(collections)
    start: dict[str, Any] = {}
    decided = 0
    handle = runner.handle_batch

    def handle_batch(records: list) -> Any:
        nonlocal decided
        if not clock.counting and decided >= args.warmup:
            start.update(wall=time.perf_counter(), process=time.process_time(), threads=thread_cpu(), decided=decided)
            clock.counting = True
        result = handle(records)
        decided += len(result.decisions)
        if decided >= total:
            runner.stop()
            start.update(end_wall=time.perf_counter(), end_process=time.process_time(), end_threads=thread_cpu())
            clock.counting = False
        return result

    runner.handle_batch = handle_batch  # type: ignore[method-assign]
    profiler = None
    if args.profile:
        from monitor.bench.profile import Profiler

        profiler = Profiler(os.getpid(), Path(args.profile), rate=args.profile_rate)
    watchdog = threading.Timer(args.timeout, runner.stop)
    watchdog.daemon = True
    watchdog.start()
    started = False

    def start_profile() -> None:
        nonlocal started
        if profiler is not None and clock.counting and not started:
            started = True
            profiler.start()

    runner.between_batches.append(start_profile)
    if not args.no_freeze:
        from monitor.runner import freeze_startup_objects

        freeze_startup_objects()  # as `cct-monitor run` does
    runner.run()
    watchdog.cancel()
    if profiler is not None:
        profiler.stop()
    if "end_wall" not in start:
        raise SystemExit(f"only {decided} of {total} chunks decided within {args.timeout} s")
    chunks = decided - start["decided"]
    threads = {k: v - start["threads"].get(k, 0.0) for k, v in start["end_threads"].items()}
    process = start["end_process"] - start["process"]
    ms = lambda s: round(1000 * s / chunks, 4)  # noqa: E731
    cpu = dict(clock.cpu)
    encoder = cpu.get(ENCODER, 0.0)
    if "classify" in cpu:
        cpu[CLASSIFY_OTHER] = cpu["classify"] - encoder - cpu.get(TOKENIZER, 0.0)
    stages = {k: ms(cpu[k]) for k in sorted(cpu, key=_stage_order)}
    main_cpu = sum(v for k, v in cpu.items() if not k.startswith("  "))
    return {
        "tree": str(Path(__file__).resolve().parents[2]),
        "chunks": chunks, "warmup": start["decided"], "poll": args.poll, "threads": args.threads,
        "batch_size": args.batch_size, "wall_s": round(start["end_wall"] - start["wall"], 3),
        "process_cpu_ms_per_chunk": ms(process),
        "outside_encoder_cpu_ms_per_chunk": ms(process - encoder),
        "stage_cpu_ms_per_chunk": stages,
        "main_thread_outside_stages_ms_per_chunk": ms(max(0.0, threads.get("main", 0.0) - main_cpu)),
        "thread_cpu_ms_per_chunk": {k: ms(v) for k, v in sorted(threads.items(), key=lambda kv: -kv[1]) if v > 0},
        "gc_cpu_ms_per_chunk": {f"generation {g}": ms(v) for g, v in sorted(collections.cpu.items())},
        "gc_passes": {f"generation {g}": n for g, n in sorted(collections.passes.items())},
        "calls": dict(clock.calls),
        "profile": profiler.summary() if profiler is not None else None,
    }


def report(result: dict[str, Any]) -> str:
    lines = [f"{result['chunks']} chunks after {result['warmup']} of warm-up, polls of {result['poll']}, "
             f"{result['threads']} thread(s), batch {result['batch_size']}, {result['wall_s']} s wall ({result['tree']})",
             f"process CPU per chunk: {result['process_cpu_ms_per_chunk']:.3f} ms, outside the encoder forward "
             f"{result['outside_encoder_cpu_ms_per_chunk']:.3f} ms",
             "main-thread CPU ms per chunk by stage (indented: inside classify, which includes them):"]
    lines += [f"  {k:<40} {v:8.4f}" for k, v in result["stage_cpu_ms_per_chunk"].items()]
    lines.append(f"  {'(main thread outside these)':<40} {result['main_thread_outside_stages_ms_per_chunk']:8.4f}")
    lines.append("CPU ms per chunk by thread:")
    lines += [f"  {k:<40} {v:8.4f}" for k, v in result["thread_cpu_ms_per_chunk"].items()]
    lines.append("garbage collector, main-thread CPU ms per chunk (inside the stages above) and passes:")
    lines += [f"  {k:<40} {v:8.4f}  ({result['gc_passes'][k]} passes)" for k, v in result["gc_cpu_ms_per_chunk"].items()]
    prof = result.get("profile") or {}
    if prof.get("by_category"):
        lines.append(f"py-spy ({prof['samples']} samples, raw stacks in {prof['raw']}):")
        lines += [f"  {k:<40} {100 * v:6.1f} %" for k, v in prof["by_category"].items()]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bootstrap", required=True)
    ap.add_argument("--chunks", type=int, default=6000, help="chunks measured")
    ap.add_argument("--warmup", type=int, default=1000, help="chunks decided before measuring")
    ap.add_argument("--broadcasts", type=int, default=500)
    ap.add_argument("--partitions", type=int, default=6)
    ap.add_argument("--poll", type=int, default=256, help="kafka.max_poll_records")
    ap.add_argument("--threads", type=int, default=1, help="classifier.threads (the bench's 2 replicas × 1 on 2 cores)")
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--profile", default=None, help="py-spy raw stacks here during the measured drain")
    ap.add_argument("--profile-rate", type=int, default=100)
    ap.add_argument("--no-freeze", action="store_true", help="leave the startup objects to the garbage collector")
    ap.add_argument("--output", default=None, help="also write the figures as JSON here")
    args = ap.parse_args()
    import logging

    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    result = measure(args)
    print(report(result))
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
