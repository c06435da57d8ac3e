"""What every alert channel shares: its filter, a bounded queue, retries with backoff and a circuit breaker.

A channel only knows how to `send` a batch of alerts and raise when the receiver did not take them.
Queueing, retrying, circuit breaking and counting live here so every channel behaves the same; the
delays between retries come from the shared policy in `monitor.retry` (`retry_base_s` doubling to
`retry_max_s`, half jitter).
"""

from __future__ import annotations

import fnmatch
import logging
import random
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.alert import SEVERITIES, Alert
from monitor.metrics import CIRCUIT_STATES, Metrics
from monitor.retry import Backoff

log = logging.getLogger(__name__)


class DeliveryError(RuntimeError):
    """The receiver did not acknowledge an alert."""


@dataclass(slots=True, frozen=True)
class Envelope:
    """An alert on its way to a channel, with the chunk time its delivery latency is measured from."""

    alert: Alert
    chunk_ts: datetime | None = None

    @property
    def key(self) -> tuple[str, int]:
        """The delivery identity: a folded repeat (higher `count`) is a new delivery, a redelivery is not."""
        return (self.alert.alert_id, self.alert.count)


@dataclass(slots=True)
class ChannelConfig:
    """Routing and resilience settings of one channel."""

    name: str
    min_severity: str = "info"
    rules: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    queue_size: int = 1000
    retry_base_s: float = 0.5
    retry_max_s: float = 30.0
    breaker_failures: int = 5
    breaker_reset_s: float = 10.0

    def accepts(self, alert: Alert, routed: bool) -> bool:
        """Severity at least `min_severity`, rule id matching a `rules` glob, category in `categories`.

        A `routed` channel also honours the rule's `actions.channels` list when it names channels;
        the others (durable channels, which are the record, and the console) receive every alert.
        """
        if SEVERITIES.index(alert.rule.severity) < SEVERITIES.index(self.min_severity):
            return False
        if self.rules and not any(fnmatch.fnmatchcase(alert.rule.id, pat) for pat in self.rules):
            return False
        if self.categories and alert.dsa.category not in self.categories:
            return False
        wanted = alert.actions.get("channels") if isinstance(alert.actions, dict) else None
        return not routed or not wanted or self.name in wanted


class CircuitBreaker:
    """Closed → open after `failures` consecutive failures; half-open after `reset_s`; closed on a success."""

    def __init__(self, failures: int, reset_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = max(1, failures)
        self.reset_s = reset_s
        self.clock = clock
        self.consecutive = 0
        self.opened_at: float | None = None

    @property
    def state(self) -> str:
        if self.opened_at is None:
            return "closed"
        return "half_open" if self.clock() - self.opened_at >= self.reset_s else "open"

    def allow(self) -> bool:
        """Whether an attempt may go out now (always when closed; one probe when half-open)."""
        return self.state != "open"

    def wait_s(self) -> float:
        """Seconds until the breaker lets a probe through."""
        if self.opened_at is None:
            return 0.0
        return max(0.0, self.reset_s - (self.clock() - self.opened_at))

    def success(self) -> None:
        self.consecutive = 0
        self.opened_at = None

    def failure(self) -> None:
        self.consecutive += 1
        if self.consecutive >= self.threshold or self.opened_at is not None:
            self.opened_at = self.clock()


class Channel:
    """An alert receiver. Subclasses set `kind` and `durable` and implement `send`."""

    kind = "channel"
    durable = False
    routed = True

    def __init__(self, config: ChannelConfig) -> None:
        self.config = config
        self.name = config.name

    def send(self, envelopes: Sequence[Envelope]) -> None:
        """Deliver the alerts; return only once the receiver acknowledged all of them, else raise."""
        raise NotImplementedError

    def close(self) -> None:
        """Release connections and files."""


class Delivery:
    """One channel with its bounded queue, breaker, dedupe memory and metrics.

    Durable channels are driven synchronously by `deliver_pending` (the sink's flush), so their queue
    never holds more than one batch's alerts and is never cut. Best-effort channels are driven by a
    daemon thread started with `start`, which retries from the queue until the alert is acknowledged
    or the queue overflows `queue_size` (the oldest alert is then dropped, logged and counted).
    """

    def __init__(
        self, channel: Channel, metrics: Metrics, remember: int = 10_000, rng: random.Random | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.channel = channel
        self.config = channel.config
        self.metrics = metrics
        self.durable = channel.durable
        self.labels = (channel.name, "true" if channel.durable else "false")
        self.breaker = CircuitBreaker(self.config.breaker_failures, self.config.breaker_reset_s, clock)
        self.rng = rng or random.Random()
        self.backoff = Backoff(self.config.retry_base_s, self.config.retry_max_s)
        self._queue: deque[Envelope] = deque()
        self._queued: set[tuple[str, int]] = set()
        self._delivered: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._failed: set[tuple[str, int]] = set()
        self._remember = remember
        self._cond = threading.Condition()
        self._stopping = False
        self._stop_event = threading.Event()
        self._thread: threading.Thread | None = None
        self._attempt = 0
        metrics.init_channel(channel.name, channel.durable)

    @property
    def name(self) -> str:
        return self.channel.name

    def depth(self) -> int:
        with self._cond:
            return len(self._queue)

    def enqueue(self, envelope: Envelope) -> bool:
        """Queue an alert unless this channel already has it (acknowledged or waiting); True when queued."""
        if not self.config.accepts(envelope.alert, routed=self.channel.routed and not self.durable):
            return False
        with self._cond:
            if envelope.key in self._delivered or envelope.key in self._queued:
                return False
            if not self.durable and len(self._queue) >= self.config.queue_size:
                dropped = self._queue.popleft()
                self._queued.discard(dropped.key)
                self._failed.discard(dropped.key)
                self.metrics.alert_dropped.labels(*self.labels).inc()
                log.error("channel %s: queue full, dropped alert %s", self.name, dropped.alert.alert_id)
            self._queue.append(envelope)
            self._queued.add(envelope.key)
            alert = envelope.alert
            self.metrics.alerts_routed.labels(alert.rule.id, alert.rule.severity, alert.dsa.category, self.name).inc()
            self._set_depth()
            self._cond.notify_all()
        return True

    def _set_depth(self) -> None:
        self.metrics.alert_queue_depth.labels(*self.labels).set(len(self._queue))

    def _set_circuit(self) -> None:
        self.metrics.alert_circuit_state.labels(*self.labels).set(CIRCUIT_STATES[self.breaker.state])

    def _attempt_send(self, batch: list[Envelope]) -> bool:
        """One attempt at a batch; counts it and updates the breaker. True when acknowledged."""
        retried = sum(1 for e in batch if e.key in self._failed)
        if retried:
            self.metrics.alert_retries.labels(*self.labels).inc(retried)
        try:
            self.channel.send(batch)
        except Exception as exc:
            self.breaker.failure()
            self._set_circuit()
            self.metrics.alert_failures.labels(*self.labels).inc()
            self._failed.update(e.key for e in batch)
            log.warning("channel %s: delivery of %d alert(s) failed: %s", self.name, len(batch), exc)
            return False
        self.breaker.success()
        self._set_circuit()
        now = time.time()
        with self._cond:
            for env in batch:
                self._failed.discard(env.key)
                self._delivered[env.key] = None
                self._delivered.move_to_end(env.key)
                if env.key in self._queued:
                    self._queued.discard(env.key)
                    self._queue.remove(env)
                if env.chunk_ts is not None:
                    self.metrics.alert_delivery_latency.labels(*self.labels).observe(max(0.0, now - env.chunk_ts.timestamp()))
            while len(self._delivered) > self._remember:
                self._delivered.popitem(last=False)
            self._set_depth()
            self._cond.notify_all()
        self.metrics.alert_deliveries.labels(*self.labels).inc(len(batch))
        return True

    def deliver_pending(self) -> None:
        """Durable path: send everything queued now, or raise DeliveryError (the runner retries the batch)."""
        with self._cond:
            batch = list(self._queue)
        if not batch:
            return
        if not self.breaker.allow():
            self._set_circuit()
            raise DeliveryError(f"{self.name}: circuit open, retry in {self.breaker.wait_s():.1f}s")
        if not self._attempt_send(batch):
            raise DeliveryError(f"{self.name}: {len(batch)} alert(s) not acknowledged")

    def start(self) -> None:
        """Start the background worker of a best-effort channel."""
        self._thread = threading.Thread(target=self._work, name=f"alerts-{self.name}", daemon=True)
        self._thread.start()

    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if not self._queue:
                    return
                head = self._queue[0]
            if not self.breaker.allow():
                self._set_circuit()
                self._sleep(self.breaker.wait_s())
                continue
            if self._attempt_send([head]):
                self._attempt = 0
            else:
                self._sleep(self.backoff.delay(self._attempt, self.rng))
                self._attempt += 1

    def _sleep(self, seconds: float) -> None:
        """Back off without being woken by new alerts; only `stop` cuts it short."""
        self._stop_event.wait(seconds)

    def drain(self, timeout_s: float) -> bool:
        """Wait until the queue is empty or `timeout_s` passes; True when empty."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._queue:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(timeout=min(left, 0.1))
        return True

    def stop(self, drain_timeout_s: float) -> None:
        """Give the worker `drain_timeout_s` to empty its queue, then stop it and close the channel."""
        if self._thread is not None:
            if not self.drain(drain_timeout_s):
                log.error("channel %s: %d alert(s) still undelivered at shutdown", self.name, self.depth())
            with self._cond:
                self._stopping = True
                self._stop_event.set()
                self._queue.clear()
                self._queued.clear()
                self._set_depth()
                self._cond.notify_all()
            self._thread.join(timeout=5)
        self.channel.close()
