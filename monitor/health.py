"""Liveness and readiness of the monitor, served beside /metrics as /healthz and /readyz.

/metrics is answered by a thread of its own, so it says nothing about the poll loop. The poll loop
reports to `Health` instead: every poll is progress, and a deliberate pause (a durable sink down,
the loop polling only to keep its group membership) is reported as such.

- `/healthz` is 200 while the loop made progress within `window_s` (the consumer's
  `max_poll_interval`: past it, Kafka evicts the member anyway) and 503 when it did not; the body says
  which, and whether the loop is polling, deliberately paused for a down durable sink, or starting.
- `/readyz` is 200 once the rules and the model are loaded and the source is connected, with
  partitions assigned or waiting for assignment; 503 before (or after the loop stopped).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer


class Health:
    """What the poll loop and the wiring report; read by the probe endpoints from another thread."""

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._started = clock()
        self._last_progress: float | None = None
        self._paused: str | None = None
        self._components: dict[str, str] = {}
        self._source: str | None = None
        self._stopped = False
        self.partitions: Callable[[], Iterable[tuple[str, int]]] = lambda: ()

    def loaded(self, component: str, what: str) -> None:
        """A stage needed for readiness is loaded (`what` says which, e.g. the rule-set versions)."""
        with self._lock:
            self._components[component] = what

    def source_connected(self, what: str) -> None:
        with self._lock:
            self._source = what

    def progress(self) -> None:
        """The poll loop completed a poll."""
        now = self._clock()
        with self._lock:
            self._last_progress = now

    def paused(self, reason: str | None) -> None:
        """Consumption is deliberately paused for `reason` (None: resumed)."""
        with self._lock:
            self._paused = reason

    def stopped(self) -> None:
        with self._lock:
            self._stopped = True

    def liveness(self) -> tuple[bool, dict[str, Any]]:
        now = self._clock()
        with self._lock:
            since = self._last_progress if self._last_progress is not None else self._started
            idle = now - since
            if self._last_progress is None:
                state = "starting"
            elif self._paused:
                state = "paused"
            else:
                state = "polling"
            body: dict[str, Any] = {"state": state, "seconds_since_progress": round(idle, 3), "window_s": self.window_s}
            if self._paused:
                body["paused_for"] = self._paused
        ok = idle <= self.window_s
        body["status"] = "ok" if ok else "stalled"
        if not ok:
            body["reason"] = f"the poll loop made no progress for {idle:.0f} s (window {self.window_s:.0f} s)"
        return ok, body

    def readiness(self) -> tuple[bool, dict[str, Any]]:
        with self._lock:
            components, source, stopped = dict(self._components), self._source, self._stopped
        parts = sorted(self.partitions())
        body: dict[str, Any] = {**components, "source": source or "not connected"}
        if source is not None:
            body["partitions"] = [f"{t}[{p}]" for t, p in parts] or "waiting for assignment"
        missing = [c for c in ("rules", "model") if c not in components]
        ok = not missing and source is not None and not stopped
        body["status"] = "ready" if ok else "not ready"
        if missing:
            body["loading"] = missing
        if stopped:
            body["reason"] = "the poll loop has stopped"
        return ok, body


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's signature
        """Probes every few seconds would flood the log."""


def _app(registry: CollectorRegistry, health: Health | None) -> Callable:
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: Callable) -> list[bytes]:
        path = environ.get("PATH_INFO", "")
        probe = {"/healthz": "liveness", "/readyz": "readiness"}.get(path)
        if probe is None or health is None:
            return metrics_app(environ, start_response)
        ok, body = getattr(health, probe)()
        payload = json.dumps(body, sort_keys=True).encode() + b"\n"
        start_response("200 OK" if ok else "503 Service Unavailable",
                       [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
        return [payload]

    return app


def serve(host: str, port: int, registry: CollectorRegistry, health: Health | None) -> int:
    """Serve /metrics, /healthz and /readyz from a daemon thread; returns the bound port."""

    class Server(ThreadingWSGIServer):
        address_family = socket.AF_INET6 if ":" in host else socket.AF_INET

    httpd = make_server(host, port, _app(registry, health), Server, handler_class=_QuietHandler)
    threading.Thread(target=httpd.serve_forever, name="metrics-http", daemon=True).start()
    return httpd.server_port
