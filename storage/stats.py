"""Aggregates for /stats and the reports, computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql import ColumnElement

from storage.models import Ticket, TicketEvent

OPEN_STATES = ("new", "taken", "reopened")


@dataclass(frozen=True, slots=True)
class Summary:
    new: int
    taken: int
    resolved: int
    open: int
    overdue: int
    ratings: dict[int, int]

    @property
    def satisfaction(self) -> float | None:
        rated = sum(self.ratings.values())
        if not rated:
            return None
        return (self.ratings.get(1, 0) + self.ratings.get(2, 0)) / rated


async def summary(
    session: AsyncSession, station_id: int, start: datetime, end: datetime
) -> Summary:
    """Counts for tickets of one station in [start, end); open and overdue as of now."""
    in_station = Ticket.station_id == station_id

    def between(
        column: InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None],
    ) -> ColumnElement[bool]:
        return and_(column >= start, column < end)

    new = await session.scalar(
        select(func.count()).select_from(Ticket).where(in_station, between(Ticket.created_at))
    )
    taken = await session.scalar(
        select(func.count(func.distinct(TicketEvent.ticket_id)))
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(in_station, TicketEvent.action == "taken", between(TicketEvent.at))
    )
    resolved = await session.scalar(
        select(func.count(func.distinct(TicketEvent.ticket_id)))
        .join(Ticket, Ticket.id == TicketEvent.ticket_id)
        .where(in_station, TicketEvent.action == "resolved", between(TicketEvent.at))
    )
    open_now = await session.scalar(
        select(func.count()).select_from(Ticket).where(in_station, Ticket.status.in_(OPEN_STATES))
    )
    overdue = await session.scalar(
        select(func.count())
        .select_from(Ticket)
        .where(in_station, Ticket.status.in_(OPEN_STATES), Ticket.escalation_stage.is_not(None))
    )
    rows = await session.execute(
        select(Ticket.rating, func.count())
        .where(in_station, Ticket.rating.is_not(None), between(Ticket.rated_at))
        .group_by(Ticket.rating)
    )
    return Summary(
        new=int(new or 0),
        taken=int(taken or 0),
        resolved=int(resolved or 0),
        open=int(open_now or 0),
        overdue=int(overdue or 0),
        ratings={int(r or 0): int(n) for r, n in rows.all()},
    )
