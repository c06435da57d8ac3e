"""`cct-monitor bench`: naive baseline, model ceiling and the full pipeline through real Kafka, side by side."""

from __future__ import annotations

import gc
import json
import os
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from monitor.cli.options import setting_option, settings_from_context
from monitor.settings import Settings


def _floats(value: str) -> tuple[float, ...]:
    try:
        return tuple(float(v) for v in value.split(",") if v.strip())
    except ValueError:
        raise click.BadParameter(f"expected comma-separated numbers, got {value!r}") from None


@click.command()
@click.option("--bootstrap", default=None, envvar="CCT_BENCH_BOOTSTRAP", show_envvar=True,
              help="Use this running Kafka broker instead of starting a private one with scripts/kafka.sh.")
@click.option("--broadcasts", type=int, default=500, show_default=True, envvar="CCT_BENCH_BROADCASTS", show_envvar=True,
              help="Concurrent broadcasts in the workload (interleaved).")
@click.option("--chunks", type=int, default=0, show_default=True, envvar="CCT_BENCH_CHUNKS", show_envvar=True,
              help="Backlog produced at once to measure pipeline capacity (0: about 30 s of the model ceiling).")
@click.option("--naive-chunks", type=int, default=300, show_default=True, envvar="CCT_BENCH_NAIVE_CHUNKS", show_envvar=True,
              help="Chunks scored one at a time for the naive baseline.")
@click.option("--ceiling-chunks", type=int, default=1000, show_default=True, envvar="CCT_BENCH_CEILING_CHUNKS",
              show_envvar=True, help="Chunks scored per batch size for the model ceiling.")
@click.option("--batch-sizes", default="16,32,64,128", show_default=True, envvar="CCT_BENCH_BATCH_SIZES", show_envvar=True,
              help="Encoder batch sizes the ceiling tries; the best one is used by the pipeline run.")
@click.option("--loads", default="0.25,0.5,0.9", show_default=True, envvar="CCT_BENCH_LOADS", show_envvar=True,
              help="Offered loads, as fractions of the measured pipeline capacity.")
@click.option("--phase-seconds", type=float, default=30.0, show_default=True, envvar="CCT_BENCH_PHASE_SECONDS",
              show_envvar=True, help="Duration of each paced load phase.")
@click.option("--consumers", type=int, default=1, show_default=True, envvar="CCT_BENCH_CONSUMERS", show_envvar=True,
              help="Monitor replicas (processes) in one consumer group; torch threads are split between them.")
@click.option("--partitions", type=int, default=6, show_default=True, envvar="CCT_BENCH_PARTITIONS", show_envvar=True,
              help="Partitions of the benchmark's input topic.")
@click.option("--soak", "soak_minutes", type=float, default=0.0, show_default=True, envvar="CCT_BENCH_SOAK", show_envvar=True,
              help="Also hold a fixed offered load for this many minutes and check latency and memory stay flat.")
@click.option("--no-soak", is_flag=True, envvar="CCT_BENCH_NO_SOAK", show_envvar=True, help="Skip the soak whatever --soak says.")
@click.option("--soak-load", type=float, default=0.5, show_default=True, envvar="CCT_BENCH_SOAK_LOAD", show_envvar=True,
              help="Offered load of the soak, as a fraction of capacity.")
@click.option("--profile/--no-profile", default=True, show_default=True, envvar="CCT_BENCH_PROFILE", show_envvar=True,
              help="Sample the first replica with py-spy during the capacity phase (skipped if py-spy is missing).")
@click.option("--output", "output", type=click.Path(dir_okay=False, path_type=Path), default=Path("out/bench.json"),
              show_default=True, envvar="CCT_BENCH_OUTPUT", show_envvar=True, help="Where the JSON results go.")
@click.option("--workdir", type=click.Path(file_okay=False, path_type=Path), default=None, envvar="CCT_BENCH_WORKDIR",
              show_envvar=True, help="Replica logs, decision files and decision logs [default: a new temp directory].")
@click.option("--seed", type=int, default=7, show_default=True, envvar="CCT_BENCH_SEED", show_envvar=True,
              help="Workload seed.")
@click.option("--skip-pipeline", is_flag=True, envvar="CCT_BENCH_SKIP_PIPELINE", show_envvar=True,
              help="Only measure the classifier (naive and ceiling); no Kafka.")
@setting_option("--rules", setting="rules.paths", multiple=True, type=click.Path(path_type=Path),
                help="Rule file or directory loaded by the replicas (repeatable).")
@setting_option("--threads", setting="classifier.threads", type=int, help="Torch threads in total [default: all cores].")
@setting_option("--int8/--fp32", "int8", setting="classifier.quantize_int8", help="Int8 dynamic quantisation of the encoder.")
@setting_option("--max-poll-records", setting="kafka.max_poll_records", type=int, help="Records per polled batch.")
@click.pass_context
def bench(ctx: click.Context, **opts: Any) -> None:
    """Measure the classifier alone (naive and best-batched) and the whole monitor through a real Kafka broker.

    Prints a table and writes the figures as JSON. Timing figures are measurements of this machine,
    not pass/fail tests; the targets are shown for comparison.
    """
    settings = settings_from_context(ctx)
    import torch

    from monitor.bench import model as model_bench
    from monitor.bench.procstats import machine
    from monitor.bench.report import ratios, render
    from monitor.bench.workload import Workload

    cores = os.cpu_count() or 1
    threads = settings.classifier.threads or cores
    torch.set_num_threads(threads)
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    batch_sizes = [int(b) for b in _floats(opts["batch_sizes"])]
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "run_id": run_id, "broadcasts": opts["broadcasts"], "threads": threads, "int8": settings.classifier.quantize_int8,
            "max_poll_records": settings.kafka.max_poll_records, "consumers": opts["consumers"],
            "partitions": opts["partitions"], "rules": [str(p) for p in settings.rules.paths], "seed": opts["seed"],
        },
        "output": str(opts["output"]),
    }
    warm, n_naive = 32, opts["naive_chunks"]
    n_ceiling = opts["ceiling_chunks"] * len(set(batch_sizes))
    workload = Workload(opts["broadcasts"], seed=opts["seed"], run_id=run_id)
    lead_in = workload.take(2 * opts["broadcasts"])  # two chunks per broadcast, so the measured ones have context
    stream = workload.take(warm + 2 * n_naive + n_ceiling)
    texts = [c["text"] for c in stream]
    items = model_bench.work_items(lead_in + stream, settings.pipeline)[len(lead_in) :]
    precision = "int8" if settings.classifier.quantize_int8 else "fp32"
    from monitor.app import build_classifier

    def load(int8: bool) -> Any:
        update = {"threads": threads, "quantize_int8": int8}
        click.echo(f"loading the classifier ({threads} torch threads, {'int8' if int8 else 'fp32'})…", err=True)
        clf = build_classifier(settings.model_copy(update={"classifier": settings.classifier.model_copy(update=update)}))
        if clf is None:
            raise click.ClickException("the classifier is disabled (classifier.enabled=false); nothing to measure")
        clf.score_texts(texts[:warm])
        return clf

    # the naive baselines are the unoptimised classifier: fp32, whatever precision the ceiling and pipeline use
    classifier = load(False)
    click.echo(f"1/3 naive baselines (fp32) on {n_naive} chunks each…", err=True)
    result["naive_chunk_alone"] = model_bench.naive(classifier, texts[warm : warm + n_naive], "fp32")
    result["naive"] = model_bench.naive_same_job(classifier, items[warm + n_naive : warm + 2 * n_naive])
    if settings.classifier.quantize_int8:
        del classifier
        gc.collect()
        classifier = load(True)
    click.echo(f"2/3 model ceiling ({precision}) on {opts['ceiling_chunks']} chunks per batch size {sorted(set(batch_sizes))}…", err=True)
    result["ceiling"] = model_bench.ceiling(classifier, texts[warm + 2 * n_naive :], batch_sizes, precision)
    del classifier
    gc.collect()
    if not opts["skip_pipeline"]:
        result["pipeline"] = _pipeline(settings, opts, run_id, threads, result["ceiling"])
    result["ratios"] = ratios(result)
    opts["output"].parent.mkdir(parents=True, exist_ok=True)
    opts["output"].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    click.echo(render(result))


def _pipeline(settings: Settings, opts: dict[str, Any], run_id: str, threads: int, ceiling: dict[str, Any]) -> dict[str, Any]:
    from monitor.bench.harness import PrivateBroker
    from monitor.bench.pipeline_run import PipelineBench, PipelineConfig

    consumers = max(1, opts["consumers"])
    backlog = opts["chunks"] or max(1000, int(ceiling["throughput_cps"] * 30))
    workdir = opts["workdir"] or Path(tempfile.mkdtemp(prefix="cct-bench-"))
    env = {
        "CCT_CLASSIFIER__THREADS": str(max(1, threads // consumers)),
        "CCT_CLASSIFIER__MAX_BATCH_SIZE": str(ceiling["best_batch_size"]),
        "CCT_CLASSIFIER__QUANTIZE_INT8": "true" if settings.classifier.quantize_int8 else "false",
        "CCT_KAFKA__MAX_POLL_RECORDS": str(settings.kafka.max_poll_records),
        "CCT_ALERTS__CHANNELS": json.dumps([{"type": "kafka"}]),
    }
    root = click.get_current_context().find_root().obj or {}
    soak = 0.0 if opts["no_soak"] else opts["soak_minutes"]
    with ExitStack() as stack:
        bootstrap = opts["bootstrap"]
        if not bootstrap:
            click.echo("starting a private Kafka broker (scripts/kafka.sh)…", err=True)
            bootstrap = stack.enter_context(PrivateBroker()).bootstrap
        cfg = PipelineConfig(
            bootstrap=bootstrap, workdir=workdir, broadcasts=opts["broadcasts"], backlog=backlog,
            phase_seconds=opts["phase_seconds"], loads=_floats(opts["loads"]), consumers=consumers,
            partitions=opts["partitions"], soak_minutes=soak, soak_load=opts["soak_load"], seed=opts["seed"],
            run_id=run_id, config_path=root.get("config_path"), env=env,
            args=[a for p in settings.rules.paths for a in ("--rules", str(Path(p).resolve()))],
            profile_path=(opts["output"].with_suffix(".profile.txt").resolve() if opts["profile"] else None),
        )
        click.echo(f"3/3 full pipeline: {consumers} replica(s), backlog {backlog} chunks, loads {cfg.loads}, "
                   f"{cfg.phase_seconds:g}s each{f', soak {soak:g} min' if soak else ''}; logs in {workdir}", err=True)
        started = time.monotonic()
        out = PipelineBench(cfg).run()
        out["seconds"] = round(time.monotonic() - started, 1)
        out["workdir"] = str(workdir)
        return out
