"""Webhook channel (best-effort): a signed JSON POST per alert, generic or Slack-compatible.

Signature: `X-CCT-Signature: sha256=<hex>` where hex = HMAC-SHA256(secret, f"{timestamp}." + body)
and `X-CCT-Timestamp` holds the Unix timestamp used. Signing the timestamp with the body lets a
receiver reject replays (see `verify_signature`). `X-CCT-Alert-Id` and `X-CCT-Delivery-Id`
(`alert_id:count`) let a receiver drop a redelivery it already has.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Sequence
from typing import Any

import requests

from monitor.alert import Alert, factcheck_of_alert
from monitor.channels import render
from monitor.channels.base import Channel, ChannelConfig, DeliveryError, Envelope

SIGNATURE_HEADER = "X-CCT-Signature"
TIMESTAMP_HEADER = "X-CCT-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value for a body sent at `timestamp`."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify_signature(secret: str, timestamp: str, body: bytes, header: str, tolerance_s: float = 300.0) -> bool:
    """What a receiver runs: constant-time comparison, and a timestamp no older than `tolerance_s`."""
    try:
        fresh = abs(time.time() - float(timestamp)) <= tolerance_s
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), header)


def slack_payload(alert: Alert, link: str | None) -> dict[str, Any]:
    """Slack incoming-webhook payload: fallback text plus blocks with the evidence and a link field."""
    fields = [
        f"*Rule*\n{alert.rule.id} v{alert.rule.version}",
        f"*Severity*\n{alert.rule.severity}",
        f"*DSA*\nArt. {', '.join(alert.dsa.articles)} · {alert.dsa.category}",
        f"*When*\n{render.when(alert)} ({alert.broadcast_id})",
        f"*Speaker*\n{render.speaker_name(alert)}",
        f"*Reach*\n{render.reach(alert)}",
        f"*Scores*\n{render.scores(alert)}",
        f"*Link*\n<{link}|open alert {alert.alert_id[:12]}>" if link else f"*Alert*\n{alert.alert_id}",
    ]
    fc = factcheck_of_alert(alert)
    if fc is not None:
        fields.append(f"*Fact-check*\n<{fc.url}|{fc.publisher}: {fc.rating}> ({fc.narrative_id}, {fc.score:.2f})")
    return {
        "text": render.summary(alert),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"{alert.rule.severity.upper()}: {alert.rule.title}"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"> {alert.evidence}"[:3000]}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": f[:2000]} for f in fields]},
            {"type": "context", "elements": [
                {"type": "mrkdwn", "text": ("Why: " + "; ".join(render.why(alert)))[:2000]},
                {"type": "mrkdwn", "text": f"Suggested action: {render.action(alert)}"[:2000]},
            ]},
        ],
    }


class WebhookChannel(Channel):
    """POSTs each alert; any 2xx acknowledges it, anything else (or a timeout) is a failure to retry."""

    kind = "webhook"
    durable = False

    def __init__(
        self, config: ChannelConfig, url: str, secret: str | None = None, slack: bool = False,
        link_template: str | None = None, timeout_s: float = 5.0,
    ) -> None:
        super().__init__(config)
        self.url = url
        self.secret = secret
        self.slack = slack
        self.link_template = link_template
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def payload(self, alert: Alert) -> dict[str, Any]:
        link = self.link_template.format(alert_id=alert.alert_id, broadcast_id=alert.broadcast_id) if self.link_template else None
        if self.slack:
            return slack_payload(alert, link)
        return {"type": "cct.alert", "link": link, "alert": alert.model_dump(mode="json")}

    def send(self, envelopes: Sequence[Envelope]) -> None:
        for env in envelopes:
            body = json.dumps(self.payload(env.alert), ensure_ascii=False, separators=(",", ":")).encode()
            headers = {
                "Content-Type": "application/json",
                "X-CCT-Alert-Id": env.alert.alert_id,
                "X-CCT-Delivery-Id": f"{env.alert.alert_id}:{env.alert.count}",
            }
            if self.secret:
                ts = str(int(time.time()))
                headers[TIMESTAMP_HEADER] = ts
                headers[SIGNATURE_HEADER] = sign(self.secret, ts, body)
            try:
                resp = self.session.post(self.url, data=body, headers=headers, timeout=self.timeout_s)
            except requests.RequestException as exc:
                raise DeliveryError(f"webhook {self.url}: {exc.__class__.__name__}") from exc
            if not 200 <= resp.status_code < 300:
                raise DeliveryError(f"webhook {self.url}: HTTP {resp.status_code}")

    def close(self) -> None:
        self.session.close()
