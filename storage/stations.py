"""Stations, grids, group chats, people and roles."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department, Grid, GroupChat, OfficerGrid, Person, Role, Station
from storage.sql import insert_ignore


@dataclass(frozen=True, slots=True)
class GroupContext:
    chat: GroupChat
    station: Station | None
    grid: Grid | None


class StationRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, station_id: int) -> Station | None:
        return await self.session.get(Station, station_id)

    async def by_name(self, name: str) -> Station | None:
        return await self.session.scalar(select(Station).where(Station.name == name))

    async def all(self) -> list[Station]:
        return list(await self.session.scalars(select(Station).order_by(Station.id)))

    async def add(self, station: Station) -> Station:
        self.session.add(station)
        await self.session.flush()
        return station

    async def allocate_number(self, station_id: int) -> int:
        """Next ticket number of a station; the row lock serialises concurrent reports."""
        number = await self.session.scalar(
            update(Station)
            .where(Station.id == station_id)
            .values(next_ticket_number=Station.next_ticket_number + 1)
            .returning(Station.next_ticket_number)
        )
        assert number is not None
        return int(number) - 1

    # grids -----------------------------------------------------------------
    async def grids(self, station_id: int) -> list[Grid]:
        stmt = select(Grid).where(Grid.station_id == station_id).order_by(Grid.code)
        return list(await self.session.scalars(stmt))

    async def grid(self, grid_id: int) -> Grid | None:
        return await self.session.get(Grid, grid_id)

    async def grids_by_id(self, grid_ids: Collection[int]) -> list[Grid]:
        return list(await self.session.scalars(select(Grid).where(Grid.id.in_(grid_ids))))

    async def grid_by_code(self, station_id: int, code: str) -> Grid | None:
        stmt = select(Grid).where(Grid.station_id == station_id, Grid.code == code)
        return await self.session.scalar(stmt)

    async def grids_by_code(self, code: str) -> list[Grid]:
        return list(await self.session.scalars(select(Grid).where(Grid.code == code)))

    async def add_grid(self, grid: Grid) -> Grid:
        self.session.add(grid)
        await self.session.flush()
        return grid

    # group chats -------------------------------------------------------------
    async def group(self, chat_id: int) -> GroupContext | None:
        """The chat with its grid and station, in one query (every group update reads it)."""
        stmt = (
            select(GroupChat, Grid, Station)
            .outerjoin(Grid, Grid.id == GroupChat.grid_id)
            .outerjoin(Station, Station.id == GroupChat.station_id)
            .where(GroupChat.chat_id == chat_id)
        )
        row = (await self.session.execute(stmt)).first()
        if row is None:
            return None
        chat, grid, station = row
        return GroupContext(chat, station, grid)

    async def seen_group(self, chat_id: int, title: str) -> GroupChat:
        chat = await self.session.get(GroupChat, chat_id)
        if chat is None:
            chat = GroupChat(chat_id=chat_id, title=title, status="active")
            self.session.add(chat)
            await self.session.flush()
        elif title and chat.title != title:
            chat.title = title
        return chat

    async def bind(self, chat_id: int, title: str, grid: Grid) -> GroupChat:
        """Bind a group to a grid; the grid's previous group, if any, is unbound."""
        await self.session.execute(
            update(GroupChat)
            .where(GroupChat.grid_id == grid.id, GroupChat.chat_id != chat_id)
            .values(grid_id=None)
        )
        chat = await self.seen_group(chat_id, title)
        chat.grid_id = grid.id
        chat.station_id = grid.station_id
        chat.status = "active"
        chat.status_reason = None
        return chat

    async def group_of_grid(self, grid_id: int) -> GroupChat | None:
        stmt = select(GroupChat).where(GroupChat.grid_id == grid_id)
        return await self.session.scalar(stmt)

    async def bound_groups(self, station_id: int) -> list[GroupChat]:
        stmt = (
            select(GroupChat)
            .where(GroupChat.station_id == station_id, GroupChat.grid_id.is_not(None))
            .order_by(GroupChat.chat_id)
        )
        return list(await self.session.scalars(stmt))

    async def set_group_status(self, chat_id: int, status: str, reason: str | None) -> bool:
        """Change a group's status; True only when it actually changed (tell people once)."""
        result = await self.session.execute(
            update(GroupChat)
            .where(GroupChat.chat_id == chat_id, GroupChat.status != status)
            .values(status=status, status_reason=reason)
        )
        return bool(getattr(result, "rowcount", 0))

    async def migrate_group(self, old_id: int, new_id: int) -> GroupChat | None:
        """A group became a supergroup: the new chat id takes over the binding."""
        old = await self.session.get(GroupChat, old_id)
        if old is None or old.status == "migrated":
            return None
        new = await self.session.get(GroupChat, new_id)
        if new is None:
            new = GroupChat(chat_id=new_id, title=old.title, status="active")
            self.session.add(new)
        new.grid_id, new.station_id, new.status = old.grid_id, old.station_id, "active"
        old.grid_id, old.status, old.migrated_to = None, "migrated", new_id
        await self.session.flush()
        return new

    # people and roles -----------------------------------------------------------
    async def person(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def people(self, person_ids: Collection[int]) -> list[Person]:
        stmt = select(Person).where(Person.id.in_(person_ids))
        return list(await self.session.scalars(stmt))

    async def touch_person(
        self, person_id: int, name: str, username: str | None, *, private: bool = False
    ) -> Person:
        person = await self.session.get(Person, person_id)
        if person is None:
            # The same person may be seen by two updates at once (two chats, two workers).
            row = {"id": person_id, "name": name, "username": username}
            row |= {"has_private_chat": private, "blocked": False}
            await insert_ignore(self.session, Person.__table__, row)  # type: ignore[arg-type]
            person = await self.session.get(Person, person_id)
            assert person is not None
        if name and not person.name:
            person.name = name
        if username and person.username != username:
            person.username = username
        if private and (not person.has_private_chat or person.blocked):
            person.has_private_chat, person.blocked = True, False
        return person

    async def set_person_blocked(self, person_id: int) -> bool:
        result = await self.session.execute(
            update(Person)
            .where(Person.id == person_id, Person.blocked.is_(False))
            .values(blocked=True)
        )
        return bool(getattr(result, "rowcount", 0))

    async def roles(self, person_id: int) -> list[Role]:
        stmt = select(Role).where(Role.person_id == person_id, Role.active.is_(True))
        return list(await self.session.scalars(stmt.order_by(Role.station_id, Role.id)))

    async def people_with_role(self, station_id: int, role: str) -> list[Person]:
        stmt = (
            select(Person)
            .join(Role, Role.person_id == Person.id)
            .where(Role.station_id == station_id, Role.role == role, Role.active.is_(True))
            .order_by(Person.id)
        )
        return list(await self.session.scalars(stmt))

    async def has_role(self, station_id: int, person_id: int, role: str) -> bool:
        stmt = select(Role.id).where(
            Role.station_id == station_id,
            Role.person_id == person_id,
            Role.role == role,
            Role.active.is_(True),
        )
        return (await self.session.scalar(stmt)) is not None

    async def officers_of_grid(self, grid_id: int) -> list[Person]:
        stmt = (
            select(Person)
            .join(OfficerGrid, OfficerGrid.person_id == Person.id)
            .where(OfficerGrid.grid_id == grid_id)
            .order_by(OfficerGrid.position, Person.id)
        )
        return list(await self.session.scalars(stmt))

    async def grids_of_officer(self, person_id: int) -> list[Grid]:
        stmt = (
            select(Grid)
            .join(OfficerGrid, OfficerGrid.grid_id == Grid.id)
            .where(OfficerGrid.person_id == person_id)
            .order_by(Grid.code)
        )
        return list(await self.session.scalars(stmt))

    async def departments(self, station_id: int) -> list[Department]:
        stmt = select(Department).where(Department.station_id == station_id)
        return list(await self.session.scalars(stmt.order_by(Department.id)))
