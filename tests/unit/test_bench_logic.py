"""The benchmark's pure parts (workload, percentiles, profile summary, target check) and the heap trimmer."""

from __future__ import annotations

import os
import socket
from collections import defaultdict

from monitor.bench.pipeline_run import broker_pid
from monitor.bench.procstats import HostCpu, listener_pid, percentiles
from monitor.bench.profile import categorise, summarise
from monitor.bench.report import host_cpu_lines, ratios
from monitor.bench.workload import VIOLATING, Workload
from monitor.contracts import TranscriptChunk


def test_workload_is_deterministic_and_valid() -> None:
    a, b = Workload(20, seed=3).take(300), Workload(20, seed=3).take(300)
    assert a == b
    for raw in a:
        chunk = TranscriptChunk.model_validate(raw)
        assert 10 <= len(chunk.text.split()) <= 40
        assert chunk.end_ms > chunk.start_ms


def test_workload_interleaves_broadcasts_in_speech_order() -> None:
    chunks = Workload(50, seed=1).take(2000)
    assert len({c["broadcast_id"] for c in chunks[:200]}) > 40
    per: dict[str, list[dict]] = defaultdict(list)
    for c in chunks:
        per[c["broadcast_id"]].append(c)
    for seq_chunks in per.values():
        assert [c["seq"] for c in seq_chunks] == list(range(len(seq_chunks)))
        assert all(x["end_ms"] < y["start_ms"] for x, y in zip(seq_chunks, seq_chunks[1:]))
    assert [c["start_ms"] for c in chunks] == sorted(c["start_ms"] for c in chunks)


def test_mixed_workload_keeps_one_language_per_broadcast_and_the_english_ones_unchanged() -> None:
    english = Workload(60, seed=4).take(1500)
    mixed = Workload(60, seed=4, non_english_share=0.4).take(1500)
    language_of: dict[str, set[str]] = defaultdict(set)
    for chunk in mixed:
        TranscriptChunk.model_validate(chunk)
        language_of[chunk["broadcast_id"]].add(chunk["language"])
    assert all(len(langs) == 1 for langs in language_of.values())
    spoken = {lang for langs in language_of.values() for lang in langs}
    assert "en" in spoken and len(spoken - {"en"}) >= 4 and spoken <= {"en", "de", "es", "fr", "it", "nl", "pl", "pt", "ro"}
    # an English broadcast says the same chunks with or without the others (their interleaving may differ)
    english_ids = [b for b, langs in language_of.items() if langs == {"en"}]
    assert english_ids
    for bid in english_ids:
        before, after = ([c for c in run if c["broadcast_id"] == bid] for run in (english, mixed))
        n = min(len(before), len(after))
        assert n and before[:n] == after[:n]


def test_workload_mixes_in_rule_triggering_passages() -> None:
    chunks = Workload(100, seed=5, violating_share=0.05).take(4000)
    hits = sum(any(c["text"].startswith(v[:40]) for v in VIOLATING) for c in chunks)
    assert 100 <= hits <= 320
    assert len({c["text"] for c in chunks}) > 0.9 * len(chunks)


def test_percentiles_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentiles(values) == {"p50": 50.0, "p95": 95.0, "p99": 99.0}
    assert percentiles([]) == {"p50": None, "p95": None, "p99": None}
    assert percentiles([0.5]) == {"p50": 0.5, "p95": 0.5, "p99": 0.5}


def test_profile_summary_attributes_samples_to_the_innermost_known_stage() -> None:
    raw = "\n".join([
        "thread (1): MainThread;run (monitor/runner.py:90);score (monitor/classify/stage.py:50);forward (torch/nn/modules/module.py:1) 70",
        "thread (1): MainThread;run (monitor/runner.py:90);evaluate (monitor/rules_engine/engine.py:10) 10",
        "thread (1): MainThread;run (monitor/runner.py:90);decode_chunk (monitor/contracts.py:100) 5",
        "thread (2): kafka-io;_poll (kafka/net/selector.py:10) 15",
    ])
    summary = summarise(raw)
    assert summary["samples"] == 100
    assert summary["by_category"]["encoder forward (torch)"] == 0.7
    assert summary["by_category"]["rules engine"] == 0.1
    assert summary["by_category"]["kafka client"] == 0.15
    assert summary["by_thread"] == {"MainThread": 0.85, "kafka-io": 0.15}
    assert categorise("x (monitor/runner.py:1)") == "pipeline/runner glue"
    assert categorise("a (monitor/rules_engine/engine.py:1);b (monitor/narratives/matcher.py:2)") == "narrative matching"


def test_ratios_compare_the_pipeline_with_ceiling_and_naive() -> None:
    load = {"load": 0.5, "decided": 10, "chunks": 10, "first_third_p50_s": 0.1, "last_third_p50_s": 0.1,
            "decision_latency_s": {"p50": 0.1, "p95": 0.2, "p99": 0.3}, "alert_latency_s": {"p50": 0.2, "p95": 0.4, "p99": 1.4}}
    result = {"naive": {"throughput_cps": 10.0}, "ceiling": {"throughput_cps": 100.0},
              "pipeline": {"throughput_cps": 90.0, "peak_rss_mb": 550.0, "loads": [load]}}
    r = ratios(result)
    assert r["pipeline_vs_ceiling"] == {"value": 0.9, "target": ">= 0.85", "met": True}
    assert r["pipeline_vs_naive"]["value"] == 9.0 and r["pipeline_vs_naive"]["met"]
    assert r["p99_latency_at_50pct_s"]["met"] is False and r["p99_latency_at_50pct_s"]["basis"] == "alert"
    assert r["peak_rss_mb"]["met"]
    result["pipeline"]["peak_rss_mb"] = 900.0
    assert ratios(result)["peak_rss_mb"]["met"] is False


def test_heap_trimmer_trims_at_most_once_per_interval() -> None:
    from monitor.memtrim import HeapTrimmer

    now = [100.0]
    trimmer = HeapTrimmer(5.0, clock=lambda: now[0])
    assert trimmer.available  # glibc Linux, where the monitor runs
    trimmer()
    assert trimmer.trims == 0
    now[0] += 5.0
    trimmer()
    trimmer()
    assert trimmer.trims == 1
    now[0] += 4.9
    trimmer()
    assert trimmer.trims == 1


def test_host_cpu_finds_the_local_listener_and_splits_the_machine_per_chunk() -> None:
    with socket.socket() as srv:
        srv.bind(("127.0.0.1", 0))
        srv.listen()
        port = srv.getsockname()[1]
        assert listener_pid(port) == os.getpid() and broker_pid(f"127.0.0.1:{port},other:9092") == os.getpid()
    assert broker_pid("kafka.example:9092") is None
    before = {"monitor": 10.0, "broker": 2.0, "load_generator": 1.0, "machine": 20.0}
    after = {"monitor": 13.0, "broker": 2.5, "load_generator": 1.5, "machine": 25.0}
    share = HostCpu.per_chunk_ms(before, after, chunks=1000, wall_s=2.5)
    assert share == {"monitor": 3.0, "broker": 0.5, "load_generator": 0.5, "other": 1.0, "cores_busy": 2.0}
    host = HostCpu([os.getpid()], None)
    a = host.snapshot()
    sum(i * i for i in range(300_000))
    b = host.snapshot()
    assert b["monitor"] >= a["monitor"] and b["load_generator"] > a["load_generator"] and b["machine"] >= a["machine"]
    text = "\n".join(host_cpu_lines({"broker_cpu_measured": False, "capacity": {"host_cpu_ms_per_chunk": share}, "loads": []}))
    assert "capacity" in text and "3.00" in text and "in 'other'" in text
