"""Alembic migrations create the schema the models describe; running them again is harmless."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine
from storage.migrate import alembic_config, upgrade
from storage.models import Base


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    yield engine
    await engine.dispose()


async def table_names(engine: AsyncEngine) -> set[str]:
    async with engine.connect() as conn:
        return set(await conn.run_sync(lambda c: inspect(c).get_table_names()))


def schema_diff(conn: Connection) -> list[Any]:
    context = MigrationContext.configure(conn, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_creates_every_model_table(engine: AsyncEngine) -> None:
    assert await table_names(engine) == set()
    await upgrade(engine)
    assert set(Base.metadata.tables) <= await table_names(engine)


async def test_upgrade_records_the_head_revision(engine: AsyncEngine) -> None:
    await upgrade(engine)
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    async with engine.connect() as conn:
        version = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    assert version == head


async def test_upgrade_twice_changes_nothing(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.execute(text(
            "INSERT INTO station (name, timezone, language, intake, sla, next_ticket_number) "
            "VALUES ('新城派出所', 'Asia/Shanghai', 'zh', 'suggest', '{}', 5)"))
    tables = await table_names(engine)
    await upgrade(engine)
    assert await table_names(engine) == tables
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT next_ticket_number FROM station")) == 5


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await upgrade(engine)
    async with engine.connect() as conn:
        assert await conn.run_sync(schema_diff) == []
