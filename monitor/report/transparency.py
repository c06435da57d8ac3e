"""Transparency-report tables from the decision log, in the shape of the harmonised templates
(Implementing Regulation (EU) 2024/2835): own-initiative measures and automated means.

Per row (every STATEMENT_CATEGORY_*, every KEYWORD_*, and TOTAL) and per language ("ALL" plus each
language seen):
- detections: distinct alerts detected in the period (a redelivered or folded alert counts once);
- measures: confirmed alerts whose rule prescribes a restriction (a measure was taken);
- measures_after_solely_automated_detection: those measures whose detection was the monitor's own
  automated means (all of them: the monitor is an automated detector) — the template's sub-count;
  no measure is decided solely by automation (a reviewer decides, Art. 20), so there is no such column;
- reviewed, confirmed, false_positive, needs_escalation: latest reviewer outcome per alert;
- precision = confirmed / (confirmed + false_positive), blank without verdicts;
- recall: blank — the log holds no ground truth for content that never alerted, so it is not
  computable from the log alone (it is measured offline, on labelled sets, in the model cards).
A row is counted for an alert's category and for each of its specifications; TOTAL counts each alert once.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from monitor import dsa
from monitor.audit.read import AlertEntry, LogView

COLUMNS = (
    "row", "row_type", "language", "detections", "measures", "measures_after_solely_automated_detection",
    "reviewed", "confirmed", "false_positive", "needs_escalation", "precision", "recall",
)
COUNTS = COLUMNS[3:10]


@dataclass(slots=True)
class Tally:
    """Counts for one (row, language) cell."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))

    def add(self, entry: AlertEntry) -> None:
        c = self.counts
        c["detections"] += 1
        outcome = entry.outcome
        if outcome is not None:
            c["reviewed"] += 1
            c[outcome] += 1
        if outcome == "confirmed" and (entry.alert.get("actions") or {}).get("decision_visibility"):
            c["measures"] += 1
            c["measures_after_solely_automated_detection"] += 1

    @property
    def precision(self) -> float | None:
        verdicts = self.counts["confirmed"] + self.counts["false_positive"]
        return self.counts["confirmed"] / verdicts if verdicts else None


@dataclass(slots=True)
class Report:
    """The tallies of one period, keyed by (row, language)."""

    since: date
    until: date
    cells: dict[tuple[str, str], Tally] = field(default_factory=lambda: defaultdict(Tally))
    languages: set[str] = field(default_factory=set)
    alerts: list[AlertEntry] = field(default_factory=list)

    def cell(self, row: str, language: str) -> Tally:
        return self.cells[(row, language)]


def alerts_in_period(view: LogView, since: date, until: date) -> list[AlertEntry]:
    """Alerts detected in [since, until] (UTC dates), in log order."""
    return [e for e in view.alerts.values() if since <= e.detected_at.date() <= until]


def build_report(view: LogView, since: date, until: date) -> Report:
    """Tally every alert of the period into its category, specification and TOTAL rows, per language."""
    report = Report(since, until)
    report.alerts = alerts_in_period(view, since, until)
    for entry in report.alerts:
        d = entry.alert["dsa"]
        language = (entry.alert.get("language") or "und").upper()
        report.languages.add(language)
        rows = ["TOTAL", d["category"], *sorted(set(d.get("specification") or []))]
        for row in rows:
            for lang in ("ALL", language):
                report.cell(row, lang).add(entry)
    return report


def _row_type(row: str) -> str:
    return "total" if row == "TOTAL" else ("category" if row.startswith("STATEMENT_CATEGORY_") else "keyword")


def own_initiative_rows(report: Report) -> list[dict[str, object]]:
    """Every category and keyword of the template (zeros included) and TOTAL, all languages together."""
    rows = sorted(dsa.CATEGORIES) + sorted(dsa.SPECIFICATIONS) + ["TOTAL"]
    return [_line(report, row, "ALL") for row in rows]


def automated_means_rows(report: Report) -> list[dict[str, object]]:
    """Rows with detections, per language ("ALL" first), plus TOTAL: accuracy of the automated means."""
    rows = sorted({row for (row, _), tally in report.cells.items() if tally.counts["detections"] and row != "TOTAL"},
                  key=lambda r: (_row_type(r) != "category", r))
    out = []
    for row in [*rows, "TOTAL"]:
        for lang in ["ALL", *sorted(report.languages)]:
            if (row, lang) in report.cells or (row == "TOTAL" and lang == "ALL"):
                out.append(_line(report, row, lang))
    return out


def _line(report: Report, row: str, lang: str) -> dict[str, object]:
    tally = report.cells.get((row, lang)) or Tally()
    p = tally.precision
    return {"row": row, "row_type": _row_type(row), "language": lang, **tally.counts,
            "precision": "" if p is None else f"{p:.4f}", "recall": ""}


def write_csv(rows: list[dict[str, object]], path: Path) -> Path:
    """Write rows with the report's columns."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path
