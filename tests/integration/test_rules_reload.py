"""Hot reload in a running monitor: a broken rule file mid-stream never stops processing; a valid change is picked up.

The monitor runs as a real process (`cct-monitor run --source file --follow`) tailing a growing transcript.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

RULES_V1 = """\
id: reload-test
version: 1.0.0
title: Reload test rules
owner: qa
jurisdiction: [EU]
effective_from: 2024-01-01
keyword_lists:
  fraud: [rigged]
rules:
  - id: reload.fraud
    version: 1.0.0
    title: Rigged-election claims
    modified: 2026-11-27
    status: stable
    mode: enforce
    severity: medium
    dsa:
      articles: ["34(1)(c)"]
      category: STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS
      decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
    tos_clause: "4.2"
    when: {keywords: {list: fraud}}
    tests:
      - {text: the vote is rigged, expect: alert}
      - {text: the vote is fair, expect: no_alert}
"""
RULES_V2 = RULES_V1.replace("fraud: [rigged]", "fraud: [rigged, stolen]").replace(
    "    version: 1.0.0", "    version: 1.1.0").replace("version: 1.0.0\ntitle", "version: 1.1.0\ntitle")
BROKEN = RULES_V1.replace("id: reload-test", "id: reload-broken").replace("reload.fraud", "reload.other").replace(
    "category: STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "category: STATEMENT_CATEGORY_RUMOURS")

DEADLINE_S = 90.0


def wait_for(what: str, check: Callable[[], Any], proc: subprocess.Popen, log: Path) -> Any:
    """Poll `check` until it returns something truthy; fail with the monitor's log if it never does."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc.poll() is not None:
            pytest.fail(f"monitor exited ({proc.returncode}) while waiting for {what}:\n{log.read_text()}")
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}:\n{log.read_text()[-4000:]}")


def metric(port: int, name: str, **labels: str) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == name or sample.startswith(name + "{"):
            if all(f'{k}="{v}"' in sample for k, v in labels.items()):
                return float(value)
    return None


def decisions(path: Path) -> dict[int, dict[str, Any]]:
    if not path.exists():
        return {}
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            out.setdefault(record["seq"], []).append(record)
    return out


def append_chunks(path: Path, start: int, texts: list[str]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            seq = start + i
            fh.write(json.dumps({"broadcast_id": "reload-b", "seq": seq, "text": text,
                                 "start_ms": seq * 5000, "end_ms": seq * 5000 + 4000}) + "\n")


def test_broken_rule_file_keeps_the_old_set_and_a_valid_change_is_picked_up(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.yaml").write_text(RULES_V1, encoding="utf-8")
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_text("", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    log = tmp_path / "monitor.log"
    env = {**os.environ, "CCT_RULES__WATCH_INTERVAL_S": "0.2", "CCT_METRICS__HOST": "127.0.0.1",
           "CCT_AUDIT__PATH": "", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "monitor", "run", "--source", "file", "--input", str(transcript), "--follow",
           "--rules", str(rules), "--no-classifier", "--decisions", str(out), "--metrics-port", "0"]
    with log.open("w") as log_fh:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    try:
        port = int(wait_for("the metrics endpoint",
                            lambda: (m := re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", log.read_text()))
                            and m.group(1), proc, log))
        assert metric(port, "cct_rules_reload_success") == 1.0

        append_chunks(transcript, 0, ["hello and welcome", "the vote is rigged", "it was stolen", "back to you"])
        wait_for("decisions 0-3", lambda: set(decisions(out)) >= {0, 1, 2, 3}, proc, log)

        broken = rules / "zz-broken.yaml"
        broken.write_text(BROKEN, encoding="utf-8")
        wait_for("the reload failure metric", lambda: metric(port, "cct_rules_reload_failures_total") == 1.0, proc, log)
        assert metric(port, "cct_rules_reload_success") == 0.0
        assert f"{broken}:19: rule 'reload.other': dsa.category: unknown DSA category 'STATEMENT_CATEGORY_RUMOURS'" in log.read_text()

        append_chunks(transcript, 4, ["still rigged, i tell you", "they stole it, it was stolen", "ok"])
        wait_for("decisions 4-6", lambda: set(decisions(out)) >= {4, 5, 6}, proc, log)

        broken.unlink()
        (rules / "main.yaml").write_text(RULES_V2, encoding="utf-8")
        wait_for("rule set 1.1.0 in force",
                 lambda: metric(port, "cct_ruleset_info", ruleset="reload-test", version="1.1.0") == 1.0, proc, log)
        assert metric(port, "cct_rules_reload_success") == 1.0
        append_chunks(transcript, 7, ["the election was stolen", "goodbye"])
        wait_for("decisions 7-8", lambda: set(decisions(out)) >= {7, 8}, proc, log)

        stamp = metric(port, "cct_rules_reload_timestamp_seconds")
        proc.send_signal(signal.SIGHUP)
        wait_for("a reload on SIGHUP", lambda: (metric(port, "cct_rules_reload_timestamp_seconds") or 0) > (stamp or 0),
                 proc, log)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)

    seen = decisions(out)
    assert sorted(seen) == list(range(9)), "every chunk is decided exactly once"
    assert all(len(records) == 1 for records in seen.values())
    fired = {seq: [(f["rule_id"], f["version"]) for f in records[0]["firings"]] for seq, records in seen.items()}
    assert fired == {
        0: [], 1: [("reload.fraud", "1.0.0")], 2: [], 3: [],
        4: [("reload.fraud", "1.0.0")], 5: [], 6: [],        # broken file present: the old set stays in force
        7: [("reload.fraud", "1.1.0")], 8: [],               # the valid change ('stolen') is live
    }
    assert seen[1][0]["ruleset"]["sets"] == [{"id": "reload-test", "version": "1.0.0",
                                              "sha256": seen[4][0]["ruleset"]["sets"][0]["sha256"]}]
    assert seen[7][0]["ruleset"]["sets"][0]["version"] == "1.1.0"


def _peak_rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"^VmHWM:\s+(\d+) kB", status, re.M).group(1))


def test_alias_bomb_reload_is_refused_off_the_main_loop_and_the_old_rules_keep_serving(tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.yaml").write_text(RULES_V1, encoding="utf-8")
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_text("", encoding="utf-8")
    out = tmp_path / "decisions.jsonl"
    log = tmp_path / "monitor.log"
    env = {**os.environ, "CCT_RULES__WATCH_INTERVAL_S": "0.2", "CCT_METRICS__HOST": "127.0.0.1",
           "CCT_AUDIT__PATH": "", "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-m", "monitor", "run", "--source", "file", "--input", str(transcript), "--follow",
           "--rules", str(rules), "--no-classifier", "--decisions", str(out), "--metrics-port", "0"]
    with log.open("w") as log_fh:
        proc = subprocess.Popen(cmd, cwd=tmp_path, env=env, stdout=log_fh, stderr=subprocess.STDOUT)
    try:
        port = int(wait_for("the metrics endpoint",
                            lambda: (m := re.search(r"metrics on http://127\.0\.0\.1:(\d+)/metrics", log.read_text()))
                            and m.group(1), proc, log))
        append_chunks(transcript, 0, ["hello", "the vote is rigged"])
        wait_for("decisions 0-1", lambda: set(decisions(out)) >= {0, 1}, proc, log)
        rss_before = _peak_rss_kib(proc.pid)

        bomb = rules / "zz-lol.yaml"
        bomb.write_text((Path(__file__).parents[1] / "fixtures" / "hostile" / "billion-laughs.yaml").read_text())
        wait_for("the reload failure metric", lambda: metric(port, "cct_rules_reload_failures_total") == 1.0, proc, log)
        assert f"{bomb}:1: invalid YAML: YAML anchor 'a'" in log.read_text()
        append_chunks(transcript, 2, ["still rigged, i tell you", "ok"])
        wait_for("decisions 2-3", lambda: set(decisions(out)) >= {2, 3}, proc, log)
        grown_mib = (_peak_rss_kib(proc.pid) - rss_before) / 1024
        assert grown_mib < 100, f"the monitor's peak RSS grew by {grown_mib:.0f} MiB during the hostile reload"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    fired = {seq: [f["rule_id"] for f in records[0]["firings"]] for seq, records in decisions(out).items()}
    assert fired == {0: [], 1: ["reload.fraud"], 2: ["reload.fraud"], 3: []}
