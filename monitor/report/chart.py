"""The report chart: alerts over time by category (stacked bars per day or week) and reviewed precision
per category, as a PNG and as a self-contained HTML page (PNG embedded in base64, plus the table)."""

from __future__ import annotations

import base64
import html
import textwrap
from collections import Counter, defaultdict
from datetime import date, timedelta
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

from monitor.report.transparency import COLUMNS, Report, Tally  # noqa: E402

PALETTE = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def _short(category: str) -> str:
    return category.removeprefix("STATEMENT_CATEGORY_").replace("_", " ").lower()


def _bins(report: Report) -> tuple[list[date], int]:
    days = (report.until - report.since).days + 1
    step = 1 if days <= 62 else 7
    return [report.since + timedelta(days=i) for i in range(0, days, step)], step


def write_png(report: Report, path: Path) -> Path:
    """Stacked alerts per period by category (top) and reviewed precision by category (bottom)."""
    starts, step = _bins(report)
    per_bin: dict[str, Counter[int]] = defaultdict(Counter)
    for entry in report.alerts:
        idx = (entry.detected_at.date() - report.since).days // step
        per_bin[entry.alert["dsa"]["category"]][idx] += 1
    categories = sorted(per_bin)
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(11, 7.5), gridspec_kw={"height_ratios": [3, 2]}, layout="constrained")
    base = [0] * len(starts)
    for i, cat in enumerate(categories):
        values = [per_bin[cat][k] for k in range(len(starts))]
        top.bar(starts, values, width=step * 0.85, bottom=base, color=PALETTE[i % len(PALETTE)], label=_short(cat),
                align="edge")
        base = [b + v for b, v in zip(base, values, strict=True)]
    unit = "day" if step == 1 else "week"
    top.set_title(f"Alerts per {unit} by DSA category, {report.since} to {report.until} ({len(report.alerts)} alerts)")
    top.set_ylabel(f"alerts per {unit}")
    if categories:
        top.legend(loc="upper left", fontsize=8, frameon=False)
    top.grid(axis="y", alpha=0.3)
    top.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m-%d"))
    top.set_xlim(report.since, report.until + timedelta(days=1))
    for tick in top.get_xticklabels():
        tick.set_rotation(30)
        tick.set_horizontalalignment("right")
    names, values, labels = [], [], []
    for cat in categories:
        tally = report.cells.get((cat, "ALL")) or Tally()
        verdicts = tally.counts["confirmed"] + tally.counts["false_positive"]
        names.append(textwrap.fill(_short(cat), 28))
        values.append(tally.precision or 0.0)
        plural = "s" if verdicts != 1 else ""
        labels.append(f"{tally.precision:.0%} ({tally.counts['confirmed']} confirmed of {verdicts} verdict{plural})"
                      if verdicts else "no verdicts yet")
    bars = bottom.barh(names, values, height=0.5, color=[PALETTE[i % len(PALETTE)] for i in range(len(names))])
    for bar, text in zip(bars, labels, strict=True):
        bottom.text(min(bar.get_width(), 1.0) + 0.01, bar.get_y() + bar.get_height() / 2, text, va="center", fontsize=9)
    bottom.set_xlim(0, 1.25)
    bottom.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    bottom.set_xlabel("reviewed precision = confirmed / (confirmed + false positives)")
    bottom.set_title("Reviewed precision by category")
    bottom.invert_yaxis()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def write_html(report: Report, png: Path, rows: list[dict[str, object]], path: Path) -> Path:
    """A single page: the chart (embedded) and the automated-means table."""
    image = base64.b64encode(png.read_bytes()).decode("ascii")
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(r[c]))}</td>" for c in COLUMNS) + "</tr>" for r in rows
    )
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Transparency report {report.since} to {report.until}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;font-size:13px}}
td,th{{border:1px solid #ccc;padding:3px 6px;text-align:right}}td:first-child,th:first-child{{text-align:left}}</style>
</head><body>
<h1>Automated detection: alerts and reviewed precision</h1>
<p>Period {report.since} to {report.until}: {len(report.alerts)} alerts from the decision log.
Recall is not computable from the log (no ground truth for content that never alerted).</p>
<img alt="Alerts over time by category and reviewed precision" src="data:image/png;base64,{image}">
<h2>Automated means, per category, specification and language</h2>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
</body></html>
"""
    path.write_text(page, encoding="utf-8")
    return path
