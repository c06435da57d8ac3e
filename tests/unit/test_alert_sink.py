"""The alert sink: durable channels gate the commit, best-effort channels retry on their own, nothing doubles."""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from pathlib import Path

import pytest
from alert_factory import decision_with, make_alert
from prometheus_client import CollectorRegistry

from monitor.channels.base import Channel, ChannelConfig, DeliveryError, Envelope
from monitor.channels.jsonl import JsonlChannel
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.runner import Runner
from monitor.settings import PipelineSettings
from monitor.sinks.alerts import AlertSink
from monitor.sources.file import FileSource
from monitor.stages import Decision, ModelInfo, WorkItem


class Receiver(Channel):
    """An in-memory receiver that refuses the first `fail_first` attempts."""

    kind = "memory"

    def __init__(self, name: str, durable: bool, fail_first: int = 0, **cfg: object) -> None:
        super().__init__(ChannelConfig(name, retry_base_s=0.01, retry_max_s=0.02, breaker_reset_s=0.05, **cfg))
        self.durable = durable
        self.fail_first = fail_first
        self.attempts = 0
        self.got: list[tuple[str, int]] = []
        self.lock = threading.Lock()

    def send(self, envelopes: Sequence[Envelope]) -> None:
        with self.lock:
            self.attempts += 1
            if self.attempts <= self.fail_first:
                raise DeliveryError("receiver down")
            self.got.extend(e.key for e in envelopes)


def value(metrics: Metrics, name: str, **labels: str) -> float:
    return metrics.registry.get_sample_value(name, labels) or 0.0


def test_flush_raises_until_the_durable_channel_acknowledges_and_never_resends() -> None:
    m = Metrics(CollectorRegistry())
    durable = Receiver("audit", durable=True, fail_first=2)
    sink = AlertSink([durable], m)
    batch = [decision_with([make_alert(seqs=(1,)), make_alert(seqs=(2,))])]
    for _ in range(2):
        sink.write(batch)  # the runner writes the same batch again on every retry
        with pytest.raises(DeliveryError):
            sink.flush()
    sink.write(batch)
    sink.flush()
    sink.write(batch)
    sink.flush()
    assert sorted(durable.got) == sorted([(make_alert(seqs=(1,)).alert_id, 1), (make_alert(seqs=(2,)).alert_id, 1)])
    lab = {"channel": "audit", "durable": "true"}
    assert value(m, "cct_alert_delivery_failures_total", **lab) == 2
    assert value(m, "cct_alert_delivery_retries_total", **lab) == 4
    assert value(m, "cct_alert_deliveries_total", **lab) == 2
    assert value(m, "cct_alert_delivery_latency_seconds_count", **lab) == 2
    assert value(m, "cct_alerts_raised_total", rule="elections.rigged-claim", severity="high",
                 category="STATEMENT_CATEGORY_NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS") == 2
    sink.close()


def test_folded_repeat_is_a_new_delivery_and_shadow_alerts_are_not_delivered() -> None:
    m = Metrics(CollectorRegistry())
    durable = Receiver("audit", durable=True)
    sink = AlertSink([durable], m)
    first, repeat = make_alert(count=1), make_alert(count=2)
    sink.write([decision_with([first]), decision_with([make_alert(seqs=(9,), mode="shadow")], seq=9)])
    sink.flush()
    sink.write([decision_with([repeat], seq=8)])
    sink.flush()
    assert durable.got == [(first.alert_id, 1), (first.alert_id, 2)]
    sink.close()


def test_best_effort_failures_do_not_block_flush_and_are_retried_until_delivered() -> None:
    m = Metrics(CollectorRegistry())
    durable = Receiver("audit", durable=True)
    hook = Receiver("hook", durable=False, fail_first=6, breaker_failures=3)
    sink = AlertSink([durable, hook], m, drain_timeout_s=5)
    alerts = [make_alert(seqs=(i,)) for i in range(4)]
    sink.write([decision_with(alerts)])
    sink.flush()  # returns although the webhook is failing
    assert len(durable.got) == 4
    assert sink.drain(10)
    assert sorted(hook.got) == sorted((a.alert_id, 1) for a in alerts)
    lab = {"channel": "hook", "durable": "false"}
    assert value(m, "cct_alert_delivery_failures_total", **lab) == 6
    assert value(m, "cct_alert_delivery_retries_total", **lab) == 6
    assert value(m, "cct_alert_deliveries_total", **lab) == 4
    assert value(m, "cct_alert_queue_depth", **lab) == 0
    assert value(m, "cct_alert_channel_circuit_state", **lab) == 0
    assert m.registry.get_sample_value("cct_alert_deliveries_total", {"channel": "hook", "durable": "true"}) is None
    sink.close()


def test_best_effort_queue_is_bounded_and_counts_what_it_drops() -> None:
    m = Metrics(CollectorRegistry())
    hook = Receiver("hook", durable=False, fail_first=10**6, queue_size=3)
    sink = AlertSink([hook], m, drain_timeout_s=0)
    sink.write([decision_with([make_alert(seqs=(i,)) for i in range(5)])])
    assert value(m, "cct_alert_dropped_total", channel="hook", durable="false") == 2
    assert value(m, "cct_alert_queue_depth", channel="hook", durable="false") == 3
    sink.close()


class KeywordEngine:
    """Alerts on every chunk that says 'rigged' (a stand-in for a compiled rule set)."""

    info: dict = {}

    def evaluate(self, items: Sequence[WorkItem], model: ModelInfo | None) -> list[Decision]:
        out = []
        for item in items:
            alerts = []
            if "rigged" in item.chunk.text:
                alerts.append(make_alert(broadcast_id=item.chunk.broadcast_id, seqs=(item.chunk.seq,)))
            out.append(Decision(item, model, alerts=alerts))
        return out


class FlakyJsonl(JsonlChannel):
    """A JSONL file whose disk refuses the first writes."""

    def __init__(self, *args: object, fail_first: int) -> None:
        super().__init__(*args)
        self.fail_first = fail_first

    def send(self, envelopes: Sequence[Envelope]) -> None:
        if self.fail_first > 0:
            self.fail_first -= 1
            raise DeliveryError("disk full")
        super().send(envelopes)


def test_runner_commits_only_after_the_durable_channel_recovers(tmp_path: Path) -> None:
    lines = [json.dumps({"broadcast_id": "bc-1", "seq": i, "text": "it is rigged" if i % 3 == 0 else "hello"})
             for i in range(12)]
    src_path = tmp_path / "in.jsonl"
    src_path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "alerts.jsonl"
    m = Metrics(CollectorRegistry())
    source = FileSource(str(src_path), batch_size=4)
    sink = AlertSink([FlakyJsonl(ChannelConfig("audit"), out, fail_first=2)], m)
    runner = Runner(source, Pipeline(PipelineSettings(), m, engine=KeywordEngine()), [sink], m, poll_timeout_s=0.05)
    runner.run()
    written = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(a["seqs"][0] for a in written) == [0, 3, 6, 9]
    assert source.committed_offset == 12
    assert value(m, "cct_emit_failures_total") == 2
    assert value(m, "cct_alert_delivery_failures_total", channel="audit", durable="true") == 2
