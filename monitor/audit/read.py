"""Read the decision log back: alerts with their reviews and submissions, and one alert's provenance.

Reading does not verify (that is `verify`'s job); it takes every complete record in chain order.
An alert logged more than once (a redelivered batch, a cooldown fold) keeps its first record and
lists the later ones as repeats; the latest review of an alert is its outcome.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from monitor.audit.chain import log_files
from monitor.audit.records import evidence_text


@dataclass(slots=True, frozen=True)
class Located:
    """A record and where it is in the log."""

    file: str
    line: int
    record: dict[str, Any]


class UnreadableLog(ValueError):
    """A log line that is not a JSON record (the log was damaged or edited)."""


def iter_records(path: str | Path) -> Iterator[Located]:
    """Every complete record of a log directory or file, in chain order."""
    path = Path(path)
    if not path.exists():
        raise UnreadableLog(f"{path}: no such decision log")
    files = log_files(path) if path.is_dir() else [path]
    for file in files:
        with open(file, "rb") as fh:
            for lineno, raw in enumerate(fh, start=1):
                if not raw.endswith(b"\n"):
                    break
                try:
                    yield Located(str(file), lineno, json.loads(raw))
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise UnreadableLog(f"{file}:{lineno}: unreadable record; run `cct-monitor audit verify`") from None


@dataclass(slots=True)
class AlertEntry:
    """One alert as the log knows it."""

    located: Located
    repeats: list[Located] = field(default_factory=list)
    reviews: list[Located] = field(default_factory=list)
    submissions: list[Located] = field(default_factory=list)

    @property
    def body(self) -> dict[str, Any]:
        return self.located.record["body"]

    @property
    def alert(self) -> dict[str, Any]:
        return self.body["alert"]

    @property
    def alert_id(self) -> str:
        return self.body["alert_id"]

    @property
    def outcome(self) -> str | None:
        """The latest reviewer outcome, or None when not reviewed."""
        return self.reviews[-1].record["body"]["outcome"] if self.reviews else None

    @property
    def review(self) -> dict[str, Any] | None:
        return self.reviews[-1].record["body"] if self.reviews else None

    @property
    def detected_at(self) -> datetime:
        return parse_time(self.alert["detected_at"])

    @property
    def evidence(self) -> str | None:
        return evidence_text(self.alert.get("evidence"))


def parse_time(value: str) -> datetime:
    """An RFC 3339 timestamp (with `Z` or an offset)."""
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class LogView:
    """An in-memory index of a decision log."""

    def __init__(self, path: str | Path, records: Iterable[Located] | None = None) -> None:
        """Index every record of `path`, or only `records` when given (a live tail adds the rest with `add`)."""
        self.path = Path(path)
        self.alerts: dict[str, AlertEntry] = {}
        self.components: list[Located] = []
        self.submitted_puids: dict[str, str | None] = {}
        for loc in iter_records(self.path) if records is None else records:
            self.add(loc)

    def add(self, loc: Located) -> None:
        """Index one more record (records come in chain order)."""
        rec = loc.record
        rtype, body = rec["type"], rec["body"]
        if rtype == "alert":
            entry = self.alerts.setdefault(body["alert_id"], AlertEntry(loc))
            if entry.located is not loc:
                entry.repeats.append(loc)
        elif rtype == "review" and body["alert_id"] in self.alerts:
            self.alerts[body["alert_id"]].reviews.append(loc)
        elif rtype == "sor_submitted":
            for item in body["statements"]:
                self.submitted_puids[item["puid"]] = item.get("id")
                entry = self.alerts.get(item["alert_id"])
                if entry is not None:
                    entry.submissions.append(loc)
        elif rtype in ("ruleset_loaded", "model_loaded", "monitor_start", "monitor_stop"):
            self.components.append(loc)

    def review_keys(self) -> set[str]:
        """The review ids already logged (for idempotent intake of redelivered reviews)."""
        return {r.record["body"]["review_id"] for e in self.alerts.values() for r in e.reviews}

    def provenance(self, alert_id: str) -> dict[str, Any]:
        """chunk → rule and model version → scores and thresholds → reviewer outcome → SoR puid."""
        entry = self.alerts.get(alert_id)
        if entry is None:
            raise KeyError(alert_id)
        alert = entry.alert
        seq = entry.located.record["seq"]
        loaded = [c for c in self.components if c.record["seq"] < seq]
        model = next((c for c in reversed(loaded) if c.record["type"] == "model_loaded"), None)
        ruleset = next((c for c in reversed(loaded) if c.record["type"] == "ruleset_loaded"), None)
        sors = [
            item | {"logged_at": f"{s.file}:{s.line}"}
            for s in entry.submissions for item in s.record["body"]["statements"] if item["alert_id"] == alert_id
        ]
        model_info = alert.get("model") or {}
        summary = [
            f"chunk {', '.join(entry.body['chunk_ids'])} ({alert['broadcast_id']}, {alert.get('start_ms')}-{alert.get('end_ms')} ms)",
            f"rule {alert['rule']['id']} v{alert['rule']['version']} (sha256 {alert['rule']['sha256'][:12]}) "
            f"of {alert['rule'].get('ruleset')} v{alert['rule'].get('ruleset_version')}",
            f"model {model_info.get('name', 'none')} {str(model_info.get('sha256', ''))[:12]}".rstrip(),
            "scores " + (", ".join(f"{k}={v:.3f}" for k, v in (alert.get("scores") or {}).items()) or "none")
            + "; thresholds " + (", ".join(f"{k}>={v}" for k, v in (alert.get("thresholds") or {}).items()) or "none"),
            f"review {entry.outcome or 'pending'}" + (f" by {entry.review['reviewer']} at {entry.review['reviewed_at']}"
                                                      if entry.review else ""),
            "statement of reasons " + (", ".join(f"{s['puid']} (id {s['id']})" for s in sors) or "none submitted"),
        ]
        return {
            "alert_id": alert_id,
            "summary": summary,
            "logged_at": f"{entry.located.file}:{entry.located.line}",
            "record": {"seq": seq, "hash": entry.located.record["hash"], "ts": entry.located.record["ts"]},
            "input": {
                "broadcast_id": alert["broadcast_id"], "chunk_ids": entry.body["chunk_ids"],
                "source": entry.body["source"], "start_ms": alert.get("start_ms"), "end_ms": alert.get("end_ms"),
                "language": alert.get("language"), "speaker": alert.get("speaker"),
                "evidence": alert.get("evidence"),
            },
            "rule": alert["rule"], "dsa": alert["dsa"], "actions": alert.get("actions"),
            "ruleset": entry.body.get("ruleset"),
            "ruleset_loaded": _component(ruleset),
            "model": alert.get("model"),
            "model_loaded": _component(model),
            "scores": alert.get("scores"), "thresholds": alert.get("thresholds"),
            "explanation": alert.get("explanation"),
            "detected_at": alert["detected_at"], "latency_ms": alert.get("latency_ms"),
            "repeats": [{"logged_at": f"{r.file}:{r.line}", "count": r.record["body"]["alert"].get("count"),
                         "last_seqs": r.record["body"]["alert"].get("last_seqs")} for r in entry.repeats],
            "reviews": [r.record["body"] | {"logged_at": f"{r.file}:{r.line}"} for r in entry.reviews],
            "outcome": entry.outcome,
            "statements_of_reasons": sors,
        }


def _component(loc: Located | None) -> dict[str, Any] | None:
    if loc is None:
        return None
    return {"logged_at": f"{loc.file}:{loc.line}", "seq": loc.record["seq"]} | loc.record["body"]
