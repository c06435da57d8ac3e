"""`cct-monitor config show`: the effective settings with secrets redacted."""

from __future__ import annotations

import click
import yaml

from monitor.cli.options import settings_from_context
from monitor.settings import redacted


@click.group()
def config() -> None:
    """Inspect the effective settings."""


@config.command("show")
@click.pass_context
def show(ctx: click.Context) -> None:
    """Print the effective settings (file < env < flags) as YAML, secrets redacted."""
    click.echo(yaml.safe_dump(redacted(settings_from_context(ctx)), sort_keys=False), nl=False)
