"""`cct-monitor run`: consume transcripts (Kafka or a JSONL file) and decide on every chunk."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import click
from kafka.errors import KafkaError

from monitor.app import build_monitor
from monitor.health import Health
from monitor.kafka_client import EXIT_ACCESS_DENIED, KafkaAccessError
from monitor.cli.options import setting_option, settings_from_context
from monitor.metrics import Metrics
from monitor.rules_engine.loader import RuleLoadError
from monitor.settings import KafkaSettings
from monitor.classify.encoder import ModelNotFound
from monitor.classify.ort_encoder import StaleExport
from monitor.memtrim import limit_malloc_arenas
from monitor.runner import freeze_startup_objects, install_signal_handlers

log = logging.getLogger(__name__)


@click.command()
@click.option(
    "--source", "source_kind", type=click.Choice(["kafka", "file"]), default="kafka", show_default=True,
    envvar="CCT_SOURCE", show_envvar=True, help="Where transcript chunks come from.",
)
@click.option(
    "--input", "input_path", default=None, envvar="CCT_INPUT", show_envvar=True,
    help="JSONL transcript for --source file ('-' for stdin) [default: the bundled sample broadcast].",
)
@click.option("--follow", is_flag=True, envvar="CCT_FOLLOW", show_envvar=True, help="Tail a growing file (--source file).")
@setting_option("--bootstrap-servers", setting="kafka.bootstrap_servers", help="Kafka bootstrap servers, comma-separated.")
@setting_option("--topic", setting="kafka.input_topic", help="Input transcripts topic.")
@setting_option("--group-id", setting="kafka.group_id", help="Consumer group id.")
@setting_option("--group-instance-id", setting="kafka.group_instance_id", help="Static membership id for rolling restarts.")
@setting_option("--dlq-topic", setting="kafka.dlq_topic", help="Dead-letter topic.")
@setting_option("--decisions", setting="output.decisions_path", help="Decision JSONL output ('-' stdout, '' off).")
@setting_option("--audit-log", setting="audit.path", help="Decision-log directory (hash-chained audit records; '' off).")
@setting_option("--format", "fmt", setting="output.format", type=click.Choice(["jsonl", "pretty"]), help="Decision output format.")
@setting_option("--rules", setting="rules.paths", multiple=True, type=click.Path(path_type=Path), help="Rule file or directory (repeatable).")
@setting_option("--metrics-port", setting="metrics.port", type=int, help="Port of the /metrics endpoint (0 picks a free one).")
@setting_option("--classifier/--no-classifier", setting="classifier.enabled", help="Score chunks with the transformer classifier.")
@click.pass_context
def run(ctx: click.Context, source_kind: str, input_path: str | None, follow: bool, **_flags: object) -> None:
    """Run the monitor until stopped (SIGTERM/SIGINT) or, for a file without --follow, until its end."""
    settings = settings_from_context(ctx)
    limit_malloc_arenas(settings.pipeline.malloc_arenas)  # before any thread starts
    if source_kind == "file" and input_path is None:
        from monitor.sample import sample_broadcast_path

        input_path = str(sample_broadcast_path())
    stop_event = threading.Event()
    install_signal_handlers(stop_event)
    metrics = Metrics()
    health = Health(window_s=settings.kafka.max_poll_interval_ms / 1000)
    if settings.metrics.enabled:  # served before connecting, so a monitor waiting for its broker is observable
        port = metrics.serve(settings.metrics.host, settings.metrics.port, health)
        log.info("metrics on http://%s:%d/metrics (probes: /healthz, /readyz)", settings.metrics.host, port)
    try:
        monitor = build_monitor(settings, source_kind, input_path, follow, metrics=metrics, stop_event=stop_event,
                                health=health)
    except KafkaAccessError as exc:
        ctx.exit(access_denied(exc, settings.kafka, metrics))
    except KafkaError as exc:
        if stop_event.is_set():
            log.info("stopped before the Kafka source connected")
            return
        raise click.ClickException(f"cannot start the Kafka source: {exc}") from None
    except RuleLoadError as exc:
        raise click.ClickException(f"the rule files do not validate:\n{exc}") from None
    except (StaleExport, ModelNotFound) as exc:
        raise click.ClickException(f"cannot load the classifier: {exc}") from None
    freeze_startup_objects()
    try:
        monitor.runner.run()
    except KafkaAccessError as exc:
        ctx.exit(access_denied(exc, settings.kafka, metrics))


def access_denied(exc: KafkaAccessError, kafka: KafkaSettings, metrics: Metrics) -> int:
    """Count the failure and log one clear line naming its cause (never a secret); returns the exit status, 3
    (retrying a refused login or an unverifiable certificate never helps)."""
    metrics.kafka_access_failures.labels(exc.kind).inc()
    context = [f"security_protocol {kafka.security_protocol}"]
    if kafka.security_protocol.startswith("SASL"):
        context += [kafka.sasl_mechanism or "PLAIN", f"user {kafka.sasl_username}"]
    if kafka.security_protocol.endswith("SSL"):
        context.append(f"CA file {kafka.ssl_cafile or '(system default)'}")
    log.error(
        "Kafka %s failure for the %s at %s (%s): %s; fix the credentials, ACLs or TLS settings; exiting with status %d",
        "TLS" if exc.kind == "tls" else exc.kind, exc.what, kafka.bootstrap_servers, ", ".join(context), exc.cause,
        EXIT_ACCESS_DENIED,
    )
    return EXIT_ACCESS_DENIED
