"""The bundled sample broadcast: a fictional live audio event written by the project."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def sample_broadcast_path() -> Path:
    """Path of the packaged sample transcript (JSONL, one chunk per line)."""
    return Path(str(files("monitor") / "data" / "sample_broadcast.jsonl"))
