"""JSONL file or stdin source: the embedded default that needs no broker.

Each line is one record; its line number (from 1) is its offset. With `follow`, the file is
tailed like `tail -f` and the source never reports exhaustion. Dead letters are written as JSON
lines to `dlq_path` (or logged when it is empty).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from monitor.stages import DeadLetter, SourceRecord

log = logging.getLogger(__name__)


class FileSource:
    """Reads records from a JSONL file, or from stdin when the path is '-'."""

    def __init__(self, path: str, follow: bool = False, batch_size: int = 64, dlq_path: str | None = None) -> None:
        self.path = path
        self.follow = follow
        self.batch_size = batch_size
        self._fh: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")  # noqa: SIM115
        self._topic = "stdin" if path == "-" else str(Path(path))
        self._line = 0
        self._eof = False
        self._partial = b""
        self._dlq: IO[str] | None = open(dlq_path, "a", encoding="utf-8") if dlq_path else None  # noqa: SIM115
        self.committed_offset = 0
        self._paused = False

    @property
    def exhausted(self) -> bool:
        return self._eof and not self.follow

    def poll(self, timeout_s: float) -> list[SourceRecord]:
        """Up to `batch_size` lines; with `follow`, waits up to `timeout_s` for new ones."""
        records: list[SourceRecord] = []
        if self._paused:
            time.sleep(timeout_s)
            return records
        deadline = time.monotonic() + timeout_s
        while len(records) < self.batch_size:
            raw = self._fh.readline()
            if not raw:
                self._eof = True
                if records or not self.follow or time.monotonic() >= deadline:
                    break
                time.sleep(min(0.05, timeout_s))
                continue
            if not raw.endswith(b"\n"):
                if self.follow:
                    self._partial += raw
                    continue
            raw = self._partial + raw
            self._partial = b""
            self._line += 1
            value = raw.rstrip(b"\r\n")
            if not value.strip():
                continue
            records.append(SourceRecord(self._topic, 0, self._line, None, value, int(time.time() * 1000)))
        return records

    def commit(self, records: Sequence[SourceRecord]) -> None:
        if records:
            self.committed_offset = max(r.offset for r in records)

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None:
        for letter in letters:
            entry = {
                "reason": letter.reason, "detail": letter.detail, "source": letter.record.position,
                "value": (letter.record.value or b"")[:512].decode("utf-8", "replace"),
            }
            if self._dlq is not None:
                self._dlq.write(json.dumps(entry, ensure_ascii=False) + "\n")
            else:
                log.warning("dead letter %s:%d %s: %s", self._topic, letter.record.offset, letter.reason, letter.detail)
        if self._dlq is not None:
            self._dlq.flush()

    def pause(self) -> None:
        """Stop reading while a durable sink is down: the runner's keep-alive polls must not consume lines."""
        self._paused = True

    def resume(self) -> None:
        self._paused = False

    def close(self) -> None:
        if self._fh is not sys.stdin.buffer:
            self._fh.close()
        if self._dlq is not None:
            self._dlq.close()
