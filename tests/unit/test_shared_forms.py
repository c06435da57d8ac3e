"""One form for what several modules share: canonical JSON, labels, severities, and the demo's latency line."""

from __future__ import annotations

import io
import math
from pathlib import Path

import pytest
from alert_factory import make_alert
from pydantic import ValidationError
from rules_helpers import engine_for, item

from monitor.alert import SEVERITIES
from monitor.audit.chain import canonical
from monitor.canonical import canonical_json
from monitor.channels import channels_from_settings
from monitor.channels.base import ChannelConfig
from monitor.channels.console import ConsoleChannel
from monitor.channels.render import console_text
from monitor.classify.labels import DEFAULT_LABELS
from monitor.rules_engine.model import DEFAULT_LABELS as RULE_LABELS
from monitor.settings import AlertChannelSettings, Settings


def test_canonical_json_is_sorted_compact_utf8_and_refuses_nan() -> None:
    assert canonical_json({"b": [1, 2], "a": "é"}) == '{"a":"é","b":[1,2]}'
    assert canonical({"b": 1, "a": "é"}) == '{"a":"é","b":1}'.encode()  # the audit chain hashes the same form
    with pytest.raises(ValueError):
        canonical_json({"x": math.nan})


def test_rules_validate_labels_against_the_classifier_s_default_list() -> None:
    assert RULE_LABELS == DEFAULT_LABELS


def test_a_channel_s_min_severity_must_be_one_of_the_alert_severities() -> None:
    for severity in SEVERITIES:
        assert AlertChannelSettings(type="console", min_severity=severity).min_severity == severity
    with pytest.raises(ValidationError):
        AlertChannelSettings(type="console", min_severity="urgent")


def test_a_replay_prints_latency_relative_to_the_replay_not_to_the_recorded_speech() -> None:
    alert = make_alert(read_latency_ms=12.0).model_copy(update={"latency_ms": 392_549_000.0})
    live = console_text(alert)
    assert "392549.00s after speech" in live
    replay = console_text(alert, replay=True)
    assert "0.012s after it was read (replay)" in replay and "after speech" not in replay
    out = io.StringIO()
    ConsoleChannel(ChannelConfig("console"), stream=out, replay=True).send([type("E", (), {"alert": alert})()])
    assert "after it was read (replay)" in out.getvalue()


def test_the_file_source_s_console_channel_is_a_replay_and_kafka_s_is_live() -> None:
    settings = Settings()
    [console] = [c for c in channels_from_settings(settings, "file") if isinstance(c, ConsoleChannel)]
    assert console.replay
    [console] = [c for c in channels_from_settings(settings, "kafka") if isinstance(c, ConsoleChannel)]
    assert not console.replay


def test_an_alert_carries_how_long_after_the_chunk_was_read_it_was_detected(tmp_path: Path) -> None:
    engine = engine_for(tmp_path, clock=lambda: 1_000.25)
    work = item("it is rigged", ts="2026-11-30T10:00:00Z")
    work.received_at = 1_000.0
    [decision] = engine.evaluate([work], None)
    assert decision.alerts[0].read_latency_ms == 250.0
