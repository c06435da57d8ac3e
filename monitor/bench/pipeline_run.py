"""Measurement 3 (and the soak): the whole monitor, in its own processes, fed through a real Kafka broker.

Sequence: create unique topics → start `consumers` monitor replicas in one group → warm up until every
replica has decided chunks (model loaded, partitions assigned) → capacity: a backlog produced at once and
drained (throughput, CPU per chunk, profile) → live capacity: offered above that rate by the paced producer,
so the load generator's own CPU shares the cores as it does in the paced phases → paced phases at fractions of
the live capacity (latency percentiles chunk `ts` → decision and → alert on the alerts topic) → optional soak → with `mixed_share`, the
mixed-language capacity (the same drain with that share of the broadcasts in de es fr it nl pl pt ro, after one
non-English chunk per partition has loaded the multilingual engine; run last, so the figures before it are of
English-only replicas) → SIGTERM.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.bench.harness import AlertCollector, MonitorProcess, Producer, Registry, model_info, stage_seconds
from monitor.bench.procstats import HostCpu, Sampler, listener_pid, percentiles
from monitor.bench.profile import Profiler
from monitor.bench.workload import Workload
from monitor.kafka_admin import create_topics
from monitor.settings import KafkaSettings

log = logging.getLogger(__name__)


@dataclass
class PipelineConfig:
    """What the pipeline measurement runs."""

    bootstrap: str
    workdir: Path
    broadcasts: int = 500
    backlog: int = 6000
    phase_seconds: float = 30.0
    loads: tuple[float, ...] = (0.25, 0.5, 0.9)
    consumers: int = 1
    partitions: int = 6
    soak_minutes: float = 0.0
    soak_load: float = 0.5
    mixed_share: float = 0.0
    seed: int = 7
    run_id: str = "bench"
    config_path: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    profile_path: Path | None = None
    drain_timeout_s: float = 300.0


def broker_pid(bootstrap: str) -> int | None:
    """The local process behind the first bootstrap address (None for a remote broker or when not found)."""
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    return listener_pid(int(port)) if host in ("127.0.0.1", "localhost", "::1", "[::1]") and port.isdigit() else None


class PipelineBench:
    """Runs the pipeline measurement and returns its figures as plain data."""

    def __init__(self, cfg: PipelineConfig) -> None:
        self.cfg = cfg
        rid = cfg.run_id
        self.topic = f"{rid}.transcripts"
        self.alerts_topic = f"{rid}.alerts"
        self.dlq_topic = f"{rid}.dlq"
        self.group = f"{rid}-monitor"
        self.registry = Registry()
        self.workload = Workload(cfg.broadcasts, seed=cfg.seed, run_id=rid)
        self.stream: Iterator[dict[str, Any]] = iter(self.workload)
        self.monitors: list[MonitorProcess] = []
        self.sampler: Sampler | None = None
        self.host: HostCpu | None = None

    # ---- lifecycle -------------------------------------------------------------------------------------
    def _env(self) -> dict[str, str]:
        env = {
            "CCT_KAFKA__BOOTSTRAP_SERVERS": self.cfg.bootstrap,
            "CCT_KAFKA__INPUT_TOPIC": self.topic,
            "CCT_KAFKA__ALERTS_TOPIC": self.alerts_topic,
            "CCT_KAFKA__DLQ_TOPIC": self.dlq_topic,
            "CCT_KAFKA__GROUP_ID": self.group,
            "CCT_KAFKA__AUTO_OFFSET_RESET": "earliest",
        }
        env.update(self.cfg.env)
        return env

    def _decided(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for m in self.monitors:
            m.reader.refresh()
            out.update(m.reader.decided)
        return out

    def _check_alive(self) -> None:
        for m in self.monitors:
            if not m.alive():
                raise RuntimeError(f"monitor replica {m.index} exited with {m.proc.returncode}:\n{m.log_tail()}")

    def _wait_decided(self, ids: list[str], timeout_s: float) -> dict[str, float]:
        """Wait until every id has a decision (or the timeout); returns the decisions seen."""
        deadline = time.monotonic() + timeout_s
        while True:
            decided = self._decided()
            if all(i in decided for i in ids) or time.monotonic() > deadline:
                return decided
            self._check_alive()
            time.sleep(0.2)

    def _warm_up(self, producer: Producer, timeout_s: float = 300.0) -> None:
        """Send one chunk per partition each second until every replica has decided some (group formed)."""
        deadline = time.monotonic() + timeout_s
        seq = 0
        while time.monotonic() < deadline:
            for p in range(self.cfg.partitions):
                chunk = {"broadcast_id": f"{self.cfg.run_id}-warm-{p}", "seq": seq, "text": "warming up the monitor " * 3}
                producer.send(chunk, "warmup", partition=p)
            producer.producer.flush(timeout=30)
            seq += 1
            self._check_alive()
            time.sleep(1.0)
            self._decided()
            if all(m.reader.decided for m in self.monitors) and seq >= 3:
                self._wait_decided(self.registry.phase_ids("warmup"), 60)
                return
        raise RuntimeError("the monitor replicas did not start deciding within the warm-up timeout")

    # ---- phases ----------------------------------------------------------------------------------------
    def _capacity(self, producer: Producer, profiler: Profiler | None, stream: Iterator[dict[str, Any]] | None = None,
                  phase: str = "capacity") -> dict[str, Any]:
        ids_before = set(self._decided())
        stages_before = self._stages()
        if profiler:
            profiler.start()
        assert self.sampler is not None
        assert self.host is not None
        cpu0, host0 = self.sampler.cpu_seconds(), self.host.snapshot()
        burst_at = time.time()
        produced_at = producer.burst(stream or self.stream, self.cfg.backlog, phase)
        ids = self.registry.phase_ids(phase)
        decided = self._wait_decided(ids, self.cfg.drain_timeout_s)
        if profiler:
            profiler.stop()
        cpu, host1 = self.sampler.cpu_seconds() - cpu0, self.host.snapshot()
        stages = {k: round(v - stages_before.get(k, 0.0), 3) for k, v in self._stages().items()}
        times = sorted(decided[i] for i in ids if i in decided and i not in ids_before)
        after = [t for t in times if t > produced_at]
        if len(set(after)) >= 3:
            # steady drain once the backlog is on the broker: batches after the first one, over their span
            t_a, t_b = after[0], after[-1]
            counted = sum(1 for t in after if t > t_a)
        else:
            # a backlog drained in one or two batches: everything, from the first send on
            t_a, t_b = burst_at, times[-1]
            counted = len(times)
        throughput = counted / max(1e-9, t_b - t_a)
        busy_wall = (t_b - burst_at) * self.cfg.consumers
        return {
            "stage_seconds": stages,
            "outside_stages_share": round(max(0.0, 1 - sum(stages.values()) / busy_wall), 3) if busy_wall > 0 else None,
            "chunks": len(ids),
            "decided": sum(1 for i in ids if i in decided),
            "drain_window_s": round(t_b - t_a, 3),
            "throughput_cps": round(throughput, 1),
            "cpu_s_per_chunk": round(cpu / len(times), 5) if times else None,
            "host_cpu_ms_per_chunk": HostCpu.per_chunk_ms(host0, host1, len(times), time.time() - burst_at),
        }

    def _live_capacity(self, producer: Producer, drain_cps: float) -> dict[str, Any]:
        """Decided rate while the paced producer offers 1.2 × the drain capacity.

        The drain is measured after the backlog is on the broker, with the producer idle; a paced phase also
        pays for producing (the load generator runs on the same cores), so fractions of the drain overstate
        what the host can take. The rate counts chunks decided while producing, after its first seconds.
        """
        phase, seconds = "capacity-live", max(1.5, self.cfg.phase_seconds / 2)
        rate = 1.2 * drain_cps
        assert self.sampler is not None and self.host is not None
        cpu0, host0, t0 = self.sampler.cpu_seconds(), self.host.snapshot(), time.time()
        sent, achieved = producer.paced(self.stream, rate, seconds, phase)
        t_end = time.time()
        ids = self.registry.phase_ids(phase)
        decided = self._wait_decided(ids, self.cfg.drain_timeout_s)
        cpu, host1 = self.sampler.cpu_seconds() - cpu0, self.host.snapshot()
        start = t0 + min(3.0, seconds / 4)
        counted = sum(1 for i in ids if i in decided and start <= decided[i] <= t_end)
        throughput = counted / max(1e-9, t_end - start)
        return {
            "offered_cps": round(rate, 1),
            "achieved_cps": round(achieved, 1),
            "producer_limited": achieved < 0.98 * rate,
            "chunks": sent,
            "decided": sum(1 for i in ids if i in decided),
            "throughput_cps": round(throughput, 1),
            "vs_drain": round(throughput / drain_cps, 3) if drain_cps else None,
            "cpu_s_per_chunk": round(cpu / max(1, len(ids)), 5),
            "host_cpu_ms_per_chunk": HostCpu.per_chunk_ms(host0, host1, len(ids), time.time() - t0),
        }

    def _mixed(self, producer: Producer, english_cps: float) -> dict[str, Any]:
        """Capacity with `mixed_share` of the broadcasts in other languages, beside the English-only figure."""
        cfg = self.cfg
        for p in range(cfg.partitions):  # every replica loads the multilingual engine before the drain
            producer.send({"broadcast_id": f"{cfg.run_id}-warm-ml-{p}", "seq": 0, "language": "de",
                           "text": "guten abend und willkommen zur sendung, heute sprechen wir über das wetter"}, "warmup-ml",
                          partition=p)
        producer.producer.flush(timeout=30)
        self._wait_decided(self.registry.phase_ids("warmup-ml"), 120)
        workload = Workload(cfg.broadcasts, seed=cfg.seed, run_id=f"{cfg.run_id}-mixed", non_english_share=cfg.mixed_share)
        sent: list[str] = []

        def stream() -> Iterator[dict[str, Any]]:
            for chunk in workload:
                sent.append(chunk["language"])
                yield chunk

        out = self._capacity(producer, None, stream(), "capacity-mixed")
        non_english = sum(1 for lang in sent if lang != "en")
        out.update({
            "broadcast_share": cfg.mixed_share,
            "non_english_chunk_share": round(non_english / max(1, len(sent)), 3),
            "languages": {lang: sent.count(lang) for lang in sorted(set(sent))},
            "english_only_cps": english_cps,
            "vs_english_only": round(out["throughput_cps"] / english_cps, 3) if english_cps else None,
            "peak_rss_mb": round(self.sampler.peak_rss_mb(), 1) if self.sampler else None,
        })
        return out

    def _latencies(self, phase: str, decided: dict[str, float], alerts: list[tuple[float, dict[str, Any]]]) -> dict[str, Any]:
        ids = self.registry.phase_ids(phase)
        sent = self.registry.sent
        dec = [(sent[i][0], decided[i] - sent[i][0]) for i in ids if i in decided]
        dec.sort()
        values = [d for _, d in dec]
        third = max(1, len(values) // 3)
        first, last = percentiles(values[:third]), percentiles(values[-third:])
        seen: set[tuple[str, int]] = set()
        alert_lat: list[float] = []
        for t, alert in alerts:
            seqs = alert.get("seqs") or []
            if not seqs:
                continue
            cid = f"{alert.get('broadcast_id')}#{max(seqs)}"
            key = (str(alert.get("alert_id")), max(seqs))
            if key in seen or cid not in sent or sent[cid][1] != phase:
                continue
            seen.add(key)
            alert_lat.append(t - sent[cid][0])
        return {
            "chunks": len(ids),
            "decided": len(values),
            "decision_latency_s": percentiles(values),
            "alert_latency_s": percentiles(alert_lat),
            "alerts": len(alert_lat),
            "first_third_p50_s": first["p50"],
            "last_third_p50_s": last["p50"],
        }

    def _paced(self, producer: Producer, alerts: AlertCollector, fraction: float, capacity: float, phase: str,
               seconds: float) -> dict[str, Any]:
        rate = max(1.0, fraction * capacity)
        assert self.sampler is not None and self.host is not None
        cpu0, host0, t0 = self.sampler.cpu_seconds(), self.host.snapshot(), time.time()
        sent, achieved = producer.paced(self.stream, rate, seconds, phase)
        ids = self.registry.phase_ids(phase)
        decided = self._wait_decided(ids, max(60.0, seconds))
        time.sleep(1.0)
        cpu, host1 = self.sampler.cpu_seconds() - cpu0, self.host.snapshot()
        out = {"load": fraction, "offered_cps": round(rate, 1), "achieved_cps": round(achieved, 1),
               "seconds": round(time.time() - t0, 1)}
        out.update(self._latencies(phase, decided, alerts.alerts()))
        out["cpu_s_per_chunk"] = round(cpu / max(1, out["decided"]), 5)
        out["host_cpu_ms_per_chunk"] = HostCpu.per_chunk_ms(host0, host1, out["decided"], time.time() - t0)
        return out

    def _soak(self, producer: Producer, alerts: AlertCollector, capacity: float) -> dict[str, Any]:
        minutes = []
        assert self.sampler is not None
        for minute in range(max(1, int(round(self.cfg.soak_minutes)))):
            phase = f"soak-{minute}"
            t0 = time.time()
            res = self._paced(producer, alerts, self.cfg.soak_load, capacity, phase, 60.0)
            # RSS swings by an encoder batch's working memory; its floor over the minute is what is retained
            rss = [r for _, r, _ in self.sampler.between(t0, time.time())] or [self.sampler.rss_mb()]
            res["rss_mb"] = round(min(rss), 1)
            res["rss_max_mb"] = round(max(rss), 1)
            minutes.append(res)
            log.info("soak minute %d: p99 %.3fs rss %.0f-%.0f MiB", minute + 1, res["decision_latency_s"]["p99"] or 0,
                     res["rss_mb"], res["rss_max_mb"])
        first, last = minutes[0], minutes[-1]
        p99_first = first["decision_latency_s"]["p99"] or 0.0
        p99_last = last["decision_latency_s"]["p99"] or 0.0
        latency_flat = p99_last <= max(1.5 * p99_first, p99_first + 0.25)
        memory_flat = last["rss_mb"] - first["rss_mb"] <= max(0.05 * first["rss_mb"], 50.0)
        return {
            "minutes": len(minutes), "load": self.cfg.soak_load, "per_minute": minutes,
            "latency_flat": latency_flat, "memory_flat": memory_flat,
            "p99_first_s": p99_first, "p99_last_s": p99_last,
            "rss_first_mb": first["rss_mb"], "rss_last_mb": last["rss_mb"],
        }

    # ---- entry point -----------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        cfg = self.cfg
        kafka = KafkaSettings(bootstrap_servers=cfg.bootstrap)
        create_topics(kafka, {self.topic: cfg.partitions, self.alerts_topic: cfg.partitions, self.dlq_topic: 1})
        alerts = AlertCollector(cfg.bootstrap, self.alerts_topic).start(cfg.partitions)
        producer = Producer(cfg.bootstrap, self.topic, self.registry)
        cfg.workdir.mkdir(parents=True, exist_ok=True)
        try:
            self.monitors = [MonitorProcess(i, self._env(), cfg.workdir, cfg.config_path, cfg.args) for i in range(cfg.consumers)]
            self.sampler = Sampler([m.pid for m in self.monitors]).start()
            self.host = HostCpu([m.pid for m in self.monitors], broker_pid(cfg.bootstrap))
            t_start = time.monotonic()
            self._warm_up(producer)
            startup_s = time.monotonic() - t_start
            profiler = Profiler(self.monitors[0].pid, cfg.profile_path) if cfg.profile_path else None
            capacity = self._capacity(producer, profiler)
            result: dict[str, Any] = {
                "consumers": cfg.consumers,
                "partitions": cfg.partitions,
                "broadcasts": cfg.broadcasts,
                "startup_s": round(startup_s, 1),
                "broker_cpu_measured": self.host.broker is not None,
                "model_info": model_info(self.monitors[0].scrape()),
                "capacity": capacity,
                "throughput_cps": capacity["throughput_cps"],
                "cpu_s_per_chunk": capacity["cpu_s_per_chunk"],
            }
            if profiler:
                result["profile"] = profiler.summary()
            live = self._live_capacity(producer, capacity["throughput_cps"])
            result["live_capacity"] = live
            base = min(live["throughput_cps"], capacity["throughput_cps"]) or capacity["throughput_cps"]
            result["load_basis_cps"] = base
            result["loads"] = [self._paced(producer, alerts, f, base, f"load-{f:g}", cfg.phase_seconds) for f in cfg.loads]
            if cfg.soak_minutes > 0:
                result["soak"] = self._soak(producer, alerts, base)
            result["alerts_total"] = len({a.get("alert_id") for _, a in alerts.alerts()})
            result["peak_rss_mb"] = round(self.sampler.peak_rss_mb(), 1)
            result["stage_seconds"] = self._stages()
            if cfg.mixed_share > 0:
                result["mixed"] = self._mixed(producer, capacity["throughput_cps"])
            cap_ids = set(self.registry.phase_ids("capacity"))
            result["partitions_per_consumer"] = [m.reader.partitions_of(cap_ids) for m in self.monitors]
            self._check_alive()
        finally:
            # every replica told at once, so none is handed the others' partitions (and rebuilds them) on the way out
            for m in self.monitors:
                m.terminate()
            codes = [m.stop() for m in self.monitors]
            if self.sampler:
                self.sampler.stop()
            producer.close()
            alerts.close()
        # a replica that dies (or exits non-zero on SIGTERM) fails the benchmark
        result["replica_exit_codes"] = codes
        result["replica_failures"] = [f"replica {m.index} exited {c}: {m.log_tail(5)}"
                                      for m, c in zip(self.monitors, codes) if c != 0]
        return result

    def _stages(self) -> dict[str, float]:
        total: dict[str, float] = {}
        for m in self.monitors:
            for k, v in stage_seconds(m.scrape()).items():
                total[k] = round(total.get(k, 0.0) + v, 3)
        return total

