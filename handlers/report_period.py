"""Report periods as a station reads them: local calendar days, weeks and months."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

PeriodKind = Literal["day", "week", "month"]
PERIODS: tuple[PeriodKind, ...] = ("day", "week", "month")


@dataclass(frozen=True, slots=True)
class Period:
    kind: PeriodKind
    first_day: date
    last_day: date  # inclusive, as printed
    start: datetime  # UTC, inclusive
    end: datetime  # UTC, exclusive; `now` for a period still running


def local_midnight(day: date, zone: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(zone)).astimezone(UTC)


def containing(kind: PeriodKind, day: date, zone: str) -> Period:
    """The whole period (Monday-Sunday week, calendar month) that contains `day`."""
    if kind == "day":
        first, after = day, day + timedelta(days=1)
    elif kind == "week":
        first = day - timedelta(days=day.weekday())
        after = first + timedelta(days=7)
    else:
        first = day.replace(day=1)
        after = (first + timedelta(days=32)).replace(day=1)
    return Period(
        kind,
        first,
        after - timedelta(days=1),
        local_midnight(first, zone),
        local_midnight(after, zone),
    )


def local_today(now: datetime, zone: str) -> date:
    return now.astimezone(ZoneInfo(zone)).date()


def previous(kind: PeriodKind, now: datetime, zone: str) -> Period:
    """The last complete period: yesterday, last Monday-Sunday, last calendar month."""
    current = containing(kind, local_today(now, zone), zone)
    return containing(kind, current.first_day - timedelta(days=1), zone)


def so_far(kind: PeriodKind, now: datetime, zone: str) -> Period:
    """The period running now, up to `now` (for /stats)."""
    current = containing(kind, local_today(now, zone), zone)
    return Period(kind, current.first_day, local_today(now, zone), current.start, now)


def parse_kind(text: str) -> PeriodKind | None:
    aliases: dict[str, PeriodKind] = {
        "day": "day",
        "日": "day",
        "今日": "day",
        "week": "week",
        "周": "week",
        "本周": "week",
        "month": "month",
        "月": "month",
        "本月": "month",
    }
    return aliases.get(text.strip().lower())
