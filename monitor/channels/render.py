"""Readable renderings of an alert, shared by the console, Slack blocks and Alertmanager annotations."""

from __future__ import annotations

from typing import Any

from monitor.alert import Alert, factcheck_of_alert
from monitor.rules_engine.leaves import leaf_of


def broadcast_time(ms: int | None) -> str:
    """Offset in the broadcast as mm:ss (h:mm:ss past the first hour); '?' when unknown."""
    if ms is None:
        return "?"
    total = ms // 1000
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes:02d}:{seconds:02d}"


def speaker_name(alert: Alert) -> str:
    """'Name (role)' or the speaker id, or 'unknown speaker'."""
    return _who(alert.speaker or {})


def _who(sp: dict[str, Any]) -> str:
    who = sp.get("name") or sp.get("id") or "unknown speaker"
    role = sp.get("role")
    return f"{who} ({role})" if role and str(role) not in str(who) else str(who)


def when(alert: Alert) -> str:
    """'mm:ss–mm:ss' span of the evidence in the broadcast."""
    start, end = broadcast_time(alert.start_ms), broadcast_time(alert.end_ms)
    return start if end in ("?", start) else f"{start}–{end}"


def reach(alert: Alert) -> str:
    """Audience reach in words."""
    aud = alert.audience or {}
    parts = [f"{aud[k]:,} {k}" for k in ("listeners", "followers") if isinstance(aud.get(k), int)]
    return ", ".join(parts) or "unknown"


def scores(alert: Alert) -> str:
    """'label=0.93 (≥0.80)' for every score, highest first."""
    items = sorted(alert.scores.items(), key=lambda kv: -kv[1])
    out = []
    for label, value in items:
        cut = alert.thresholds.get(label)
        out.append(f"{label}={value:.2f}" + (f" (≥{cut:.2f})" if cut is not None else ""))
    return " ".join(out) or "-"


def _condition(entry: dict[str, Any]) -> str | None:
    """One matched leaf or checked exception in words; None for an entry with nothing to say."""
    leaf = leaf_of(entry)
    if leaf is not None:
        return leaf.describe(entry)
    if "not" in entry:
        inner = _condition(entry["not"]) if isinstance(entry["not"], dict) else None
        return f"not ({inner or 'condition'}): it did not hold"
    if "exceptions_checked" in entry:
        checked = entry["exceptions_checked"] or []
        return "exceptions checked, none applied: " + "; ".join(str(e.get("reason", e)) for e in checked) if checked else None
    if "escalations" in entry:
        hits = [f"+{e.get('levels', 1)} ({e.get('reason')})" for e in entry["escalations"] or [] if e.get("matched")]
        return "severity escalated " + ", ".join(hits) if hits else None
    text = ", ".join(f"{k}={v}" for k, v in entry.items() if v not in (None, "", [], {}))
    return text or None


def why(alert: Alert) -> list[str]:
    """One line per matched condition, checked exception and escalation, from the rule engine's explanation."""
    lines = [_condition(e) for e in alert.explanation if isinstance(e, dict)]
    return [line for line in lines if line] or ["-"]


def action(alert: Alert) -> str:
    """The suggested action from the rule's `actions`: visibility decision and whether on-call is paged."""
    parts = []
    visibility = alert.actions.get("decision_visibility")
    if visibility:
        parts.append(str(visibility))
    if pages(alert):
        parts.append("page on-call" + (" (Art. 18)" if _art18(alert) else ""))
    rest = {k: v for k, v in alert.actions.items() if k not in ("channels", "decision_visibility") and "page" not in k and v}
    parts.extend(f"{k}={v}" for k, v in rest.items())
    return ", ".join(parts) or "review"


def _art18(alert: Alert) -> bool:
    return any(a == "18" or a.startswith("18(") for a in alert.dsa.articles)


def pages(alert: Alert) -> bool:
    """True when the alert must page on-call: critical severity, Art. 18 cited, or the rule asks to page."""
    asks = any(bool(v) for k, v in alert.actions.items() if "page" in k)
    return alert.rule.severity == "critical" or _art18(alert) or asks


def summary(alert: Alert) -> str:
    """One line: severity, rule title, broadcast, speaker and time."""
    return (
        f"[{alert.rule.severity.upper()}] {alert.rule.title} — {alert.title or alert.broadcast_id}"
        f" @ {when(alert)}, {speaker_name(alert)}"
    )


def factcheck(alert: Alert) -> str | None:
    """'rated false by Publisher: URL (narrative id, score)' for an alert repeating a known narrative."""
    fc = factcheck_of_alert(alert)
    if fc is None:
        return None
    return f"rated {fc.rating} by {fc.publisher}: {fc.url} (narrative {fc.narrative_id}, score {fc.score:.2f})"


def _latest(alert: Alert) -> list[str]:
    """For a folded repeat: the latest evidence and when it was said."""
    extra = alert.model_extra or {}
    if not extra.get("last_evidence"):
        return []
    at = broadcast_time(extra.get("last_start_ms"))
    by = ""
    if isinstance(extra.get("last_speaker"), dict) and extra["last_speaker"] != (alert.speaker or {}):
        by = f" by {_who(extra['last_speaker'])}"
    return [f"  latest    “{extra['last_evidence']}” at {at}{by} (seq {extra.get('last_seq', '?')})"]


def latency(alert: Alert, replay: bool = False) -> str:
    """How long detection took: after speech for a live source; for a replayed recording (whose `ts` lies in
    the past) after the monitor read the chunk."""
    if replay:
        return f", {alert.read_latency_ms / 1000:.3f}s after it was read (replay)" if alert.read_latency_ms is not None else ""
    return f", {alert.latency_ms / 1000:.2f}s after speech" if alert.latency_ms is not None else ""


def console_text(alert: Alert, replay: bool = False) -> str:
    """The multi-line console rendering: who said what, when, which rule and why, reach and action; `replay`
    says the source is a recording replayed (latency relative to the replay, not to the original speech)."""
    repeat = f" (×{alert.count})" if alert.count > 1 else ""
    lines = [
        f"━━ ALERT {alert.rule.severity.upper()}{repeat} ━━ {alert.rule.title}",
        f"  rule      {alert.rule.id} v{alert.rule.version} ({alert.rule.mode})",
        f"  DSA       Art. {', '.join(alert.dsa.articles)} · {alert.dsa.category}",
        f"  broadcast {alert.broadcast_id}" + (f" “{alert.title}”" if alert.title else "") + f" at {when(alert)}"
        f" (seq {', '.join(str(s) for s in alert.seqs)})",
        f"  speaker   {speaker_name(alert)}",
        f"  said      “{alert.evidence}”",
        *_latest(alert),
        f"  scores    {scores(alert)}",
        "  why       " + "\n            ".join(why(alert)),
        *([f"  factcheck {checked}"] if (checked := factcheck(alert)) else []),
        f"  reach     {reach(alert)}",
        f"  action    {action(alert)}",
        f"  alert     {alert.alert_id} detected {alert.detected_at}{latency(alert, replay)}",
    ]
    return "\n".join(lines)
