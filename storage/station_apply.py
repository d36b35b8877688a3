"""Apply a station file to the database as an upsert: running it twice changes nothing."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Department, Grid, GroupChat, OfficerGrid, Person, Role, Station
from storage.station_file import StationSpec


async def apply_station(session: AsyncSession, spec: StationSpec) -> Station:
    s = spec.station
    station = await session.scalar(select(Station).where(Station.name == s.name))
    if station is None:
        station = Station(name=s.name, next_ticket_number=1)
        session.add(station)
    station.timezone, station.language, station.intake = s.timezone, s.language, s.intake
    station.sla = spec.sla.model_dump()
    await session.flush()

    grids: dict[str, Grid] = {}
    for entry in spec.grids:
        grid = await session.scalar(
            select(Grid).where(Grid.station_id == station.id, Grid.code == entry.code)
        )
        if grid is None:
            grid = Grid(station_id=station.id, code=entry.code, name=entry.name or entry.code)
            session.add(grid)
            await session.flush()
        grid.name = entry.name or entry.code
        grids[entry.code] = grid
        if entry.chat_id is not None:
            await _bind(session, entry.chat_id, grid)

    people: dict[int, str] = {o.id: o.name for o in spec.officers}
    for pid in [*s.chiefs, *s.superiors]:
        people.setdefault(pid, "")
    for pid, name in people.items():
        person = await session.get(Person, pid)
        if person is None:
            session.add(Person(id=pid, name=name))
        elif name:
            person.name = name
    await session.flush()

    wanted = {(o.id, "officer") for o in spec.officers}
    wanted |= {(pid, "chief") for pid in s.chiefs}
    wanted |= {(pid, "superior") for pid in s.superiors}
    existing = list(await session.scalars(select(Role).where(Role.station_id == station.id)))
    have = {(r.person_id, r.role): r for r in existing}
    for key, role in have.items():
        role.active = key in wanted
    for pid, name in sorted(wanted - have.keys()):
        session.add(Role(station_id=station.id, person_id=pid, role=name, active=True))

    # Every grid of the station, also those the file no longer lists: their officers go too.
    station_grid_ids = list(
        await session.scalars(select(Grid.id).where(Grid.station_id == station.id))
    )
    if station_grid_ids:
        await session.execute(delete(OfficerGrid).where(OfficerGrid.grid_id.in_(station_grid_ids)))
    for officer in spec.officers:
        for position, code in enumerate(officer.grids):
            session.add(
                OfficerGrid(grid_id=grids[code].id, person_id=officer.id, position=position)
            )

    await session.execute(delete(Department).where(Department.station_id == station.id))
    for dep in spec.departments:
        session.add(Department(station_id=station.id, name=dep.name, chat_id=dep.chat_id))
    await session.flush()
    return station


async def _bind(session: AsyncSession, chat_id: int, grid: Grid) -> None:
    await session.execute(
        update(GroupChat)
        .where(GroupChat.grid_id == grid.id, GroupChat.chat_id != chat_id)
        .values(grid_id=None)
    )
    chat = await session.get(GroupChat, chat_id)
    if chat is None:
        chat = GroupChat(chat_id=chat_id, title=grid.name, status="active")
        session.add(chat)
    chat.grid_id, chat.station_id = grid.id, grid.station_id
