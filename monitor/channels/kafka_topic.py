"""Kafka alerts topic channel (durable): keyed by broadcast_id, `acks=all`, idempotent producer.

Each record carries the alert JSON and headers `cct.alert_id`, `cct.alert_count`, `cct.rule_id`,
`cct.severity`. A folded repeat is a new record with the same alert id and a higher count; a
replay after a crash can repeat a record, so consumers keep the highest count per alert id.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from kafka import KafkaProducer
from kafka.errors import KafkaError

from monitor.channels.base import Channel, ChannelConfig, DeliveryError, Envelope
from monitor.settings import KafkaSettings
from monitor.kafka_client import bootstrap_servers, new_producer, probe_brokers

log = logging.getLogger(__name__)


def alert_headers(env: Envelope) -> list[tuple[str, bytes]]:
    """The headers consumers dedupe and route on without parsing the value."""
    alert = env.alert
    return [
        ("cct.alert_id", alert.alert_id.encode()),
        ("cct.alert_count", str(alert.count).encode()),
        ("cct.rule_id", alert.rule.id.encode()),
        ("cct.severity", alert.rule.severity.encode()),
        ("content-type", b"application/json"),
    ]


class KafkaTopicChannel(Channel):
    """Publishes alerts and returns only when the broker acknowledged every record."""

    kind = "kafka"
    durable = True

    def __init__(self, config: ChannelConfig, kafka: KafkaSettings, topic: str, timeout_s: float = 30.0) -> None:
        super().__init__(config)
        self.kafka = kafka
        self.topic = topic
        self.timeout_s = timeout_s
        self._producer: KafkaProducer | None = None

    @property
    def producer(self) -> KafkaProducer:
        """Created on first use, so a broker that is down at start surfaces as a retried delivery failure
        (a TCP probe first: kafka-python's constructor would block for its whole bootstrap timeout)."""
        if self._producer is None:
            timeout_ms = int(self.timeout_s * 1000)
            probe_brokers(bootstrap_servers(self.kafka))
            self._producer = new_producer(
                self.kafka, acks="all", enable_idempotence=True, linger_ms=5,
                request_timeout_ms=timeout_ms, delivery_timeout_ms=timeout_ms + 1_000, max_block_ms=timeout_ms,
            )
        return self._producer

    def send(self, envelopes: Sequence[Envelope]) -> None:
        try:
            futures = [
                self.producer.send(
                    self.topic, key=env.alert.broadcast_id.encode(), value=env.alert.model_dump_json().encode(),
                    headers=alert_headers(env),
                )
                for env in envelopes
            ]
            self.producer.flush(timeout=self.timeout_s + 2)
            for fut in futures:
                fut.get(timeout=self.timeout_s + 2)
        except (KafkaError, OSError) as exc:
            self._discard_producer()
            raise DeliveryError(f"alerts topic {self.topic}: {exc.__class__.__name__}: {exc}") from exc

    def _discard_producer(self) -> None:
        """Drop a producer after a failure: an idempotent producer that hit a fatal error (e.g. a record the
        broker rejected) refuses every later send, so the retry must start from a fresh one."""
        if self._producer is not None:
            try:
                self._producer.close(timeout=0)
            except KafkaError as exc:
                log.debug("closing the failed alerts producer: %s", exc)
            self._producer = None

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=10)
