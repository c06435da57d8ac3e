"""The `cct-monitor` command line. Each sub-command lives in its own module and is registered here."""

from __future__ import annotations

import logging
from pathlib import Path

import click

from monitor import __version__
from monitor.cli import alerts_cmd, config_cmd, kafka_cmds, run_cmd
from monitor.cli import classify_cmd, train_cmd
from monitor.cli import rules_cmd
from monitor.cli import audit_cmd, replay_cmd, report_cmd, review_cmd, sor_cmd
from monitor.cli import bench_cmd
from monitor.cli import console_cmd
from monitor.cli import narratives_cmd
from monitor.cli import eval_cmd
from monitor.cli import model_cmd


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="cct-monitor")
@click.option(
    "--config", "config_path", type=click.Path(exists=True, dir_okay=False, path_type=Path),
    envvar="CCT_CONFIG", show_envvar=True, help="YAML settings file (lowest precedence: env and flags win).",
)
@click.option(
    "--log-level", type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"]), envvar="CCT_LOG_LEVEL",
    show_envvar=True, default=None, help="Logging level [default: INFO].",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None, log_level: str | None) -> None:
    """cct-tracking: DSA compliance monitoring of live broadcast transcripts."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    ctx.obj["log_level"] = log_level
    logging.basicConfig(
        level=getattr(logging, log_level or "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("kafka").setLevel(logging.ERROR if (log_level or "INFO") != "DEBUG" else logging.DEBUG)


cli.add_command(run_cmd.run)
cli.add_command(kafka_cmds.produce)
cli.add_command(kafka_cmds.topics)
cli.add_command(config_cmd.config)
cli.add_command(alerts_cmd.alerts)
cli.add_command(classify_cmd.classify)
cli.add_command(train_cmd.train)
cli.add_command(rules_cmd.rules)
cli.add_command(audit_cmd.audit)
cli.add_command(review_cmd.review)
cli.add_command(sor_cmd.sor)
cli.add_command(report_cmd.report)
cli.add_command(replay_cmd.replay)
cli.add_command(bench_cmd.bench)
cli.add_command(console_cmd.console)
cli.add_command(narratives_cmd.narratives)
cli.add_command(eval_cmd.eval_)
cli.add_command(model_cmd.model)


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="cct-monitor")
