"""After a rebalance, the new owner of a partition rebuilds its broadcasts' windows from Kafka without deciding."""

from __future__ import annotations

import json
import time

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from monitor.contracts import TranscriptChunk
from monitor.kafka_admin import create_topics
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rebuild import WindowRebuilder
from monitor.settings import KafkaSettings, PipelineSettings
from monitor.state import Admission

pytestmark = pytest.mark.integration


def _chunk(bid: str, seq: int) -> dict:
    return {"broadcast_id": bid, "seq": seq, "text": f"{bid} chunk {seq}", "start_ms": seq * 4000, "end_ms": seq * 4000 + 3500}


def _decided_partition(kafka_bootstrap: str, unique_name: str) -> tuple[KafkaSettings, TopicPartition]:
    """A one-partition topic whose previous owner decided offsets 0-7 (b1 and b2, two of them two hours old)."""
    topic, group = f"rebuild-{unique_name}", f"rebuild-g-{unique_name}"
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, input_topic=topic, group_id=group)
    create_topics(settings, {topic: 1})
    tp = TopicPartition(topic, 0)
    now_ms = int(time.time() * 1000)
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    # offsets 0-1: b1 seqs 0-1 from two hours ago (outside a 10-minute window)
    for seq in (0, 1):
        producer.send(topic, key=b"b1", value=json.dumps(_chunk("b1", seq)).encode(), partition=0, timestamp_ms=now_ms - 7_200_000)
    # offsets 2-9: b1 seqs 2-6 and b2 seqs 0-2, recent
    for bid, seq in [("b1", 2), ("b2", 0), ("b1", 3), ("b2", 1), ("b1", 4), ("b2", 2), ("b1", 5), ("b1", 6)]:
        producer.send(topic, key=bid.encode(), value=json.dumps(_chunk(bid, seq)).encode(), partition=0)
    producer.flush()
    producer.close()
    committer = KafkaConsumer(bootstrap_servers=kafka_bootstrap, group_id=group, enable_auto_commit=False)
    committer.assign([tp])
    committer.commit({tp: OffsetAndMetadata(8, "", -1)})  # the previous owner decided offsets 0-7 (b1 up to seq 5)
    committer.close()
    return settings, tp


def test_assignment_rebuilds_window_up_to_committed_offset(kafka_bootstrap: str, unique_name: str) -> None:
    settings, tp = _decided_partition(kafka_bootstrap, unique_name)
    pipeline = Pipeline(PipelineSettings(window_seconds=600, context_chunks=2), Metrics())
    replayed = WindowRebuilder(settings, pipeline).rebuild({tp})

    assert replayed == 6  # offsets 2-7: inside the window and below the committed offset
    assert [c.seq for c in pipeline.states.window("b1")] == [2, 3, 4]
    assert [c.seq for c in pipeline.states.window("b2")] == [0, 1, 2]
    # the first chunk the new owner decides (offset 8: b1 seq 5) gets its real context
    next_chunk = TranscriptChunk.model_validate(_chunk("b1", 5))
    assert pipeline.states.admit(next_chunk) is Admission.ACCEPTED
    assert [c.seq for c in pipeline.states.context(next_chunk, 2)] == [3, 4]
    # a chunk the previous owner already decided is recognised as a duplicate
    assert pipeline.states.admit(TranscriptChunk.model_validate(_chunk("b2", 2))) is Admission.DUPLICATE


def test_a_stop_during_the_rebuild_abandons_it(kafka_bootstrap: str, unique_name: str) -> None:
    """SIGTERM while a newly assigned partition is being rebuilt: the process is leaving, so it does not read
    and replay the window (at bench rates that is minutes of re-scoring); the next owner rebuilds it."""
    settings, tp = _decided_partition(kafka_bootstrap, unique_name)
    pipeline = Pipeline(PipelineSettings(window_seconds=600, context_chunks=2), Metrics())
    assert WindowRebuilder(settings, pipeline, stop=lambda: True).rebuild({tp}) == 0
    assert not pipeline.states.window("b1") and not pipeline.states.window("b2")


def test_partition_without_committed_offset_rebuilds_nothing(kafka_bootstrap: str, unique_name: str) -> None:
    topic = f"rebuild-new-{unique_name}"
    settings = KafkaSettings(bootstrap_servers=kafka_bootstrap, input_topic=topic, group_id=f"g-{unique_name}")
    create_topics(settings, {topic: 1})
    producer = KafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    producer.send(topic, key=b"b1", value=json.dumps(_chunk("b1", 0)).encode(), partition=0)
    producer.flush()
    producer.close()
    pipeline = Pipeline(PipelineSettings(), Metrics())
    assert WindowRebuilder(settings, pipeline).rebuild({TopicPartition(topic, 0)}) == 0
    assert len(pipeline.states) == 0
