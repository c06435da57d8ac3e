"""The data that moves between pipeline stages and the interfaces each stage fills.

poll (Source) → decode/validate (contracts) → per-broadcast state (state) → classify (Classifier)
→ evaluate rules (RuleEngine) → emit (Sink) → commit (Source).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from monitor.alert import Alert
from monitor.contracts import TranscriptChunk


@dataclass(slots=True, frozen=True)
class SourceRecord:
    """One raw record as a source delivered it. `topic`/`partition`/`offset` locate it for commits and the DLQ."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    timestamp_ms: int | None = None

    @property
    def position(self) -> dict[str, Any]:
        """Where the record came from, as plain data for decisions and audit records."""
        return {"topic": self.topic, "partition": self.partition, "offset": self.offset}


@dataclass(slots=True, frozen=True)
class DeadLetter:
    """A record that failed validation, with the reason that goes into the DLQ headers."""

    record: SourceRecord
    reason: str
    detail: str


@dataclass(slots=True)
class WorkItem:
    """A valid, admitted chunk on its way through classify → rules → emit."""

    chunk: TranscriptChunk
    record: SourceRecord
    context: list[TranscriptChunk] = field(default_factory=list)
    received_at: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)
    language: str | None = None
    language_source: str | None = None  # "chunk" (declared), "detected" (its window), "broadcast" (last identified)
    unsupported_language: str | None = None  # set when the classifier does not read `language`: not scored


@dataclass(slots=True, frozen=True)
class ModelInfo:
    """What classified a chunk: stamped into every decision and alert."""

    name: str
    sha256: str
    labels: tuple[str, ...]
    thresholds: dict[str, float] = field(default_factory=dict)
    languages: tuple[str, ...] = ("en",)


@dataclass(slots=True)
class Decision:
    """The outcome for one chunk: its scores, which rules fired and the alerts to deliver."""

    item: WorkItem
    model: ModelInfo | None
    firings: list[dict[str, Any]] = field(default_factory=list)
    alerts: list[Alert] = field(default_factory=list)
    ruleset: dict[str, Any] | None = None
    decided_at: float = 0.0
    #: `to_record()` as one JSON line, rendered once by the pipeline when the decision is final (the sinks reuse it).
    record_json: str | None = None

    def record_line(self) -> str:
        """The decision record as JSON (non-ASCII kept): the pipeline's rendering, else rendered now."""
        if self.record_json is None:
            return json.dumps(self.to_record(), ensure_ascii=False)
        return self.record_json

    def to_record(self) -> dict[str, Any]:
        """The JSON decision record written by the decision sink."""
        chunk = self.item.chunk
        return {
            "type": "decision",
            "chunk_id": chunk.chunk_id,
            "broadcast_id": chunk.broadcast_id,
            "seq": chunk.seq,
            "source": self.item.record.position,
            "start_ms": chunk.start_ms,
            "end_ms": chunk.end_ms,
            "speaker": chunk.speaker_record,
            "text": chunk.text,
            "audience": chunk.audience.model_dump(exclude_none=True) if chunk.audience else None,
            "scores": {k: round(v, 6) for k, v in self.item.scores.items()},
            "model": {"name": self.model.name, "sha256": self.model.sha256} if self.model else None,
            "ruleset": self.ruleset,
            "firings": self.firings,
            "alert_ids": [a.alert_id for a in self.alerts],
            "decided_at": self.decided_at,
            "language": self.item.language,
            "language_source": self.item.language_source,
            "unsupported_language": self.item.unsupported_language,
        }


@runtime_checkable
class Classifier(Protocol):
    """Scores chunks for every label. Must be deterministic for a fixed input."""

    @property
    def info(self) -> ModelInfo: ...

    def score(self, items: Sequence[WorkItem]) -> list[dict[str, float]]:
        """One {label: probability} per item, in order; empty text scores zero for every label."""
        ...


@runtime_checkable
class RuleEngine(Protocol):
    """Evaluates compiled rule sets over classified items."""

    @property
    def info(self) -> dict[str, Any]: ...

    def evaluate(self, items: Sequence[WorkItem], model: ModelInfo | None) -> list[Decision]:
        """One Decision per item, in order."""
        ...


@runtime_checkable
class WindowedRuleEngine(RuleEngine, Protocol):
    """A rule engine whose per-broadcast rule state lives in the pipeline's state owner (monitor.state)."""

    @property
    def uses_labels(self) -> bool: ...

    def use_states(self, states: Any) -> None:
        """Keep rule state in the pipeline's `BroadcastStates` from now on."""
        ...

    def replay(self, items: Sequence[WorkItem]) -> None:
        """Rebuild rule state from already-decided items without deciding anything."""
        ...


@runtime_checkable
class Sink(Protocol):
    """Receives decisions. A durable sink's `flush` returns only when its writes are safe."""

    name: str
    durable: bool

    def write(self, decisions: Sequence[Decision]) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class Source(Protocol):
    """Delivers raw records in batches and commits them once the batch is fully handled."""

    def poll(self, timeout_s: float) -> list[SourceRecord]: ...

    def commit(self, records: Sequence[SourceRecord]) -> None: ...

    def dead_letter(self, letters: Sequence[DeadLetter]) -> None: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def close(self) -> None: ...

    @property
    def exhausted(self) -> bool:
        """True when a finite source has nothing more to deliver."""
        ...
