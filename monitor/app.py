"""Wires settings into a running monitor: source, pipeline stages, sinks, metrics and lifecycle."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from monitor.audit.sink import AuditSink, audit_sink_from_settings
from monitor.health import Health
from monitor.memtrim import HeapTrimmer
from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
from monitor.rebuild import WindowRebuilder
from monitor.runner import Runner
from monitor.settings import Settings
from monitor.sinks.decisions import DecisionSink
from monitor.sources.file import FileSource
from monitor.sources.kafka import KafkaSource
from monitor.stages import Classifier, RuleEngine, Sink, Source

log = logging.getLogger(__name__)


@dataclass
class Monitor:
    """A fully wired monitor process."""

    settings: Settings
    metrics: Metrics
    pipeline: Pipeline
    runner: Runner
    sinks: list[Sink] = field(default_factory=list)


def build_classifier(settings: Settings) -> Classifier | None:
    """The classify stage, or None when disabled."""
    if not settings.classifier.enabled:
        return None
    from monitor.classify.stage import classifier_from_settings
    from monitor.multilingual.routing import with_multilingual

    return with_multilingual(classifier_from_settings(settings.classifier), settings.classifier)


def build_engine(settings: Settings, metrics: Metrics, classifier: Classifier | None = None) -> RuleEngine | None:
    """The rules stage, or None when no rule paths are configured."""
    if not settings.rules.paths:
        return None
    from monitor.rules_engine.stage import engine_from_settings

    return engine_from_settings(settings.rules, metrics, classifier)


def build_sinks(settings: Settings, metrics: Metrics, source_kind: str = "file") -> list[Sink]:
    """Decision output plus the configured alert channels."""
    from monitor.channels import channels_from_settings
    from monitor.sinks.alerts import AlertSink

    sinks: list[Sink] = []
    if settings.output.decisions_path:
        sinks.append(DecisionSink(settings.output.decisions_path, settings.output.format))
    if settings.audit.path:
        sinks.append(audit_sink_from_settings(settings.audit, settings.rules.paths))
    channels = channels_from_settings(settings, source_kind)
    if channels:
        sinks.append(AlertSink(channels, metrics, settings.alerts.drain_timeout_s))
    return sinks


def build_monitor(
    settings: Settings, source_kind: str, input_path: str | None = None, follow: bool = False,
    metrics: Metrics | None = None, stop_event: threading.Event | None = None, health: Health | None = None,
) -> Monitor:
    """Build every stage from settings; nothing runs until `monitor.runner.run()`."""
    metrics = metrics or Metrics()
    health = health or Health(window_s=settings.kafka.max_poll_interval_ms / 1000)
    classifier = build_classifier(settings)
    if classifier is not None:
        from monitor.classify.stage import export_model_info

        export_model_info(classifier, metrics.registry)
    health.loaded("model", f"{classifier.info.name} sha256={classifier.info.sha256[:12]}" if classifier else "disabled")
    engine = build_engine(settings, metrics, classifier)
    health.loaded("rules", ", ".join(f"{s['id']} {s['version']}" for s in engine.info.get("sets", []))
                  if engine is not None else "none configured")
    pipeline = Pipeline(settings.pipeline, metrics, classifier, engine)
    sinks = build_sinks(settings, metrics, source_kind)
    for sink in sinks:
        if isinstance(sink, AuditSink):
            sink.record_components(classifier.info if classifier else None, engine.info if engine else None)
    stop_event = stop_event or threading.Event()
    source: Source
    if source_kind == "kafka":
        rebuilder = WindowRebuilder(settings.kafka, pipeline, rebuild=settings.pipeline.rebuild_on_assignment,
                                    stop=stop_event.is_set)
        source = KafkaSource(
            settings.kafka, on_assignment=rebuilder.on_assignment, stop=stop_event.is_set,
            stats=metrics.kafka,
        )
        health.partitions = metrics.kafka.assigned_partitions
        health.source_connected(f"kafka topic {settings.kafka.input_topic} as group {settings.kafka.group_id}")
    else:
        source = FileSource(input_path or "-", follow=follow, batch_size=settings.kafka.max_poll_records)
        health.source_connected(f"file {input_path or '-'}")
    runner = Runner(
        source, pipeline, sinks, metrics, poll_timeout_s=settings.kafka.poll_timeout_ms / 1000, stop_event=stop_event,
        health=health,
    )
    if settings.pipeline.heap_trim_interval_s > 0:
        runner.between_batches.append(HeapTrimmer(settings.pipeline.heap_trim_interval_s))
    if engine is not None:
        from monitor.rules_engine.reload import RuleReloader

        reloader = RuleReloader(settings.rules, pipeline, metrics)
        reloader.install_sighup()
        runner.between_batches.append(reloader)
    return Monitor(settings, metrics, pipeline, runner, sinks)
