"""Targets, ratios and the printed table of a benchmark run."""

from __future__ import annotations

from typing import Any

TARGETS = {
    "pipeline_vs_ceiling_min": 0.85,
    "pipeline_vs_naive_min": 5.0,
    "p99_alert_latency_at_50pct_max_s": 1.0,
    "peak_rss_max_mb": 600.0,
}


def _load(result: dict[str, Any], fraction: float) -> dict[str, Any] | None:
    return next((ld for ld in result.get("pipeline", {}).get("loads", []) if abs(ld["load"] - fraction) < 1e-9), None)


def ratios(result: dict[str, Any]) -> dict[str, Any]:
    """Each target with the measured value and whether it is met (None when not measured)."""
    pipe = result.get("pipeline") or {}
    naive = (result.get("naive") or {}).get("throughput_cps")
    ceil = (result.get("ceiling") or {}).get("throughput_cps")
    tput = pipe.get("throughput_cps")
    out: dict[str, Any] = {}
    if tput and ceil:
        v = tput / ceil
        out["pipeline_vs_ceiling"] = {"value": round(v, 3), "target": ">= 0.85", "met": v >= TARGETS["pipeline_vs_ceiling_min"]}
    if tput and naive:
        v = tput / naive
        out["pipeline_vs_naive"] = {"value": round(v, 2), "target": ">= 5", "basis": "naive doing the same job (chunk + context)",
                                    "met": v >= TARGETS["pipeline_vs_naive_min"]}
    alone = (result.get("naive_chunk_alone") or {}).get("throughput_cps")
    if tput and alone:
        v = tput / alone
        out["pipeline_vs_naive_chunk_alone"] = {"value": round(v, 2), "target": ">= 5", "basis": "naive, chunk alone (context zeroed)",
                                                "met": v >= TARGETS["pipeline_vs_naive_min"]}
    half = _load(result, 0.5)
    if half:
        p99 = half["alert_latency_s"]["p99"]
        basis = "alert"
        if p99 is None:
            p99, basis = half["decision_latency_s"]["p99"], "decision (no alerts in this phase)"
        if p99 is not None:
            out["p99_latency_at_50pct_s"] = {"value": p99, "basis": basis, "target": "<= 1.0",
                                             "met": p99 <= TARGETS["p99_alert_latency_at_50pct_max_s"]}
    high = _load(result, 0.9)
    if high and high["first_third_p50_s"] is not None and high["last_third_p50_s"] is not None:
        first, last = high["first_third_p50_s"], high["last_third_p50_s"]
        out["bounded_latency_at_90pct"] = {
            "value": {"first_third_p50_s": first, "last_third_p50_s": last, "all_decided": high["decided"] == high["chunks"]},
            "target": "last third p50 <= 1.5 x first third + 0.25 s, every chunk decided",
            "met": last <= 1.5 * first + 0.25 and high["decided"] == high["chunks"],
        }
    if pipe.get("peak_rss_mb"):
        out["peak_rss_mb"] = {"value": pipe["peak_rss_mb"], "target": "<= 600 per replica",
                              "met": pipe["peak_rss_mb"] <= TARGETS["peak_rss_max_mb"]}
    soak = pipe.get("soak")
    if soak:
        out["soak_flat"] = {"value": {k: soak[k] for k in ("p99_first_s", "p99_last_s", "rss_first_mb", "rss_last_mb")},
                            "target": "latency and RSS flat first vs last minute",
                            "met": bool(soak["latency_flat"] and soak["memory_flat"])}
    return out


def _fmt(v: float | None, unit: str = "") -> str:
    return "-" if v is None else f"{v:.3f}{unit}" if isinstance(v, float) and v < 10 else f"{v}{unit}"


def _pcts(d: dict[str, float | None]) -> str:
    return "/".join("-" if d[k] is None else f"{d[k]:.2f}" for k in ("p50", "p95", "p99"))


def host_cpu_lines(pipe: dict[str, Any]) -> list[str]:
    """Where the machine's CPU went in each phase, per decided chunk (the broker and load generator share the cores)."""
    phases = [("capacity", pipe.get("capacity") or {}), ("live", pipe.get("live_capacity") or {})] + [(f"{100 * ld['load']:.0f} %", ld) for ld in pipe.get("loads", [])]
    rows = [(name, ph["host_cpu_ms_per_chunk"]) for name, ph in phases if ph.get("host_cpu_ms_per_chunk")]
    if not rows:
        return []
    out = ["", f"machine CPU ms per decided chunk: {'phase':<10}{'monitor':>9}{'broker':>9}{'load gen.':>11}{'other':>8}"
               f"{'cores busy':>12}"]
    if not pipe.get("broker_cpu_measured"):
        out.append("  (broker process not found on this machine: its CPU, if local, is in 'other')")
    for name, h in rows:
        out.append(f"{'':<34}{name:<10}{h['monitor']:>9.2f}{h['broker']:>9.2f}{h['load_generator']:>11.2f}"
                   f"{h['other']:>8.2f}{h['cores_busy']:>12.2f}")
    return out


def render(result: dict[str, Any]) -> str:
    """The human-readable table."""
    m = result["machine"]
    cfg = result["config"]
    lines = [
        f"cct-monitor bench — {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB RAM, torch {m['torch']}, "
        f"onnxruntime {m.get('onnxruntime', '-')}; engine {cfg.get('engine', 'torch')} ({cfg['threads']} threads), "
        f"{result['started_at']}",
        "",
        f"{'measurement':<52}{'chunks/s':>10}{'× naive':>10}{'of ceiling':>12}",
    ]
    naive = result.get("naive") or {}
    ceil = result.get("ceiling") or {}
    pipe = result.get("pipeline") or {}
    nv, cv = naive.get("throughput_cps"), ceil.get("throughput_cps")

    def row(name: str, v: float | None) -> str:
        x = f"{v / nv:.2f}×" if v and nv else "-"
        c = f"{100 * v / cv:.0f} %" if v and cv else "-"
        return f"{name:<52}{_fmt(v):>10}{x:>10}{c:>12}"

    if result.get("naive_chunk_alone"):
        lines.append(row("1a naive (torch fp32): one chunk at a time, alone", result["naive_chunk_alone"].get("throughput_cps")))
    lines.append(row("1 naive (torch fp32): one chunk + context, no reuse", nv))
    lines.append(row(f"2 model ceiling ({ceil.get('engine', '-')}, batch {ceil.get('best_batch_size', '-')}, "
                     f"{ceil.get('best_layout', '-')} proc×thr)", cv))
    if ceil.get("layouts"):
        lines.append("  ceiling by processes × threads: " + ", ".join(f"{k} {v}" for k, v in ceil["layouts"].items())
                     + "; batch sweep (1 process): " + ", ".join(f"{k} {v['throughput_cps']}" for k, v in ceil["sweep"].items()))
    if pipe:
        lines.append(row(f"3 full pipeline via Kafka ({pipe['consumers']} replica(s), {pipe['partitions']} partitions)",
                         pipe.get("throughput_cps")))
        lines.append(f"  {pipe['broadcasts']} broadcasts interleaved; rules, alerts topic and decision log on; "
                     f"peak RSS {pipe.get('peak_rss_mb')} MiB; CPU {_fmt(pipe.get('cpu_s_per_chunk'))} s/chunk")
        mixed = pipe.get("mixed")
        if mixed:
            lines.append(row(f"3m same, mixed languages ({100 * mixed['non_english_chunk_share']:.0f} % of chunks non-English)",
                             mixed.get("throughput_cps")))
            lines.append(f"  English-only capacity {mixed['english_only_cps']} chunks/s in this run; mixed / English-only "
                         f"{mixed['vs_english_only']}; chunks by language {mixed['languages']}; peak RSS with both engines "
                         f"{mixed['peak_rss_mb']} MiB; CPU {_fmt(mixed.get('cpu_s_per_chunk'))} s/chunk")
        if pipe.get("partitions_per_consumer") and pipe["consumers"] > 1:
            lines.append(f"  partitions per replica: {pipe['partitions_per_consumer']}")
        live = pipe.get("live_capacity")
        if live:
            lines.append(f"  with the load generator producing ({live['achieved_cps']} chunks/s offered"
                         f"{', producer-limited' if live['producer_limited'] else ''}): {live['throughput_cps']} chunks/s "
                         f"decided = {live['vs_drain']} of the drain; the offered loads below are fractions of "
                         f"{pipe.get('load_basis_cps')} chunks/s")
        lines += ["", f"{'offered load':<14}{'offered/s':>10}{'sent/s':>9}  {'ts→decision p50/p95/p99 s':<28}"
                  f"{'ts→alert p50/p95/p99 s':<25}{'alerts':>7}{'CPU s/chunk':>12}"]
        for ld in pipe.get("loads", []):
            pct = f"{100 * ld['load']:.0f} %"
            lines.append(f"{pct:<14}{ld['offered_cps']:>10}{ld['achieved_cps']:>9}  "
                         f"{_pcts(ld['decision_latency_s']):<28}{_pcts(ld['alert_latency_s']):<25}{ld['alerts']:>7}"
                         f"{_fmt(ld['cpu_s_per_chunk']):>12}")
        lines += host_cpu_lines(pipe)
        soak = pipe.get("soak")
        if soak:
            lines.append(f"soak {soak['minutes']} min at {100 * soak['load']:.0f} %: p99 {soak['p99_first_s']} → {soak['p99_last_s']} s, "
                         f"RSS {soak['rss_first_mb']} → {soak['rss_last_mb']} MiB "
                         f"({'flat' if soak['latency_flat'] and soak['memory_flat'] else 'NOT flat'})")
        prof = pipe.get("profile") or {}
        if prof.get("by_category"):
            lines += ["", "where a replica's time goes (py-spy samples, capacity phase):"]
            lines += [f"  {share * 100:5.1f} %  {cat}" for cat, share in list(prof["by_category"].items())[:8]]
        stages = pipe.get("stage_seconds") or {}
        if stages:
            lines.append("  stage seconds (cct_stage_duration_seconds_sum): "
                         + ", ".join(f"{k} {v:.1f}" for k, v in stages.items()))
    enc = result.get("encoders")
    if enc:
        lines += ["", f"encoders alone ({enc['texts']} workload texts, batch {enc['batch_size']}, {enc['threads']} threads, "
                  "one process):", f"  {'encoder':<52}{'texts/s':>9}{'× torch fp32':>14}{'cosine min/mean':>18}"]
        base = enc["rows"][0]["texts_per_s"] if enc["rows"] else None
        for r in enc["rows"]:
            x = f"{r['texts_per_s'] / base:.2f}×" if base else "-"
            lines.append(f"  {r['encoder']:<52}{r['texts_per_s']:>9}{x:>14}{r['cosine_min']:>10.4f}/{r['cosine_mean']:.4f}")
    if pipe.get("replica_failures"):
        lines += ["", "REPLICA FAILURES:"] + [f"  {f}" for f in pipe["replica_failures"]]
    lines += ["", "targets:"]
    for name, r in result.get("ratios", {}).items():
        lines.append(f"  {'PASS' if r['met'] else 'MISS'}  {name:<28} {r['value']}  (target {r['target']})")
    lines.append(f"\nJSON: {result['output']}")
    return "\n".join(lines)
