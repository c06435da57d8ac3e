"""Check a decision log's hash chain and name the first place it breaks.

Every line must be a complete record whose `hash` matches its content, whose `seq` is one more than
the previous record's and whose `prev_hash` is the previous record's `hash`. A log directory's file
numbers must run from 1 without gaps and its first record must start the chain (seq 0, genesis
prev_hash); a single file checked alone may start mid-chain (that is noted, not a break).
A chain alone cannot show that whole records were cut from the end of the log; pass a previously
published head (`SEQ:HASH`) to prove nothing after it was removed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.audit.chain import GENESIS, RECORD_KEYS, file_number, log_files, record_hash

EXIT_OK = 0
EXIT_BROKEN = 1
EXIT_INCOMPLETE_TAIL = 3


@dataclass(slots=True, frozen=True)
class Problem:
    """Where and how the chain breaks."""

    file: str
    line: int
    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.kind}: {self.message}"


@dataclass(slots=True)
class VerifyResult:
    """The outcome of verifying a log: records checked, the head reached and the first problem."""

    files: list[str] = field(default_factory=list)
    records: int = 0
    head_seq: int = -1
    head_hash: str = GENESIS
    problem: Problem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 intact; 3 intact up to an incomplete last record (an interrupted write); 1 any other break."""
        if self.problem is None:
            return EXIT_OK
        return EXIT_INCOMPLETE_TAIL if self.problem.kind == "incomplete" else EXIT_BROKEN


def _parse(raw: bytes) -> dict[str, Any] | str:
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return f"unreadable record ({exc.__class__.__name__}: {exc}); edited or corrupted"
    if not isinstance(obj, dict) or set(obj) != RECORD_KEYS:
        return "not a decision-log record (fields differ from seq, ts, type, prev_hash, hash, body); edited"
    if not isinstance(obj["seq"], int) or not isinstance(obj["hash"], str):
        return "seq or hash has the wrong type; edited"
    return obj


class _Walker:
    def __init__(self, result: VerifyResult, whole_log: bool) -> None:
        self.result = result
        self.whole_log = whole_log
        self.expect_seq: int | None = None
        self.prev_hash: str | None = None

    def fail(self, path: Path, line: int, kind: str, message: str) -> None:
        self.result.problem = Problem(str(path), line, kind, message)

    def walk_file(self, path: Path, is_last: bool) -> bool:
        """Check one file; False once a problem is found."""
        data = path.read_bytes()
        lines = data.split(b"\n")
        tail = lines.pop()
        parsed = [_parse(raw) for raw in lines]
        for idx, rec in enumerate(parsed):
            lineno = idx + 1
            if isinstance(rec, str):
                self.fail(path, lineno, "edited", rec)
                return False
            if record_hash(rec) != rec["hash"]:
                self.fail(path, lineno, "edited",
                          f"record seq {rec['seq']} does not match its hash (content changed after it was written)")
                return False
            if not self._check_order(path, lineno, rec, parsed, idx):
                return False
            self.expect_seq, self.prev_hash = rec["seq"] + 1, rec["hash"]
            self.result.records += 1
            self.result.head_seq, self.result.head_hash = rec["seq"], rec["hash"]
        if tail:
            lineno = len(lines) + 1
            where = "at the end of the log" if is_last else "in the middle of the log"
            kind = "incomplete" if is_last else "truncated"
            self.fail(path, lineno, kind, f"incomplete record ({len(tail)} bytes, no newline) {where}: "
                      + ("an interrupted write or a truncated file; every record before it verifies"
                         if is_last else "the file was truncated"))
            return False
        return True

    def _check_order(self, path: Path, lineno: int, rec: dict[str, Any], parsed: list[Any], idx: int) -> bool:
        seq = rec["seq"]
        if self.expect_seq is None:
            if seq == 0 and rec["prev_hash"] != GENESIS:
                self.fail(path, lineno, "chain", "seq 0 does not start from the genesis hash")
                return False
            if seq != 0 and self.whole_log:
                missing = "seq 0" if seq == 1 else f"seqs 0..{seq - 1}"
                self.fail(path, lineno, "deleted", f"{missing} missing: the log must start at seq 0 (found seq {seq})")
                return False
            if seq != 0:
                self.result.notes.append(
                    f"{path}:{lineno}: the chain starts at seq {seq}; earlier records are not in the checked files")
            return True
        if seq != self.expect_seq:
            later = next((j + 1 for j in range(idx + 1, len(parsed))
                          if isinstance(parsed[j], dict) and parsed[j].get("seq") == self.expect_seq), None)
            if later is not None:
                self.fail(path, lineno, "reordered",
                          f"found seq {seq} where seq {self.expect_seq} belongs; seq {self.expect_seq} is at line {later}")
            elif seq > self.expect_seq:
                missing = f"seq {self.expect_seq}" if seq == self.expect_seq + 1 else f"seqs {self.expect_seq}..{seq - 1}"
                self.fail(path, lineno, "deleted", f"{missing} missing before this record (found seq {seq})")
            else:
                self.fail(path, lineno, "reordered", f"seq {seq} repeats or goes back (expected seq {self.expect_seq})")
            return False
        if rec["prev_hash"] != self.prev_hash:
            self.fail(path, lineno, "chain",
                      f"prev_hash of seq {seq} is not the hash of seq {seq - 1}: a record was replaced or re-hashed")
            return False
        return True


def verify(path: str | Path, head: str | None = None) -> VerifyResult:
    """Verify a log directory (every numbered file, in order) or a single log file.

    `head` is an optional anchor `SEQ:HASH` published earlier; the log must still contain it.
    """
    path = Path(path)
    result = VerifyResult()
    if path.is_dir():
        files = log_files(path)
        result.notes.extend(f"{p}: moved-aside partial record, not part of the chain" for p in sorted(path.glob("*.partial-*")))
    else:
        files = [path]
    result.files = [str(p) for p in files]
    if not files:
        result.problem = Problem(str(path), 0, "empty", "no decision-log files found")
        return result
    walker = _Walker(result, whole_log=path.is_dir())
    previous_no: int | None = 0 if path.is_dir() else None
    for i, file in enumerate(files):
        number = file_number(file)
        if previous_no is not None and number is not None and number != previous_no + 1:
            result.problem = Problem(str(file), 1, "deleted", f"log file number {previous_no + 1} is missing before this file")
            return result
        previous_no = number
        if not walker.walk_file(file, is_last=i == len(files) - 1):
            return result
    if head is not None:
        _check_head(result, head, files)
    return result


def _check_head(result: VerifyResult, head: str, files: list[Path]) -> None:
    seq_s, _, want = head.partition(":")
    seq = int(seq_s)
    if seq > result.head_seq:
        result.problem = Problem(
            str(files[-1]), _line_count(files[-1]) + 1, "truncated",
            f"the anchored head seq {seq} is missing: records seq {result.head_seq + 1}..{seq} were cut from the end",
        )
        return
    for file in files:
        for lineno, raw in enumerate(file.read_bytes().split(b"\n")[:-1], start=1):
            rec = json.loads(raw)
            if rec["seq"] == seq:
                if rec["hash"] != want:
                    result.problem = Problem(str(file), lineno, "edited",
                                             f"seq {seq} has hash {rec['hash']}, not the anchored {want}")
                return
    result.notes.append(f"the anchored head seq {seq} is before the checked files; it was not checked")


def _line_count(path: Path) -> int:
    return path.read_bytes().count(b"\n")
