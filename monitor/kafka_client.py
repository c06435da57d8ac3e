"""The one place that connects to Kafka: client construction, probes, bounded waits, error classification and
client-log hygiene.

Every kafka-python consumer, producer and admin client of the monitor is built here (`new_consumer`,
`new_producer`, `new_admin`, or `connect_consumer`/`connect_producer` with the bounded wait below) from
`KafkaSettings` via `client_config`, so bootstrap servers, TLS and SASL apply to all of them alike. Used by
the Kafka source and its offsets fetcher, the window rebuild, the Kafka alert channel, the review consumer,
the console's review publisher, the admin commands and the bench.

- `connect_with_backoff` builds a kafka-python client in a worker thread, so a stop request ends the
  wait within ~0.1 s (kafka-python's constructors block for their whole bootstrap timeout), retries an
  unreachable broker with capped backoff, and raises `KafkaAccessError` as soon as the client reports
  an authentication, authorisation or TLS failure, because retrying a wrong password never helps.
- `classify` names such failures from an exception or a kafka-python log line.
- `ClientLogWatch` sits on the `kafka` logger: it remembers the last access failure the client logged
  (kafka-python logs them, then raises only a timeout) and rate-limits its repeated lines.
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.errors import KafkaConfigurationError, KafkaConnectionError, KafkaError
from tenacity import RetryCallState

from monitor.retry import Backoff
from monitor.settings import KafkaSettings

log = logging.getLogger(__name__)
T = TypeVar("T")

# Substrings of exception names and messages that say retrying cannot help, by kind.
_ACCESS_MARKERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("authentication", ("SaslAuthenticationFailed", "AuthenticationFailed", "UnsupportedSaslMechanism",
                        "IllegalSaslState", "invalid credentials")),
    ("authorisation", ("AuthorizationFailed", "AuthorizationException", "Not authorized")),
    ("tls", ("Handshake failed: [SSL", "CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "WRONG_VERSION_NUMBER", "wrong version number",
             "SSLCertVerificationError", "TLSV1_ALERT", "sslv3 alert", "PEM lib", "NO_CERTIFICATE")),
)
EXIT_ACCESS_DENIED = 3


class KafkaAccessError(KafkaError):
    """The broker refused us (credentials, ACLs) or TLS failed: retrying cannot help. `kind` says which."""

    def __init__(self, kind: str, what: str, cause: str) -> None:
        super().__init__(f"{what}: Kafka {kind} failure: {cause}")
        self.kind = kind
        self.what = what
        self.cause = cause


_ERROR_TEXT = re.compile(r"(?:\[Error \d+\] )?\w+(?:Error|Exception)\b.*")
_DIGITS = re.compile(r"\d+")


def cause_of(message: str) -> str:
    """The error part of a kafka-python log line ("SaslAuthenticationFailedError: …"), without the connection repr."""
    found = _ERROR_TEXT.search(message)
    return (found.group(0) if found else message)[:300]


def classify(error: BaseException | str) -> str | None:
    """'authentication', 'authorisation' or 'tls' when `error` is such a failure; None otherwise."""
    text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
    for kind, markers in _ACCESS_MARKERS:
        if any(marker in text for marker in markers):
            return kind
    return None


class ClientLogWatch(logging.Handler):
    """The handler of the `kafka` logger (which stops propagating): notes access failures, then passes each
    record on to the root handlers, at most one line per message kind and level per `window_s`."""

    def __init__(self, window_s: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.window_s = window_s
        self.clock = clock
        self._seen_lock = threading.Lock()
        self._last_pass: dict[tuple[str, int, str], float] = {}
        self._suppressed: dict[tuple[str, int, str], int] = {}
        self.access_failure: tuple[float, str, str] | None = None  # (when, kind, message)

    def emit(self, record: logging.LogRecord) -> None:
        now = self.clock()
        if record.levelno >= logging.WARNING:
            message = record.getMessage()
            kind = classify(message)
            if kind is not None:
                with self._seen_lock:
                    self.access_failure = (now, kind, cause_of(message))
        key = (record.name, record.levelno, _DIGITS.sub("#", str(record.msg)))
        with self._seen_lock:
            last = self._last_pass.get(key)
            if last is not None and now - last < self.window_s:
                self._suppressed[key] = self._suppressed.get(key, 0) + 1
                return
            self._last_pass[key] = now
            suppressed = self._suppressed.pop(key, 0)
        if suppressed:
            record.msg = f"{record.msg} [{suppressed} similar lines suppressed in the last {self.window_s:.0f} s]"
        for handler in logging.getLogger().handlers:
            if record.levelno >= handler.level:
                handler.handle(record)

    def failure_since(self, since: float) -> tuple[str, str] | None:
        """(kind, message) of an access failure logged at or after `since` (a `clock` reading)."""
        with self._seen_lock:
            failure = self.access_failure
        if failure is not None and failure[0] >= since:
            return failure[1], failure[2]
        return None

    def failure_after(self, since: float, grace_s: float, stop: Callable[[], bool]) -> tuple[str, str] | None:
        """`failure_since`, waiting up to `grace_s` for one: the client's network thread may log the failure
        just after the constructor it serves has given up with a timeout."""
        deadline = time.monotonic() + grace_s
        while True:
            failure = self.failure_since(since)
            if failure is not None or stop() or time.monotonic() >= deadline:
                return failure
            time.sleep(0.05)


_watch: ClientLogWatch | None = None
_watch_lock = threading.Lock()


def client_log_watch() -> ClientLogWatch:
    """The process's watch, installed on the `kafka` logger on first use."""
    global _watch
    with _watch_lock:
        if _watch is None:
            _watch = ClientLogWatch()
            kafka_logger = logging.getLogger("kafka")
            kafka_logger.addHandler(_watch)
            kafka_logger.propagate = False
        return _watch


def client_config(settings: KafkaSettings) -> dict[str, Any]:
    """Keyword arguments shared by kafka-python's consumer, producer and admin client: servers, TLS, SASL, backoff."""
    conf: dict[str, Any] = {
        "bootstrap_servers": bootstrap_servers(settings),
        "client_id": settings.client_id,
        "security_protocol": settings.security_protocol,
        "reconnect_backoff_max_ms": int(settings.reconnect_backoff_max_s * 1000),
    }
    if settings.security_protocol.startswith("SASL"):
        conf["sasl_mechanism"] = settings.sasl_mechanism or "PLAIN"
        conf["sasl_plain_username"] = settings.sasl_username
        conf["sasl_plain_password"] = settings.sasl_password.get_secret_value() if settings.sasl_password else None
    if settings.security_protocol.endswith("SSL"):
        conf["ssl_check_hostname"] = settings.ssl_check_hostname
        for key in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            value = getattr(settings, key)
            if value is not None:
                conf[key] = str(value)
        if settings.ssl_password is not None:
            conf["ssl_password"] = settings.ssl_password.get_secret_value()
    return conf


def bootstrap_servers(settings: KafkaSettings) -> list[str]:
    """The comma-separated `bootstrap_servers` setting as a list."""
    return [s.strip() for s in settings.bootstrap_servers.split(",") if s.strip()]


def new_consumer(settings: KafkaSettings, **options: Any) -> KafkaConsumer:
    """A consumer on the settings' connection with `options` (group, offsets, timeouts); blocks while bootstrapping."""
    return KafkaConsumer(**client_config(settings), **options)


def new_producer(settings: KafkaSettings, **options: Any) -> KafkaProducer:
    """A producer on the settings' connection with `options` (acks, linger, timeouts); blocks while bootstrapping."""
    return KafkaProducer(**client_config(settings), **options)


def new_admin(settings: KafkaSettings) -> KafkaAdminClient:
    """An admin client on the settings' connection; blocks while bootstrapping."""
    return KafkaAdminClient(**client_config(settings))


def connect_consumer(settings: KafkaSettings, what: str, stop: Callable[[], bool], **options: Any) -> KafkaConsumer:
    """`new_consumer` behind `connect_with_backoff`: retried while the broker is unreachable, stoppable,
    KafkaAccessError on an authentication, authorisation or TLS failure."""
    return connect_with_backoff(lambda: new_consumer(settings, **options), what, stop,
                                settings.reconnect_backoff_max_s, bootstrap_servers(settings))


def connect_producer(settings: KafkaSettings, what: str, stop: Callable[[], bool], **options: Any) -> KafkaProducer:
    """`new_producer` behind `connect_with_backoff` (see `connect_consumer`)."""
    return connect_with_backoff(lambda: new_producer(settings, **options), what, stop,
                                settings.reconnect_backoff_max_s, bootstrap_servers(settings))


def derived_instance_id(env: dict[str, str] | None = None) -> str | None:
    """A static group-membership id when one can be derived: the pod name under Kubernetes, else None.

    A container restarted after a crash keeps its pod name, so it gets its partitions back at once instead
    of after the session timeout; elsewhere two processes on one host would share a hostname, so none is derived.
    """
    env = dict(os.environ) if env is None else env
    if env.get("KUBERNETES_SERVICE_HOST") and env.get("HOSTNAME"):
        return env["HOSTNAME"]
    return None


def probe_brokers(servers: Sequence[str], timeout_s: float = 2.0) -> None:
    """Open (and close) a TCP connection to the first bootstrap server that answers; OSError if none does."""
    last: OSError = OSError(f"no bootstrap servers configured: {list(servers)}")
    for server in servers:
        host, _, port = server.rpartition(":")
        try:
            socket.create_connection((host.strip("[]") or "localhost", int(port)), timeout=timeout_s).close()
            return
        except (OSError, ValueError) as exc:
            last = exc if isinstance(exc, OSError) else OSError(f"bad bootstrap server {server!r}")
    raise last


def connect_backoff(cap_s: float) -> Backoff:
    """The shared retry policy for waits on the broker: 0.5 s doubling up to `cap_s`, no jitter (the cap is what
    bounds resuming after the broker's return)."""
    return Backoff(base_s=0.5, cap_s=cap_s, jitter=False)


def sleep_unless_stopped(seconds: float, stop: Callable[[], bool]) -> bool:
    """Sleep in short slices; True as soon as `stop()` is."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if stop():
            return True
        time.sleep(min(0.1, max(0.0, deadline - time.monotonic())))
    return stop()


# How long a failed client construction waits for an access failure its network thread has yet to log
# (a wrong SASL password was once reported as an unreachable broker first, then as what it was).
ACCESS_LOG_GRACE_S = 1.0


def _build(factory: Callable[[], T], what: str, stop: Callable[[], bool], watch: ClientLogWatch) -> T:
    """Run `factory` in a daemon thread; return its client, or raise its error, a stop or an access failure."""
    outcome: dict[str, object] = {}
    started = watch.clock()

    def target() -> None:
        try:
            outcome["client"] = factory()
        except BaseException as exc:  # handed to the waiting thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name=f"kafka-connect-{what}", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
        if stop():
            raise KafkaConnectionError(f"{what}: stopped while waiting for the broker")
        failure = watch.failure_since(started)
        if failure is not None:
            raise KafkaAccessError(failure[0], what, failure[1])
    if "error" in outcome:
        error = outcome["error"]
        assert isinstance(error, BaseException)
        failure = watch.failure_after(started, ACCESS_LOG_GRACE_S, stop)
        if failure is not None:
            raise KafkaAccessError(failure[0], what, failure[1]) from error
        kind = classify(error)
        if kind is not None:
            raise KafkaAccessError(kind, what, f"{type(error).__name__}: {error}") from error
        raise error
    return outcome["client"]  # type: ignore[return-value]


def connect_with_backoff(
    factory: Callable[[], T], what: str, stop: Callable[[], bool], cap_s: float, servers: Sequence[str] = (),
) -> T:
    """`factory()` once a bootstrap server answers, retrying an unreachable broker with `connect_backoff(cap_s)`.

    One WARNING per failed attempt; a stop request ends the wait within ~0.1 s with KafkaConnectionError;
    an authentication, authorisation or TLS failure raises KafkaAccessError at once.
    """
    watch = client_log_watch()

    def attempt() -> T:
        if servers:
            probe_brokers(servers)
        return _build(factory, what, stop, watch)

    def unreachable(exc: BaseException) -> bool:
        return isinstance(exc, KafkaError | OSError) and not isinstance(exc, KafkaConfigurationError | KafkaAccessError)

    def say(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        if stop():
            raise KafkaConnectionError(f"{what}: stopped while waiting for the broker") from None
        log.warning(
            "%s: Kafka broker not reachable at %s (%s: %s); retrying in %.1fs",
            what, ",".join(servers) or "the bootstrap servers", exc.__class__.__name__, exc, state.upcoming_sleep,
        )

    def sleep(seconds: float) -> None:
        if sleep_unless_stopped(seconds, stop):
            raise KafkaConnectionError(f"{what}: stopped while waiting for the broker") from None

    return connect_backoff(cap_s).retrying(sleep, on_exception=unreachable, before_sleep=say)(attempt)


class LinkState:
    """Says once that the broker connection was lost and once that it is back, instead of a line per retry."""

    def __init__(self, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.what = what
        self.clock = clock
        self.was_up = False
        self.lost_at: float | None = None

    def update(self, connected: bool) -> None:
        if connected:
            if self.lost_at is not None:
                log.info("%s: Kafka connection back after %.1f s; consuming again", self.what, self.clock() - self.lost_at)
                self.lost_at = None
            self.was_up = True
        elif self.was_up and self.lost_at is None:
            self.lost_at = self.clock()
            log.warning("%s: Kafka connection lost; reconnecting (kafka-python's own lines are rate-limited)", self.what)
