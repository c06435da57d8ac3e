"""Shared fixtures: one real Kafka broker (KRaft, loopback) per test session, started by scripts/kafka.sh.

The broker also has a SASL_PLAINTEXT listener with a SCRAM-SHA-512 user (`kafka_sasl`), and SSL and SASL_SSL
listeners whose certificate a throwaway CA signed (`kafka_tls`). Tests that stop and restart a broker get one
of their own (`restartable_kafka`), so the session broker never goes away.
"""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return ROOT


@dataclass(frozen=True)
class Broker:
    """A broker started by scripts/kafka.sh in `run_dir`."""

    run_dir: Path | None
    bootstrap: str

    def stop(self) -> None:
        assert self.run_dir is not None, "an external broker cannot be stopped"
        _script("stop", self.run_dir, timeout_s=60)

    def start_again(self) -> None:
        """Start the stopped broker on the same ports and data directory (`kafka.sh restart`)."""
        assert self.run_dir is not None
        _script("restart", self.run_dir, timeout_s=300)


def _script(command: str, run_dir: Path, timeout_s: float) -> str:
    out = subprocess.run([str(ROOT / "scripts" / "kafka.sh"), command, str(run_dir)], capture_output=True, text=True,
                         timeout=timeout_s)
    if out.returncode != 0:
        raise RuntimeError(f"kafka.sh {command} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""


def _start_broker(run_dir: Path) -> Iterator[Broker]:
    bootstrap = _script("start", run_dir, timeout_s=300)
    try:
        yield Broker(run_dir, bootstrap)
    finally:
        subprocess.run([str(ROOT / "scripts" / "kafka.sh"), "stop", str(run_dir)], capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A real single-node Kafka broker for the session.

    Set CCT_TEST_KAFKA_BOOTSTRAP to use an already running broker instead.
    """
    external = os.environ.get("CCT_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield Broker(None, external)
        return
    yield from _start_broker(tmp_path_factory.mktemp("kafka"))


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: Broker) -> str:
    """The session broker's PLAINTEXT bootstrap address."""
    return kafka_broker.bootstrap


@pytest.fixture(scope="session")
def kafka_sasl(kafka_broker: Broker) -> tuple[str, str, str]:
    """(bootstrap, username, password) of the session broker's SASL_PLAINTEXT / SCRAM-SHA-512 listener."""
    if kafka_broker.run_dir is None:
        pytest.skip("the external broker (CCT_TEST_KAFKA_BOOTSTRAP) has no known SASL listener")
    run_dir = kafka_broker.run_dir
    return ((run_dir / "sasl_bootstrap").read_text().strip(), "cct", (run_dir / "sasl_password").read_text().strip())


@dataclass(frozen=True)
class TlsListeners:
    """The session broker's TLS listeners and the CA files a client may trust."""

    ssl_bootstrap: str
    sasl_ssl_bootstrap: str
    ca_file: Path  # signed the broker's certificate (for 127.0.0.1 and localhost)
    unrelated_ca_file: Path  # signed nothing the broker presents


@pytest.fixture(scope="session")
def kafka_tls(kafka_broker: Broker) -> TlsListeners:
    """The SSL and SASL_SSL listeners of the session broker (SASL_SSL has the `kafka_sasl` user)."""
    if kafka_broker.run_dir is None:
        pytest.skip("the external broker (CCT_TEST_KAFKA_BOOTSTRAP) has no known TLS listener")
    run_dir = kafka_broker.run_dir
    if not (run_dir / "ssl_bootstrap").is_file():
        raise RuntimeError(f"the test broker has no TLS listener (scripts/kafka.sh needs openssl); see {run_dir}")
    return TlsListeners((run_dir / "ssl_bootstrap").read_text().strip(), (run_dir / "sasl_ssl_bootstrap").read_text().strip(),
                        run_dir / "tls" / "ca.pem", run_dir / "tls" / "unrelated-ca.pem")


@pytest.fixture
def restartable_kafka(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    """A broker of the test's own, which the test may stop and restart."""
    yield from _start_broker(tmp_path_factory.mktemp("kafka-own"))


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for topics and groups, so tests never share state on the broker."""
    return uuid.uuid4().hex[:10]
