"""The per-batch processing stages: decode/validate → per-broadcast state → classify → rules.

`Pipeline.process` is pure with respect to I/O: it returns the decisions to emit and the
dead letters to publish; the runner does the emitting and the committing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from monitor.contracts import InvalidChunk, TranscriptChunk, decode_chunk
from monitor.metrics import Metrics
from monitor.settings import PipelineSettings
from monitor.stages import Classifier, DeadLetter, Decision, RuleEngine, SourceRecord, WorkItem
from monitor.state import Admission, BroadcastStates


@dataclass(slots=True)
class BatchResult:
    """What one batch produced."""

    decisions: list[Decision] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """Holds per-broadcast state and the classify/rules stages; processes one batch at a time."""

    def __init__(
        self,
        settings: PipelineSettings,
        metrics: Metrics,
        classifier: Classifier | None = None,
        engine: RuleEngine | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.classifier = classifier
        self.engine = engine
        self.clock = clock
        if classifier is not None:
            metrics.init_classifier_labels(classifier.info.labels)
        self.states = BroadcastStates(
            window_seconds=settings.window_seconds,
            window_max_chunks=settings.window_max_chunks,
            dedupe_seqs=settings.dedupe_seqs,
            max_broadcasts=settings.max_broadcasts,
        )

    def set_engine(self, engine: RuleEngine) -> None:
        """Swap the rule engine; called between batches only, so no chunk sees a half-loaded set."""
        self.engine = engine

    def decode(self, records: Sequence[SourceRecord]) -> tuple[list[tuple[TranscriptChunk, SourceRecord]], list[DeadLetter]]:
        """Validate every record; the invalid ones become dead letters."""
        valid: list[tuple[TranscriptChunk, SourceRecord]] = []
        dead: list[DeadLetter] = []
        limit = self.settings.max_record_bytes
        for record in records:
            try:
                valid.append((decode_chunk(record.value, limit), record))
            except InvalidChunk as exc:
                dead.append(DeadLetter(record, exc.reason, exc.detail))
                self.metrics.dead_lettered.labels(exc.reason).inc()
        return valid, dead

    def admit(self, valid: list[tuple[TranscriptChunk, SourceRecord]], received_at: float) -> tuple[list[WorkItem], dict[str, int]]:
        """Order the batch by (broadcast, seq) and pass it through the per-broadcast state."""
        first_seen: dict[str, int] = {}
        for i, (chunk, _) in enumerate(valid):
            first_seen.setdefault(chunk.broadcast_id, i)
        ordered = sorted(valid, key=lambda cr: (first_seen[cr[0].broadcast_id], cr[0].seq))
        items: list[WorkItem] = []
        skipped: dict[str, int] = {}
        n_context = self.settings.context_chunks
        for chunk, record in ordered:
            verdict = self.states.admit(chunk)
            if verdict in (Admission.DUPLICATE, Admission.NON_FINAL):
                skipped[verdict.value] = skipped.get(verdict.value, 0) + 1
                self.metrics.skipped.labels(verdict.value).inc()
                continue
            if verdict is Admission.LATE:
                self.metrics.late_chunks.inc()
            items.append(WorkItem(chunk, record, self.states.context(chunk, n_context), received_at))
        self.metrics.broadcasts_active.set(len(self.states))
        return items, skipped

    def process(self, records: Sequence[SourceRecord]) -> BatchResult:
        """Run one polled batch through every stage up to (not including) emit."""
        m = self.metrics
        received_at = self.clock()
        t0 = time.perf_counter()
        valid, dead = self.decode(records)
        t1 = time.perf_counter()
        items, skipped = self.admit(valid, received_at)
        t2 = time.perf_counter()
        model = self.classifier.info if self.classifier else None
        if self.classifier and items:
            batch_scores = self.classifier.score(items)
            for item, scores in zip(items, batch_scores, strict=True):
                item.scores = scores
            m.observe_scores(batch_scores)
        t3 = time.perf_counter()
        if self.engine is not None:
            decisions = self.engine.evaluate(items, model)
        else:
            decisions = [Decision(item, model) for item in items]
        t4 = time.perf_counter()
        now = self.clock()
        for decision in decisions:
            decision.decided_at = now
            ts = decision.item.chunk.ts
            if ts is not None:
                m.decision_latency.observe(max(0.0, now - ts.timestamp()))
        m.stage_seconds.labels("decode").observe(t1 - t0)
        m.stage_seconds.labels("state").observe(t2 - t1)
        m.stage_seconds.labels("classify").observe(t3 - t2)
        m.stage_seconds.labels("rules").observe(t4 - t3)
        return BatchResult(decisions, dead, skipped)
