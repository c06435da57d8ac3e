"""`cct-monitor bench` runs end to end on tiny sizes against the real broker and writes its JSON report.

Only the shape of the report and non-zero throughput are checked: timing figures are measurements,
never assertions.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_bench_reports_the_three_measurements(kafka_bootstrap: str, tmp_path: Path, repo_root: Path) -> None:
    out = tmp_path / "bench.json"
    cmd = [
        sys.executable, "-m", "monitor", "bench", "--bootstrap", kafka_bootstrap,
        "--broadcasts", "20", "--chunks", "200", "--naive-chunks", "20", "--ceiling-chunks", "60",
        "--batch-sizes", "32", "--loads", "0.25,0.5", "--phase-seconds", "3", "--partitions", "2",
        "--no-soak", "--no-profile", "--mixed-share", "0.5", "--rules", str(repo_root / "rules"), "--engine", "onnx", "--consumers", "1",
        "--output", str(out), "--workdir", str(tmp_path / "work"),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=240, cwd=tmp_path, check=False)
    assert proc.returncode == 0, proc.stderr[-3000:]

    report = json.loads(out.read_text())
    assert {"machine", "config", "naive", "ceiling", "pipeline", "ratios"} <= set(report)
    assert report["naive"]["throughput_cps"] > 0
    assert report["ceiling"]["throughput_cps"] > 0
    # the ceiling and the pipeline run the ONNX Runtime engine; the naive baselines stay torch fp32
    assert report["config"]["engine"] == report["ceiling"]["engine"] == "onnx"
    assert report["ceiling"]["encoder"].endswith("+onnx-int8")
    threads = report["config"]["threads"]
    assert set(report["ceiling"]["layouts"]) == {f"1x{threads}", f"{threads}x1"}
    assert [r["encoder"] for r in report["encoders"]["rows"]][:2] == ["torch fp32", "torch int8 (dynamic, per-tensor)"]
    assert report["encoders"]["rows"][-1]["cosine_min"] > 0.98
    pipe = report["pipeline"]
    assert pipe["throughput_cps"] > 0
    assert pipe["capacity"]["decided"] == pipe["capacity"]["chunks"] == 200
    assert pipe["peak_rss_mb"] > 0
    assert pipe["replica_exit_codes"] == [0] and pipe["replica_failures"] == []
    assert pipe["model_info"]["precision"].startswith("onnx-int8") and pipe["model_info"]["device"] == "cpu"
    assert [ld["load"] for ld in pipe["loads"]] == [0.25, 0.5]
    # the paced loads are fractions of the capacity measured while the load generator itself produces
    live = pipe["live_capacity"]
    assert live["decided"] == live["chunks"] > 0 and live["throughput_cps"] > 0
    assert pipe["load_basis_cps"] == min(live["throughput_cps"], pipe["throughput_cps"])
    assert [ld["offered_cps"] for ld in pipe["loads"]] == [round(max(1.0, f * pipe["load_basis_cps"]), 1) for f in (0.25, 0.5)]
    # the broker is local: its CPU is told apart from the monitor's, the load generator's and the rest
    assert pipe["broker_cpu_measured"] is True
    for phase in (pipe["capacity"], live, *pipe["loads"]):
        host = phase["host_cpu_ms_per_chunk"]
        assert set(host) == {"monitor", "broker", "load_generator", "other", "cores_busy"}
        assert host["monitor"] > 0 and host["broker"] > 0 and host["cores_busy"] > 0
    for load in pipe["loads"]:
        assert load["decided"] == load["chunks"] > 0
        assert set(load["decision_latency_s"]) == {"p50", "p95", "p99"}
        assert load["decision_latency_s"]["p99"] is not None
        assert set(load["alert_latency_s"]) == {"p50", "p95", "p99"}
    # the last phase drains the same backlog with a share of the broadcasts in other languages, routed to the
    # multilingual engine, and reports it beside the English-only capacity of the same run
    mixed = pipe["mixed"]
    assert mixed["decided"] == mixed["chunks"] == 200
    assert mixed["throughput_cps"] > 0 and mixed["english_only_cps"] == pipe["throughput_cps"]
    assert 0 < mixed["non_english_chunk_share"] < 1
    assert set(mixed["languages"]) - {"en"} <= {"de", "es", "fr", "it", "nl", "pl", "pt", "ro"}
    assert sum(mixed["languages"].values()) == 200
    assert {"pipeline_vs_ceiling", "pipeline_vs_naive", "peak_rss_mb"} <= set(report["ratios"])
    for line in ("naive", "model ceiling", "full pipeline via Kafka", "mixed languages", "English-only capacity",
                 "with the load generator producing", "machine CPU ms per decided chunk"):
        assert line in proc.stdout
