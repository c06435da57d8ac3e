"""The bodies of decision-log records, and the transcript-text retention policy applied to them.

Transcripts may hold personal data, so the text that goes into the log follows `text_retention`:
`keep` (verbatim), `truncate:N` (the first N characters) or `hash` (only its sha256 and length).
Evidence (and a folded alert's last evidence, and regex matches unless `keep`) is stored as
`{"retention": …, "text"?: …, "sha256": …, "chars": …}`; the sha256 of the full text is always
there, so a retained transcript can still be matched against the log later.
"""

from __future__ import annotations

import hashlib
import os
import re
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from monitor import __version__
from monitor.alert import Alert
from monitor.contracts import TranscriptChunk
from monitor.stages import Decision, ModelInfo

_RETENTION_RE = re.compile(r"^(keep|hash|truncate:(\d+))$")


@dataclass(frozen=True, slots=True)
class TextRetention:
    """How much transcript text a log record keeps."""

    mode: str
    limit: int | None = None

    @classmethod
    def parse(cls, spec: str) -> TextRetention:
        """`keep`, `hash` or `truncate:N` (N ≥ 0)."""
        m = _RETENTION_RE.match(spec.strip())
        if not m:
            raise ValueError(f"text retention must be keep, hash or truncate:N, not {spec!r}")
        if m.group(2) is not None:
            return cls("truncate", int(m.group(2)))
        return cls(m.group(1))

    def apply(self, text: str) -> dict[str, Any]:
        """The stored form of one transcript text."""
        stored: dict[str, Any] = {
            "retention": self.mode, "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "chars": len(text),
        }
        if self.mode == "keep":
            stored["text"] = text
        elif self.mode == "truncate":
            stored["text"] = text[: self.limit]
            stored["truncated_to"] = self.limit
        return stored


def evidence_text(stored: Any) -> str | None:
    """The evidence text kept in a log record (possibly truncated), or None when only its hash was kept."""
    if isinstance(stored, str):
        return stored
    if isinstance(stored, dict):
        return stored.get("text")
    return None


def alert_body(alert: Alert, decision: Decision, retention: TextRetention) -> dict[str, Any]:
    """Everything needed to reproduce why an alert fired: rule and model versions, scores, thresholds,
    matched conditions, input chunk ids and their source offsets."""
    data = alert.model_dump(mode="json")
    data["evidence"] = retention.apply(alert.evidence)
    if isinstance(data.get("last_evidence"), str):
        data["last_evidence"] = retention.apply(data["last_evidence"])
    if retention.mode != "keep":
        for leaf in data.get("explanation", []):
            _retain_matches(leaf, retention)
    chunk = decision.item.chunk
    return {
        "alert_id": alert.alert_id,
        "alert": data,
        "chunk_ids": [f"{alert.broadcast_id}#{s}" for s in alert.seqs],
        "source": alert.source or [decision.item.record.position | {"chunk_id": chunk.chunk_id}],
        "decided_chunk": chunk.chunk_id,
        "context_speakers": _speakers([*decision.item.context, chunk]),
        "ruleset": decision.ruleset,
    }


def _retain_matches(node: Any, retention: TextRetention) -> None:
    """Apply the retention to every regex match in a trace, also those nested under `not`/`all`/`any`."""
    if isinstance(node, list):
        for kid in node:
            _retain_matches(kid, retention)
    elif isinstance(node, dict):
        if isinstance(node.get("match"), str):
            node["match"] = retention.apply(node["match"])
        for key in ("not", "all", "any"):
            if key in node:
                _retain_matches(node[key], retention)


def _speakers(chunks: list[TranscriptChunk]) -> list[dict[str, str]]:
    """The distinct speakers of the alert's window (kept so statements of reasons can redact their names)."""
    seen: list[dict[str, str]] = []
    for c in chunks:
        if c.speaker is not None:
            who = c.speaker.model_dump(exclude_none=True, include={"id", "name"})
            if who and who not in seen:
                seen.append(who)
    return seen


def model_body(model: ModelInfo) -> dict[str, Any]:
    """A model_loaded record: name, sha256 of encoder and heads, labels and thresholds."""
    return {
        "name": model.name, "sha256": model.sha256, "labels": list(model.labels),
        "thresholds": dict(model.thresholds),
    }


def yaml_files(paths: Sequence[Path]) -> list[Path]:
    """The given files, and every YAML file under the given directories (sorted), in order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*")) if p.suffix in (".yaml", ".yml") and p.is_file())
        elif path.is_file():
            found.append(path)
    return found


def file_hashes(paths: list[Path]) -> dict[str, str]:
    """sha256 of every YAML file under the given files or directories, keyed by path."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in yaml_files(paths)}


def ruleset_body(info: dict[str, Any], paths: list[Path]) -> dict[str, Any]:
    """A ruleset_loaded record: the engine's rule-set info (versions, hashes) and the rule files' sha256."""
    return {"ruleset": info, "files": file_hashes(paths)}


def process_body(extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Who is writing: monitor version, host and pid (for monitor_start / monitor_stop)."""
    return {"version": __version__, "host": socket.gethostname(), "pid": os.getpid(), **(extra or {})}
