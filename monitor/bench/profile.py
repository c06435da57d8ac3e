"""Where a monitor replica spends its time: py-spy attached to the process, summarised by pipeline stage.

The raw output (collapsed stacks, one `frames count` line each) is kept next to the JSON report;
`flamegraph.pl` or speedscope render it. Each sample is attributed to the first category whose
marker appears in its stack, checked from the leaf upwards, so nested work lands where it is done.
"""

from __future__ import annotations

import logging
import shutil
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

log = logging.getLogger(__name__)

#: (category, substrings of a frame that mark it), most specific first.
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("tokenizer", ("tokenization_", "tokenizers/", "_batch_encode_plus", "tokenizer")),
    ("encoder forward (torch)", ("torch/nn/", "modeling_", "torch/_", "functional.py")),
    ("encoder forward (onnxruntime)", ("onnxruntime/",)),
    ("classifier (other)", ("monitor/classify/",)),
    ("narrative matching", ("monitor/narratives/",)),
    ("rules engine", ("monitor/rules_engine/",)),
    ("decode/validate (JSON, pydantic)", ("monitor/contracts.py", "pydantic/")),
    ("per-broadcast state", ("monitor/state.py",)),
    ("alert channels", ("monitor/channels/", "monitor/sinks/alerts.py")),
    ("audit log", ("monitor/audit/",)),
    ("decision sink", ("monitor/sinks/decisions.py",)),
    ("kafka client", ("kafka/",)),
    ("metrics", ("prometheus_client/", "monitor/metrics.py")),
    ("pipeline/runner glue", ("monitor/",)),
)


def py_spy() -> str | None:
    """The py-spy executable next to this interpreter or on PATH."""
    here = Path(sys.executable).with_name("py-spy")
    return str(here) if here.exists() else shutil.which("py-spy")


def categorise(stack: str) -> str:
    """The category of one collapsed stack."""
    frames = stack.split(";")
    for frame in reversed(frames):
        for name, markers in CATEGORIES:
            if any(m in frame for m in markers):
                return name
    return "other (interpreter, threads)"


def summarise(raw: str) -> dict[str, object]:
    """Share of samples per category and the top self frames, from collapsed-stack text."""
    by_cat: Counter[str] = Counter()
    by_leaf: Counter[str] = Counter()
    by_thread: Counter[str] = Counter()
    total = 0
    for line in raw.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = stack.split(";")
        thread = frames[0].split(": ", 1)[-1] if frames[0].startswith("thread") else "?"
        by_thread[thread] += n
        by_cat[categorise(stack)] += n
        by_leaf[frames[-1]] += n
    if not total:
        return {"samples": 0}
    share = lambda c: {k: round(v / total, 3) for k, v in c.most_common()}  # noqa: E731
    return {
        "samples": total,
        "by_category": share(by_cat),
        "by_thread": share(by_thread),
        "top_frames": {k: round(v / total, 3) for k, v in by_leaf.most_common(12)},
    }


class Profiler:
    """Samples one process with py-spy between `start` and `stop`."""

    def __init__(self, pid: int, output: Path, rate: int = 50) -> None:
        self.pid = pid
        self.output = output
        self.rate = rate
        self.proc: subprocess.Popen[bytes] | None = None
        self.error: str | None = None

    def start(self) -> None:
        exe = py_spy()
        if exe is None:
            self.error = "py-spy is not installed (pip install py-spy, or the [dev] extra)"
            log.warning("%s; profiling skipped", self.error)
            return
        self.output.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [exe, "record", "--pid", str(self.pid), "--format", "raw", "--output", str(self.output),
             "--rate", str(self.rate), "--nonblocking", "--threads"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate()
        if not self.output.exists():
            self.error = (err or b"").decode(errors="replace").strip()[-500:] or "py-spy wrote nothing"

    def summary(self) -> dict[str, object]:
        """The summary of what was recorded, with the path of the raw stacks."""
        if self.error or not self.output.exists():
            return {"error": self.error or "not recorded"}
        out = summarise(self.output.read_text(errors="replace"))
        out["raw"] = str(self.output)
        return out
