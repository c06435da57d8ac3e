"""The decision log: chaining, rotation, atomic batches, crash recovery and tamper detection by file:line."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from monitor.audit.chain import GENESIS, log_files, record_hash
from monitor.audit.log import AuditLog, AuditLogCorrupt
from monitor.audit.records import TextRetention
from monitor.audit.verify import EXIT_BROKEN, EXIT_INCOMPLETE_TAIL, EXIT_OK, verify
from monitor.cli import cli


def _fill(directory: Path, n: int = 12, rotate_bytes: int = 10_000_000) -> AuditLog:
    log = AuditLog(directory, rotate_bytes=rotate_bytes, fsync="always")
    for i in range(n):
        log.append("alert", {"alert_id": f"a{i:03d}", "alert": {"n": i, "text": "x" * 40}})
    return log


def _lines(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def test_records_chain_from_genesis_and_hash_their_canonical_form(tmp_path: Path) -> None:
    _fill(tmp_path, 3)
    (path,) = log_files(tmp_path)
    records = [json.loads(line) for line in _lines(path)]
    assert [r["seq"] for r in records] == [0, 1, 2]
    assert records[0]["prev_hash"] == GENESIS
    assert all(records[i]["prev_hash"] == records[i - 1]["hash"] for i in (1, 2))
    assert all(record_hash(r) == r["hash"] for r in records)
    assert set(records[0]) == {"seq", "ts", "type", "prev_hash", "hash", "body"}
    result = verify(tmp_path)
    assert result.exit_code == EXIT_OK and result.records == 3 and result.head_hash == records[-1]["hash"]


def test_rotation_numbers_files_and_keeps_one_chain(tmp_path: Path) -> None:
    _fill(tmp_path, 30, rotate_bytes=1024)
    files = log_files(tmp_path)
    assert len(files) > 3
    first_of_second = json.loads(_lines(files[1])[0])
    last_of_first = json.loads(_lines(files[0])[-1])
    assert first_of_second["prev_hash"] == last_of_first["hash"]
    assert first_of_second["seq"] == last_of_first["seq"] + 1
    result = verify(tmp_path)
    assert result.exit_code == EXIT_OK and result.records == 30


def test_restart_continues_the_chain(tmp_path: Path) -> None:
    _fill(tmp_path, 3).close()
    log = AuditLog(tmp_path)
    rec = log.append("review", {"alert_id": "a000"})
    assert rec["seq"] == 3
    assert verify(tmp_path).records == 4


def test_two_writers_share_one_chain(tmp_path: Path) -> None:
    a = AuditLog(tmp_path)
    b = AuditLog(tmp_path)
    a.append("alert", {"alert_id": "x"})
    b.append("review", {"alert_id": "x"})
    a.append("alert", {"alert_id": "y"})
    assert verify(tmp_path).exit_code == EXIT_OK and verify(tmp_path).records == 3


def test_a_failed_batch_leaves_nothing_behind(tmp_path: Path) -> None:
    log = _fill(tmp_path, 2)
    size = log_files(tmp_path)[0].stat().st_size
    with pytest.raises(ValueError):
        log.append_many([("alert", {"ok": 1}), ("alert", {"bad": float("nan")})])
    assert log_files(tmp_path)[0].stat().st_size == size
    assert log.append("alert", {"ok": 2})["seq"] == 2
    assert verify(tmp_path).exit_code == EXIT_OK


@pytest.mark.parametrize("mode,expected", [
    ("keep", {"text": "Anna said vote on Tuesday"}), ("truncate:4", {"text": "Anna", "truncated_to": 4}), ("hash", {}),
])
def test_text_retention(mode: str, expected: dict) -> None:
    stored = TextRetention.parse(mode).apply("Anna said vote on Tuesday")
    assert stored["chars"] == 25 and len(stored["sha256"]) == 64
    assert {k: v for k, v in stored.items() if k in ("text", "truncated_to")} == expected


def test_text_retention_rejects_unknown_modes() -> None:
    with pytest.raises(ValueError):
        TextRetention.parse("truncate")


# --- tampering: verify names the exact file and line every time ---------------------------------------------

@pytest.fixture
def rotated_log(tmp_path: Path) -> Path:
    src = tmp_path / "log"
    _fill(src, 30, rotate_bytes=1024).close()
    assert len(log_files(src)) >= 3
    return src


def _tampered(rotated_log: Path, tmp_path: Path) -> tuple[Path, Path]:
    copy = tmp_path / "copy"
    shutil.copytree(rotated_log, copy)
    return copy, log_files(copy)[1]


def test_edit_one_byte(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    lines = _lines(target)
    lines[2] = lines[2].replace(b"xxxx", b"xxxy", 1)
    target.write_bytes(b"".join(lines))
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 3, "edited")


def test_edit_that_breaks_json(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    data = bytearray(target.read_bytes())
    data[len(_lines(target)[0]) + 1] = ord("?")
    target.write_bytes(bytes(data))
    result = verify(copy)
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 2, "edited")


def test_delete_a_line(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    lines = _lines(target)
    del lines[1]
    target.write_bytes(b"".join(lines))
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 2, "deleted")


def test_delete_the_first_line_of_a_rotated_file(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    target.write_bytes(b"".join(_lines(target)[1:]))
    result = verify(copy)
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 1, "deleted")


def test_swap_two_lines(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    lines = _lines(target)
    lines[1], lines[2] = lines[2], lines[1]
    target.write_bytes(b"".join(lines))
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 2, "reordered")


def test_rehashed_forgery_breaks_the_link(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    lines = _lines(target)
    rec = json.loads(lines[1])
    rec["body"]["alert_id"] = "forged"
    rec["hash"] = record_hash(rec)
    lines[1] = json.dumps(rec, sort_keys=True, separators=(",", ":")).encode() + b"\n"
    target.write_bytes(b"".join(lines))
    result = verify(copy)
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 3, "chain")


def test_truncate_mid_record(rotated_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rotated_log, copy)
    last = log_files(copy)[-1]
    lines = _lines(last)
    last.write_bytes(b"".join(lines[:-1]) + lines[-1][:30])
    result = verify(copy)
    assert result.exit_code == EXIT_INCOMPLETE_TAIL
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(last), len(lines), "incomplete")


def test_truncate_a_middle_file(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    lines = _lines(target)
    target.write_bytes(b"".join(lines[:2]) + lines[2][:10])
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(target), 3, "truncated")


def test_truncate_whole_records_is_caught_by_a_published_head(rotated_log: Path, tmp_path: Path) -> None:
    head = verify(rotated_log)
    anchor = f"{head.head_seq}:{head.head_hash}"
    copy = tmp_path / "copy"
    shutil.copytree(rotated_log, copy)
    last = log_files(copy)[-1]
    lines = _lines(last)
    last.write_bytes(b"".join(lines[:-2]))
    assert verify(copy).exit_code == EXIT_OK
    result = verify(copy, head=anchor)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(last), len(lines) - 1, "truncated")
    assert verify(rotated_log, head=anchor).exit_code == EXIT_OK


def test_delete_the_first_record_of_the_log(rotated_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rotated_log, copy)
    first = log_files(copy)[0]
    first.write_bytes(b"".join(_lines(first)[1:]))
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(first), 1, "deleted")
    alone = verify(log_files(rotated_log)[1])
    assert alone.exit_code == EXIT_OK and any("starts at seq" in note for note in alone.notes)


def test_deleted_first_log_file(rotated_log: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(rotated_log, copy)
    log_files(copy)[0].unlink()
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(log_files(copy)[0]), 1, "deleted")


def test_deleted_log_file(rotated_log: Path, tmp_path: Path) -> None:
    copy, target = _tampered(rotated_log, tmp_path)
    target.unlink()
    result = verify(copy)
    assert result.exit_code == EXIT_BROKEN
    assert (result.problem.file, result.problem.line, result.problem.kind) == (str(log_files(copy)[1]), 1, "deleted")


# --- crash mid-write ------------------------------------------------------------------------------------------

def test_crash_mid_write_is_reported_then_recovered_on_restart(tmp_path: Path) -> None:
    _fill(tmp_path, 5).close()
    (path,) = log_files(tmp_path)
    complete = path.read_bytes()
    partial = b'{"body":{"alert_id":"a005","ale'
    path.write_bytes(complete + partial)

    before = verify(tmp_path)
    assert before.exit_code == EXIT_INCOMPLETE_TAIL
    assert (before.problem.line, before.problem.kind, before.records) == (6, "incomplete", 5)

    log = AuditLog(tmp_path)
    rec = log.append("alert", {"alert_id": "a005"})
    recovered = json.loads(_lines(path)[5])
    assert recovered["type"] == "log_recovered" and recovered["seq"] == 5
    assert recovered["body"]["offset"] == len(complete) and recovered["body"]["bytes"] == len(partial)
    assert (tmp_path / recovered["body"]["moved_to"]).read_bytes() == partial
    assert rec["seq"] == 6 and rec["prev_hash"] == recovered["hash"]
    after = verify(tmp_path)
    assert after.exit_code == EXIT_OK and after.records == 7
    assert any("partial" in note for note in after.notes)


def test_a_tampered_last_record_is_never_built_upon(tmp_path: Path) -> None:
    _fill(tmp_path, 3).close()
    (path,) = log_files(tmp_path)
    path.write_bytes(path.read_bytes().replace(b'"n":2', b'"n":9'))
    with pytest.raises(AuditLogCorrupt):
        AuditLog(tmp_path)


@pytest.mark.parametrize("policy,expected", [("always", 3 + 1), ("batch", 1), ("never", 0)])
def test_fsync_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, policy: str, expected: int) -> None:
    log = AuditLog(tmp_path, fsync=policy)
    log.append("alert", {"warm": True})
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr("monitor.audit.log.os.fsync", lambda fd: (calls.append(fd), real(fd)))
    log.append_many([("alert", {"n": i}) for i in range(3)])
    assert len(calls) == expected


def test_verify_cli_catches_the_last_record_of_a_rotated_file_deleted(rotated_log: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    clean = runner.invoke(cli, ["audit", "verify", str(rotated_log)])
    assert clean.exit_code == 0 and clean.output.startswith("OK: 30 records")
    copy, target = _tampered(rotated_log, tmp_path)
    target.write_bytes(b"".join(_lines(target)[:-1]))
    broken = runner.invoke(cli, ["audit", "verify", str(copy), "--json"])
    assert broken.exit_code == EXIT_BROKEN
    problem = json.loads(broken.output)["problem"]
    next_file = str(log_files(copy)[2])
    assert (problem["file"], problem["line"], problem["kind"]) == (next_file, 1, "deleted")
