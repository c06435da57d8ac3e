"""Metric families the dashboards rely on: lag never negative, per-partition series follow the assignment,
classifier histograms observed per label, channels pre-initialised."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from monitor.metrics import Metrics


def sample(m: Metrics, name: str, **labels: str) -> float | None:
    return m.registry.get_sample_value(name, labels)


def test_lag_is_high_watermark_minus_committed_and_never_negative() -> None:
    now = [100.0]
    m = Metrics(CollectorRegistry())
    m.kafka._clock = lambda: now[0]
    m.kafka.assigned([("t", 0), ("t", 1)])
    m.kafka.high_watermarks({("t", 0): 50, ("t", 1): 10})
    m.kafka.committed({("t", 0): 20, ("t", 1): 12})  # committed ahead of a stale watermark
    assert sample(m, "cct_kafka_consumer_lag", topic="t", partition="0") == 30
    assert sample(m, "cct_kafka_consumer_lag", topic="t", partition="1") == 0
    now[0] = 107.5
    m.kafka.polled([("t", 0)])
    now[0] = 110.0
    assert sample(m, "cct_kafka_seconds_since_last_record", topic="t", partition="0") == 2.5
    assert sample(m, "cct_kafka_seconds_since_last_record", topic="t", partition="1") == 10.0
    assert m.kafka.needs_committed() == []
    m.kafka.committed({("t", 0): 60})  # committed past a watermark fetched before the commit
    assert sample(m, "cct_kafka_high_watermark", topic="t", partition="0") == 60


def test_revoked_partitions_disappear_and_rebalances_are_counted() -> None:
    m = Metrics(CollectorRegistry())
    m.kafka.assigned([("t", 0), ("t", 1)])
    m.kafka.high_watermarks({("t", 0): 5, ("t", 1): 5})
    assert m.kafka.needs_committed() == [("t", 0), ("t", 1)]
    m.kafka.revoked([("t", 1)])
    assert sample(m, "cct_kafka_high_watermark", topic="t", partition="1") is None
    assert sample(m, "cct_kafka_assigned_partitions") == 1
    assert sample(m, "cct_kafka_rebalances_total") == 2


def test_scores_and_batch_sizes_are_observed_per_label() -> None:
    m = Metrics(CollectorRegistry())
    assert sample(m, "cct_classifier_score_count", label="election") == 0  # pre-initialised
    m.observe_scores([{"election": 0.9, "claim": 0.2}, {"election": 0.1, "claim": 0.7}])
    assert sample(m, "cct_classifier_batch_size_count") == 1
    assert sample(m, "cct_classifier_batch_size_sum") == 2
    assert sample(m, "cct_classifier_score_count", label="election") == 2
    assert sample(m, "cct_classifier_score_bucket", label="election", le="0.5") == 1


def test_channel_series_exist_before_the_first_alert() -> None:
    m = Metrics(CollectorRegistry())
    m.init_channel("webhook", durable=False)
    for name in ("cct_alert_deliveries_total", "cct_alert_delivery_failures_total", "cct_alert_delivery_retries_total",
                 "cct_alert_dropped_total", "cct_alert_queue_depth", "cct_alert_channel_circuit_state"):
        assert sample(m, name, channel="webhook", durable="false") == 0, name


def test_process_and_build_info_are_on_the_injected_registry() -> None:
    m = Metrics(CollectorRegistry())
    assert sample(m, "process_resident_memory_bytes") > 0
    assert m.registry.get_sample_value("cct_build_info", {"version": __import__("monitor").__version__,
                                                          "python": __import__("platform").python_version()}) == 1


def test_pipeline_observes_classifier_batches_and_scores() -> None:
    from collections.abc import Sequence

    from monitor.pipeline import Pipeline
    from monitor.settings import PipelineSettings
    from monitor.stages import ModelInfo, SourceRecord, WorkItem

    class Scorer:
        info = ModelInfo("stub", "0" * 64, ("election", "novel"))

        def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
            return [{"election": 0.8, "novel": 0.3} for _ in items]

    m = Metrics(CollectorRegistry())
    pipeline = Pipeline(PipelineSettings(), m, classifier=Scorer())
    assert sample(m, "cct_classifier_score_count", label="novel") == 0  # the classifier's own labels pre-initialised
    records = [SourceRecord("t", 0, i, None, f'{{"broadcast_id": "b", "seq": {i}, "text": "x"}}'.encode()) for i in range(3)]
    pipeline.process(records)
    assert sample(m, "cct_classifier_batch_size_sum") == 3
    assert sample(m, "cct_classifier_score_count", label="novel") == 3


class Offsets:
    """A broker stand-in for the collector's offset fetcher."""

    def __init__(self) -> None:
        self.ends = {("t", 0): 40}
        self.down = False

    def high_watermarks(self, partitions):
        if self.down:
            raise ConnectionError("broker down")
        return {tp: self.ends[tp] for tp in partitions}

    def committed(self, partitions):
        return {tp: 0 for tp in partitions}


def test_lag_is_computed_at_scrape_time_and_survives_a_broker_outage() -> None:
    m = Metrics(CollectorRegistry())
    offsets = Offsets()
    m.kafka.fetcher = offsets
    m.kafka.assigned([("t", 0)])
    assert sample(m, "cct_kafka_consumer_lag", topic="t", partition="0") == 40  # nothing committed yet
    m.kafka.committed({("t", 0): 25})
    offsets.ends[("t", 0)] = 55
    assert sample(m, "cct_kafka_consumer_lag", topic="t", partition="0") == 30
    offsets.down = True
    assert sample(m, "cct_kafka_consumer_lag", topic="t", partition="0") == 30  # last known values
