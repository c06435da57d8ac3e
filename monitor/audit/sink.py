"""The decision log as a durable pipeline sink.

`write` collects the batch's records (a `model_loaded` / `ruleset_loaded` record whenever the model
or rule set stamped on a decision differs from the last one logged, then one `alert` record per
alert); `flush` appends them as one atomic batch, synced per the fsync policy, so the runner commits
offsets only after the audit records are on disk. A failed flush leaves nothing behind and forgets
the batch: the runner's retry writes it again.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from monitor.audit.log import AuditLog
from monitor.audit.records import TextRetention, alert_body, model_body, process_body, ruleset_body
from monitor.settings import AuditSettings
from monitor.stages import Decision, ModelInfo

log = logging.getLogger(__name__)


class AuditSink:
    """Writes alert, model and rule-set records to the hash-chained decision log."""

    def __init__(self, audit_log: AuditLog, retention: TextRetention, rule_paths: Sequence[Path] = ()) -> None:
        self.name = "audit"
        self.durable = True
        self.log = audit_log
        self.retention = retention
        self.rule_paths = list(rule_paths)
        self._pending: list[tuple[str, dict[str, Any]]] = []
        self._model_sha: str | None = None
        self._ruleset_key: str | None = None
        self._pending_model_sha: str | None = None
        self._pending_ruleset_key: str | None = None
        self.alerts_logged = 0
        self._closed = False
        self.log.append("monitor_start", process_body({
            "log": str(audit_log.directory), "fsync": audit_log.fsync, "rotate_bytes": audit_log.rotate_bytes,
            "text_retention": retention.mode if retention.limit is None else f"{retention.mode}:{retention.limit}",
        }))

    def record_components(self, model: ModelInfo | None, ruleset: dict[str, Any] | None) -> None:
        """Log the model and rule set in use now (at start, and after a reload)."""
        entries = self._component_entries(model, ruleset)
        if entries:
            self.log.append_many(entries)
            self._commit_components()

    def write(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            self._pending.extend(self._component_entries(decision.model, decision.ruleset))
            for alert in decision.alerts:
                self._pending.append(("alert", alert_body(alert, decision, self.retention)))

    def flush(self) -> None:
        if not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            self.log.append_many(pending)
        except BaseException:
            self._pending_model_sha = self._pending_ruleset_key = None
            raise
        self._commit_components()
        self.alerts_logged += sum(1 for rtype, _ in pending if rtype == "alert")

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.log.append("monitor_stop", process_body({"alerts_logged": self.alerts_logged}))
        finally:
            self.log.close()

    def _component_entries(self, model: ModelInfo | None, ruleset: dict[str, Any] | None) -> list[tuple[str, dict[str, Any]]]:
        entries: list[tuple[str, dict[str, Any]]] = []
        if model is not None and model.sha256 != (self._pending_model_sha or self._model_sha):
            self._pending_model_sha = model.sha256
            entries.append(("model_loaded", model_body(model)))
        key = _ruleset_key(ruleset)
        if key is not None and key != (self._pending_ruleset_key or self._ruleset_key):
            self._pending_ruleset_key = key
            entries.append(("ruleset_loaded", ruleset_body(ruleset or {}, self.rule_paths)))
        return entries

    def _commit_components(self) -> None:
        if self._pending_model_sha is not None:
            self._model_sha = self._pending_model_sha
        if self._pending_ruleset_key is not None:
            self._ruleset_key = self._pending_ruleset_key
        self._pending_model_sha = self._pending_ruleset_key = None


def _ruleset_key(ruleset: dict[str, Any] | None) -> str | None:
    """What identifies a loaded rule set: its sha256 when the engine gives one, else its whole info."""
    if not ruleset:
        return None
    return str(ruleset.get("sha256") or sorted(ruleset.items()))


def audit_sink_from_settings(audit: AuditSettings, rule_paths: Sequence[Path]) -> AuditSink:
    """The decision-log sink for the `audit` settings section (whose `path` must be set)."""
    audit_log = AuditLog(audit.path, rotate_bytes=audit.rotate_bytes, fsync=audit.fsync)
    return AuditSink(audit_log, TextRetention.parse(audit.text_retention), rule_paths)
