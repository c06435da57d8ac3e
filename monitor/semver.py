"""Identifiers and semantic versions of the files an auditor reads (rule sets, narrative sets)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

SEMVER_PATTERN = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$"
ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,79}$"
_SEMVER_RE = re.compile(SEMVER_PATTERN)


def _semver(value: Any) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and not _SEMVER_RE.match(value):
        raise ValueError(f"version '{value}' is not semantic versioning (MAJOR.MINOR.PATCH, e.g. 1.0.0)")
    return value


SemVer = Annotated[str, BeforeValidator(_semver), WithJsonSchema({"type": "string", "pattern": SEMVER_PATTERN})]
