"""The per-batch processing stages: decode/validate → per-broadcast state → classify → rules.

`Pipeline.process` is pure with respect to I/O: it returns the decisions to emit and the
dead letters to publish; the runner does the emitting and the committing.

No record stops the batch: a record that fails to decode is a dead letter with its reason, and one
that makes a later stage (classifier, rules, rendering the decision record) raise is isolated: the
stage is retried for that record alone, and if it still raises the record becomes a dead letter
with reason `processing_error` and the exception class, while the rest of the batch carries on.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from monitor.contracts import InvalidChunk, TranscriptChunk, decode_chunk
from monitor.language import LanguageRouter
from monitor.metrics import Metrics
from monitor.settings import PipelineSettings
from monitor.stages import Classifier, DeadLetter, Decision, ModelInfo, RuleEngine, SourceRecord, WindowedRuleEngine, WorkItem
from monitor.state import Admission, BroadcastStates

log = logging.getLogger(__name__)
T = TypeVar("T")
REPLAY_BLOCK = 512  # replayed chunks scored per classifier call, so a stop is seen between two


@dataclass(slots=True)
class BatchResult:
    """What one batch produced."""

    decisions: list[Decision] = field(default_factory=list)
    dead_letters: list[DeadLetter] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)


class Pipeline:
    """Holds the per-broadcast state owner and the classify/rules stages; processes one batch at a time.

    `states` owns all per-broadcast state, the rule engine's included (handed to it by `set_engine`).
    """

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
        self.languages = LanguageRouter(classifier.info.languages if classifier is not None else None,
                                        metrics.unsupported_language, max_broadcasts=settings.max_broadcasts)
        if engine is not None:
            self.set_engine(engine)

    def set_engine(self, engine: RuleEngine) -> None:
        """Swap the rule engine; called between batches only, so no chunk sees a half-loaded set. The engine keeps
        its rule state in this pipeline's owner from then on."""
        if isinstance(engine, WindowedRuleEngine):
            engine.use_states(self.states)
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
                dead.append(self._dead_letter(record, exc.reason, exc.detail))
            except Exception as exc:  # a decoder bug must cost one record, never the consumer
                dead.append(self._dead_letter(record, "decode_error", f"{exc.__class__.__name__}: {exc}"[:500]))
        return valid, dead

    def _dead_letter(self, record: SourceRecord, reason: str, detail: str) -> DeadLetter:
        self.metrics.dead_lettered.labels(reason).inc()
        return DeadLetter(record, reason, detail)

    def _isolate(self, stage: str, item: WorkItem, exc: Exception, dead: list[DeadLetter]) -> None:
        """Dead-letter one record that a stage failed on twice, alone."""
        rec = item.record
        log.error("%s failed on %s (%s[%d]@%d) twice, alone; dead-lettered as processing_error: %s: %s",
                  stage, item.chunk.chunk_id, rec.topic, rec.partition, rec.offset, exc.__class__.__name__, exc)
        self.metrics.processing_errors.labels(stage, exc.__class__.__name__).inc()
        dead.append(self._dead_letter(rec, "processing_error", f"{stage}: {exc.__class__.__name__}: {exc}"[:500]))

    def _per_item(self, stage: str, items: list[WorkItem], run: Callable[[list[WorkItem]], list[T]],
                  dead: list[DeadLetter]) -> tuple[list[WorkItem], list[T]]:
        """`run(items)`; if it raises, run each item alone (twice at most) and drop the ones that still fail."""
        try:
            return items, run(items)
        except Exception as exc:
            log.warning("%s failed on a batch of %d (%s: %s); retrying each record alone",
                        stage, len(items), exc.__class__.__name__, exc)
        kept: list[WorkItem] = []
        out: list[T] = []
        for item in items:
            for attempt in (1, 2):
                try:
                    (result,) = run([item])
                except Exception as exc:
                    if attempt == 2:
                        self._isolate(stage, item, exc, dead)
                    continue
                kept.append(item)
                out.append(result)
                break
        return kept, out

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
            verdict = self.states.admit(chunk, (record.topic, record.partition))
            if verdict in (Admission.DUPLICATE, Admission.NON_FINAL):
                skipped[verdict.value] = skipped.get(verdict.value, 0) + 1
                self.metrics.skipped.labels(verdict.value).inc()
                continue
            if verdict is Admission.LATE:
                self.metrics.late_chunks.inc()
            items.append(WorkItem(chunk, record, self.states.context(chunk, n_context), received_at))
        self.metrics.broadcasts_active.set(len(self.states))
        return items, skipped

    def replay(self, records: Sequence[SourceRecord], stop: Callable[[], bool] = lambda: False) -> int:
        """Rebuild the state of the broadcasts in `records`, which a previous owner already decided: forget them,
        admit the records again and run them quietly through the rules' windows and cooldowns (classifying
        them first when a rule reads labels, in blocks; `stop()` true between two blocks leaves the rule windows
        unreplayed). Nothing is decided, emitted or counted. Returns the chunks admitted."""
        valid: list[tuple[TranscriptChunk, SourceRecord]] = []
        for record in records:
            try:
                valid.append((decode_chunk(record.value, self.settings.max_record_bytes), record))
            except Exception:
                continue  # the previous owner dead-lettered it
        self.states.forget({chunk.broadcast_id for chunk, _ in valid})
        items: list[WorkItem] = []
        for chunk, record in sorted(valid, key=lambda cr: (cr[0].broadcast_id, cr[0].seq)):
            if self.states.admit(chunk, (record.topic, record.partition)) in (Admission.DUPLICATE, Admission.NON_FINAL):
                continue
            received_at = (record.timestamp_ms or 0) / 1000.0
            items.append(WorkItem(chunk, record, self.states.context(chunk, self.settings.context_chunks), received_at))
        self.metrics.broadcasts_active.set(len(self.states))
        engine = self.engine
        if not isinstance(engine, WindowedRuleEngine) or not items:
            return len(items)
        if self.classifier is not None and engine.uses_labels:
            scored: list[WorkItem] = []
            for start in range(0, len(items), REPLAY_BLOCK):
                if stop():
                    log.info("stopping: %d of %d replayed chunks scored; their rule windows are not rebuilt",
                             len(scored), len(items))
                    return len(items)
                scored += self._replay_scores(items[start:start + REPLAY_BLOCK], self.classifier)
            items = scored
        try:
            engine.replay(items)
        except Exception as exc:  # losing rebuilt rule state must not stop the consumer
            log.warning("replaying %d chunks through the rules failed (%s: %s); their rule windows start empty",
                        len(items), exc.__class__.__name__, exc)
            for bid in {item.chunk.broadcast_id for item in items}:
                self.states.rule_states(bid).clear()
        return len(items)

    @staticmethod
    def _replay_scores(items: list[WorkItem], classifier: Classifier) -> list[WorkItem]:
        """Score replayed items; one the classifier fails on alone is left out (it was dead-lettered before)."""
        try:
            batches = [(items, classifier.score(items))]
        except Exception:
            batches = []
            for item in items:
                try:
                    batches.append(([item], classifier.score([item])))
                except Exception:
                    continue
        kept = []
        for batch, scores in batches:
            for item, s in zip(batch, scores, strict=True):
                item.scores = s
                kept.append(item)
        return kept

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
        classifier, engine = self.classifier, self.engine
        self.languages.route(items)
        readable = [item for item in items if item.unsupported_language is None]
        if classifier is not None and readable:
            scored, batch_scores = self._per_item("classify", readable, classifier.score, dead)
            for item, scores in zip(scored, batch_scores, strict=True):
                item.scores = scores
            m.observe_scores(batch_scores)
            kept = {id(item) for item in scored}
            items = [item for item in items if item.unsupported_language is not None or id(item) in kept]
        t3 = time.perf_counter()
        if engine is not None and items:
            items, decisions = self._per_item("rules", items, lambda batch: self._evaluate(engine, batch, model), dead)
        else:
            decisions = [Decision(item, self._model_for(item, model)) for item in items]
        now = self.clock()
        for decision in decisions:
            decision.decided_at = now
        decisions = self._renderable(decisions, dead)
        t4 = time.perf_counter()
        for decision in decisions:
            ts = decision.item.chunk.ts
            if ts is not None:
                m.decision_latency.observe(max(0.0, now - ts.timestamp()))
        m.stage_seconds.labels("decode").observe(t1 - t0)
        m.stage_seconds.labels("state").observe(t2 - t1)
        m.stage_seconds.labels("classify").observe(t3 - t2)
        m.stage_seconds.labels("rules").observe(t4 - t3)
        return BatchResult(decisions, dead, skipped)

    def _model_for(self, item: WorkItem, model: ModelInfo | None) -> ModelInfo | None:
        """The model that scored `item`: a routing classifier's per-language one (`model_for`), else `model`."""
        model_for = getattr(self.classifier, "model_for", None)
        return model_for(item) if model_for is not None else model

    def _evaluate(self, engine: RuleEngine, items: list[WorkItem], model: ModelInfo | None) -> list[Decision]:
        """`engine.evaluate` over consecutive runs of items scored by the same model, in order."""
        decisions: list[Decision] = []
        start = 0
        for end in range(1, len(items) + 1):
            if end == len(items) or self._model_for(items[end], model) is not self._model_for(items[start], model):
                decisions += engine.evaluate(items[start:end], self._model_for(items[start], model))
                start = end
        return decisions

    def _renderable(self, decisions: list[Decision], dead: list[DeadLetter]) -> list[Decision]:
        """Render each final decision's record once (`Decision.record_json`, which the decision sink writes); drop
        (and dead-letter) a decision whose record cannot be rendered as UTF-8 JSON."""
        kept = []
        for decision in decisions:
            try:
                line = json.dumps(decision.to_record(), ensure_ascii=False)
                line.encode("utf-8")
                decision.record_json = line
            except Exception as exc:
                self._isolate("render", decision.item, exc, dead)
                continue
            kept.append(decision)
        return kept
