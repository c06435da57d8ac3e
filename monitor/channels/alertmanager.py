"""Prometheus Alertmanager channel (best-effort): API v2 `POST /api/v2/alerts`.

`endsAt` is detection time + the cooldown, so an alert resolves by itself once its cooldown passes
without a folded repeat; a repeat re-posts the same labels with a later `endsAt`, extending it.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import requests

from monitor.alert import Alert, factcheck_of_alert
from monitor.channels import render
from monitor.channels.base import Channel, ChannelConfig, DeliveryError, Envelope
from monitor.timefmt import utc_iso

ALERTNAME = "CCTComplianceAlert"


def _parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


def am_alert(alert: Alert, default_cooldown_s: float, generator_url: str | None = None) -> dict[str, Any]:
    """One Alertmanager v2 postable alert for a monitor alert."""
    start = _parse(alert.detected_at)
    cooldown = alert.cooldown_s or default_cooldown_s
    body: dict[str, Any] = {
        "labels": {
            "alertname": ALERTNAME,
            "rule": alert.rule.id,
            "severity": alert.rule.severity,
            "category": alert.dsa.category,
            "broadcast_id": alert.broadcast_id,
            "alert_id": alert.alert_id,
            "dsa_articles": ",".join(alert.dsa.articles),
            "page": "true" if render.pages(alert) else "false",
        },
        "annotations": {
            "summary": render.summary(alert),
            "evidence": alert.evidence,
            "explanation": "; ".join(render.why(alert)),
            "speaker": render.speaker_name(alert),
            "when": render.when(alert),
            "scores": render.scores(alert),
            "reach": render.reach(alert),
            "action": render.action(alert),
            "rule_version": alert.rule.version,
            "count": str(alert.count),
        },
        "startsAt": utc_iso(start),
        "endsAt": utc_iso(start + timedelta(seconds=float(cooldown))),
    }
    fc = factcheck_of_alert(alert)
    if fc is not None:
        body["annotations"].update({"factcheck_url": fc.url, "factcheck": render.factcheck(alert) or ""})
    if generator_url:
        link = generator_url.format(alert_id=alert.alert_id, broadcast_id=alert.broadcast_id)
        body["generatorURL"] = link
        body["annotations"]["link"] = link
    return body


class AlertmanagerChannel(Channel):
    """Posts alerts to one Alertmanager (put it behind a load balancer, or one channel per replica)."""

    kind = "alertmanager"
    durable = False

    def __init__(
        self, config: ChannelConfig, url: str, cooldown_s: float = 300.0, timeout_s: float = 5.0,
        generator_url: str | None = None,
    ) -> None:
        super().__init__(config)
        self.url = url.rstrip("/") + "/api/v2/alerts"
        self.cooldown_s = cooldown_s
        self.timeout_s = timeout_s
        self.generator_url = generator_url
        self.session = requests.Session()

    def send(self, envelopes: Sequence[Envelope]) -> None:
        body = [am_alert(env.alert, self.cooldown_s, self.generator_url) for env in envelopes]
        try:
            resp = self.session.post(self.url, json=body, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise DeliveryError(f"alertmanager {self.url}: {exc.__class__.__name__}") from exc
        if resp.status_code != 200:
            raise DeliveryError(f"alertmanager {self.url}: HTTP {resp.status_code} {resp.text[:200]}")

    def close(self) -> None:
        self.session.close()
