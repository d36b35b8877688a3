"""One handled event: its unit of work, station, sender's roles and the messages it emits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from handlers.deps import Deps
from handlers.errors import NotAllowed, TicketNotFound
from handlers.events import Button, Incoming, Outgoing
from handlers.masking import mask
from handlers.texts import Texts, catalogue
from handlers.ticket_flow import change_ticket
from storage.models import Grid, GroupChat, OutboxMessage, Person, Station, Ticket
from storage.uow import UnitOfWork

PRIORITY_REPLY = 1
PRIORITY_NOTICE = 3
PRIORITY_BROADCAST = 8


def is_group(chat_id: int) -> bool:
    """Telegram group and channel ids are negative; private chats are the user's id."""
    return chat_id < 0


@dataclass(slots=True)
class Turn:
    uow: UnitOfWork
    deps: Deps
    event: Incoming | None
    now: datetime
    station: Station | None = None
    group: GroupChat | None = None
    grid: Grid | None = None
    roles: set[str] = field(default_factory=set)
    emitted: int = 0
    # Names and staff lists read once per turn: a sweep names the same grids and chiefs often.
    _names: dict[tuple[str, int], str] = field(default_factory=dict)
    _staff: dict[tuple[int, str], list[int]] = field(default_factory=dict)

    @property
    def texts(self) -> Texts:
        return catalogue(self.station.language if self.station else "zh")

    @property
    def t(self) -> Texts:
        return self.texts

    @property
    def sender_id(self) -> int:
        assert self.event is not None
        return self.event.sender.id

    @property
    def is_officer(self) -> bool:
        return bool(self.roles & {"officer", "chief"})

    @property
    def is_chief(self) -> bool:
        return "chief" in self.roles

    def require_officer(self) -> Station:
        if self.station is None or not self.is_officer:
            raise NotAllowed("refused_officer")
        return self.station

    def require_chief(self) -> Station:
        if self.station is None or not self.is_chief:
            raise NotAllowed("refused_chief")
        return self.station

    async def ticket(self, number: int, *, lock: bool = True) -> Ticket:
        if self.station is None:
            raise TicketNotFound(number)
        ticket = await self.uow.tickets.by_number(self.station.id, number, lock=lock)
        if ticket is None:
            raise TicketNotFound(number)
        return ticket

    async def change(
        self,
        ticket: Ticket,
        action: str,
        *,
        note: str | None = None,
        internal: bool = False,
        **changes: Any,
    ) -> None:
        """Change a ticket in this turn's station, audited as done by the sender now."""
        assert self.station is not None
        actor = self.event.sender.id if self.event is not None else None
        await change_ticket(
            self.uow,
            self.station,
            ticket,
            action=action,
            actor_id=actor,
            now=self.now,
            note=note,
            internal=internal,
            **changes,
        )

    # emitting ----------------------------------------------------------------
    async def send(self, out: Outgoing) -> None:
        """Queue a message in this transaction; groups only ever see masked text."""
        text = mask(out.text) if is_group(out.chat_id) else out.text
        await self.uow.outbox.add(
            OutboxMessage(
                chat_id=out.chat_id,
                kind=out.kind,
                text=text,
                reply_to=out.reply_to,
                buttons=[[[b.text, b.data] for b in row] for row in out.buttons],
                attachment=out.attachment,
                filename=out.filename,
                priority=out.priority,
                status="pending",
                attempts=0,
                available_at=self.now,
                created_at=self.now,
                ticket_id=out.ticket_id,
                broadcast_id=out.broadcast_id,
                station_id=self.station.id if self.station else None,
            )
        )
        self.emitted += 1

    async def say(
        self,
        chat_id: int,
        key: str,
        *,
        reply_to: int | None = None,
        buttons: tuple[tuple[Button, ...], ...] = (),
        ticket: Ticket | None = None,
        priority: int = PRIORITY_NOTICE,
        **values: Any,
    ) -> None:
        await self.send(
            Outgoing(
                chat_id=chat_id,
                text=self.t(key, **values),
                reply_to=reply_to,
                buttons=buttons,
                ticket_id=ticket.id if ticket else None,
                priority=priority,
            )
        )

    async def answer(self, key: str, **values: Any) -> None:
        """Answer the sender where they wrote; in a group as a reply to their message."""
        await self.answer_text(self.t(key, **values))

    async def answer_text(self, text: str) -> None:
        """Answer with text composed from catalogue entries (lists, reports)."""
        assert self.event is not None
        chat = self.event.chat
        reply_to = (
            self.event.message_id if chat.kind == "group" and self.event.message_id else None
        )
        await self.send(
            Outgoing(chat_id=chat.id, text=text, reply_to=reply_to, priority=PRIORITY_REPLY)
        )

    async def to_group_of(self, ticket: Ticket, key: str, **values: Any) -> None:
        """Post about a ticket in its grid's group (the bot's own message, naming it)."""
        chat_id = await self.ticket_chat(ticket)
        if chat_id is not None:
            await self.say(chat_id, key, ticket=ticket, number=ticket.number, **values)

    async def ticket_chat(self, ticket: Ticket) -> int | None:
        if ticket.grid_id is not None:
            group = await self.uow.stations.group_of_grid(ticket.grid_id)
            if group is not None and group.status == "active":
                return group.chat_id
        return ticket.source_chat_id

    async def to_chiefs(self, station: Station, key: str, **values: Any) -> None:
        for chief_id in await self.staff(station, "chief"):
            await self.say(chief_id, key, **values)

    async def staff(self, station: Station, role: str) -> list[int]:
        cached = self._staff.get((station.id, role))
        if cached is None:
            people = await self.uow.stations.people_with_role(station.id, role)
            cached = self._staff[(station.id, role)] = [p.id for p in people]
        return cached

    # naming ----------------------------------------------------------------------
    async def preload_names(self, *, grid_ids: set[int], person_ids: set[int]) -> None:
        """Read many names in two queries, for batches (sweeps) that name many tickets."""
        grid_ids -= {i for kind, i in self._names if kind == "grid"}
        person_ids -= {i for kind, i in self._names if kind == "person"}
        if grid_ids:
            for grid in await self.uow.stations.grids_by_id(grid_ids):
                self._names[("grid", grid.id)] = grid.name
        if person_ids:
            for person in await self.uow.stations.people(person_ids):
                self._names[("person", person.id)] = person.name

    async def person_name(self, person_id: int | None, fallback: str = "") -> str:
        if person_id is None:
            return fallback or self.t("no_officer")
        name = self._names.get(("person", person_id))
        if name is None:
            person: Person | None = await self.uow.stations.person(person_id)
            name = self._names[("person", person_id)] = person.name if person else ""
        return name or fallback or str(person_id)

    async def grid_name(self, grid_id: int | None) -> str:
        if grid_id is None:
            return "-"
        name = self._names.get(("grid", grid_id))
        if name is None:
            grid = await self.uow.stations.grid(grid_id)
            name = self._names[("grid", grid_id)] = grid.name if grid else "-"
        return name
