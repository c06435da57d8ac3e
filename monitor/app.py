"""Wires settings into a running monitor: source, pipeline stages, sinks, metrics and lifecycle."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field

from monitor.metrics import Metrics
from monitor.pipeline import Pipeline
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

    return classifier_from_settings(settings.classifier)


def build_engine(settings: Settings, metrics: Metrics) -> RuleEngine | None:
    """The rules stage, or None when no rule paths are configured."""
    if not settings.rules.paths:
        return None
    from monitor.rules_engine.stage import engine_from_settings

    return engine_from_settings(settings.rules, metrics)


def build_sinks(settings: Settings, metrics: Metrics) -> list[Sink]:
    """Decision output plus the configured alert channels."""
    sinks: list[Sink] = []
    if settings.output.decisions_path:
        sinks.append(DecisionSink(settings.output.decisions_path, settings.output.format))
    return sinks


def build_monitor(
    settings: Settings, source_kind: str, input_path: str | None = None, follow: bool = False,
    metrics: Metrics | None = None, stop_event: threading.Event | None = None,
) -> Monitor:
    """Build every stage from settings; nothing runs until `monitor.runner.run()`."""
    metrics = metrics or Metrics()
    classifier = build_classifier(settings)
    engine = build_engine(settings, metrics)
    pipeline = Pipeline(settings.pipeline, metrics, classifier, engine)
    sinks = build_sinks(settings, metrics)
    stop_event = stop_event or threading.Event()
    source: Source
    if source_kind == "kafka":
        source = KafkaSource(settings.kafka, stop=stop_event.is_set)
    else:
        source = FileSource(input_path or "-", follow=follow, batch_size=settings.kafka.max_poll_records)
    runner = Runner(
        source, pipeline, sinks, metrics, poll_timeout_s=settings.kafka.poll_timeout_ms / 1000, stop_event=stop_event
    )
    return Monitor(settings, metrics, pipeline, runner, sinks)
