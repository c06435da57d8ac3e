"""View models: the plain data each page renders, computed from the decision log and the transcripts.

Pure functions of their inputs (plus `now`), so they are unit-tested without a server.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from monitor.alert import SEVERITIES, Alert
from monitor.audit.read import AlertEntry, LogView
from monitor.channels import render

OPEN_STATES = ("open", "needs_escalation")
STATE_FILTERS = ("open", "reviewed", "all")


@dataclass(frozen=True, slots=True)
class QueueFilters:
    """The queue's filters; empty strings mean 'any'."""

    severity: str = ""  # minimum severity
    rule: str = ""
    category: str = ""
    broadcast: str = ""
    mode: str = ""  # enforce | shadow
    state: str = "open"

    @classmethod
    def parse(cls, params: Any) -> QueueFilters:
        """From query parameters; unknown values fall back to 'any' (or 'open' for the state)."""
        get = lambda k: str(params.get(k) or "").strip()[:200]  # noqa: E731
        severity = get("severity") if get("severity") in SEVERITIES else ""
        mode = get("mode") if get("mode") in ("enforce", "shadow") else ""
        state = get("state") if get("state") in STATE_FILTERS else "open"
        return cls(severity, get("rule"), get("category"), get("broadcast"), mode, state)

    def query(self) -> dict[str, str]:
        return {k: v for k, v in (("severity", self.severity), ("rule", self.rule), ("category", self.category),
                                  ("broadcast", self.broadcast), ("mode", self.mode), ("state", self.state)) if v}


@dataclass(frozen=True, slots=True)
class QueueRow:
    alert_id: str
    broadcast_id: str
    severity: str
    rule_id: str
    rule_title: str
    mode: str
    category: str
    listeners: int | None
    reach: str
    detected_at: datetime
    age: str
    state: str
    reviewer: str | None
    count: int
    when: str


@dataclass(slots=True)
class BroadcastGroup:
    broadcast_id: str
    title: str | None
    rows: list[QueueRow] = field(default_factory=list)


def state_of(entry: AlertEntry) -> str:
    """open (never reviewed) or the latest outcome."""
    return entry.outcome or "open"


def age_text(seconds: float) -> str:
    """'42s', '7m', '3h 5m', '2d 4h'."""
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m"
    if s < 86400:
        return f"{s // 3600}h {s % 3600 // 60}m"
    return f"{s // 86400}d {s % 86400 // 3600}h"


def latency_text(ms: float | None) -> str | None:
    """Speech-to-alert latency: '0.84 s' within a minute, else as an age ('4d 14h' for a replayed broadcast)."""
    if ms is None:
        return None
    return f"{ms / 1000:.2f} s" if ms < 60_000 else age_text(ms / 1000)


def alert_model(entry: AlertEntry) -> Alert:
    """The alert as the contract model (evidence as text, as the channels render it)."""
    data = dict(entry.alert)
    data["evidence"] = entry.evidence or "(evidence text not retained; sha256 in the decision log)"
    if isinstance(data.get("last_evidence"), dict):
        data["last_evidence"] = data["last_evidence"].get("text")
    return Alert.model_validate(data)


def queue_row(entry: AlertEntry, now: datetime) -> QueueRow:
    alert = entry.alert
    model = alert_model(entry)
    audience = alert.get("audience") or {}
    review = entry.review
    return QueueRow(
        alert_id=entry.alert_id, broadcast_id=alert["broadcast_id"], severity=alert["rule"]["severity"],
        rule_id=alert["rule"]["id"], rule_title=alert["rule"]["title"], mode=alert["rule"]["mode"],
        category=alert["dsa"]["category"], listeners=audience.get("listeners"), reach=render.reach(model),
        detected_at=entry.detected_at, age=age_text((now - entry.detected_at).total_seconds()),
        state=state_of(entry), reviewer=review["reviewer"] if review else None,
        count=max([alert.get("count") or 1] + [r.record["body"]["alert"].get("count") or 1 for r in entry.repeats]),
        when=render.when(model),
    )


def _rank(severity: str) -> int:
    """A severity's place in SEVERITIES (an unknown one ranks highest: it is never filtered away)."""
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def _keep(entry: AlertEntry, f: QueueFilters) -> bool:
    alert = entry.alert
    state = state_of(entry)
    if f.state == "open" and state not in OPEN_STATES or f.state == "reviewed" and state in ("open",):
        return False
    if f.severity and _rank(alert["rule"]["severity"]) < SEVERITIES.index(f.severity):
        return False
    if f.rule and f.rule != alert["rule"]["id"]:
        return False
    if f.category and f.category != alert["dsa"]["category"]:
        return False
    if f.broadcast and f.broadcast != alert["broadcast_id"]:
        return False
    return not (f.mode and f.mode != alert["rule"]["mode"])


def queue(view: LogView, filters: QueueFilters, now: datetime) -> list[BroadcastGroup]:
    """Matching alerts newest first, grouped by broadcast; groups ordered by their newest alert."""
    entries = sorted((e for e in view.alerts.values() if _keep(e, filters)), key=lambda e: e.detected_at, reverse=True)
    groups: dict[str, BroadcastGroup] = {}
    for entry in entries:
        bid = entry.alert["broadcast_id"]
        group = groups.setdefault(bid, BroadcastGroup(bid, entry.alert.get("title")))
        group.rows.append(queue_row(entry, now))
    return list(groups.values())


def open_depth(view: LogView) -> dict[str, int]:
    """Open alerts (unreviewed or escalated) per severity."""
    depth = dict.fromkeys(SEVERITIES, 0)
    for entry in view.alerts.values():
        if state_of(entry) in OPEN_STATES:
            severity = entry.alert["rule"]["severity"]
            depth[severity] = depth.get(severity, 0) + 1
    return depth


def filter_options(view: LogView) -> dict[str, list[str]]:
    """The values the queue's filter menus offer."""
    alerts = [e.alert for e in view.alerts.values()]
    return {
        "rules": sorted({a["rule"]["id"] for a in alerts}),
        "categories": sorted({a["dsa"]["category"] for a in alerts}),
        "broadcasts": sorted({a["broadcast_id"] for a in alerts}),
    }


# --- the transcript around the evidence ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    marked: bool = False


@dataclass(frozen=True, slots=True)
class ContextLine:
    seq: int
    at: str
    speaker: str
    segments: list[Segment]
    evidence: bool


def speaker_label(speaker: dict[str, Any] | None) -> str:
    """'Name (role)', the id, or 'unknown speaker'."""
    sp = speaker or {}
    who = sp.get("name") or sp.get("id") or "unknown speaker"
    role = sp.get("role")
    return f"{who} ({role})" if role and str(role) not in str(who) else str(who)


def highlight(text: str, terms: list[str]) -> list[Segment]:
    """`text` split into segments, the case-insensitive occurrences of `terms` marked."""
    wanted = [t for t in sorted(set(terms), key=len, reverse=True) if t.strip()]
    if not wanted:
        return [Segment(text)]
    pattern = re.compile("|".join(re.escape(t) for t in wanted), re.IGNORECASE)
    out: list[Segment] = []
    pos = 0
    for m in pattern.finditer(text):
        if m.start() > pos:
            out.append(Segment(text[pos:m.start()]))
        out.append(Segment(m.group(0), True))
        pos = m.end()
    if pos < len(text):
        out.append(Segment(text[pos:]))
    return out or [Segment(text)]


def matched_terms(explanation: list[dict[str, Any]]) -> list[str]:
    """Keyword terms and regex matches the rule engine reported (recursively under all/any)."""
    terms: list[str] = []
    for leaf in explanation:
        if not isinstance(leaf, dict):
            continue
        terms.extend(str(t) for t in leaf.get("terms") or [])
        if isinstance(leaf.get("match"), str):
            terms.append(leaf["match"])
        for key in ("all", "any"):
            if isinstance(leaf.get(key), list):
                terms.extend(matched_terms(leaf[key]))
    return terms


def context_window(chunks: list[dict[str, Any]], seqs: list[int], before: int, after: int,
                   terms: list[str]) -> list[ContextLine]:
    """The evidence chunks with up to `before` chunks preceding and `after` following them, in seq order."""
    if not chunks or not seqs:
        return []
    order = [c["seq"] for c in chunks]
    evidence = set(seqs)
    present = [i for i, s in enumerate(order) if s in evidence]
    if not present:
        return []
    lo, hi = max(0, present[0] - before), min(len(chunks), present[-1] + after + 1)
    lines = []
    for chunk in chunks[lo:hi]:
        is_evidence = chunk["seq"] in evidence
        text = str(chunk.get("text") or "")
        lines.append(ContextLine(
            seq=chunk["seq"], at=render.broadcast_time(chunk.get("start_ms")), speaker=speaker_label(chunk.get("speaker")),
            segments=highlight(text, terms) if is_evidence else [Segment(text)], evidence=is_evidence,
        ))
    return lines


# --- the alert page ----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ScoreRow:
    label: str
    score: float
    threshold: float | None

    @property
    def over(self) -> bool:
        return self.threshold is not None and self.score >= self.threshold


def score_rows(alert: dict[str, Any]) -> list[ScoreRow]:
    """Every score with the rule's threshold for it, thresholded labels first, then highest score."""
    thresholds = alert.get("thresholds") or {}
    rows = [ScoreRow(k, float(v), thresholds.get(k)) for k, v in (alert.get("scores") or {}).items()]
    return sorted(rows, key=lambda r: (r.threshold is None, -r.score))


def safe_link(url: Any) -> str | None:
    """An http(s) URL, or None (never a javascript: or data: link)."""
    return url if isinstance(url, str) and re.match(r"^https?://[^\s\"'<>]+$", url) else None


def review_history(entry: AlertEntry) -> list[dict[str, Any]]:
    return [r.record["body"] for r in entry.reviews]


# --- the broadcast timeline --------------------------------------------------------------------------

@dataclass(slots=True)
class Timeline:
    """Per-label score series, listeners and alert markers over time in the broadcast (seconds)."""

    broadcast_id: str
    duration_s: float
    labels: list[str]
    series: dict[str, list[tuple[float, float]]]
    listeners: list[tuple[float, int]]
    alerts: list[dict[str, Any]]


def chunk_time_s(chunk: dict[str, Any]) -> float | None:
    value = chunk.get("start_ms") if chunk.get("start_ms") is not None else chunk.get("end_ms")
    return None if value is None else value / 1000.0


def timeline(broadcast_id: str, chunks: list[dict[str, Any]], entries: list[AlertEntry]) -> Timeline:
    """The timeline of one broadcast from its decision records and its alerts."""
    labels = sorted({k for c in chunks for k in (c.get("scores") or {})})
    series: dict[str, list[tuple[float, float]]] = {k: [] for k in labels}
    listeners: list[tuple[float, int]] = []
    end = 0.0
    for chunk in chunks:
        t = chunk_time_s(chunk)
        if t is None:
            continue
        end = max(end, (chunk.get("end_ms") or chunk.get("start_ms") or 0) / 1000.0)
        for label, score in (chunk.get("scores") or {}).items():
            series[label].append((t, float(score)))
        count = (chunk.get("audience") or {}).get("listeners")
        if isinstance(count, int):
            listeners.append((t, count))
    marks = []
    for entry in sorted(entries, key=lambda e: e.alert.get("start_ms") or 0):
        alert = entry.alert
        if alert.get("start_ms") is None:
            continue
        at = alert["start_ms"] / 1000.0
        end = max(end, (alert.get("end_ms") or alert["start_ms"]) / 1000.0)
        marks.append({"t": at, "alert_id": entry.alert_id, "severity": alert["rule"]["severity"],
                      "rule_id": alert["rule"]["id"], "state": state_of(entry)})
    return Timeline(broadcast_id, end, labels, series, listeners, marks)


# --- rule quality ------------------------------------------------------------------------------------

@dataclass(slots=True)
class RuleQuality:
    rule_id: str
    mode: str
    title: str
    alerts: int = 0
    confirmed: int = 0
    false_positive: int = 0
    escalated: int = 0
    open: int = 0

    @property
    def precision(self) -> float | None:
        judged = self.confirmed + self.false_positive
        return self.confirmed / judged if judged else None


def rule_quality(view: LogView, since: date, until: date) -> dict[str, list[RuleQuality]]:
    """Per rule and mode, over alerts detected in [since, until] (UTC dates): outcomes and precision.

    Returns {"enforce": [...], "shadow": [...]}, each sorted by rule id.
    """
    table: dict[tuple[str, str], RuleQuality] = {}
    for entry in view.alerts.values():
        if not since <= entry.detected_at.date() <= until:
            continue
        rule = entry.alert["rule"]
        row = table.setdefault((rule["id"], rule["mode"]), RuleQuality(rule["id"], rule["mode"], rule["title"]))
        row.alerts += 1
        outcome = entry.outcome
        if outcome == "confirmed":
            row.confirmed += 1
        elif outcome == "false_positive":
            row.false_positive += 1
        elif outcome == "needs_escalation":
            row.escalated += 1
        else:
            row.open += 1
    out: dict[str, list[RuleQuality]] = {"enforce": [], "shadow": []}
    for (_, mode), row in sorted(table.items()):
        out.setdefault(mode, []).append(row)
    return out
