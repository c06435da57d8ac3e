"""The one retry/backoff policy, on tenacity, for every wait on something that is down: the checkpoint's
commit sequence (`monitor.checkpoint`), alert channels (`monitor.channels.base`) and Kafka connections
(`monitor.kafka_client`, the source's wait for its topic).

Delays grow from `base_s`, doubling per retry, up to `cap_s`. With jitter (the default) each delay is a
uniform draw in [d/2, d] — replicas retrying the same outage spread out, yet none retries much sooner
than planned; without it (Kafka connects, where the cap is what bounds resuming after an outage) it is d.
Retries never stop by count: the caller's `sleep` ends a wait early by raising (a stop request).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tenacity import RetryCallState, Retrying, retry_if_exception, retry_if_result
from tenacity.wait import wait_base, wait_exponential


class wait_half_jitter(wait_base):  # noqa: N801 - named like tenacity's own strategies
    """tenacity wait: uniform in [d/2, d], d = min(cap, base * 2**(retry - 1)); `rng` makes it reproducible."""

    def __init__(self, base_s: float, cap_s: float, rng: random.Random | None = None) -> None:
        self.base_s = base_s
        self.cap_s = cap_s
        self.rng = rng or random.Random()

    def __call__(self, retry_state: RetryCallState) -> float:
        exponent = min(max(retry_state.attempt_number - 1, 0), 30)
        delay = min(self.cap_s, self.base_s * 2**exponent)
        return self.rng.uniform(delay / 2, delay)


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff from `base_s` up to `cap_s`, with or without half jitter."""

    base_s: float
    cap_s: float
    jitter: bool = True

    def wait(self, rng: random.Random | None = None) -> wait_base:
        """The tenacity wait strategy of this policy."""
        if self.jitter:
            return wait_half_jitter(self.base_s, self.cap_s, rng)
        return wait_exponential(multiplier=self.base_s, max=self.cap_s)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """The sleep before retry number `retry` (0 = the first), for loops that are not a `Retrying`."""
        state = RetryCallState(None, None, (), {})  # type: ignore[arg-type]  # the wait reads attempt_number only
        state.attempt_number = retry + 1
        return self.wait(rng)(state)

    def retrying(
        self, sleep: Callable[[float], None], *, on_exception: Callable[[BaseException], bool] | None = None,
        on_result: Callable[[Any], bool] | None = None, before_sleep: Callable[[RetryCallState], None] | None = None,
        rng: random.Random | None = None,
    ) -> Retrying:
        """A tenacity `Retrying` that retries while `on_exception(exc)` or `on_result(value)` is true, never gives up,
        calls `before_sleep(state)` before each wait (`state.upcoming_sleep` is its length) and sleeps with `sleep`.
        An exception it does not retry is re-raised as it is."""
        retry = retry_if_exception(on_exception) if on_exception else retry_if_result(on_result or (lambda _: False))
        if on_exception and on_result:
            retry = retry | retry_if_result(on_result)
        return Retrying(wait=self.wait(rng), retry=retry, sleep=sleep, before_sleep=before_sleep, reraise=True)
