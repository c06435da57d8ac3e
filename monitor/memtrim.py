"""Give freed heap memory back to the operating system between batches (glibc `malloc_trim`).

Encoder batches allocate differently sized tensors every time (chunk lengths vary); glibc keeps the
freed blocks in its arenas, so a long-running monitor's RSS creeps up although nothing is leaked.
Trimming every few seconds keeps RSS flat for the cost of a few milliseconds. Where the C library
has no `malloc_trim` (not glibc), the trimmer does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import time
from collections.abc import Callable

log = logging.getLogger(__name__)


def _malloc_trim() -> Callable[[int], int] | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None


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
