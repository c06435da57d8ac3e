"""`cct-monitor produce` and `cct-monitor topics`: put transcripts on Kafka and create the topics."""

from __future__ import annotations

import json
import sys
import time

import click
from kafka.errors import KafkaError

from monitor.cli.options import setting_option, settings_from_context
from monitor.kafka_admin import ProduceError, create_topics, produce_transcript


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, allow_dash=True), required=False)
@setting_option("--bootstrap-servers", setting="kafka.bootstrap_servers", help="Kafka bootstrap servers.")
@setting_option("--topic", setting="kafka.input_topic", help="Topic to publish to.")
@click.option("--realtime", is_flag=True, envvar="CCT_PRODUCE_REALTIME", show_envvar=True,
              help="Pace records by their start_ms offsets, as a live broadcast would.")
@click.option("--speed", type=float, default=1.0, show_default=True, envvar="CCT_PRODUCE_SPEED", show_envvar=True,
              help="Speed-up factor for --realtime (10 = ten times faster).")
@click.option("--restamp/--no-restamp", default=True, show_default=True, envvar="CCT_PRODUCE_RESTAMP", show_envvar=True,
              help="Set each chunk's `ts` to the moment it is sent, so latency is measured from now.")
@click.pass_context
def produce(ctx: click.Context, file: str | None, realtime: bool, speed: float, restamp: bool, **_flags: object) -> None:
    """Publish a JSONL transcript (default: the sample broadcast) keyed by broadcast_id."""
    settings = settings_from_context(ctx)
    if file is None:
        from monitor.sample import sample_broadcast_path

        file = str(sample_broadcast_path())
    fh = sys.stdin.buffer if file == "-" else open(file, "rb")  # noqa: SIM115
    with fh:
        lines = [line.rstrip(b"\r\n") for line in fh if line.strip()]
    started = time.monotonic()
    try:
        sent = produce_transcript(settings.kafka, lines, realtime=realtime, speed=speed, restamp=restamp)
    except (ProduceError, KafkaError, OSError) as exc:
        raise click.ClickException(f"publishing to {settings.kafka.input_topic} failed: {exc}") from None
    click.echo(json.dumps({"topic": settings.kafka.input_topic, "records": sent, "seconds": round(time.monotonic() - started, 3)}))


@click.group()
def topics() -> None:
    """Manage the monitor's Kafka topics."""


@topics.command("create")
@setting_option("--bootstrap-servers", setting="kafka.bootstrap_servers", help="Kafka bootstrap servers.")
@setting_option("--topic", setting="kafka.input_topic", help="Input transcripts topic.")
@setting_option("--dlq-topic", setting="kafka.dlq_topic", help="Dead-letter topic.")
@setting_option("--alerts-topic", setting="kafka.alerts_topic", help="Alerts topic.")
@click.option("--partitions", type=int, default=6, show_default=True, envvar="CCT_TOPICS_PARTITIONS", show_envvar=True,
              help="Partitions of the input topic (the unit of scale-out).")
@click.option("--replication-factor", type=int, default=1, show_default=True, envvar="CCT_TOPICS_REPLICATION",
              show_envvar=True, help="Replication factor of every topic.")
@click.pass_context
def create(ctx: click.Context, partitions: int, replication_factor: int, **_flags: object) -> None:
    """Create the input, dead-letter, alerts and reviews topics (existing ones are left alone)."""
    settings = settings_from_context(ctx)
    k = settings.kafka
    wanted = {k.input_topic: partitions, k.dlq_topic: 1, k.alerts_topic: partitions, k.reviews_topic: 1}
    try:
        created = create_topics(k, wanted, replication_factor)
    except (KafkaError, OSError) as exc:
        raise click.ClickException(f"creating topics on {k.bootstrap_servers} failed: {exc}") from None
    for name, status in created.items():
        click.echo(f"{name}: {status}")


