"""Ticket queries and the audit trail."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Escalation, Ticket, TicketEvent
from storage.sql import insert_ignore_many, skip_locked

OPEN_STATES = ("new", "taken", "reopened")


class TicketRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, ticket: Ticket) -> Ticket:
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def get(self, ticket_id: int) -> Ticket | None:
        return await self.session.get(Ticket, ticket_id)

    async def by_number(
        self, station_id: int, number: int, *, lock: bool = False
    ) -> Ticket | None:
        stmt = select(Ticket).where(Ticket.station_id == station_id, Ticket.number == number)
        if lock:
            stmt = stmt.with_for_update()
        return await self.session.scalar(stmt)

    async def by_source(self, chat_id: int, message_id: int) -> Ticket | None:
        stmt = select(Ticket).where(
            Ticket.source_chat_id == chat_id, Ticket.source_message_id == message_id
        )
        return await self.session.scalar(stmt)

    async def open_for_reporter(self, station_id: int, reporter_id: int) -> list[Ticket]:
        stmt = select(Ticket).where(
            Ticket.station_id == station_id,
            Ticket.reporter_id == reporter_id,
            Ticket.status.in_(OPEN_STATES),
        )
        return list(await self.session.scalars(stmt.order_by(Ticket.number)))

    async def open_for_officer(self, officer_id: int) -> list[Ticket]:
        stmt = select(Ticket).where(
            Ticket.officer_id == officer_id, Ticket.status.in_(OPEN_STATES)
        )
        return list(await self.session.scalars(stmt.order_by(Ticket.number)))

    async def open_in_station(self, station_id: int, limit: int = 50) -> list[Ticket]:
        stmt = select(Ticket).where(
            Ticket.station_id == station_id, Ticket.status.in_(OPEN_STATES)
        )
        return list(await self.session.scalars(stmt.order_by(Ticket.number).limit(limit)))

    async def escalated(self, station_id: int, limit: int = 50) -> list[Ticket]:
        """Open tickets past at least one SLA limit, oldest first."""
        stmt = select(Ticket).where(
            Ticket.station_id == station_id,
            Ticket.status.in_(OPEN_STATES),
            Ticket.escalation_stage.is_not(None),
        )
        return list(await self.session.scalars(stmt.order_by(Ticket.created_at).limit(limit)))

    async def due_for_escalation(self, now: datetime, limit: int = 200) -> Sequence[Ticket]:
        """Rows whose next escalation is due, locked so a second process skips them."""
        stmt = (
            select(Ticket)
            .where(Ticket.next_escalation_at <= now)
            .order_by(Ticket.next_escalation_at)
            .limit(limit)
            .with_for_update(**skip_locked(self.session))
        )
        return list(await self.session.scalars(stmt))

    async def due_for_follow_up(self, now: datetime, limit: int = 200) -> Sequence[Ticket]:
        stmt = (
            select(Ticket)
            .where(Ticket.follow_up_at <= now)
            .order_by(Ticket.follow_up_at)
            .limit(limit)
            .with_for_update(**skip_locked(self.session))
        )
        return list(await self.session.scalars(stmt))

    async def count_by_status(self, station_id: int) -> dict[str, int]:
        stmt = (
            select(Ticket.status, func.count())
            .where(Ticket.station_id == station_id)
            .group_by(Ticket.status)
        )
        return {status: int(n) for status, n in (await self.session.execute(stmt)).all()}

    async def record_event(
        self,
        ticket: Ticket,
        *,
        actor_id: int | None,
        action: str,
        at: datetime,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        note: str | None = None,
        internal: bool = False,
    ) -> None:
        self.session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=actor_id,
                action=action,
                before=before or {},
                after=after or {},
                note=note,
                internal=internal,
                at=at,
            )
        )

    async def events(self, ticket_id: int) -> list[TicketEvent]:
        stmt = select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
        return list(await self.session.scalars(stmt.order_by(TicketEvent.id)))

    async def record_escalation(
        self, ticket_id: int, level: str, cycle: int, at: datetime
    ) -> bool:
        """True the first time a (ticket, level, cycle) escalation is recorded, in any process."""
        return ticket_id in await self.record_escalations([(ticket_id, level, cycle)], at)

    async def record_escalations(
        self, steps: list[tuple[int, str, int]], at: datetime
    ) -> set[int]:
        """Record (ticket, level, cycle) escalations in one statement; the tickets recorded
        for the first time, in any process. At most one step per ticket."""
        rows = [{"ticket_id": t, "level": lv, "cycle": c, "at": at} for t, lv, c in steps]
        return await insert_ignore_many(
            self.session,
            Escalation.__table__,  # type: ignore[arg-type]
            rows,
            "ticket_id",
        )
