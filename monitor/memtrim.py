"""Keep the heap small: give freed memory back to the OS between batches (glibc `malloc_trim`) and cap
the number of malloc arenas (glibc `mallopt(M_ARENA_MAX)`).

Encoder batches allocate differently sized tensors every time (chunk lengths vary); glibc keeps the
freed blocks in its arenas, so a long-running monitor's RSS creeps up although nothing is leaked.
Trimming every few seconds keeps RSS flat for the cost of a few milliseconds. glibc also gives each thread
that allocates concurrently its own arena (up to 8 per core), each holding its own free blocks; the
monitor's threads (Kafka I/O, inference, tokenizer pool, metrics) need few. Where the C library is not
glibc, both do nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


_M_ARENA_MAX = -8  # glibc malloc.h


def _libc(symbol: str) -> Callable[..., int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return getattr(ctypes.CDLL(name), symbol)
    except (OSError, AttributeError):
        return None


def _malloc_trim() -> Callable[[int], int] | None:
    return _libc("malloc_trim")


def limit_malloc_arenas(arenas: int) -> bool:
    """Cap glibc's malloc arenas for threads started from now on (0 leaves glibc's default); True if applied.
    Call it before the process starts its threads."""
    mallopt = _libc("mallopt") if arenas > 0 else None
    if mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


class HeapTrimmer:
    """A `between_batches` hook that calls `malloc_trim(0)` at most once per `interval_s`."""

    def __init__(self, interval_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.clock = clock
        self._trim = _malloc_trim()
        self._last = clock()
        self.trims = 0
        if self._trim is None:
            log.debug("malloc_trim is not available; heap trimming is off")

    @property
    def available(self) -> bool:
        return self._trim is not None

    def __call__(self) -> None:
        now = self.clock()
        if self._trim is None or now - self._last < self.interval_s:
            return
        self._last = now
        self._trim(0)
        self.trims += 1
