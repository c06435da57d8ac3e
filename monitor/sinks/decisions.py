"""The decision sink: one JSON line per decided chunk, to a file (fsynced on flush) or stdout."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from typing import IO

from monitor.stages import Decision


def _pretty(record: dict) -> str:
    scores = " ".join(f"{k}={v:.2f}" for k, v in (record.get("scores") or {}).items())
    speaker = (record.get("speaker") or {}).get("name") or (record.get("speaker") or {}).get("id") or "?"
    fired = ", ".join(f["rule_id"] for f in record.get("firings", []) if f.get("rule_id")) or "-"
    text = record["text"] if len(record["text"]) <= 90 else record["text"][:87] + "..."
    return f"{record['chunk_id']:<24} {speaker:<16} [{scores}] fired: {fired}\n    {text}"


class DecisionSink:
    """Writes decision records as JSON lines (or a readable line per chunk with format='pretty')."""

    def __init__(self, path: str = "-", fmt: str = "jsonl", fsync: bool = True) -> None:
        self.name = "decisions"
        self.durable = path != "-"
        self.path = path
        self.fmt = fmt
        self.fsync = fsync
        self._fh: IO[str] = sys.stdout if path == "-" else open(path, "a", encoding="utf-8")  # noqa: SIM115

    def write(self, decisions: Sequence[Decision]) -> None:
        for decision in decisions:
            record = decision.to_record()
            line = _pretty(record) if self.fmt == "pretty" else json.dumps(record, ensure_ascii=False)
            self._fh.write(line + "\n")

    def flush(self) -> None:
        self._fh.flush()
        if self.durable and self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not sys.stdout:
            self._fh.close()
