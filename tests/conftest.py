"""Shared fixtures: one real Kafka broker (KRaft, loopback) per test session, started by scripts/kafka.sh."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real single-node Kafka broker for the session; yields its bootstrap address.

    Set CCT_TEST_KAFKA_BOOTSTRAP to use an already running broker instead.
    """
    external = os.environ.get("CCT_TEST_KAFKA_BOOTSTRAP")
    if external:
        yield external
        return
    run_dir = tmp_path_factory.mktemp("kafka")
    script = ROOT / "scripts" / "kafka.sh"
    out = subprocess.run([str(script), "start", str(run_dir)], capture_output=True, text=True, timeout=300)
    if out.returncode != 0:
        raise RuntimeError(f"could not start Kafka:\n{out.stdout}\n{out.stderr}")
    bootstrap = out.stdout.strip().splitlines()[-1]
    try:
        yield bootstrap
    finally:
        subprocess.run([str(script), "stop", str(run_dir)], capture_output=True, timeout=60)


@pytest.fixture
def unique_name() -> str:
    """A short unique suffix for topics and groups, so tests never share state on the broker."""
    return uuid.uuid4().hex[:10]
