"""Report figures for one station and period [start, end), aggregated in SQL.

Definitions (all instants are UTC; the caller picks local-midnight bounds):

- new: tickets created in the period.
- taken / resolved / reopened: distinct tickets with such an event in the period.
- open: tickets created before `end` that were not resolved or closed at `end`.
- overdue: open at `end` and escalated since their last take, reopening or reassignment
  (the state `/overdue` shows), i.e. past an SLA at `end`.
- resolution rate (化解率): of the tickets created in the period, the share resolved or
  closed at `end`; a ticket reopened and not yet resolved again does not count.
- time to take / to resolve: for tickets created in the period, first take (first
  resolution) before `end` minus creation; median and 90th percentile, interpolated
  like PostgreSQL's percentile_cont.
- ratings: ratings given in the period (a changed rating replaces the earlier one);
  satisfaction rate (满意率) = (满意 + 基本满意) / rated.

By grid and by officer, a ticket counts for its grid and its current officer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    and_,
    case,
    cast,
    extract,
    func,
    or_,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from storage.models import Grid, Person, Role, Station, Ticket, TicketEvent

DONE_STATES = ("resolved", "closed")
OPEN_STATES = ("new", "taken", "reopened")
# Events after which a ticket is no longer overdue: change_ticket clears the stage then.
SLA_RESETS = ("taken", "reopened", "assigned", "transferred")
COUNTED_EVENTS = ("taken", "resolved", "reopened")
BOARD_SIZE = 3
PCTS = (0.5, 0.9)
DISSATISFIED = 3
RATING_NAMES = {1: "satisfied", 2: "basically", DISSATISFIED: "dissatisfied"}
Key = int | None


@dataclass(frozen=True, slots=True)
class Counts:
    new: int = 0
    resolved_of_new: int = 0
    taken: int = 0
    resolved: int = 0
    reopened: int = 0
    open: int = 0
    overdue: int = 0
    satisfied: int = 0
    basically: int = 0
    dissatisfied: int = 0

    @property
    def rated(self) -> int:
        return self.satisfied + self.basically + self.dissatisfied

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved_of_new / self.new if self.new else None

    @property
    def satisfaction(self) -> float | None:
        return (self.satisfied + self.basically) / self.rated if self.rated else None


@dataclass(frozen=True, slots=True)
class Durations:
    """Seconds; None when no ticket qualifies."""

    take_p50: float | None = None
    take_p90: float | None = None
    resolve_p50: float | None = None
    resolve_p90: float | None = None


@dataclass(frozen=True, slots=True)
class Row:
    """One grid or one officer; key None is the 'unassigned' row."""

    key: Key
    label: str
    counts: Counts


@dataclass(frozen=True, slots=True)
class BoardEntry:
    officer_id: int
    name: str
    counts: Counts
    overdue_numbers: tuple[int, ...] = ()
    dissatisfied_numbers: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Report:
    station_id: int
    station_name: str
    start: datetime
    end: datetime
    totals: Counts
    durations: Durations
    grids: list[Row] = field(default_factory=list)
    officers: list[Row] = field(default_factory=list)
    red: list[BoardEntry] = field(default_factory=list)
    black: list[BoardEntry] = field(default_factory=list)


async def build_report(
    session: AsyncSession, station: Station, start: datetime, end: datetime
) -> Report:
    """Every figure of the report, station-wide, by grid, by officer, and the board."""
    q = _Queries(session, station.id, start, end)
    if q.dialect == "postgresql":
        # The correlated lookups' cost estimates cross JIT's threshold, and compiling them
        # took longer (≈0.4 s a query) than running them. LOCAL: this transaction only.
        await session.execute(text("SET LOCAL jit = off"))
    # One aggregation by (grid, officer); station, grid and officer figures are its sums.
    cells = await q.counts()
    totals = _sum(cells.values())
    by_grid = {g: _sum(c for (cg, _), c in cells.items() if cg == g) for g, _ in cells}
    by_officer = {o: _sum(c for (_, co), c in cells.items() if co == o) for _, o in cells}
    grids = [
        Row(gid, f"{code} {name}", by_grid.pop(gid, Counts()))
        for gid, code, name in await q.grids()
    ]
    grids += [Row(k, "", c) for k, c in by_grid.items()]
    names = await q.officer_names()
    keys = list(names) + [k for k in by_officer if k not in names]
    officers = [
        Row(k, names.get(k, str(k) if k is not None else ""), by_officer.get(k, Counts()))
        for k in keys
    ]
    red, black = _board(officers, await q.overdue_numbers(), await q.dissatisfied_numbers())
    return Report(
        station.id,
        station.name,
        start,
        end,
        totals,
        await q.durations(),
        grids,
        officers,
        red,
        black,
    )


def _sum(items: Iterable[Counts]) -> Counts:
    total: dict[str, int] = {}
    for c in items:
        for name in Counts.__dataclass_fields__:
            total[name] = total.get(name, 0) + getattr(c, name)
    return Counts(**total)


def _board(
    officers: list[Row], overdue: dict[int, list[int]], dissatisfied: dict[int, list[int]]
) -> tuple[list[BoardEntry], list[BoardEntry]]:
    """红黑榜: black = most overdue + dissatisfied tickets; red = best rates among the rest."""
    entries = [
        BoardEntry(
            row.key,
            row.label,
            row.counts,
            tuple(overdue.get(row.key, ())),
            tuple(dissatisfied.get(row.key, ())),
        )
        for row in officers
        if row.key is not None
    ]
    black = sorted(
        (e for e in entries if e.overdue_numbers or e.dissatisfied_numbers),
        key=lambda e: (-(len(e.overdue_numbers) + len(e.dissatisfied_numbers)), e.officer_id),
    )[:BOARD_SIZE]
    flagged = {e.officer_id for e in black}
    active = [
        e for e in entries if e.officer_id not in flagged and (e.counts.new or e.counts.resolved)
    ]
    red = sorted(
        active,
        key=lambda e: (
            -(e.counts.resolution_rate or 0.0),
            -(e.counts.satisfaction or 0.0),
            -e.counts.resolved,
            e.officer_id,
        ),
    )[:BOARD_SIZE]
    return red, black


class _Queries:
    """The SQL behind one report; `key` groups by station (a literal), grid or officer."""

    def __init__(
        self, session: AsyncSession, station_id: int, start: datetime, end: datetime
    ) -> None:
        self.session, self.station_id, self.start, self.end = session, station_id, start, end
        self.dialect = session.bind.dialect.name if session.bind else "sqlite"

    # shared expressions ---------------------------------------------------------------
    def _settled(self) -> ColumnElement[bool]:
        # Resolved before `end` and still resolved now: no reopening can lie in between,
        # because reopening clears resolved_at. Most old tickets stop here, unread events.
        return and_(Ticket.status.in_(DONE_STATES), Ticket.resolved_at < self.end)

    def _unsettled(self) -> ColumnElement[bool]:
        """The complement of _settled, spelt so the status and resolved_at indexes find it."""
        if self.dialect == "postgresql":
            # A BitmapOr over both indexes.
            return or_(
                Ticket.status.in_(OPEN_STATES),
                Ticket.resolved_at.is_(None),
                Ticket.resolved_at >= self.end,
            )
        # SQLite's planner would walk every older ticket by date for the OR: hand it ids.
        t = aliased(Ticket)
        ids = union_all(
            select(t.id).where(t.station_id == self.station_id, t.status.in_(OPEN_STATES)),
            select(t.id).where(
                t.station_id == self.station_id,
                or_(t.resolved_at.is_(None), t.resolved_at >= self.end),
            ),
        )
        return Ticket.id.in_(ids)

    def _latest(self, *actions: str) -> Any:
        """Correlated: the action of this ticket's latest event among `actions` before `end`.

        Correlated on purpose: the tickets asked about are few (open, or resolved late),
        and per-ticket index lookups beat the planner's hash join over the whole event log.
        """
        return (
            select(TicketEvent.action)
            .where(
                TicketEvent.ticket_id == Ticket.id,
                TicketEvent.action.in_(actions),
                TicketEvent.at < self.end,
            )
            .order_by(TicketEvent.at.desc(), TicketEvent.id.desc())
            .limit(1)
            .correlate(Ticket)
            .scalar_subquery()
        )

    def _done_at_end(self) -> ColumnElement[int]:
        resolved = self._latest("resolved", "reopened") == "resolved"
        return case((self._settled(), 1), (resolved, 1), else_=0)

    def _open_at_end(self) -> ColumnElement[bool]:
        return and_(
            Ticket.station_id == self.station_id,
            Ticket.created_at < self.end,
            self._unsettled(),
            func.coalesce(self._latest("resolved", "reopened"), "") != "resolved",
        )

    def _overdue(self) -> ColumnElement[int]:
        """Escalated after the last event that restarted its SLA clock."""
        late = self._latest("escalated", *SLA_RESETS) == "escalated"
        return case((late, 1), else_=0)

    def _created_in_period(self) -> ColumnElement[bool]:
        return and_(
            Ticket.station_id == self.station_id,
            Ticket.created_at >= self.start,
            Ticket.created_at < self.end,
        )

    def _event_in_period(self, *actions: str) -> ColumnElement[bool]:
        return and_(
            Ticket.station_id == self.station_id,
            TicketEvent.action.in_(actions),
            TicketEvent.at >= self.start,
            TicketEvent.at < self.end,
        )

    async def _rows(self, stmt: Any) -> list[Any]:
        return list((await self.session.execute(stmt)).all())

    # counts --------------------------------------------------------------------------------
    async def counts(self) -> dict[tuple[Key, Key], Counts]:
        """Figures per (grid, officer) pair; every ticket falls in exactly one pair."""
        key = (Ticket.grid_id, Ticket.officer_id)
        acc: dict[tuple[Key, Key], dict[str, int]] = {}

        def add(g: Key, o: Key, name: str, value: Any) -> None:
            slot = acc.setdefault((g, o), {})
            slot[name] = slot.get(name, 0) + int(value or 0)

        cohort = (
            select(*key, func.count(), func.sum(self._done_at_end()))
            .where(self._created_in_period())
            .group_by(*key)
        )
        for g, o, new, resolved in await self._rows(cohort):
            add(g, o, "new", new)
            add(g, o, "resolved_of_new", resolved)
        for g, o, name, n in await self._period_events():
            add(g, o, name, n)
        backlog = (
            select(*key, func.count(), func.sum(self._overdue()))
            .where(self._open_at_end())
            .group_by(*key)
        )
        for g, o, n, late in await self._rows(backlog):
            add(g, o, "open", n)
            add(g, o, "overdue", late)
        return {
            k: replace(Counts(), **{n: max(0, v) for n, v in d.items()}) for k, d in acc.items()
        }

    async def _period_events(self) -> list[tuple[Key, Key, str, int]]:
        """Takes, resolutions, reopenings (distinct tickets) and ratings, in one pass.

        Each rating given counts +1; a change (before.rating set) takes back the old one.
        """
        rated = TicketEvent.action == "rated"
        # A subquery, so GROUP BY names columns: PostgreSQL would not match separately
        # bound JSON paths as one expression.
        inner = (
            select(
                Ticket.grid_id.label("g"),
                Ticket.officer_id.label("o"),
                TicketEvent.ticket_id.label("ticket_id"),
                TicketEvent.action.label("action"),
                case((rated, TicketEvent.after["rating"].as_integer())).label("given"),
                case((rated, TicketEvent.before["rating"].as_integer())).label("replaced"),
            )
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(self._event_in_period(*COUNTED_EVENTS, "rated"))
            .subquery()
        )
        c = inner.c
        stmt = select(
            c.g,
            c.o,
            c.action,
            c.given,
            c.replaced,
            func.count(func.distinct(c.ticket_id)),
            func.count(),
        ).group_by(c.g, c.o, c.action, c.given, c.replaced)
        rows: list[tuple[Key, Key, str, int]] = []
        for g, o, action, given, replaced, tickets, events in await self._rows(stmt):
            if action != "rated":
                rows.append((g, o, str(action), int(tickets)))
                continue
            if given in RATING_NAMES:
                rows.append((g, o, RATING_NAMES[int(given)], int(events)))
            if replaced in RATING_NAMES:
                rows.append((g, o, RATING_NAMES[int(replaced)], -int(events)))
        return rows

    # the board's ticket numbers ------------------------------------------------------------
    async def overdue_numbers(self) -> dict[int, list[int]]:
        stmt = (
            select(Ticket.officer_id, Ticket.number)
            .where(self._open_at_end(), self._overdue() == 1, Ticket.officer_id.is_not(None))
            .order_by(Ticket.number)
        )
        return _grouped(await self._rows(stmt))

    async def dissatisfied_numbers(self) -> dict[int, list[int]]:
        stmt = (
            select(Ticket.officer_id, Ticket.number)
            .distinct()
            .join(TicketEvent, TicketEvent.ticket_id == Ticket.id)
            .where(
                self._event_in_period("rated"),
                TicketEvent.after["rating"].as_integer() == DISSATISFIED,
                Ticket.officer_id.is_not(None),
            )
            .order_by(Ticket.number)
        )
        return _grouped(await self._rows(stmt))

    # durations -----------------------------------------------------------------------------
    def _epoch(self, column: Any) -> Any:
        if self.dialect == "postgresql":
            return extract("epoch", column)
        # SQLite keeps UTC text; julianday() reads it to the millisecond.
        return func.julianday(column) * 86400.0

    async def durations(self) -> Durations:
        def first(action: str) -> Any:
            return func.min(case((TicketEvent.action == action, TicketEvent.at)))

        # Tickets created in the period are taken and resolved in it or later, so the
        # events read are those of the period only.
        firsts = (
            select(
                func.min(Ticket.created_at).label("created_at"),
                first("taken").label("taken_at"),
                first("resolved").label("resolved_at"),
            )
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(self._created_in_period(), self._event_in_period("taken", "resolved"))
            .group_by(TicketEvent.ticket_id)
            .cte("firsts")
            .prefix_with("MATERIALIZED")
        )
        take = self._epoch(firsts.c.taken_at) - self._epoch(firsts.c.created_at)
        resolve = self._epoch(firsts.c.resolved_at) - self._epoch(firsts.c.created_at)
        if self.dialect == "postgresql":
            stmt = select(
                *(func.percentile_cont(p).within_group(v) for v in (take, resolve) for p in PCTS)
            )
            return Durations(*(_rounded(v) for v in (await self.session.execute(stmt)).one()))
        # SQLite has no percentile_cont: rank the values, fetch each percentile's two
        # neighbours, interpolate here. One statement, so the CTE is computed once.
        sides = [_ranked_neighbours(v) for v in (take, resolve)]
        both = select(*sides[0].c, *sides[1].c).select_from(sides[0].join(sides[1], true()))
        row = (await self.session.execute(both)).one()
        values: list[float | None] = []
        for n, *pairs in (row[:5], row[5:]):
            for p, low, high in zip(PCTS, pairs[::2], pairs[1::2], strict=True):
                values.append(_interpolate(int(n), p, low, high) if n else None)
        return Durations(*values)

    # names ---------------------------------------------------------------------------------
    async def grids(self) -> list[tuple[int, str, str]]:
        stmt = (
            select(Grid.id, Grid.code, Grid.name)
            .where(Grid.station_id == self.station_id)
            .order_by(Grid.code)
        )
        return [(int(i), str(c), str(n)) for i, c, n in await self._rows(stmt)]

    async def officer_names(self) -> dict[Key, str]:
        stmt = (
            select(Person.id, Person.name)
            .join(Role, Role.person_id == Person.id)
            .where(Role.station_id == self.station_id, Role.role == "officer")
            .order_by(Person.id)
        )
        return {int(i): str(n or i) for i, n in await self._rows(stmt)}


def _ranked_neighbours(value: Any) -> Any:
    """One row: n, then for each percentile the values ranked just below and above it."""
    v = select(value.label("v")).where(value.is_not(None)).subquery()
    ranked = select(
        v.c.v,
        (func.row_number().over(order_by=v.c.v) - 1).label("rn"),
        func.count().over().label("n"),
    ).subquery()
    cols: list[Any] = [func.max(ranked.c.n)]
    for p in PCTS:
        low = cast((ranked.c.n - 1) * p, Integer)
        cols += [
            func.min(case((ranked.c.rn == low, ranked.c.v))),
            func.min(case((ranked.c.rn == low + 1, ranked.c.v))),
        ]
    return select(*cols).subquery()


def _grouped(rows: list[Any]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for officer_id, number in rows:
        out.setdefault(int(officer_id), []).append(int(number))
    return out


def _interpolate(n: int, p: float, low: float | None, high: float | None) -> float | None:
    if low is None:
        return None
    pos = (n - 1) * p
    frac = pos - int(pos)
    value = float(low) if high is None else float(low) + (float(high) - float(low)) * frac
    return _rounded(value)


def _rounded(value: Any) -> float | None:
    # julianday() carries sub-millisecond noise; reports show whole seconds at best.
    return None if value is None else round(float(value), 3)
