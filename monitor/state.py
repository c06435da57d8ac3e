"""The one owner of per-broadcast state: ordering by seq, duplicate and non-final filtering, a bounded
rolling window, the rule engine's windows and open alerts, and the partition each broadcast arrives on.

Memory is bounded three ways: a window keeps at most `window_seconds` of speech and at most
`window_max_chunks` chunks; each broadcast remembers at most `dedupe_seqs` recent seqs; at most
`max_broadcasts` broadcasts are kept, the least recently active being evicted first, with their rule
state. A revoked partition's broadcasts are forgotten whole (`forget_partitions`); a newly assigned
partition's are rebuilt by `monitor.rebuild`, rule state included.
"""

from __future__ import annotations

import bisect
import enum
from collections import OrderedDict, deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from monitor.contracts import TranscriptChunk, speech_time_ms


class Admission(enum.Enum):
    """What the state decided about a chunk."""

    ACCEPTED = "accepted"
    LATE = "late"
    DUPLICATE = "duplicate"
    NON_FINAL = "non_final"


@dataclass(slots=True)
class BroadcastWindow:
    """The recent speech of one broadcast, ordered by seq."""

    chunks: deque[TranscriptChunk] = field(default_factory=deque)
    seen: set[int] = field(default_factory=set)
    seen_order: deque[int] = field(default_factory=deque)
    max_seq: int = -1
    partition: tuple[str, int] | None = None
    rules: dict[tuple[str, str], Any] = field(default_factory=dict)  # (rule id, rule sha256) -> the engine's state

    def remember(self, seq: int, limit: int) -> None:
        self.seen.add(seq)
        self.seen_order.append(seq)
        while len(self.seen_order) > limit:
            self.seen.discard(self.seen_order.popleft())

    def insert(self, chunk: TranscriptChunk) -> None:
        if not self.chunks or chunk.seq > self.chunks[-1].seq:
            self.chunks.append(chunk)
            return
        seqs = [c.seq for c in self.chunks]
        self.chunks.insert(bisect.bisect_left(seqs, chunk.seq), chunk)

    def trim(self, window_ms: float, max_chunks: int) -> None:
        while len(self.chunks) > max_chunks:
            self.chunks.popleft()
        newest = speech_time_ms(self.chunks[-1]) if self.chunks else None
        if newest is None:
            return
        while self.chunks:
            oldest = speech_time_ms(self.chunks[0])
            if oldest is None or newest - oldest <= window_ms:
                break
            self.chunks.popleft()


class BroadcastStates:
    """All broadcasts this process currently sees."""

    def __init__(
        self, window_seconds: float = 600.0, window_max_chunks: int = 256, dedupe_seqs: int = 4096,
        max_broadcasts: int = 10_000,
    ) -> None:
        self.window_ms = window_seconds * 1000.0
        self.window_max_chunks = window_max_chunks
        self.dedupe_seqs = dedupe_seqs
        self.max_broadcasts = max_broadcasts
        self._states: OrderedDict[str, BroadcastWindow] = OrderedDict()
        self.evicted = 0

    def __len__(self) -> int:
        return len(self._states)

    def _state(self, broadcast_id: str) -> BroadcastWindow:
        state = self._states.get(broadcast_id)
        if state is None:
            state = self._states[broadcast_id] = BroadcastWindow()
            while len(self._states) > self.max_broadcasts:
                self._states.popitem(last=False)
                self.evicted += 1
        else:
            self._states.move_to_end(broadcast_id)
        return state

    def admit(self, chunk: TranscriptChunk, partition: tuple[str, int] | None = None) -> Admission:
        """Record a chunk (read from `partition`, a (topic, partition) pair, when it came from Kafka).
        Non-final hypotheses and already-seen seqs are not added to the window."""
        if not chunk.is_final:
            return Admission.NON_FINAL
        state = self._state(chunk.broadcast_id)
        if partition is not None:
            state.partition = partition
        if chunk.seq in state.seen:
            return Admission.DUPLICATE
        state.remember(chunk.seq, self.dedupe_seqs)
        late = chunk.seq < state.max_seq
        state.max_seq = max(state.max_seq, chunk.seq)
        state.insert(chunk)
        state.trim(self.window_ms, self.window_max_chunks)
        return Admission.LATE if late else Admission.ACCEPTED

    def context(self, chunk: TranscriptChunk, n: int) -> list[TranscriptChunk]:
        """Up to `n` chunks of the same broadcast that precede `chunk` in the window, oldest first."""
        if n <= 0:
            return []
        state = self._states.get(chunk.broadcast_id)
        if state is None:
            return []
        before: list[TranscriptChunk] = []
        for c in reversed(state.chunks):
            if c.seq < chunk.seq:
                before.append(c)
                if len(before) == n:
                    break
        return before[::-1]

    def window(self, broadcast_id: str) -> list[TranscriptChunk]:
        """The current window of a broadcast, ordered by seq."""
        state = self._states.get(broadcast_id)
        return list(state.chunks) if state else []

    def rule_states(self, broadcast_id: str) -> dict[tuple[str, str], Any]:
        """The rule engine's state of a broadcast, keyed by (rule id, rule sha256); counts as activity."""
        return self._state(broadcast_id).rules

    def keep_rules(self, keys: set[tuple[str, str]]) -> None:
        """Drop the rule state of every rule not in `keys` (a reloaded set changed or removed it)."""
        for state in self._states.values():
            for key in [k for k in state.rules if k not in keys]:
                del state.rules[key]

    def clear_rules(self) -> None:
        """Forget every rule window and open alert, keeping the chunk windows."""
        for state in self._states.values():
            state.rules.clear()

    def forget(self, broadcast_ids: Iterable[str]) -> None:
        """Drop everything known about these broadcasts: window, seen seqs and rule state."""
        for bid in broadcast_ids:
            self._states.pop(bid, None)

    def forget_partitions(self, partitions: Iterable[tuple[str, int]]) -> list[str]:
        """Forget the broadcasts last seen on these (topic, partition)s (revoked from this process); their ids."""
        gone = set(partitions)
        ids = [bid for bid, state in self._states.items() if state.partition in gone]
        self.forget(ids)
        return ids

