"""The append-only writer of the decision log.

Design decisions (tested in tests/unit/test_audit_log.py):
- **One writer at a time, many processes.** Every append takes an exclusive `flock` on `<dir>/.lock`
  (and a thread lock: threads sharing one instance share its flock) and re-reads the chain head when
  the files changed since its last append, so the monitor, the `review` command and the reviews
  consumer can all append to one chain.
- **Atomic batches.** `append_many` writes a batch of records and syncs them according to the fsync
  policy; if anything fails midway, the files are truncated back to where the batch began, so a
  retried batch never leaves half of itself behind.
- **fsync policy.** `always`: fsync after every record; `batch`: once per `append_many` (the sink's
  flush, before offsets are committed); `never`: hand the bytes to the OS only.
- **Rotation.** Before a record is appended to a file of at least `rotate_bytes`, the next numbered
  file is started; the chain simply continues (its first record's `prev_hash` is the last hash of the
  previous file).
- **Crash mid-write.** A last line without its newline is the residue of an interrupted write. The
  next writer moves those bytes aside to `<file>.partial-<seq>-<unix time>` (kept as evidence, not
  walked by `verify`), truncates the file to its last complete record and appends a `log_recovered`
  record naming the file, offset, size and sha256 of what was moved, then continues the chain.
  A complete last record whose hash does not verify is never built upon: `AuditLogCorrupt`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from monitor.audit.chain import (
    GENESIS, RECORD_TYPES, encode_line, file_name, file_number, log_files, make_record, record_hash, utc_now_iso,
)

FsyncPolicy = Literal["always", "batch", "never"]
_TAIL_READ = 64 * 1024


class AuditLogCorrupt(RuntimeError):
    """The log's last complete record does not verify; refusing to extend a broken chain."""


@dataclass(slots=True)
class ChainHead:
    """Where the chain ends: last seq and hash, and the file that takes the next record."""

    seq: int
    hash: str
    file_no: int
    size: int


def _last_line(path: Path, size: int) -> bytes | None:
    """The last complete line of a file that ends with a newline, or None when it is empty."""
    if size == 0:
        return None
    with open(path, "rb") as fh:
        pos = size
        buf = b""
        while pos > 0:
            step = min(_TAIL_READ, pos)
            pos -= step
            fh.seek(pos)
            buf = fh.read(step) + buf
            idx = buf.rfind(b"\n", 0, len(buf) - 1)
            if idx >= 0:
                return buf[idx + 1 :]
        return buf


def _partial_tail(path: Path, size: int) -> int | None:
    """Offset where an unterminated last line starts, or None when the file ends with a newline."""
    if size == 0:
        return None
    with open(path, "rb") as fh:
        fh.seek(size - 1)
        if fh.read(1) == b"\n":
            return None
        pos = size
        while pos > 0:
            step = min(_TAIL_READ, pos)
            pos -= step
            fh.seek(pos)
            idx = fh.read(step).rfind(b"\n")
            if idx >= 0:
                return pos + idx + 1
        return 0


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class AuditLog:
    """Appends hash-chained records to a log directory."""

    def __init__(
        self, directory: str | Path, rotate_bytes: int = 64 * 1024 * 1024, fsync: FsyncPolicy = "batch",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.rotate_bytes = rotate_bytes
        self.fsync = fsync
        self.clock = clock
        self._lock_fh = open(self.directory / ".lock", "a")  # noqa: SIM115
        self._thread_lock = threading.Lock()
        self._head: ChainHead | None = None
        self.recoveries: list[dict[str, Any]] = []
        try:
            with self._locked():
                notes = self._refresh()
                if notes:
                    self._write([("log_recovered", n) for n in notes])
        except BaseException:
            self._lock_fh.close()
            raise

    @property
    def head(self) -> ChainHead:
        """The chain head as of the last append or refresh."""
        assert self._head is not None
        return self._head

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive across processes (flock) and across threads sharing this instance (flock alone is not)."""
        with self._thread_lock:
            fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(self._lock_fh.fileno(), fcntl.LOCK_UN)

    def append(self, rtype: str, body: dict[str, Any]) -> dict[str, Any]:
        """Append one record and return it (with seq and hash)."""
        return self.append_many([(rtype, body)])[0]

    def append_many(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """Append records as one batch, synced per the fsync policy; all or nothing."""
        for rtype, _ in entries:
            if rtype not in RECORD_TYPES:
                raise ValueError(f"unknown audit record type {rtype!r}")
        if not entries:
            return []
        with self._locked():
            notes = self._refresh()
            written = self._write([("log_recovered", n) for n in notes] + list(entries))
        return written[len(notes):]

    def close(self) -> None:
        """Release the lock file."""
        self._lock_fh.close()

    def _refresh(self) -> list[dict[str, Any]]:
        """Re-read the chain head from disk if another writer changed it; recover a partial tail."""
        files = log_files(self.directory)
        if not files:
            self._head = ChainHead(-1, GENESIS, 1, 0)
            return []
        last = files[-1]
        number = file_number(last)
        assert number is not None
        size = last.stat().st_size
        if self._head is not None and (self._head.file_no, self._head.size) == (number, size):
            return []
        notes: list[dict[str, Any]] = []
        cut = _partial_tail(last, size)
        if cut is not None:
            notes.append(self._move_aside(last, cut, size))
            size = cut
        self._head = self._head_from_files(files, number, size)
        self.recoveries.extend(notes)
        return notes

    def _move_aside(self, path: Path, cut: int, size: int) -> dict[str, Any]:
        with open(path, "rb") as fh:
            fh.seek(cut)
            partial = fh.read(size - cut)
        aside = path.with_name(f"{path.name}.partial-{cut}-{int(self.clock())}")
        with open(aside, "wb") as out:
            out.write(partial)
            out.flush()
            os.fsync(out.fileno())
        with open(path, "r+b") as fh:
            fh.truncate(cut)
            fh.flush()
            os.fsync(fh.fileno())
        _fsync_dir(self.directory)
        return {
            "file": path.name, "offset": cut, "bytes": len(partial),
            "sha256": hashlib.sha256(partial).hexdigest(), "moved_to": aside.name,
            "reason": "incomplete last record (interrupted write) moved aside; chain continues from the last complete record",
        }

    def _head_from_files(self, files: list[Path], number: int, size: int) -> ChainHead:
        for path in reversed(files):
            psize = size if path == files[-1] else path.stat().st_size
            line = _last_line(path, psize)
            if line is None:
                continue
            try:
                record = json.loads(line)
            except (json.JSONDecodeError, UnicodeDecodeError) as exc:
                raise AuditLogCorrupt(f"{path}: last record is not valid JSON ({exc}); run `cct-monitor audit verify`") from None
            if not isinstance(record, dict) or record_hash(record) != record.get("hash"):
                raise AuditLogCorrupt(f"{path}: last record does not match its hash; run `cct-monitor audit verify`")
            return ChainHead(int(record["seq"]), str(record["hash"]), number, size)
        return ChainHead(-1, GENESIS, number, size)

    def _write(self, entries: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        head = self.head
        seq, prev, file_no, size = head.seq, head.hash, head.file_no, head.size
        touched: list[tuple[Path, int]] = []
        written: list[dict[str, Any]] = []
        fh = None
        try:
            path = self.directory / file_name(file_no)
            created = not path.exists()
            fh = open(path, "ab")  # noqa: SIM115
            touched.append((path, size))
            if created:
                self._sync_dir()
            for rtype, body in entries:
                if size >= self.rotate_bytes:
                    self._sync(fh, self.fsync != "never")
                    fh.close()
                    file_no += 1
                    size = 0
                    path = self.directory / file_name(file_no)
                    fh = open(path, "ab")  # noqa: SIM115
                    touched.append((path, 0))
                    self._sync_dir()
                record = make_record(seq + 1, prev, rtype, body, utc_now_iso(self.clock()))
                line = encode_line(record)
                fh.write(line)
                self._sync(fh, self.fsync == "always")
                seq, prev, size = record["seq"], record["hash"], size + len(line)
                written.append(record)
            self._sync(fh, self.fsync != "never")
            fh.close()
        except BaseException:
            if fh is not None:
                fh.close()
            self._roll_back(touched)
            raise
        self._head = ChainHead(seq, prev, file_no, size)
        return written

    def _sync(self, fh: Any, durable: bool) -> None:
        fh.flush()
        if durable:
            os.fsync(fh.fileno())

    def _sync_dir(self) -> None:
        if self.fsync != "never":
            _fsync_dir(self.directory)

    def _roll_back(self, touched: list[tuple[Path, int]]) -> None:
        """Undo a failed batch: truncate every touched file to its size before the batch."""
        for path, before in reversed(touched):
            if not path.exists():
                continue
            if before == 0 and path != touched[0][0]:
                path.unlink()
                continue
            with open(path, "r+b") as fh:
                fh.truncate(before)
