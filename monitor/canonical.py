"""Canonical JSON: the one text form hashed for rule and rule-set sha256s and for the audit log's hash chain."""

from __future__ import annotations

import json
from typing import Any


def canonical_json(data: Any) -> str:
    """Deterministic JSON text: sorted keys, compact separators, UTF-8 kept, NaN and infinities refused."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
