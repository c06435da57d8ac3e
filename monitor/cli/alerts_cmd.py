"""`cct-monitor alerts test`: send one synthetic alert to every configured channel and report each result."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from monitor.alert import Alert, AlertDSA, AlertRule, make_alert_id
from monitor.channels import channels_from_settings
from monitor.channels.base import Envelope
from monitor.cli.options import setting_option, settings_from_context
from monitor.timefmt import utc_iso

TEST_RULE_ID = "cct.channel-test"


def synthetic_alert(now: datetime | None = None) -> Alert:
    """An `info` alert that says it is a test; its id is unique per second so receivers show each run."""
    now = now or datetime.now(UTC)
    broadcast = "cct-channel-test"
    seqs = [int(now.timestamp())]
    return Alert(
        alert_id=make_alert_id(TEST_RULE_ID, "1.0.0", broadcast, seqs),
        rule=AlertRule(id=TEST_RULE_ID, version="1.0.0", sha256="0" * 64, title="Channel test (not a real alert)",
                       severity="info", mode="enforce"),
        dsa=AlertDSA(articles=["16"], category="STATEMENT_CATEGORY_OTHER_VIOLATION_TC",
                     decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT"),
        broadcast_id=broadcast, title="cct-monitor alerts test", seqs=seqs, start_ms=0, end_ms=5000,
        speaker={"id": "cct", "name": "cct-monitor", "role": "test"},
        evidence="This is a test alert sent by `cct-monitor alerts test`; no action is needed.",
        explanation=[{"test": "synthetic alert, no rule evaluated"}],
        detected_at=utc_iso(now),
        actions={"decision_visibility": "none"}, cooldown_s=60,
    )


@click.group()
def alerts() -> None:
    """Alert channel tools."""


@alerts.command("test")
@click.option(
    "--source", "source_kind", type=click.Choice(["kafka", "file"]), default="kafka", show_default=True,
    envvar="CCT_SOURCE", show_envvar=True, help="Source the default channel list is chosen for.",
)
@setting_option("--bootstrap-servers", setting="kafka.bootstrap_servers", help="Kafka bootstrap servers, comma-separated.")
@setting_option("--alerts-topic", setting="kafka.alerts_topic", help="Kafka alerts topic.")
@click.pass_context
def test(ctx: click.Context, source_kind: str, **_flags: object) -> None:
    """Send one synthetic `info` alert to every configured channel (filters bypassed); exit 1 if any fails."""
    settings = settings_from_context(ctx)
    try:
        channels = channels_from_settings(settings, source_kind)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    env = Envelope(synthetic_alert())
    failed = 0
    click.echo(f"synthetic alert {env.alert.alert_id} → {len(channels)} channel(s)")
    for channel in channels:
        kind = "durable" if channel.durable else "best-effort"
        t0 = time.perf_counter()
        try:
            channel.send([env])
            click.echo(f"  ok      {channel.name:<16} {channel.kind:<13} {kind:<11} {(time.perf_counter() - t0) * 1000:.0f} ms")
        except Exception as exc:
            failed += 1
            click.echo(f"  FAILED  {channel.name:<16} {channel.kind:<13} {kind:<11} {exc}")
        finally:
            channel.close()
    if failed:
        raise SystemExit(1)
