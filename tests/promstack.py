"""Real Prometheus and Alertmanager for tests: found on PATH, started on free loopback ports with temp data dirs."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "cct-monitor.json"
RULE_FILES = sorted((DEPLOY / "prometheus" / "rules").glob("*.yml"))


def binary(*names: str) -> str:
    """The first of `names` found on PATH or in /usr/bin; fails the test with the install hint otherwise."""
    for name in names:
        found = shutil.which(name) or (f"/usr/bin/{name}" if Path(f"/usr/bin/{name}").exists() else None)
        if found:
            return found
    raise AssertionError(f"none of {names} found: apt-get install prometheus prometheus-alertmanager")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_ready(url: str, proc: subprocess.Popen, log: Path, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} not ready after {timeout_s}s:\n{log.read_text()[-3000:]}")


@contextmanager
def _process(args: list[str], ready_url: str, log: Path) -> Iterator[None]:
    with open(log, "w") as fh:
        proc = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT)
    try:
        _wait_ready(ready_url, proc, log)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def prometheus_config(targets: list[str], scrape_interval: str = "1s") -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml pointed at `targets`, with the deploy rule files and a fast interval."""
    config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
    config["global"].update(scrape_interval=scrape_interval, evaluation_interval=scrape_interval)
    config["rule_files"] = [str(p) for p in RULE_FILES]
    config.pop("alerting", None)
    job = next(j for j in config["scrape_configs"] if j["job_name"] == "cct-monitor")
    job["static_configs"] = [{"targets": targets}]
    config["scrape_configs"] = [job]
    return config


@contextmanager
def prometheus(tmp: Path, targets: list[str]) -> Iterator[str]:
    """A real Prometheus scraping `targets` every second; yields its base URL."""
    port = free_port()
    cfg = tmp / "prometheus.yml"
    cfg.write_text(yaml.safe_dump(prometheus_config(targets)))
    args = [binary("prometheus"), f"--config.file={cfg}", f"--storage.tsdb.path={tmp / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}"]
    base = f"http://127.0.0.1:{port}"
    with _process(args, f"{base}/-/ready", tmp / "prometheus.log"):
        yield base


@contextmanager
def alertmanager(tmp: Path, config: Path | None = None) -> Iterator[str]:
    """A real Alertmanager (cluster mode off); yields its base URL."""
    port = free_port()
    if config is None:
        config = tmp / "alertmanager.yml"
        config.write_text(yaml.safe_dump({"route": {"receiver": "null"}, "receivers": [{"name": "null"}]}))
    args = [binary("prometheus-alertmanager", "alertmanager"), f"--config.file={config}",
            f"--storage.path={tmp / 'am-data'}", f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=", "--log.level=warn"]
    base = f"http://127.0.0.1:{port}"
    with _process(args, f"{base}/-/ready", tmp / "alertmanager.log"):
        yield base


def query(base: str, promql: str) -> list[dict[str, Any]]:
    """Instant query; the result vector (or a one-element list for a scalar)."""
    resp = requests.get(f"{base}/api/v1/query", params={"query": promql}, timeout=10)
    body = resp.json()
    if body.get("status") != "success":
        raise AssertionError(f"{promql}: {json.dumps(body)[:500]}")
    data = body["data"]
    return data["result"] if data["resultType"] in ("vector", "matrix") else [{"value": data["result"]}]


def value(base: str, promql: str) -> float | None:
    """The single value of a query, or None when it returns nothing."""
    result = query(base, promql)
    return float(result[0]["value"][1]) if result else None


def dashboard_exprs() -> list[tuple[str, str]]:
    """(panel title, expr) of every dashboard target, variables substituted as Grafana would."""
    dash = json.loads(DASHBOARD.read_text())
    subst = {"$__rate_interval": "30s", "$__range": "5m", "$__interval": "5s", "$job": ".+", "$instance": ".+", "$label": ".+"}
    out = []
    for panel in dash["panels"]:
        for target in panel.get("targets", []):
            expr = target["expr"]
            for var, val in subst.items():
                expr = expr.replace(var, val)
            assert "$" not in expr, f"unsubstituted variable in {panel['title']}: {expr}"
            out.append((panel["title"], expr))
    return out


_COMPARISON = re.compile(r"(==|!=|>=|<=|>|<)(?!\s*bool\b)")


def as_bool(expr: str) -> str:
    """An alert expression with every comparison turned into a `bool` comparison outside label matchers,
    so it returns its series (0 or 1) whether the alert condition holds or not; `absent(X)` becomes `X`,
    which returns data exactly when the series the absence alert watches exist."""
    expr = re.sub(r"\babsent\(", "(", expr)
    out, depth, quote = [], 0, None
    i = 0
    while i < len(expr):
        ch = expr[i]
        if quote:
            out.append(ch)
            if ch == quote and expr[i - 1] != "\\":
                quote = None
            i += 1
            continue
        if ch in "\"'`":
            quote = ch
        elif ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif depth == 0:
            m = _COMPARISON.match(expr, i)
            if m:
                out.append(m.group(1) + " bool")
                i = m.end()
                continue
        out.append(ch)
        i += 1
    return "".join(out)


def rule_exprs() -> list[tuple[str, str, str]]:
    """(kind, name, expr) of every recording and alert rule in deploy/prometheus/rules."""
    out = []
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    out.append(("record", rule["record"], rule["expr"]))
                else:
                    out.append(("alert", rule["alert"], rule["expr"]))
    return out
