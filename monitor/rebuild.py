"""The assign/revoke hooks of the per-broadcast state owner (`Pipeline.states`).

On revocation the broadcasts last seen on the revoked partitions are forgotten whole (window, seen
seqs, rule windows and open alerts), so a process keeps no state for broadcasts it no longer owns.

On assignment the new owner of a partition has no memory of its broadcasts: no context for the
classifier, no recently-seen seqs, no rule windows. For each newly assigned partition this re-reads
the records of the last `window_seconds` (located with `offsets_for_times`) up to the group's
committed offset — the chunks the previous owner already decided — and replays them into the state
owner (`Pipeline.replay`): admitted to the windows, and run quietly through the rules' windows and
cooldowns, so a windowed rule does not start empty and an alert the previous owner opened keeps
folding repeats instead of a second one being opened. Nothing is decided, emitted or counted;
processing then resumes at the committed offset as usual (at-least-once). Rule windows and cooldowns
longer than `pipeline.window_seconds` are rebuilt only as far as that horizon.

The re-read uses its own consumer that is assigned partitions directly: it never joins the group
and never commits. A stop (SIGTERM) during a rebuild abandons it: the process is leaving, and the next
owner of those partitions rebuilds their state itself.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError

from monitor.kafka_client import new_consumer
from monitor.pipeline import Pipeline
from monitor.settings import KafkaSettings
from monitor.stages import SourceRecord

log = logging.getLogger(__name__)


class WindowRebuilder:
    """`on_assignment` callback for KafkaSource: forgets revoked partitions' broadcasts and, with `rebuild`,
    restores the state of newly assigned partitions' broadcasts."""

    def __init__(
        self, settings: KafkaSettings, pipeline: Pipeline, timeout_s: float = 30.0,
        clock: Callable[[], float] = time.time, rebuild: bool = True, stop: Callable[[], bool] = lambda: False,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.timeout_s = timeout_s
        self.clock = clock
        self.rebuild_on_assignment = rebuild
        self.stop = stop
        self.rebuilt_records = 0

    def on_assignment(self, partitions: set[TopicPartition], assigned: bool) -> None:
        if not partitions:
            return
        if not assigned:
            gone = self.pipeline.states.forget_partitions((tp.topic, tp.partition) for tp in partitions)
            if gone:
                log.info("forgot the state of %d broadcasts of revoked partitions", len(gone))
            return
        if self.rebuild_on_assignment:
            try:
                self.rebuild(partitions)
            except KafkaError as exc:
                log.warning("window rebuild failed (%s); context for those broadcasts builds up from new chunks", exc)

    def _ranges(self, consumer: KafkaConsumer, partitions: set[TopicPartition]) -> dict[TopicPartition, tuple[int, int]]:
        """[start, end) per partition: from the first record of the window to the group's committed offset."""
        since_ms = int((self.clock() - self.pipeline.settings.window_seconds) * 1000)
        found = consumer.offsets_for_times({tp: since_ms for tp in partitions})
        ranges = {}
        for tp in partitions:
            committed = consumer.committed(tp)
            start = found.get(tp)
            if committed is None or start is None or start.offset >= committed:
                continue
            ranges[tp] = (start.offset, committed)
        return ranges

    def rebuild(self, partitions: set[TopicPartition]) -> int:
        """Read back and replay the window of `partitions` into the state owner; returns the number of records read."""
        started = time.monotonic()
        consumer = new_consumer(
            self.settings, group_id=self.settings.group_id, enable_auto_commit=False,
            max_poll_records=self.settings.max_poll_records,
        )
        try:
            ranges = self._ranges(consumer, partitions)
            if not ranges:
                return 0
            consumer.assign(list(ranges))
            for tp, (start, _) in ranges.items():
                consumer.seek(tp, start)
            records = self._read(consumer, ranges)
        finally:
            consumer.close(autocommit=False)
        if self.stop():
            log.info("stopping: the window rebuild of %d records is abandoned (the next owner rebuilds it)", len(records))
            return 0
        admitted = self.pipeline.replay(records, self.stop)
        self.rebuilt_records += len(records)
        log.info(
            "rebuilt the state of %d chunks from %d records of %s in %.2fs",
            admitted, len(records), sorted(f"{tp.topic}[{tp.partition}]" for tp in ranges),
            time.monotonic() - started,
        )
        return len(records)

    def _read(self, consumer: KafkaConsumer, ranges: dict[TopicPartition, tuple[int, int]]) -> list[SourceRecord]:
        out: list[SourceRecord] = []
        pending = dict(ranges)
        deadline = time.monotonic() + self.timeout_s
        while pending and time.monotonic() < deadline and not self.stop():
            for tp, recs in consumer.poll(timeout_ms=500).items():
                if tp not in pending:
                    continue
                end = pending[tp][1]
                out.extend(
                    SourceRecord(r.topic, r.partition, r.offset, r.key, r.value, r.timestamp) for r in recs if r.offset < end
                )
                if recs and recs[-1].offset >= end - 1:
                    del pending[tp]
                    consumer.pause(tp)
        if pending and not self.stop():
            log.warning("window rebuild timed out after %.0fs; partial context for %s", self.timeout_s, sorted(map(str, pending)))
        return out
