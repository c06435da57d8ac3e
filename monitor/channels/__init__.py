"""Alert channels: Kafka topic and JSONL (durable), webhook, Alertmanager and console (best-effort)."""

from __future__ import annotations

from monitor.channels.base import Channel, ChannelConfig
from monitor.settings import AlertChannelSettings, Settings


def default_channels(settings: Settings, source_kind: str) -> list[AlertChannelSettings]:
    """The Kafka alerts topic when consuming from Kafka, plus the console."""
    channels = [AlertChannelSettings(type="console")]
    if source_kind == "kafka":
        channels.insert(0, AlertChannelSettings(type="kafka"))
    return channels


def build_channel(spec: AlertChannelSettings, settings: Settings, source_kind: str = "kafka") -> Channel:
    """One channel from its settings; raises ValueError when a required field is missing. A file source is a
    replay: the console then reports latency relative to the replay."""
    config = ChannelConfig(
        name=spec.channel_name, min_severity=spec.min_severity, rules=list(spec.rules),
        categories=list(spec.categories), queue_size=spec.queue_size, retry_base_s=spec.retry_base_s,
        retry_max_s=spec.retry_max_s, breaker_failures=spec.breaker_failures, breaker_reset_s=spec.breaker_reset_s,
    )
    if spec.type == "kafka":
        from monitor.channels.kafka_topic import KafkaTopicChannel

        return KafkaTopicChannel(config, settings.kafka, spec.topic or settings.kafka.alerts_topic, max(spec.timeout_s, 10.0))
    if spec.type == "jsonl":
        from monitor.channels.jsonl import JsonlChannel

        if not spec.path:
            raise ValueError(f"alert channel {config.name}: 'path' is required for a jsonl channel")
        return JsonlChannel(config, spec.path)
    if spec.type == "console":
        from monitor.channels.console import ConsoleChannel

        return ConsoleChannel(config, replay=source_kind == "file")
    if not spec.url:
        raise ValueError(f"alert channel {config.name}: 'url' is required for a {spec.type} channel")
    link = spec.link or settings.console.alert_link()  # the reviewer console's alert page when it has a URL
    if spec.type == "webhook":
        from monitor.channels.webhook import WebhookChannel

        secret = spec.secret.get_secret_value() if spec.secret else None
        if secret is None and spec.secret_file is not None:
            secret = spec.secret_file.read_text(encoding="utf-8").strip()
        return WebhookChannel(config, spec.url, secret, spec.slack, link, spec.timeout_s)
    from monitor.channels.alertmanager import AlertmanagerChannel

    return AlertmanagerChannel(config, spec.url, settings.alerts.cooldown_s, spec.timeout_s, link)


def channels_from_settings(settings: Settings, source_kind: str) -> list[Channel]:
    """Every configured channel (or the defaults); channel names must be unique."""
    specs = settings.alerts.channels if settings.alerts.channels is not None else default_channels(settings, source_kind)
    names = [s.channel_name for s in specs]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"alert channel names must be unique; repeated: {', '.join(dupes)} (set 'name')")
    return [build_channel(spec, settings, source_kind) for spec in specs]
