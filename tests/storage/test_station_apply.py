"""The station file applied to the database: an upsert, never a duplicate."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Department, Grid, GroupChat, OfficerGrid, Person, Role, Station
from storage.station_apply import apply_station
from storage.station_file import parse_station
from storage.uow import UnitOfWork
from tests.fakes.station import (
    CHIEF,
    GROUP,
    GROUP_B,
    OFFICER,
    OFFICER_B,
    SUPERIOR,
    station_toml,
)

TABLES = (Station, Grid, GroupChat, Person, Role, OfficerGrid, Department)
# Link rows are rewritten on every apply; nothing refers to their ids.
REWRITTEN = (OfficerGrid, Department)


async def apply(sessions: async_sessionmaker[AsyncSession], toml: str) -> int:
    async with sessions() as session, session.begin():
        station = await apply_station(session, parse_station(toml))
        return station.id


async def snapshot(sessions: async_sessionmaker[AsyncSession]) -> dict[str, list[Any]]:
    rows: dict[str, list[Any]] = {}
    async with sessions() as session:
        for model in TABLES:
            columns = [c.key for c in model.__table__.columns
                       if not (model in REWRITTEN and c.key == "id")]
            found = await session.execute(select(*[getattr(model, c) for c in columns]))
            rows[model.__tablename__] = sorted(tuple(r) for r in found.all())
    return rows


async def test_station_file_applied_twice_changes_nothing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await apply(sessions, station_toml())
    before = await snapshot(sessions)
    assert await apply(sessions, station_toml()) == first
    assert await snapshot(sessions) == before


async def test_station_file_creates_grids_people_roles_and_bindings(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    station_id = await apply(sessions, station_toml())
    async with UnitOfWork(sessions) as uow:
        codes = [g.code for g in await uow.stations.grids(station_id)]
        assert codes == ["NH-01", "NH-02", "NH-03"]
        assert [p.id for p in await uow.stations.people_with_role(station_id, "chief")] == [CHIEF]
        assert [p.id for p in await uow.stations.people_with_role(station_id, "superior")] == [
            SUPERIOR]
        assert [p.id for p in await uow.stations.people_with_role(station_id, "officer")] == [
            OFFICER, OFFICER_B]
        assert [g.code for g in await uow.stations.grids_of_officer(OFFICER)] == ["NH-01", "NH-02"]
        group = await uow.stations.group(GROUP)
        assert group is not None
        assert group.grid is not None
        assert (group.grid.code, group.station is not None) == ("NH-01", True)
        assert (await uow.stations.person(OFFICER)).name == "王向阳"  # type: ignore[union-attr]


async def test_edited_station_file_updates_officers_grids_and_roles(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    station_id = await apply(sessions, station_toml())
    edited = (station_toml()
              .replace('name = "李明"', 'name = "李明亮"')
              .replace('grids = ["NH-03"]', 'grids = ["NH-02", "NH-03"]')
              .replace('name = "南湖社区二网格"', 'name = "南湖二网格（新）"')
              .replace(f"chiefs = [{CHIEF}]", f"chiefs = [{OFFICER_B}]")
              .replace('accept = "30m"', 'accept = "20m"'))
    assert await apply(sessions, edited) == station_id
    async with UnitOfWork(sessions) as uow:
        nh02 = await uow.stations.grid_by_code(station_id, "NH-02")
        assert nh02 is not None
        assert nh02.name == "南湖二网格（新）"
        assert {p.id for p in await uow.stations.officers_of_grid(nh02.id)} == {
            OFFICER, OFFICER_B}
        assert (await uow.stations.person(OFFICER_B)).name == "李明亮"  # type: ignore[union-attr]
        assert not await uow.stations.has_role(station_id, CHIEF, "chief")
        assert await uow.stations.has_role(station_id, OFFICER_B, "chief")
        station = await uow.stations.get(station_id)
        assert station is not None
        assert station.sla["accept"] == 20 * 60
        assert len(await uow.stations.all()) == 1


async def test_officer_removed_from_station_file_loses_role_and_grids(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    station_id = await apply(sessions, station_toml())
    without_b = station_toml().replace(
        f'[[officers]]\nid = {OFFICER_B}\nname = "李明"\ngrids = ["NH-03"]\n', "")
    assert without_b != station_toml()
    await apply(sessions, without_b)
    async with UnitOfWork(sessions) as uow:
        assert not await uow.stations.has_role(station_id, OFFICER_B, "officer")
        assert await uow.stations.grids_of_officer(OFFICER_B) == []


async def test_officer_added_back_gets_the_role_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    station_id = await apply(sessions, station_toml())
    await apply(sessions, station_toml().replace(f"chiefs = [{CHIEF}]", "chiefs = []"))
    await apply(sessions, station_toml())
    async with UnitOfWork(sessions) as uow:
        assert await uow.stations.has_role(station_id, CHIEF, "chief")


async def test_changed_chat_id_moves_the_grid_binding(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    station_id = await apply(sessions, station_toml())
    new_chat = -1009999
    await apply(sessions, station_toml().replace(f"chat_id = {GROUP_B}", f"chat_id = {new_chat}"))
    async with UnitOfWork(sessions) as uow:
        nh03 = await uow.stations.grid_by_code(station_id, "NH-03")
        assert nh03 is not None
        bound = await uow.stations.group_of_grid(nh03.id)
        assert bound is not None
        assert bound.chat_id == new_chat
        old = await uow.stations.group(GROUP_B)
        assert old is not None
        assert old.grid is None


async def test_grid_removed_from_station_file_keeps_no_officers(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await apply(sessions, station_toml())
    without_nh03 = (station_toml()
                    .replace('grids = ["NH-03"]', 'grids = ["NH-02"]')
                    .replace(f'[[grids]]\ncode = "NH-03"\nname = "北岸社区三网格"\n'
                             f"chat_id = {GROUP_B}\n", ""))
    assert "NH-03" not in without_nh03
    await apply(sessions, without_nh03)
    async with UnitOfWork(sessions) as uow:
        assert [g.code for g in await uow.stations.grids_of_officer(OFFICER_B)] == ["NH-02"]


async def test_two_stations_keep_separate_grids_with_the_same_code(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first = await apply(sessions, station_toml())
    other = ('[station]\nname = "老城派出所"\nchiefs = [1001]\n'
             '[[grids]]\ncode = "NH-01"\nname = "老城一网格"\n')
    second = await apply(sessions, other)
    assert first != second
    async with UnitOfWork(sessions) as uow:
        assert len(await uow.stations.grids_by_code("NH-01")) == 2
        assert [g.name for g in await uow.stations.grids(second)] == ["老城一网格"]
        assert await uow.stations.has_role(first, CHIEF, "chief")
        assert await uow.stations.has_role(second, CHIEF, "chief")
