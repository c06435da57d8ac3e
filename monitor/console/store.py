"""What the console knows: the decision log and the per-chunk decisions, tailed as they grow.

`LiveLog` indexes the decision log (alerts, reviews, statements) incrementally: each refresh reads only
the complete lines appended since the last one, across rotated files. `Transcripts` does the same for the
monitor's decision JSONL, keeping the latest record of every chunk per broadcast (bounded), which is
where the transcript around an alert and a broadcast's score timeline come from.
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from monitor.audit.chain import log_files
from monitor.audit.read import Located, LogView, UnreadableLog, parse_time

log = logging.getLogger(__name__)


def _complete_lines(path: Path, offset: int) -> Iterator[tuple[int, bytes]]:
    """(offset after the line, line) of every complete line from `offset` on."""
    with open(path, "rb") as fh:
        fh.seek(offset)
        for raw in fh:
            if not raw.endswith(b"\n"):
                return
            offset += len(raw)
            yield offset, raw


class LiveLog:
    """An incrementally refreshed LogView of a decision-log directory."""

    def __init__(self, directory: Path, on_first_review: Callable[[dict[str, Any], float], None] | None = None) -> None:
        self.directory = directory
        self.view = LogView(directory, records=())
        self.version = 0
        self.on_first_review = on_first_review
        self._offsets: dict[str, tuple[int, int]] = {}  # file name -> (bytes read, lines read)
        self._loaded = False
        self.refresh()
        self._loaded = True

    def refresh(self) -> bool:
        """Index what was appended since the last refresh; True when anything was."""
        if not self.directory.is_dir():
            return False
        changed = False
        for path in log_files(self.directory):
            offset, lines = self._offsets.get(path.name, (0, 0))
            if path.stat().st_size == offset:
                continue
            for offset, raw in _complete_lines(path, offset):
                lines += 1
                try:
                    record = json.loads(raw)
                except (json.JSONDecodeError, UnicodeDecodeError):
                    raise UnreadableLog(f"{path}:{lines}: unreadable record; run `cct-monitor audit verify`") from None
                self._index(Located(str(path), lines, record))
                changed = True
            self._offsets[path.name] = (offset, lines)
        if changed:
            self.version += 1
        return changed

    def _index(self, loc: Located) -> None:
        body = loc.record.get("body") or {}
        first = (loc.record.get("type") == "review" and body.get("alert_id") in self.view.alerts
                 and not self.view.alerts[body["alert_id"]].reviews)
        self.view.add(loc)
        if first and self._loaded and self.on_first_review is not None:
            entry = self.view.alerts[body["alert_id"]]
            waited = (parse_time(body["reviewed_at"]) - entry.detected_at).total_seconds()
            self.on_first_review(body, max(0.0, waited))


class Transcripts:
    """The latest decision record of every chunk, per broadcast, from a decision JSONL file being written."""

    def __init__(self, path: Path | None, max_chunks: int = 5000, max_broadcasts: int = 200) -> None:
        self.path = path
        self.max_chunks = max_chunks
        self.max_broadcasts = max_broadcasts
        self.broadcasts: OrderedDict[str, dict[int, dict[str, Any]]] = OrderedDict()
        self._offset = 0
        self._inode: int | None = None
        self.refresh()

    def refresh(self) -> bool:
        """Read the decision records appended since the last refresh; True when any were."""
        if self.path is None or not self.path.is_file():
            return False
        stat = self.path.stat()
        if stat.st_ino != self._inode or stat.st_size < self._offset:  # replaced or truncated: start over
            self._inode, self._offset = stat.st_ino, 0
            self.broadcasts.clear()
        if stat.st_size == self._offset:
            return False
        changed = False
        for self._offset, raw in _complete_lines(self.path, self._offset):
            try:
                record = json.loads(raw)
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue  # a pretty-printed or foreign line: not a decision record
            if isinstance(record, dict) and record.get("type") == "decision" and isinstance(record.get("seq"), int):
                self._add(record)
                changed = True
        return changed

    def chunks(self, broadcast_id: str) -> list[dict[str, Any]]:
        """The broadcast's chunks in seq order."""
        found = self.broadcasts.get(broadcast_id) or {}
        return [found[s] for s in sorted(found)]

    def _add(self, record: dict[str, Any]) -> None:
        bid = str(record.get("broadcast_id"))
        chunks = self.broadcasts.get(bid)
        if chunks is None:
            chunks = self.broadcasts[bid] = {}
            while len(self.broadcasts) > self.max_broadcasts:
                self.broadcasts.popitem(last=False)
        self.broadcasts.move_to_end(bid)
        chunks[record["seq"]] = record
        if len(chunks) > self.max_chunks:
            del chunks[min(chunks)]
