"""Report periods in the station's timezone."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from handlers.report_period import containing, parse_kind, previous, so_far

ZONE = "Asia/Shanghai"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_day_report_covers_yesterday_local() -> None:
    # 2026-03-10 00:30 in Shanghai is still 03-09 in UTC.
    period = previous("day", utc(2026, 3, 9, 16, 30), ZONE)
    assert (period.first_day, period.last_day) == (date(2026, 3, 9), date(2026, 3, 9))
    assert (period.start, period.end) == (utc(2026, 3, 8, 16), utc(2026, 3, 9, 16))


def test_week_report_covers_previous_monday_to_sunday() -> None:
    period = previous("week", utc(2026, 3, 11, 0), ZONE)  # a Wednesday
    assert (period.first_day, period.last_day) == (date(2026, 3, 2), date(2026, 3, 8))
    assert period.end == utc(2026, 3, 8, 16)


def test_month_report_on_the_first_covers_previous_month() -> None:
    period = previous("month", utc(2026, 3, 1, 0), ZONE)  # 08:00 local on the 1st
    assert (period.first_day, period.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (period.start, period.end) == (utc(2026, 1, 31, 16), utc(2026, 2, 28, 16))


def test_month_across_new_year() -> None:
    period = previous("month", utc(2026, 1, 5), ZONE)
    assert (period.first_day, period.last_day) == (date(2025, 12, 1), date(2025, 12, 31))


@pytest.mark.parametrize(
    ("kind", "first", "last"),
    [
        ("day", date(2026, 2, 18), date(2026, 2, 18)),
        ("week", date(2026, 2, 16), date(2026, 2, 22)),
        ("month", date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_explicit_date_picks_the_period_containing_it(kind: str, first: date, last: date) -> None:
    period = containing(kind, date(2026, 2, 18), ZONE)  # type: ignore[arg-type]
    assert (period.first_day, period.last_day) == (first, last)


def test_stats_period_runs_from_local_midnight_to_now() -> None:
    now = utc(2026, 3, 10, 2)
    period = so_far("day", now, ZONE)
    assert (period.start, period.end) == (utc(2026, 3, 9, 16), now)


def test_dst_zone_day_is_23_hours_long() -> None:
    period = containing("day", date(2026, 3, 8), "America/New_York")
    assert (period.end - period.start).total_seconds() == 23 * 3600


def test_period_words() -> None:
    assert [parse_kind(w) for w in ("WEEK", "月", "day", "year")] == ["week", "month", "day", None]
