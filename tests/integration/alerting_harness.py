"""Shared pieces of the alert-channel integration tests: a keyword-only rule set and a local webhook receiver."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from kafka_harness import committed_offsets

from monitor.alert import make_alert_id
from monitor.channels.webhook import verify_signature

SAMPLE_BROADCAST = "sample-townhall-2026"
FRAUD_RULE = ("test.election-fraud", "1.0.0")
THREAT_RULE = ("test.threat-to-life", "1.0.0")
# Seqs of the bundled sample broadcast the rules below fire on (its negations and debunks must not fire).
FRAUD_SEQS = (99, 101, 104)
THREAT_SEQS = (129, 130)

RULES_YAML = """
id: test-alerting
version: 1.0.0
title: Keyword rules for the alert-channel tests
owner: qa
jurisdiction: [EU]
effective_from: 2026-01-01
keyword_lists:
  fraud: [rigged, stolen, switched votes]
  debunk: [no evidence, nobody here is saying, is false, withdraw the claim]
  threat: [put a bullet in, finish her]
rules:
  - id: test.election-fraud
    version: 1.0.0
    title: Claims that the election is rigged or stolen
    modified: 2026-01-10
    status: stable
    mode: enforce
    severity: high
    dsa:
      articles: ["34(1)(c)", "35"]
      category: STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS
      specification: [KEYWORD_MISINFORMATION_DISINFORMATION]
      decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
    tos_clause: "Community rules 4.2: election integrity"
    when: {keywords: {list: fraud}}
    unless:
      - reason: debunking or negation
        when: {keywords: {list: debunk}}
    actions: {decision_visibility: DECISION_VISIBILITY_CONTENT_LABELLED}
    tests:
      - {text: this election is rigged, expect: alert}
      - {text: there is no evidence the election was rigged, expect: no_alert}
  - id: test.threat-to-life
    version: 1.0.0
    title: Threat to kill a named person
    modified: 2026-01-10
    status: stable
    mode: enforce
    severity: critical
    dsa:
      articles: ["18"]
      category: STATEMENT_CATEGORY_VIOLENCE
      specification: [KEYWORD_INCITEMENT_VIOLENCE_HATRED]
      decision_ground: DECISION_GROUND_ILLEGAL_CONTENT
    tos_clause: "Community rules 2.1: violence"
    when: {keywords: {list: threat}}
    actions: {page_art18: true, decision_visibility: DECISION_VISIBILITY_CONTENT_REMOVED}
    tests:
      - {text: someone should put a bullet in him, expect: alert}
      - {text: the film ends when they finish the race, expect: no_alert}
"""


def write_rules(directory: Path) -> Path:
    """The keyword rule set as a file in `directory`."""
    path = directory / "test-alerting.yaml"
    path.write_text(RULES_YAML, encoding="utf-8")
    return path


def expected_alert_ids(broadcast_id: str = SAMPLE_BROADCAST) -> dict[str, tuple[str, int]]:
    """alert_id → (rule id, seq) of every alert the sample broadcast must raise under RULES_YAML."""
    out = {}
    for (rule, version), seqs in ((FRAUD_RULE, FRAUD_SEQS), (THREAT_RULE, THREAT_SEQS)):
        for seq in seqs:
            out[make_alert_id(rule, version, broadcast_id, [seq])] = (rule, seq)
    return out


class WebhookReceiver:
    """A local HTTP receiver that verifies the HMAC signature; `behaviour(n)` decides the n-th response.

    `behaviour` returns an HTTP status, or None to hang past the sender's timeout.
    """

    def __init__(self, secret: str, behaviour: Callable[[int], int | None] = lambda n: 200, hang_s: float = 1.5) -> None:
        self.secret = secret
        self.behaviour = behaviour
        self.hang_s = hang_s
        self.requests = 0
        self.failed = 0
        self.bad_signatures = 0
        self.accepted: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                ok = verify_signature(receiver.secret, self.headers.get("X-CCT-Timestamp", ""), body,
                                      self.headers.get("X-CCT-Signature", ""))
                with receiver.lock:
                    n = receiver.requests
                    receiver.requests += 1
                    status = receiver.behaviour(n) if ok else 401
                    if not ok:
                        receiver.bad_signatures += 1
                    if status != 200:
                        receiver.failed += 1
                    else:
                        receiver.accepted.append({"headers": dict(self.headers), "body": json.loads(body)})
                if status is None:
                    time.sleep(receiver.hang_s)
                    status = 504
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> WebhookReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def alert_ids(self) -> list[tuple[str, int]]:
        """(alert_id, count) of every accepted delivery, in arrival order."""
        with self.lock:
            return [(a["body"]["alert"]["alert_id"], a["body"]["alert"]["count"]) for a in self.accepted]


def committed_or_zero(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    """The group's committed offsets, 0 for a partition that never held a record (comparable with end offsets)."""
    return {p: off or 0 for p, off in committed_offsets(bootstrap, group, topic).items()}
