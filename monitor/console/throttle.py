"""Login rate limiting: failed attempts per user name and per client address in a sliding window."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class LoginThrottle:
    """After `max_failures` failures within `window_s` for a key, that key is refused until the oldest expires."""

    def __init__(self, max_failures: int = 5, window_s: float = 300.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds until any of `keys` may try again (0 when none is locked out)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in keys:
                hits = self._trim(key, now)
                if not hits:
                    self._failures.pop(key, None)  # keep the table small: forget keys with nothing in the window
                elif len(hits) >= self.max_failures:
                    wait = max(wait, hits[0] + self.window_s - now)
        return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                self._trim(key, now).append(now)

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def _trim(self, key: str, now: float) -> deque[float]:
        hits = self._failures.setdefault(key, deque())
        while hits and hits[0] <= now - self.window_s:
            hits.popleft()
        return hits
