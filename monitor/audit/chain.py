"""The hash chain itself: canonical encoding, record hashes and the numbered file layout.

A record is `{seq, ts, type, prev_hash, hash, body}`. `hash` is the sha256 (hex) of the canonical
JSON of the record without `hash` (sorted keys, no spaces, UTF-8), so it covers `prev_hash` and the
chain links every record to all that came before. Each line of a log file is one record in its
canonical form followed by a newline. A log is a directory of `decisions-NNNNNN.jsonl` files; the
number gives the order, and the first record of a file continues the chain of the previous file.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from monitor.canonical import canonical_json
from monitor.timefmt import utc_iso as utc_now_iso  # the audit log's name for the project's one format

GENESIS = "0" * 64
FILE_PREFIX = "decisions-"
FILE_SUFFIX = ".jsonl"
FILE_RE = re.compile(r"^decisions-(\d{6,})\.jsonl$")
RECORD_KEYS = frozenset({"seq", "ts", "type", "prev_hash", "hash", "body"})
RECORD_TYPES = frozenset({
    "monitor_start", "monitor_stop", "ruleset_loaded", "model_loaded", "alert", "review", "sor_submitted",
    "log_recovered",
})


def canonical(obj: Any) -> bytes:
    """The canonical JSON bytes of `obj`: sorted keys, no whitespace, UTF-8."""
    return canonical_json(obj).encode("utf-8")


def record_hash(record: dict[str, Any]) -> str:
    """sha256 over the canonical form of the record without its `hash` field."""
    return hashlib.sha256(canonical({k: v for k, v in record.items() if k != "hash"})).hexdigest()


def make_record(seq: int, prev_hash: str, rtype: str, body: dict[str, Any], ts: str) -> dict[str, Any]:
    """A complete, hashed record."""
    record = {"seq": seq, "ts": ts, "type": rtype, "prev_hash": prev_hash, "body": body}
    record["hash"] = record_hash(record)
    return record


def encode_line(record: dict[str, Any]) -> bytes:
    """The bytes written to the log for one record."""
    return canonical(record) + b"\n"




def file_name(number: int) -> str:
    """The name of log file number `number` (from 1)."""
    return f"{FILE_PREFIX}{number:06d}{FILE_SUFFIX}"


def file_number(path: Path) -> int | None:
    """The number of a log file, or None when the name is not a log file's."""
    m = FILE_RE.match(path.name)
    return int(m.group(1)) if m else None


def log_files(directory: Path) -> list[Path]:
    """The log files of a log directory, in chain order."""
    found = [(n, p) for p in directory.iterdir() if p.is_file() and (n := file_number(p)) is not None]
    return [p for _, p in sorted(found)]
