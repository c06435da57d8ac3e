"""The one UTC timestamp format."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from monitor.timefmt import utc_iso


def test_epoch_seconds_and_datetimes_in_any_zone_give_the_same_rfc3339_utc_text() -> None:
    assert utc_iso(1_795_809_601.25) == "2026-11-27T20:00:01.250Z"
    assert utc_iso(datetime(2026, 11, 27, 20, 0, 1, 250_000, tzinfo=UTC)) == "2026-11-27T20:00:01.250Z"
    cet = timezone(timedelta(hours=1))
    assert utc_iso(datetime(2026, 11, 27, 21, 0, 1, 250_000, tzinfo=cet)) == "2026-11-27T20:00:01.250Z"
    assert utc_iso(0) == "1970-01-01T00:00:00.000Z"
