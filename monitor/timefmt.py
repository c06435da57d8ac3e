"""The one UTC timestamp format of the project: RFC 3339 with milliseconds and a `Z` ("2026-11-27T20:00:01.250Z")."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_iso(when: float | datetime) -> str:
    """`when` (epoch seconds, or an aware datetime) as RFC 3339 UTC with milliseconds."""
    moment = datetime.fromtimestamp(when, UTC) if isinstance(when, int | float) else when.astimezone(UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
