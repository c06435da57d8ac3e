"""`cct-monitor review`: record a reviewer's outcome for an alert, by hand or from the reviews topic."""

from __future__ import annotations

import json
import logging
import threading

import click
from prometheus_client import CollectorRegistry, start_http_server
from pydantic import ValidationError

from monitor.audit.log import AuditLog
from monitor.audit.read import UnreadableLog
from monitor.audit.review_consumer import ReviewConsumer
from monitor.audit.reviews import OUTCOMES, ReviewIntake, ReviewMessage, ReviewMetrics, UnknownAlert
from monitor.cli.options import setting_option, settings_from_context
from monitor.runner import install_signal_handlers

log = logging.getLogger(__name__)


def _intake(audit_log: AuditLog, metrics: ReviewMetrics | None) -> ReviewIntake:
    try:
        return ReviewIntake(audit_log, metrics)
    except UnreadableLog as exc:
        audit_log.close()
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("alert_id", required=False)
@click.option("--outcome", type=click.Choice(OUTCOMES), envvar="CCT_REVIEW_OUTCOME", show_envvar=True,
              help="The reviewer's decision (Art. 20: the human decision on the alert).")
@click.option("--reviewer", envvar="CCT_REVIEWER", show_envvar=True, help="Reviewer id (staff id, not a name).")
@click.option("--note", default=None, envvar="CCT_REVIEW_NOTE", show_envvar=True, help="Free-text note.")
@click.option("--from-kafka", is_flag=True, envvar="CCT_REVIEW_FROM_KAFKA", show_envvar=True,
              help="Consume reviews from the reviews topic until stopped (JSON {alert_id, outcome, reviewer, note, ts}).")
@click.option("--idle-exit", type=float, default=None, envvar="CCT_REVIEW_IDLE_EXIT", show_envvar=True,
              help="With --from-kafka: stop after this many seconds without a message.")
@setting_option("--log", "log_path", setting="audit.path", help="Decision-log directory.")
@setting_option("--bootstrap-servers", setting="kafka.bootstrap_servers", help="Kafka bootstrap servers.")
@setting_option("--reviews-topic", setting="kafka.reviews_topic", help="Topic carrying reviewer outcomes.")
@setting_option("--metrics-port", setting="metrics.port", type=int, help="Port of /metrics for --from-kafka (0: any free port).")
@click.pass_context
def review(ctx: click.Context, alert_id: str | None, outcome: str | None, reviewer: str | None, note: str | None,
           from_kafka: bool, idle_exit: float | None, **_flags: object) -> None:
    """Append a reviewer outcome for ALERT_ID to the decision log (or consume them with --from-kafka)."""
    settings = settings_from_context(ctx)
    if not settings.audit.path:
        raise click.UsageError("no decision log: pass --log or set CCT_AUDIT__PATH")
    audit_log = AuditLog(settings.audit.path, rotate_bytes=settings.audit.rotate_bytes, fsync=settings.audit.fsync)
    if from_kafka:
        registry = CollectorRegistry()
        intake = _intake(audit_log, ReviewMetrics(registry, settings.audit.review_precision_period_s))
        try:
            if settings.metrics.enabled:
                server, _thread = start_http_server(settings.metrics.port, addr=settings.metrics.host, registry=registry)
                log.info("review metrics on http://%s:%d/metrics", settings.metrics.host, server.server_port)
            stop = threading.Event()
            install_signal_handlers(stop)
            consumer = ReviewConsumer(settings.kafka, intake, registry, stop=stop.is_set)
            try:
                stats = consumer.run(idle_timeout_s=idle_exit)
            finally:
                consumer.close()
        finally:
            audit_log.close()
        click.echo(json.dumps({"logged": stats.logged, "duplicates": stats.duplicates, "rejected": stats.rejected}))
        return
    if not (alert_id and outcome and reviewer):
        raise click.UsageError("give ALERT_ID, --outcome and --reviewer (or --from-kafka)")
    intake = _intake(audit_log, None)
    try:
        record = intake.submit(ReviewMessage(alert_id=alert_id, outcome=outcome, reviewer=reviewer, note=note), "cli")
    except UnknownAlert as exc:
        raise click.ClickException(str(exc)) from None
    except ValidationError as exc:
        raise click.UsageError("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())) from None
    finally:
        audit_log.close()
    assert record is not None
    click.echo(json.dumps({"logged": f"seq {record['seq']}", "review_id": record["body"]["review_id"],
                           "alert_id": alert_id, "outcome": outcome}))
