"""`cct-monitor audit verify|show`: prove the decision log is intact, and show one alert's provenance."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import click

from monitor.audit.read import LogView, UnreadableLog
from monitor.audit.verify import verify
from monitor.cli.options import setting_option, settings_from_context


HEAD_RE = re.compile(r"^\d+:[0-9a-f]{64}$")


def open_view(path: str) -> LogView:
    """The decision log at `path`, or a clean CLI error when it is missing or unreadable."""
    if not path:
        raise click.UsageError("no decision log: pass --log or set CCT_AUDIT__PATH")
    try:
        return LogView(path)
    except UnreadableLog as exc:
        raise click.ClickException(str(exc)) from None


def _head(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    if value is not None and not HEAD_RE.match(value):
        raise click.BadParameter("use SEQ:HASH as printed by a previous `audit verify`")
    return value


@click.group()
def audit() -> None:
    """The tamper-evident decision log."""


@audit.command("verify")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--head", "head", default=None, callback=_head, envvar="CCT_AUDIT_HEAD", show_envvar=True,
              help="A previously published head 'SEQ:HASH' that must still be in the log (detects cut-off tails).")
@click.option("--json", "as_json", is_flag=True, envvar="CCT_AUDIT_JSON", show_envvar=True, help="Print the result as JSON.")
def verify_cmd(path: Path, head: str | None, as_json: bool) -> None:
    """Check the hash chain of a log directory or file; name the first broken record as FILE:LINE.

    Exit status: 0 intact; 1 edited, deleted, reordered or truncated records; 3 intact up to an
    incomplete last record (an interrupted write, which the monitor moves aside on its next start).
    """
    result = verify(path, head=head)
    if as_json:
        click.echo(json.dumps({
            "ok": result.problem is None, "files": result.files, "records": result.records,
            "head": f"{result.head_seq}:{result.head_hash}",
            "problem": None if result.problem is None else {
                "file": result.problem.file, "line": result.problem.line, "kind": result.problem.kind,
                "message": result.problem.message,
            },
            "notes": result.notes,
        }, indent=2))
    else:
        for note in result.notes:
            click.echo(f"note: {note}", err=True)
        if result.problem is None:
            click.echo(f"OK: {result.records} records in {len(result.files)} file(s); head {result.head_seq}:{result.head_hash}")
        else:
            click.echo(f"BROKEN: {result.problem}", err=True)
            click.echo(f"{result.records} records verified before it; last good head {result.head_seq}:{result.head_hash}",
                       err=True)
    sys.exit(result.exit_code)


@audit.command("show")
@click.argument("alert_id")
@setting_option("--log", "log_path", setting="audit.path", help="Decision-log directory.")
@click.pass_context
def show(ctx: click.Context, alert_id: str, **_flags: object) -> None:
    """Full provenance of one alert: chunk → rule and model version → scores and thresholds → review → SoR."""
    view = open_view(settings_from_context(ctx).audit.path)
    try:
        click.echo(json.dumps(view.provenance(alert_id), indent=2, ensure_ascii=False))
    except KeyError:
        raise click.ClickException(f"alert {alert_id} is not in {view.path}") from None
