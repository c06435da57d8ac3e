"""Topic creation and transcript publishing, shared by the CLI, the tests and the benchmark."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from monitor.kafka_client import bootstrap_servers, new_admin, new_producer, probe_brokers
from monitor.settings import KafkaSettings
from monitor.timefmt import utc_iso


class ProduceError(RuntimeError):
    """Some records of a transcript were not acknowledged by the broker."""


def create_topics(settings: KafkaSettings, partitions: dict[str, int], replication_factor: int = 1) -> dict[str, str]:
    """Create each topic with its partition count; report 'created' or 'exists' per topic.

    Raises OSError at once when no bootstrap server accepts a connection.
    """
    probe_brokers(bootstrap_servers(settings))
    admin = new_admin(settings)
    try:
        existing = set(admin.list_topics())
        result: dict[str, str] = {}
        new = [NewTopic(name, n, replication_factor) for name, n in partitions.items() if name not in existing]
        for name in partitions:
            result[name] = "exists" if name in existing else "created"
        if new:
            try:
                admin.create_topics(new)
            except TopicAlreadyExistsError:
                pass
        return result
    finally:
        admin.close()


def _key_and_value(line: bytes, restamp: bool) -> tuple[bytes | None, bytes]:
    """Key by broadcast_id when the line parses; malformed lines are sent as they are (for DLQ tests)."""
    try:
        obj = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None, line
    if not isinstance(obj, dict):
        return None, line
    key = str(obj.get("broadcast_id", "")).encode() or None
    if restamp:
        obj["ts"] = utc_iso(time.time())
        line = json.dumps(obj, ensure_ascii=False).encode()
    return key, line


def produce_transcript(
    settings: KafkaSettings, lines: Sequence[bytes], realtime: bool = False, speed: float = 1.0, restamp: bool = True,
    producer: KafkaProducer | None = None,
) -> int:
    """Publish JSONL lines to the input topic, keyed by broadcast_id; wait until all are acknowledged.

    Raises ProduceError when any record was rejected or not acknowledged, OSError at once when no
    bootstrap server accepts a connection.
    """
    own = producer is None
    if own:
        probe_brokers(bootstrap_servers(settings))
    producer = producer or new_producer(settings, acks="all", linger_ms=5)
    try:
        t0 = time.monotonic()
        first_start: int | None = None
        futures = []
        for line in lines:
            if realtime:
                try:
                    start = json.loads(line).get("start_ms")
                except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                    start = None
                if isinstance(start, int):
                    first_start = start if first_start is None else first_start
                    wait = (start - first_start) / 1000.0 / speed - (time.monotonic() - t0)
                    if wait > 0:
                        time.sleep(wait)
            key, value = _key_and_value(line, restamp)
            futures.append(producer.send(settings.input_topic, key=key, value=value))
        producer.flush(timeout=60)
        failed = [fut.exception for fut in futures if not fut.succeeded()]
        if failed:
            raise ProduceError(
                f"{len(failed)} of {len(lines)} records were not acknowledged by {settings.input_topic}: {failed[0]}"
            )
        return len(lines)
    finally:
        if own:
            producer.close(timeout=10)
