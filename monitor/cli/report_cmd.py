"""`cct-monitor report`: transparency-report CSVs and a chart from the decision log."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import click

from monitor.cli.audit_cmd import open_view
from monitor.cli.options import setting_option, settings_from_context
from monitor.report.transparency import automated_means_rows, build_report, own_initiative_rows, write_csv


def _period(_ctx: click.Context, _param: click.Parameter, value: str) -> tuple[date, date]:
    try:
        first, last = (datetime.strptime(p, "%Y-%m-%d").date() for p in value.split("/"))
    except ValueError:
        raise click.BadParameter("use YYYY-MM-DD/YYYY-MM-DD") from None
    if last < first:
        raise click.BadParameter("the period ends before it starts")
    return first, last


@click.command()
@click.option("--period", required=True, callback=_period, envvar="CCT_REPORT_PERIOD", show_envvar=True,
              help="Reporting period, e.g. 2026-01-01/2026-06-30 (alert detection dates, UTC, inclusive).")
@setting_option("--log", "log_path", setting="audit.path", help="Decision-log directory.")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path), envvar="CCT_REPORT_OUT",
              show_envvar=True, help="Directory for own_initiative.csv, automated_means.csv, report.png, report.html.")
@click.pass_context
def report(ctx: click.Context, period: tuple[date, date], out_dir: Path, **_flags: object) -> None:
    """Counts by STATEMENT_CATEGORY_* / KEYWORD_* (+ TOTAL) per language, precision from reviews, and a chart."""
    # matplotlib (+30 MiB) only for this command: every `cct-monitor` process, replicas included, imports the CLI
    from monitor.report.chart import write_html, write_png

    view = open_view(settings_from_context(ctx).audit.path)
    out_dir.mkdir(parents=True, exist_ok=True)
    rep = build_report(view, *period)
    means = automated_means_rows(rep)
    files = [
        write_csv(own_initiative_rows(rep), out_dir / "own_initiative.csv"),
        write_csv(means, out_dir / "automated_means.csv"),
    ]
    png = write_png(rep, out_dir / "report.png")
    files += [png, write_html(rep, png, means, out_dir / "report.html")]
    click.echo(json.dumps({"alerts": len(rep.alerts), "files": [str(f) for f in files]}))
