"""Hot reload in a running monitor: a broken rule file mid-stream never stops processing; a valid change is picked up.

The monitor runs as a real process (`cct-monitor run --source file --follow`) tailing a growing transcript.
"""

from __future__ import annotations

import json
import re
import signal
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.integration.kafka_harness import MonitorProcess, keyword_rule_set, start_file_monitor

TESTS = ["{text: the vote is rigged, expect: alert}", "{text: the vote is fair, expect: no_alert}"]
RULES_V1 = keyword_rule_set("reload-test", "reload.fraud", ["rigged"], TESTS)
RULES_V2 = keyword_rule_set("reload-test", "reload.fraud", ["rigged", "stolen"], TESTS, version="1.1.0")
BROKEN = keyword_rule_set("reload-broken", "reload.other", ["rigged"], TESTS, category="STATEMENT_CATEGORY_RUMOURS")

DEADLINE_S = 90.0


def wait_for(monitor: MonitorProcess, what: str, check: Callable[[], Any]) -> Any:
    """Poll `check` until it returns something truthy; fail with the monitor's log if it exits or never does."""
    return monitor.wait_alive(check, DEADLINE_S, what)


def metric(port: int, name: str, **labels: str) -> float | None:
    """The value of the first sample of `name` whose labels include `labels`."""
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    for line in body.splitlines():
        sample, _, value = line.rpartition(" ")
        if sample == name or sample.startswith(name + "{"):
            if all(f'{k}="{v}"' in sample for k, v in labels.items()):
                return float(value)
    return None


def decisions(monitor: MonitorProcess) -> dict[int, list[dict[str, Any]]]:
    """The monitor's decision records by seq."""
    out: dict[int, list[dict[str, Any]]] = {}
    for record in monitor.decisions():
        out.setdefault(record["seq"], []).append(record)
    return out


def append_chunks(path: Path, start: int, texts: list[str]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        for i, text in enumerate(texts):
            seq = start + i
            fh.write(json.dumps({"broadcast_id": "reload-b", "seq": seq, "text": text,
                                 "start_ms": seq * 5000, "end_ms": seq * 5000 + 4000}) + "\n")


def _start(tmp_path: Path) -> tuple[MonitorProcess, Path, Path]:
    """(monitor, rules directory, transcript): a file monitor on an empty transcript with RULES_V1 in force."""
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "main.yaml").write_text(RULES_V1, encoding="utf-8")
    transcript = tmp_path / "transcript.jsonl"
    transcript.write_text("", encoding="utf-8")
    return start_file_monitor(tmp_path, transcript, rules), rules, transcript


def test_broken_rule_file_keeps_the_old_set_and_a_valid_change_is_picked_up(tmp_path: Path) -> None:
    monitor, rules, transcript = _start(tmp_path)
    try:
        port = monitor.metrics_port()
        # /metrics is served before the monitor builds its stages, so the start-up load may not be reported yet
        wait_for(monitor, "the start-up rule load", lambda: metric(port, "cct_rules_reload_success") is not None)
        assert metric(port, "cct_rules_reload_success") == 1.0

        append_chunks(transcript, 0, ["hello and welcome", "the vote is rigged", "it was stolen", "back to you"])
        wait_for(monitor, "decisions 0-3", lambda: set(decisions(monitor)) >= {0, 1, 2, 3})

        broken = rules / "zz-broken.yaml"
        broken.write_text(BROKEN, encoding="utf-8")
        wait_for(monitor, "the reload failure metric", lambda: metric(port, "cct_rules_reload_failures_total") == 1.0)
        assert metric(port, "cct_rules_reload_success") == 0.0
        assert f"{broken}:19: rule 'reload.other': dsa.category: unknown DSA category 'STATEMENT_CATEGORY_RUMOURS'" in monitor.log()

        append_chunks(transcript, 4, ["still rigged, i tell you", "they stole it, it was stolen", "ok"])
        wait_for(monitor, "decisions 4-6", lambda: set(decisions(monitor)) >= {4, 5, 6})

        broken.unlink()
        (rules / "main.yaml").write_text(RULES_V2, encoding="utf-8")
        wait_for(monitor, "rule set 1.1.0 in force",
                 lambda: metric(port, "cct_ruleset_info", ruleset="reload-test", version="1.1.0") == 1.0)
        assert metric(port, "cct_rules_reload_success") == 1.0
        append_chunks(transcript, 7, ["the election was stolen", "goodbye"])
        wait_for(monitor, "decisions 7-8", lambda: set(decisions(monitor)) >= {7, 8})

        stamp = metric(port, "cct_rules_reload_timestamp_seconds")
        monitor.proc.send_signal(signal.SIGHUP)
        wait_for(monitor, "a reload on SIGHUP",
                 lambda: (metric(port, "cct_rules_reload_timestamp_seconds") or 0) > (stamp or 0))
    finally:
        monitor.terminate()

    seen = decisions(monitor)
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
    monitor, rules, transcript = _start(tmp_path)
    try:
        port = monitor.metrics_port()
        append_chunks(transcript, 0, ["hello", "the vote is rigged"])
        wait_for(monitor, "decisions 0-1", lambda: set(decisions(monitor)) >= {0, 1})
        rss_before = _peak_rss_kib(monitor.proc.pid)

        bomb = rules / "zz-lol.yaml"
        bomb.write_text((Path(__file__).parents[1] / "fixtures" / "hostile" / "billion-laughs.yaml").read_text())
        wait_for(monitor, "the reload failure metric", lambda: metric(port, "cct_rules_reload_failures_total") == 1.0)
        assert f"{bomb}:1: invalid YAML: YAML anchor 'a'" in monitor.log()
        append_chunks(transcript, 2, ["still rigged, i tell you", "ok"])
        wait_for(monitor, "decisions 2-3", lambda: set(decisions(monitor)) >= {2, 3})
        grown_mib = (_peak_rss_kib(monitor.proc.pid) - rss_before) / 1024
        assert grown_mib < 100, f"the monitor's peak RSS grew by {grown_mib:.0f} MiB during the hostile reload"
    finally:
        monitor.terminate()
    fired = {seq: [f["rule_id"] for f in records[0]["firings"]] for seq, records in decisions(monitor).items()}
    assert fired == {0: [], 1: ["reload.fraud"], 2: ["reload.fraud"], 3: []}
