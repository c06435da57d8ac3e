"""`cct-monitor sor export|schema`: statements of reasons for confirmed alerts (EU Transparency Database)."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import click

from monitor.audit.log import AuditLog
from monitor.cli.audit_cmd import open_view
from monitor.cli.options import setting_option, settings_from_context
from monitor.sor.export import SubmissionError, export_statements, submit
from monitor.sor.schema import statement_schema, write_schema

TOKEN_ENV = "CCT_SOR_TOKEN"


def _day(_ctx: click.Context, _param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD") from None


@click.group()
def sor() -> None:
    """Statements of reasons (DSA Articles 17 and 24(5)) for the EU Transparency Database."""


@sor.command("export")
@click.option("--since", required=True, callback=_day, envvar="CCT_SOR_SINCE", show_envvar=True,
              help="First review date (YYYY-MM-DD, UTC) of the confirmed alerts to export.")
@click.option("--until", required=True, callback=_day, envvar="CCT_SOR_UNTIL", show_envvar=True,
              help="Last review date (YYYY-MM-DD, UTC), inclusive.")
@setting_option("--log", "log_path", setting="audit.path", help="Decision-log directory.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None, envvar="CCT_SOR_OUT",
              show_envvar=True, help="Write the batches here, one {\"statements\": [...]} per line [default: stdout].")
@click.option("--submit", "submit_url", default=None, envvar="CCT_SOR_URL", show_envvar=True,
              help=f"Transparency Database base URL; POSTs each batch to /api/v1/statements with the bearer token in {TOKEN_ENV}.")
@click.option("--batch-size", type=click.IntRange(1, 100), default=100, show_default=True, envvar="CCT_SOR_BATCH_SIZE",
              show_envvar=True, help="Statements per request (the API takes at most 100).")
@click.option("--include-submitted", is_flag=True, envvar="CCT_SOR_INCLUDE_SUBMITTED", show_envvar=True,
              help="Also export alerts whose statement was already submitted (never with --submit: puids are never reused).")
@click.pass_context
def export(ctx: click.Context, since: date, until: date, out: Path | None, submit_url: str | None, batch_size: int,
           include_submitted: bool, **_flags: object) -> None:
    """Build, validate and batch statements for alerts a reviewer confirmed between --since and --until."""
    settings = settings_from_context(ctx)
    if submit_url and include_submitted:
        raise click.UsageError("--include-submitted cannot be combined with --submit (a puid is never reused)")
    result = export_statements(open_view(settings.audit.path), since, until, include_submitted)
    lines = [json.dumps({"statements": batch}, ensure_ascii=False) for batch in result.batches(batch_size)]
    if out is not None:
        out.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    elif not submit_url:
        for line in lines:
            click.echo(line)
    for skip in result.skipped:
        click.echo(f"skipped {skip['alert_id']}: {skip['reason']}", err=True)
    summary: dict[str, object] = {"statements": len(result.statements), "batches": len(lines), "skipped": len(result.skipped)}
    if submit_url and result.statements:
        token = os.environ.get(TOKEN_ENV)
        if not token:
            raise click.UsageError(f"--submit needs the API token in the environment variable {TOKEN_ENV}")
        audit_log = AuditLog(settings.audit.path, rotate_bytes=settings.audit.rotate_bytes, fsync=settings.audit.fsync)
        try:
            records = submit(result, submit_url, token, audit_log, batch_size)
        except SubmissionError as exc:
            raise click.ClickException(str(exc)) from None
        finally:
            audit_log.close()
        summary["submitted"] = sum(len(r["body"]["statements"]) for r in records)
        summary["logged"] = [f"seq {r['seq']}" for r in records]
    click.echo(json.dumps(summary), err=True)


@sor.command("schema")
@click.option("--write", "write", is_flag=True, envvar="CCT_SOR_SCHEMA_WRITE", show_envvar=True,
              help="Write monitor/schemas/sor_statement.schema.json instead of printing.")
def schema(write: bool) -> None:
    """The JSON Schema every statement is validated against."""
    if write:
        click.echo(str(write_schema()))
    else:
        click.echo(json.dumps(statement_schema(), indent=2))
