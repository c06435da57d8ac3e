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
@click.option("--consumers", type=int, default=0, show_default=True, envvar="CCT_BENCH_CONSUMERS", show_envvar=True,
              help="Monitor replicas (processes) in one consumer group, threads split between them "
                   "(0: the process × thread layout the ceiling measured best).")
@click.option("--partitions", type=int, default=6, show_default=True, envvar="CCT_BENCH_PARTITIONS", show_envvar=True,
              help="Partitions of the benchmark's input topic.")
@click.option("--soak", "soak_minutes", type=float, default=0.0, show_default=True, envvar="CCT_BENCH_SOAK", show_envvar=True,
              help="Also hold a fixed offered load for this many minutes and check latency and memory stay flat.")
@click.option("--no-soak", is_flag=True, envvar="CCT_BENCH_NO_SOAK", show_envvar=True, help="Skip the soak whatever --soak says.")
@click.option("--soak-load", type=float, default=0.5, show_default=True, envvar="CCT_BENCH_SOAK_LOAD", show_envvar=True,
              help="Offered load of the soak, as a fraction of capacity.")
@click.option("--mixed-share", type=click.FloatRange(0.0, 1.0), default=0.3, show_default=True, envvar="CCT_BENCH_MIXED_SHARE",
              show_envvar=True, help="Share of the broadcasts in de es fr it nl pl pt ro in a last, mixed-language capacity "
              "phase, reported beside the English-only capacity (0: skip it).")
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
@setting_option("--threads", setting="classifier.threads", type=int, help="Inference threads in total [default: all cores].")
@setting_option("--engine", setting="classifier.engine", type=click.Choice(["auto", "torch", "onnx"]),
                help="Engine of the ceiling and the pipeline (the naive baselines are always torch fp32).")
@setting_option("--int8/--fp32", "int8", setting="classifier.quantize_int8",
                help="With --engine torch: dynamic int8 (per-tensor) quantisation of the encoder.")
@click.option("--encoders/--no-encoders", default=True, show_default=True, envvar="CCT_BENCH_ENCODERS", show_envvar=True,
              help="Also compare the encoder engines alone (torch fp32, torch int8, ONNX Runtime fp32/int8).")
@setting_option("--max-poll-records", setting="kafka.max_poll_records", type=int, help="Records per polled batch.")
@click.pass_context
def bench(ctx: click.Context, **opts: Any) -> None:
    """Measure the classifier alone (naive and best-batched) and the whole monitor through a real Kafka broker.

    Prints a table and writes the figures as JSON. Timing figures are measurements of this machine,
    not pass/fail tests; the targets are shown for comparison.
    """
    settings = settings_from_context(ctx)
    from monitor.bench import model as model_bench
    from monitor.bench.procstats import machine
    from monitor.bench.report import ratios, render
    from monitor.bench.workload import Workload
    from monitor.classify.stage import choose_engine, default_onnx_dir

    cores = os.cpu_count() or 1
    threads = settings.classifier.threads or cores
    run_id = f"bench-{uuid.uuid4().hex[:8]}"
    batch_sizes = [int(b) for b in _floats(opts["batch_sizes"])]
    tested = settings.classifier.model_copy(update={"threads": threads})
    engine = choose_engine(tested)
    tested = tested.model_copy(update={"engine": engine})
    result: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "config": {
            "run_id": run_id, "broadcasts": opts["broadcasts"], "threads": threads, "engine": engine,
            "int8": settings.classifier.quantize_int8, "max_poll_records": settings.kafka.max_poll_records,
            "consumers": opts["consumers"], "partitions": opts["partitions"],
            "rules": [str(p) for p in settings.rules.paths], "seed": opts["seed"],
        },
        "output": str(opts["output"]),
    }
    n_naive, n_ceiling = opts["naive_chunks"], opts["ceiling_chunks"]
    # the first chunks of the stream the pipeline run produces (same broadcasts, seed and run id), with the
    # context the pipeline's per-broadcast state gives them
    chunks = Workload(opts["broadcasts"], seed=opts["seed"], run_id=run_id).take(max(n_ceiling, n_naive, 64))
    items = model_bench.work_items(chunks, settings.pipeline)
    texts = [it.chunk.text for it in items]
    from monitor.app import build_classifier

    def load(classifier_settings: Any) -> Any:
        click.echo(f"loading the classifier ({classifier_settings.engine}, {classifier_settings.threads} threads)…", err=True)
        clf = build_classifier(settings.model_copy(update={"classifier": classifier_settings}))
        if clf is None:
            raise click.ClickException("the classifier is disabled (classifier.enabled=false); nothing to measure")
        clf.score_texts(texts[:32])
        return clf

    reference = tested.model_copy(update={"engine": "torch", "quantize_int8": False})
    classifier = load(reference)
    click.echo(f"1/4 naive baselines (torch fp32, one chunk at a time) on {n_naive} chunks…", err=True)
    result["naive_chunk_alone"] = model_bench.naive(classifier, texts[:n_naive], "fp32")
    result["naive"] = model_bench.naive_same_job(classifier, items[:n_naive])
    if engine != "torch" or settings.classifier.quantize_int8:
        del classifier
        gc.collect()
        classifier = load(tested)
    # one process with every thread, one single-thread process per thread, and the layout --consumers asks for
    layouts = sorted({(1, threads), (threads, 1)}
                     | ({(opts["consumers"], max(1, threads // opts["consumers"]))} if opts["consumers"] > 1 else set()))
    click.echo(f"2/4 model ceiling ({classifier.scorer.encoder.name}) on {len(items)} chunks, batch sizes "
               f"{sorted(set(batch_sizes))}, layouts {[f'{p}x{t}' for p, t in layouts]}…", err=True)
    result["ceiling"] = model_bench.ceiling(classifier, items, batch_sizes, engine, layouts, tested, chunks, settings.pipeline)
    result["ceiling"]["encoder"] = classifier.scorer.encoder.name
    layers = classifier.scorer.encoder.layers
    del classifier
    gc.collect()
    if opts["encoders"]:
        click.echo("3/4 encoders alone: torch fp32, torch int8, ONNX Runtime…", err=True)
        onnx_dir = Path(settings.classifier.onnx_dir) if settings.classifier.onnx_dir else default_onnx_dir()
        encoders = model_bench.encoders_for_table(tested, layers, onnx_dir)
        result["encoders"] = {"threads": threads, "batch_size": result["ceiling"]["best_batch_size"], "texts": len(texts),
                              "rows": model_bench.encoder_table(encoders, texts, result["ceiling"]["best_batch_size"])}
        del encoders
        gc.collect()
    if not opts["skip_pipeline"]:
        result["pipeline"] = _pipeline(settings, opts, run_id, threads, engine, result["ceiling"])
    result["ratios"] = ratios(result)
    opts["output"].parent.mkdir(parents=True, exist_ok=True)
    opts["output"].write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    click.echo(render(result))
    dead = (result.get("pipeline") or {}).get("replica_failures")
    if dead:
        raise click.ClickException(f"monitor replica(s) failed: {dead}")


def _pipeline(settings: Settings, opts: dict[str, Any], run_id: str, threads: int, engine: str,
              ceiling: dict[str, Any]) -> dict[str, Any]:
    from monitor.bench.harness import PrivateBroker
    from monitor.bench.pipeline_run import PipelineBench, PipelineConfig

    consumers = opts["consumers"] or int(ceiling["best_layout"].split("x")[0])
    backlog = opts["chunks"] or max(1000, int(ceiling["throughput_cps"] * 30))
    workdir = opts["workdir"] or Path(tempfile.mkdtemp(prefix="cct-bench-"))
    env = {
        "CCT_CLASSIFIER__ENGINE": engine,
        "CCT_CLASSIFIER__THREADS": str(max(1, threads // consumers)),
        "CCT_CLASSIFIER__MAX_BATCH_SIZE": str(ceiling["best_batch_size"]),
        "CCT_CLASSIFIER__QUANTIZE_INT8": "true" if settings.classifier.quantize_int8 else "false",
        "CCT_KAFKA__MAX_POLL_RECORDS": str(settings.kafka.max_poll_records),
        "CCT_ALERTS__CHANNELS": json.dumps([{"type": "kafka"}]),
    }
    if settings.classifier.onnx_dir:
        env["CCT_CLASSIFIER__ONNX_DIR"] = str(Path(settings.classifier.onnx_dir).resolve())
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
            partitions=opts["partitions"], soak_minutes=soak, soak_load=opts["soak_load"],
            mixed_share=opts["mixed_share"], seed=opts["seed"],
            run_id=run_id, config_path=root.get("config_path"), env=env,
            args=[a for p in settings.rules.paths for a in ("--rules", str(Path(p).resolve()))],
            profile_path=(opts["output"].with_suffix(".profile.txt").resolve() if opts["profile"] else None),
        )
        click.echo(f"4/4 full pipeline: {consumers} replica(s), backlog {backlog} chunks, loads {cfg.loads}, "
                   f"{cfg.phase_seconds:g}s each{f', soak {soak:g} min' if soak else ''}; logs in {workdir}", err=True)
        started = time.monotonic()
        try:
            out = PipelineBench(cfg).run()
        except RuntimeError as exc:
            raise click.ClickException(f"pipeline run failed: {exc}") from None
        out["seconds"] = round(time.monotonic() - started, 1)
        out["workdir"] = str(workdir)
        return out
