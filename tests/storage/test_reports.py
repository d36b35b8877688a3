"""Report figures on a hand-made station history with known answers, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from storage.models import Grid, Person, Role, Station, Ticket, TicketEvent
from storage.reports import Counts, Report, build_report

SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = 2001, 2002, 2003


def local(day: int, hour: int, minute: int = 0, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


def day_bounds(day: int, month: int = 3) -> tuple[datetime, datetime]:
    return local(day, 0, month=month), local(day + 1, 0, month=month)


Event = tuple[str, datetime] | tuple[str, datetime, dict[str, Any], dict[str, Any]]


def ticket(
    number: int, created: datetime, grid: str, officer: int, status: str, *events: Event
) -> tuple[dict[str, Any], list[Event]]:
    return {
        "number": number,
        "created_at": created,
        "grid": grid,
        "officer_id": officer,
        "status": status,
    }, [("created", created), *events]


def rated(at: datetime, score: int, before: int | None = None) -> Event:
    return ("rated", at, {"rating": before}, {"rating": score})


# Period under test: 2026-03-10, Asia/Shanghai. Expected figures are in the tests below.
HISTORY = [
    ticket(
        1,
        local(10, 0, 1),
        "NH-01",
        A,
        "resolved",
        ("taken", local(10, 0, 11)),
        ("resolved", local(10, 2, 1)),
        rated(local(10, 3), 1),
    ),
    ticket(
        2,
        local(9, 23, 59),
        "NH-01",
        A,
        "resolved",
        ("taken", local(10, 0, 30)),
        ("resolved", local(10, 1)),
        rated(local(10, 2), 2),
    ),
    ticket(
        3,
        local(10, 10),
        "NH-02",
        B,
        "taken",
        ("taken", local(10, 10, 20)),
        ("escalated", local(10, 12)),
    ),
    ticket(4, local(10, 23, 59), "NH-02", B, "new"),
    ticket(5, local(11, 0, 1), "NH-01", A, "new"),
    # Dissatisfied, reopened, taken again; resolved only the next day.
    ticket(
        6,
        local(10, 8),
        "NH-01",
        A,
        "resolved",
        ("taken", local(10, 8, 30)),
        ("resolved", local(10, 9)),
        rated(local(10, 9, 30), 3),
        ("reopened", local(10, 9, 30)),
        ("taken", local(10, 10)),
        ("resolved", local(11, 9)),
    ),
    ticket(7, local(8, 9), "NH-02", B, "new", ("escalated", local(8, 10))),
    # Rated 满意, then changed to 基本满意.
    ticket(
        8,
        local(10, 5),
        "NH-01",
        A,
        "resolved",
        ("taken", local(10, 5, 10)),
        ("resolved", local(10, 6)),
        rated(local(10, 7), 1),
        rated(local(10, 7, 5), 2, before=1),
    ),
    ticket(
        9,
        local(10, 1),
        "NH-02",
        A,
        "closed",
        ("taken", local(10, 1, 40)),
        ("resolved", local(10, 2)),
        ("follow_up", local(10, 5)),
    ),
    ticket(
        10,
        local(10, 14),
        "NH-02",
        C,
        "resolved",
        ("taken", local(10, 14, 5)),
        ("resolved", local(10, 15)),
    ),
]


async def load(session: AsyncSession, history: list[Any]) -> Station:
    station = Station(
        name="新城派出所", timezone="Asia/Shanghai", language="zh", sla={}, next_ticket_number=100
    )
    session.add(station)
    await session.flush()
    grids = {
        code: Grid(station_id=station.id, code=code, name=name)
        for code, name in (("NH-01", "南湖一"), ("NH-02", "南湖二"))
    }
    session.add_all(grids.values())
    for pid, name in ((A, "王向阳"), (B, "李明"), (C, "赵强")):
        session.add(Person(id=pid, name=name))
    await session.flush()
    session.add_all(Role(station_id=station.id, person_id=p, role="officer") for p in (A, B, C))
    for fields, events in history:
        last_resolved = max((e[1] for e in events if e[0] == "resolved"), default=None)
        reopened = [e for e in events if e[0] == "reopened"]
        row = Ticket(
            station_id=station.id,
            number=fields["number"],
            grid_id=grids[fields["grid"]].id,
            source_chat_id=-100,
            source_message_id=fields["number"],
            reporter_id=3001,
            text="t",
            category="other",
            status=fields["status"],
            officer_id=fields["officer_id"],
            created_at=fields["created_at"],
            resolved_at=last_resolved if fields["status"] in ("resolved", "closed") else None,
            clock_started_at=fields["created_at"],
            reopen_count=len(reopened),
        )
        session.add(row)
        await session.flush()
        for action, at, *sides in events:
            before, after = sides if sides else ({}, {})
            session.add(
                TicketEvent(
                    ticket_id=row.id,
                    action=action,
                    at=at,
                    before=before,
                    after=after,
                    actor_id=None,
                )
            )
    await session.commit()
    return station


@pytest.fixture
async def session(database_url: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(database_url)
    await upgrade(engine)
    async with session_factory(engine)() as s:
        yield s
    await engine.dispose()


@pytest.fixture
async def report(session: AsyncSession) -> Report:
    station = await load(session, HISTORY)
    return await build_report(session, station, *day_bounds(10))


def officer(report: Report, officer_id: int) -> Counts:
    return next(r.counts for r in report.officers if r.key == officer_id)


def grid(report: Report, code: str) -> Counts:
    return next(r.counts for r in report.grids if r.label.startswith(code))


async def test_station_counts_respect_local_midnight(report: Report) -> None:
    t = report.totals
    assert (t.new, t.taken, t.resolved, t.reopened) == (7, 7, 6, 1)
    assert (t.open, t.overdue) == (4, 2)


async def test_resolution_rate_counts_only_tickets_resolved_at_period_end(report: Report) -> None:
    assert report.totals.resolved_of_new == 4
    assert report.totals.resolution_rate == pytest.approx(4 / 7)


async def test_ratings_count_a_changed_rating_once(report: Report) -> None:
    t = report.totals
    assert (t.satisfied, t.basically, t.dissatisfied) == (1, 2, 1)
    assert t.satisfaction == pytest.approx(3 / 4)


async def test_percentiles_interpolate_like_percentile_cont(report: Report) -> None:
    d = report.durations
    assert [d.take_p50, d.take_p90] == pytest.approx([900, 2100])
    assert [d.resolve_p50, d.resolve_p90] == pytest.approx([3600, 5760])


async def test_by_grid(report: Report) -> None:
    assert grid(report, "NH-01") == Counts(
        new=3,
        resolved_of_new=2,
        taken=4,
        resolved=4,
        reopened=1,
        open=1,
        overdue=0,
        satisfied=1,
        basically=2,
        dissatisfied=1,
    )
    assert grid(report, "NH-02") == Counts(
        new=4, resolved_of_new=2, taken=3, resolved=2, open=3, overdue=2
    )


async def test_by_officer(report: Report) -> None:
    assert officer(report, A) == Counts(
        new=4,
        resolved_of_new=3,
        taken=5,
        resolved=5,
        reopened=1,
        open=1,
        satisfied=1,
        basically=2,
        dissatisfied=1,
    )
    assert officer(report, B) == Counts(new=2, taken=1, open=3, overdue=2)
    assert officer(report, C) == Counts(new=1, resolved_of_new=1, taken=1, resolved=1)


async def test_board_names_the_tickets_behind_the_black_list(report: Report) -> None:
    assert [(e.officer_id, e.overdue_numbers, e.dissatisfied_numbers) for e in report.black] == [
        (B, (3, 7), ()),
        (A, (), (6,)),
    ]
    assert [e.officer_id for e in report.red] == [C]
    assert report.red[0].name == "赵强"


async def test_open_at_end_of_next_day_reflects_later_history(session: AsyncSession) -> None:
    station = await load(session, HISTORY)
    nxt = await build_report(session, station, *day_bounds(11))
    assert (nxt.totals.new, nxt.totals.open, nxt.totals.resolved) == (1, 4, 1)


async def test_empty_period_has_zeros_and_no_rates(session: AsyncSession) -> None:
    station = await load(session, HISTORY)
    empty = await build_report(session, station, *day_bounds(1, month=1))
    assert empty.totals == Counts()
    assert empty.totals.resolution_rate is None
    assert empty.totals.satisfaction is None
    assert empty.durations.take_p50 is None
    assert empty.red == []
    assert empty.black == []
