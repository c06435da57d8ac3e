"""Process and machine figures read from /proc: resident memory, CPU time, the host description."""

from __future__ import annotations

import os
import platform
import threading
import time
from dataclasses import dataclass, field

_CLK_TCK = os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MiB; zeros once it has exited."""
    cur = peak = 0.0
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    cur = int(line.split()[1]) / 1024
                elif line.startswith("VmHWM:"):
                    peak = int(line.split()[1]) / 1024
    except (FileNotFoundError, ProcessLookupError):
        pass
    return cur, peak


def parse_stat(stat: str) -> tuple[str, float]:
    """(command name, user + system CPU seconds) from the text of a /proc/…/stat file (a process's or a thread's)."""
    fields = stat.rsplit(")", 1)[1].split()
    return stat[stat.index("(") + 1:stat.rindex(")")], (int(fields[11]) + int(fields[12])) / _CLK_TCK


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds a process has used so far (all its threads)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return parse_stat(fh.read())[1]
    except (FileNotFoundError, ProcessLookupError):
        return 0.0


def machine_busy_seconds() -> float:
    """CPU seconds every core of the machine has spent busy (not idle, not waiting on I/O) since boot."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            ticks = [int(x) for x in fh.readline().split()[1:]]
    except (FileNotFoundError, ValueError):
        return 0.0
    return (sum(ticks[:8]) - ticks[3] - ticks[4]) / _CLK_TCK  # user..steal, less idle and iowait


def listener_pid(port: int) -> int | None:
    """The process listening on this local TCP port (the benchmark's broker), or None when not found."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table, encoding="ascii") as fh:
                rows = [line.split() for line in fh.readlines()[1:]]
        except FileNotFoundError:
            continue
        inodes |= {r[9] for r in rows if r[3] == "0A" and int(r[1].rsplit(":", 1)[1], 16) == port}  # 0A: LISTEN
    wanted = {f"socket:[{i}]" for i in inodes}
    for pid in (int(d) for d in os.listdir("/proc") if d.isdigit()) if wanted else ():
        try:
            if any(os.readlink(f"/proc/{pid}/fd/{fd}") in wanted for fd in os.listdir(f"/proc/{pid}/fd")):
                return pid
        except (FileNotFoundError, PermissionError, ProcessLookupError):
            continue
    return None


@dataclass
class HostCpu:
    """Where the machine's CPU goes while the pipeline runs: the monitor replicas, the broker, this
    benchmark process (producer, alert reader, decision reader) and everything else on the machine."""

    monitors: list[int]
    broker: int | None

    def snapshot(self) -> dict[str, float]:
        return {
            "monitor": sum(cpu_seconds(p) for p in self.monitors),
            "broker": cpu_seconds(self.broker) if self.broker else 0.0,
            "load_generator": time.process_time(),
            "machine": machine_busy_seconds(),
        }

    @staticmethod
    def per_chunk_ms(before: dict[str, float], after: dict[str, float], chunks: int, wall_s: float) -> dict[str, float]:
        """CPU ms per decided chunk by consumer ('other': the rest of the machine) and the cores kept busy."""
        used = {k: after[k] - before[k] for k in before}
        used["other"] = max(0.0, used["machine"] - used["monitor"] - used["broker"] - used["load_generator"])
        out = {k: round(1000 * used[k] / max(1, chunks), 3) for k in ("monitor", "broker", "load_generator", "other")}
        out["cores_busy"] = round(used["machine"] / wall_s, 2) if wall_s > 0 else 0.0
        return out


def machine() -> dict[str, object]:
    """What the figures were measured on."""
    model = ""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except FileNotFoundError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import onnxruntime
    import torch

    return {
        "cpu": model or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_threads": torch.get_num_threads(),
        "onnxruntime": onnxruntime.__version__,
        "platform": platform.platform(),
    }


@dataclass
class Sampler:
    """Samples RSS and CPU of a set of processes in a background thread."""

    pids: list[int]
    interval_s: float = 0.5
    samples: list[tuple[float, float, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> Sampler:
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.samples.append((time.time(), self.rss_mb(), self.cpu_seconds()))
            self._stop.wait(self.interval_s)

    def rss_mb(self) -> float:
        """Summed current RSS of the processes."""
        return sum(rss_mb(p)[0] for p in self.pids)

    def peak_rss_mb(self) -> float:
        """The largest single-process peak RSS (VmHWM)."""
        return max((rss_mb(p)[1] for p in self.pids), default=0.0)

    def cpu_seconds(self) -> float:
        """Summed CPU seconds of the processes."""
        return sum(cpu_seconds(p) for p in self.pids)

    def between(self, t0: float, t1: float) -> list[tuple[float, float, float]]:
        """Samples taken in [t0, t1]."""
        return [s for s in self.samples if t0 <= s[0] <= t1]

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)


def percentiles(values: list[float], qs: tuple[float, ...] = (50, 95, 99)) -> dict[str, float | None]:
    """Nearest-rank percentiles, e.g. {"p50": …, "p95": …, "p99": …}; None for an empty list."""
    if not values:
        return {f"p{q:g}": None for q in qs}
    ordered = sorted(values)
    out: dict[str, float | None] = {}
    for q in qs:
        rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
        out[f"p{q:g}"] = round(ordered[rank - 1], 4)
    return out
