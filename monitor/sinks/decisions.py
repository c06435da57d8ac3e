"""The decision sink: one JSON line per decided chunk, to a file (fsynced on flush) or stdout."""

from __future__ import annotations

import logging
import os
import stat
import sys
from collections.abc import Sequence
from typing import IO

from monitor.stages import Decision

log = logging.getLogger(__name__)


def drop_torn_tail(path: str) -> int:
    """Cut a half-written last line left by a crash; returns the bytes removed.

    The batch that line belonged to was never committed, so it is redelivered and decided again;
    without the cut, the next record would be glued onto the fragment and both would be unreadable.
    """
    if not os.path.isfile(path):
        return 0
    with open(path, "rb+") as fh:
        size = fh.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        end = size
        while end > 0:
            start = max(0, end - 8192)
            fh.seek(start)
            block = fh.read(end - start)
            if end == size and block.endswith(b"\n"):
                return 0
            newline = block.rfind(b"\n")
            if newline >= 0:
                end = start + newline + 1
                break
            end = start
        fh.truncate(end)
    log.warning("%s: removed a torn last line of %d bytes (an interrupted write; its batch is redelivered)", path, size - end)
    return size - end


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
        if self.durable:
            drop_torn_tail(path)
        self._fh: IO[str] = sys.stdout if path == "-" else open(path, "a", encoding="utf-8")  # noqa: SIM115
        # fsync is for files; a named pipe or a device (a log shipper reading the decisions) rejects it
        self._syncable = self.durable and stat.S_ISREG(os.fstat(self._fh.fileno()).st_mode)

    def write(self, decisions: Sequence[Decision]) -> None:
        pretty = self.fmt == "pretty"
        self._fh.write("".join((_pretty(d.to_record()) if pretty else d.record_line()) + "\n" for d in decisions))

    def flush(self) -> None:
        self._fh.flush()
        if self._syncable and self.fsync:
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        if self._fh is not sys.stdout:
            self._fh.close()
