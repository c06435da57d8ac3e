"""The live feed: the decision log is tailed in the background and every change is pushed to open pages
as a Server-Sent Event (`event: queue`); console.js then re-fetches the queue fragment with htmx."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable

log = logging.getLogger(__name__)
KEEPALIVE_S = 15.0


class Feed:
    """A version counter that wakes every waiting stream when it moves."""

    def __init__(self) -> None:
        self.version = 0
        self._changed = asyncio.Event()
        self.closed = False

    def publish(self) -> None:
        self.version += 1
        self._changed.set()
        self._changed = asyncio.Event()

    def close(self) -> None:
        self.closed = True
        self._changed.set()

    async def wait(self, seen: int, timeout_s: float) -> int:
        """The version once it differs from `seen`, or `seen` after `timeout_s`."""
        if self.version == seen and not self.closed:
            try:
                await asyncio.wait_for(self._changed.wait(), timeout_s)
            except TimeoutError:
                pass
        return self.version

    async def stream(self, summary: Callable[[], dict[str, object]]) -> AsyncIterator[str]:
        """The event stream for one page: a first event at once, then one per change, keepalives between."""
        seen = self.version
        yield f"retry: 3000\nevent: queue\ndata: {json.dumps(summary())}\n\n"
        while not self.closed:
            version = await self.wait(seen, KEEPALIVE_S)
            if self.closed:
                break
            if version == seen:
                yield ": keepalive\n\n"
                continue
            seen = version
            yield f"event: queue\ndata: {json.dumps(summary())}\n\n"


async def tail(refresh: Callable[[], bool], feed: Feed, interval_s: float) -> None:
    """Refresh the stores every `interval_s`; publish when something changed. Runs until cancelled."""
    last_error = None
    while True:
        try:
            if refresh():
                feed.publish()
            last_error = None
        except Exception as exc:  # a damaged log line must not stop the console; verify will name it
            if str(exc) != last_error:
                log.error("refreshing the decision log failed (retrying): %s", exc)
            last_error = str(exc)
        await asyncio.sleep(interval_s)
