"""Backtest a rule change: replay recorded broadcasts through two rule sets with the same classifier scores.

The transcripts go through the real pipeline (decode, per-broadcast ordering/dedupe, context window)
and the classifier once; the scored items are then evaluated by each rule set's own engine (fresh
window and cooldown state each), so every difference comes from the rules alone. Alerts are compared
per rule by their evidence — (broadcast, evidence seqs) — not by alert id, because a rule's new
version changes its ids: an alert is `added` (only NEW), `removed` (only OLD) or `unchanged`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from monitor.alert import Alert
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.settings import PipelineSettings
from monitor.sources.file import FileSource
from monitor.stages import Classifier, ModelInfo, RuleEngine, WorkItem

Key = tuple[str, str, tuple[int, ...]]


@dataclass(slots=True)
class Scored:
    """Recorded broadcasts after decode/state/classify, in pipeline batch order."""

    batches: list[list[WorkItem]]
    model: ModelInfo | None

    @property
    def chunks(self) -> int:
        return sum(len(b) for b in self.batches)


def score_transcripts(paths: Sequence[Path], classifier: Classifier | None, settings: PipelineSettings,
                      batch_size: int = 64) -> Scored:
    """Run every transcript through decode → state → classify, once."""
    pipeline = Pipeline(settings, Metrics(CollectorRegistry()), classifier, engine=None)
    batches: list[list[WorkItem]] = []
    for path in paths:
        source = FileSource(str(path), batch_size=batch_size)
        try:
            while not source.exhausted:
                records = source.poll(0.0)
                if records:
                    batches.append([d.item for d in pipeline.process(records).decisions])
        finally:
            source.close()
    return Scored(batches, classifier.info if classifier else None)


def run_rules(engine: RuleEngine, scored: Scored) -> dict[Key, Alert]:
    """Every alert the engine raises over the scored items, by (rule, broadcast, evidence seqs).

    A repeat folded into an open alert (cooldown) keeps the first evidence and the highest count.
    """
    found: dict[Key, Alert] = {}
    for batch in scored.batches:
        for decision in engine.evaluate(batch, scored.model):
            for alert in decision.alerts:
                key = (alert.rule.id, alert.broadcast_id, tuple(alert.seqs))
                first = found.setdefault(key, alert)
                if alert.count > first.count:
                    found[key] = first.model_copy(update={"count": alert.count})
    return found


@dataclass(slots=True)
class RuleDelta:
    """One rule's alerts under OLD vs NEW."""

    rule_id: str
    added: list[Alert] = field(default_factory=list)
    removed: list[Alert] = field(default_factory=list)
    unchanged: list[Alert] = field(default_factory=list)
    versions: tuple[str | None, str | None] = (None, None)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def compare(old: dict[Key, Alert], new: dict[Key, Alert], old_info: dict[str, Any], new_info: dict[str, Any]) -> list[RuleDelta]:
    """Per rule (every rule of either set): alerts added, removed and unchanged."""
    old_versions = {r["id"]: r["version"] for r in old_info.get("rules", [])}
    new_versions = {r["id"]: r["version"] for r in new_info.get("rules", [])}
    rule_ids = sorted(set(old_versions) | set(new_versions) | {k[0] for k in old} | {k[0] for k in new})
    deltas = {rid: RuleDelta(rid, versions=(old_versions.get(rid), new_versions.get(rid))) for rid in rule_ids}
    for key in sorted(set(old) | set(new)):
        delta = deltas[key[0]]
        if key in old and key in new:
            delta.unchanged.append(new[key])
        elif key in new:
            delta.added.append(new[key])
        else:
            delta.removed.append(old[key])
    return list(deltas.values())


def _alert_json(alert: Alert) -> dict[str, Any]:
    return {
        "broadcast_id": alert.broadcast_id, "seqs": alert.seqs, "start_ms": alert.start_ms, "end_ms": alert.end_ms,
        "rule_version": alert.rule.version, "severity": alert.rule.severity, "count": alert.count,
        "speaker_role": (alert.speaker or {}).get("role"), "evidence": alert.evidence,
        "scores": alert.scores, "matched": [leaf for leaf in alert.explanation if "matched" in leaf],
    }


def deltas_json(deltas: list[RuleDelta], scored: Scored) -> dict[str, Any]:
    """The machine-readable diff (`replay --json`)."""
    return {
        "chunks": scored.chunks,
        "model": None if scored.model is None else {"name": scored.model.name, "sha256": scored.model.sha256},
        "totals": {k: sum(len(getattr(d, k)) for d in deltas) for k in ("added", "removed", "unchanged")},
        "rules": [
            {"rule_id": d.rule_id, "old_version": d.versions[0], "new_version": d.versions[1],
             "added": [_alert_json(a) for a in d.added], "removed": [_alert_json(a) for a in d.removed],
             "unchanged": len(d.unchanged)}
            for d in deltas
        ],
    }


def render(deltas: list[RuleDelta], scored: Scored) -> str:
    """A reviewer-readable diff: per rule the counts, then the evidence of every added or removed alert."""
    lines = [f"replayed {scored.chunks} chunks; "
             + (f"model {scored.model.name} {scored.model.sha256[:12]}" if scored.model else "no classifier")]
    for d in deltas:
        old_v, new_v = d.versions
        version = f"{old_v or '-'} -> {new_v or '-'}" if old_v != new_v else (new_v or "-")
        lines.append(f"{d.rule_id} [{version}]: +{len(d.added)} added, -{len(d.removed)} removed, "
                     f"{len(d.unchanged)} unchanged")
        for sign, alerts in (("+", d.added), ("-", d.removed)):
            for a in alerts:
                when = f"{a.start_ms / 1000:.1f}s" if a.start_ms is not None else "?"
                lines.append(f"  {sign} {a.broadcast_id} seqs {a.seqs} at {when} ({a.rule.severity}): \"{a.evidence}\"")
    return "\n".join(lines)
