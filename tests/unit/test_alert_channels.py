"""Channel routing, backoff, circuit breaker, renderings and payloads."""

from __future__ import annotations

import io
import json
import random
import time
from datetime import UTC, datetime

import pytest
from alert_factory import make_alert

from monitor.channels import channels_from_settings
from monitor.channels.alertmanager import am_alert
from monitor.channels.base import ChannelConfig, CircuitBreaker, Delivery, Envelope
from monitor.channels.console import ConsoleChannel
from monitor.channels.render import broadcast_time, console_text, pages, why
from monitor.channels.webhook import WebhookChannel, sign, slack_payload, verify_signature
from monitor.metrics import Metrics
from monitor.retry import Backoff
from monitor.settings import load_settings


def test_min_severity_and_filters_route_alerts() -> None:
    cfg = ChannelConfig("pager", min_severity="high", rules=["elections.*"],
                        categories=["STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"])
    assert cfg.accepts(make_alert(severity="high"), routed=True)
    assert cfg.accepts(make_alert(severity="critical"), routed=True)
    assert not cfg.accepts(make_alert(severity="medium"), routed=True)
    assert not cfg.accepts(make_alert(rule_id="threats.incitement"), routed=True)
    assert not cfg.accepts(make_alert(category="STATEMENT_CATEGORY_VIOLENCE"), routed=True)


def test_rule_channel_list_limits_best_effort_channels_but_never_durable_ones() -> None:
    alert = make_alert(actions={"channels": ["slack-tns"]})
    assert ChannelConfig("slack-tns").accepts(alert, routed=True)
    assert not ChannelConfig("alertmanager").accepts(alert, routed=True)
    assert ChannelConfig("kafka").accepts(alert, routed=False)


def test_console_shows_every_alert_whatever_the_rule_routes_to() -> None:
    out = io.StringIO()
    delivery = Delivery(ConsoleChannel(ChannelConfig("console"), stream=out), Metrics())
    assert delivery.enqueue(Envelope(make_alert(actions={"channels": ["elections-desk"]}), None))


def test_a_negated_condition_reads_as_words_not_as_a_dict() -> None:
    alert = make_alert(explanation=[{"not": {"field": "speaker.role", "in": ["host", "journalist"], "value": "guest",
                                             "matched": False}, "matched": True}])
    assert why(alert) == ["not (field speaker.role='guest' in ['host', 'journalist']): it did not hold"]


def test_backoff_grows_exponentially_with_jitter_and_is_capped() -> None:
    rng = random.Random(1)
    delays = [Backoff(0.5, 8.0).delay(a, rng) for a in range(8)]
    for attempt, d in enumerate(delays):
        cap = min(8.0, 0.5 * 2**attempt)
        assert cap / 2 <= d <= cap
    assert max(delays) <= 8.0


def test_circuit_breaker_opens_after_consecutive_failures_and_probes_after_reset() -> None:
    now = [0.0]
    cb = CircuitBreaker(failures=3, reset_s=10.0, clock=lambda: now[0])
    cb.failure()
    cb.failure()
    assert cb.state == "closed" and cb.allow()
    cb.failure()
    assert cb.state == "open" and not cb.allow()
    now[0] = 10.0
    assert cb.state == "half_open" and cb.allow()
    cb.failure()  # the probe failed: open again for a full period
    assert cb.state == "open"
    now[0] = 20.0
    cb.success()
    assert cb.state == "closed" and cb.consecutive == 0


def test_broadcast_time_is_mm_ss_then_h_mm_ss() -> None:
    assert broadcast_time(754_000) == "12:34"
    assert broadcast_time(3_723_000) == "1:02:03"
    assert broadcast_time(None) == "?"


def test_console_rendering_is_readable_on_its_own() -> None:
    text = console_text(make_alert(count=3))
    for expected in (
        "HIGH (×3)", "Claim that the election is rigged", "elections.rigged-claim v1.2.0", "Art. 34(1)(c), 35",
        "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS", "12:34–12:41", "Caller Dave (caller)",
        "the vote count is rigged", "election=0.93 (≥0.80)", "label election=0.93 ≥ 0.8", "120,000 listeners",
        "action    DECISION_VISIBILITY_CONTENT_LABELLED",
    ):
        assert expected in text, expected


def test_paging_for_critical_and_article_18() -> None:
    assert not pages(make_alert(severity="high"))
    assert pages(make_alert(severity="critical"))
    assert pages(make_alert(articles=("18(1)",)))


def test_signature_verifies_and_rejects_tampering_and_replays() -> None:
    body = b'{"a":1}'
    ts = str(int(time.time()))
    header = sign("s3cret", ts, body)
    assert header.startswith("sha256=") and len(header) == 7 + 64
    assert verify_signature("s3cret", ts, body, header)
    assert not verify_signature("s3cret", ts, b'{"a":2}', header)
    assert not verify_signature("other", ts, body, header)
    old = str(int(time.time()) - 3600)
    assert not verify_signature("s3cret", old, body, sign("s3cret", old, body))


def test_slack_payload_has_text_blocks_evidence_and_link() -> None:
    alert = make_alert()
    payload = slack_payload(alert, f"https://review.example/alerts/{alert.alert_id}")
    assert "Claim that the election is rigged" in payload["text"]
    flat = json.dumps(payload["blocks"])
    assert "the vote count is rigged" in flat
    assert f"https://review.example/alerts/{alert.alert_id}" in flat
    generic = WebhookChannel(ChannelConfig("hook"), "http://127.0.0.1:9", link_template="https://r/{alert_id}").payload(alert)
    assert generic["alert"]["alert_id"] == alert.alert_id and generic["link"] == f"https://r/{alert.alert_id}"


def test_alertmanager_alert_resolves_after_the_cooldown() -> None:
    detected = datetime(2026, 5, 1, 12, 0, 0, tzinfo=UTC)
    body = am_alert(make_alert(detected_at=detected), default_cooldown_s=300)
    assert body["labels"]["rule"] == "elections.rigged-claim"
    assert body["labels"]["severity"] == "high"
    assert body["labels"]["category"] == "STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS"
    assert body["labels"]["broadcast_id"] == "bc-1"
    assert body["annotations"]["evidence"].startswith("the vote count is rigged")
    assert "label election=0.93" in body["annotations"]["explanation"]
    assert body["startsAt"] == "2026-05-01T12:00:00.000Z"
    assert body["endsAt"] == "2026-05-01T12:05:00.000Z"
    assert am_alert(make_alert(detected_at=detected, cooldown_s=30), 300)["endsAt"] == "2026-05-01T12:00:30.000Z"


def test_default_channels_depend_on_the_source() -> None:
    settings = load_settings()
    assert [c.kind for c in channels_from_settings(settings, "kafka")] == ["kafka", "console"]
    assert [c.kind for c in channels_from_settings(settings, "file")] == ["console"]


def test_channel_settings_are_checked() -> None:
    dup = load_settings(overrides={"alerts.channels": [{"type": "console"}, {"type": "console"}]})
    with pytest.raises(ValueError, match="unique"):
        channels_from_settings(dup, "file")
    no_url = load_settings(overrides={"alerts.channels": [{"type": "webhook"}]})
    with pytest.raises(ValueError, match="'url' is required"):
        channels_from_settings(no_url, "file")


def test_suggested_action_names_the_visibility_decision_and_paging() -> None:
    from monitor.channels.render import action

    alert = make_alert(articles=("18",), actions={"page_art18": True, "decision_visibility": "DECISION_VISIBILITY_CONTENT_REMOVED"})
    assert action(alert) == "DECISION_VISIBILITY_CONTENT_REMOVED, page on-call (Art. 18)"
    assert action(make_alert(actions={})) == "review"


def test_webhook_secret_never_shows_in_the_effective_settings() -> None:
    from monitor.settings import redacted

    settings = load_settings(overrides={"alerts.channels": [{"type": "webhook", "url": "http://h", "secret": "hunter2"}]})
    assert "hunter2" not in json.dumps(redacted(settings))
    assert settings.alerts.channels[0].secret.get_secret_value() == "hunter2"


def test_webhook_secret_can_come_from_a_file(tmp_path) -> None:
    secret = tmp_path / "hmac"
    secret.write_text("from-file\n")
    settings = load_settings(overrides={"alerts.channels": [{"type": "webhook", "url": "http://h", "secret_file": str(secret)}]})
    assert channels_from_settings(settings, "file")[0].secret == "from-file"
