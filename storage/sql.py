"""Small dialect-neutral helpers shared by the repositories."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession


def _insert(session: AsyncSession) -> Any:
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return pg_insert if dialect == "postgresql" else sqlite_insert


async def insert_ignore(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """INSERT … ON CONFLICT DO NOTHING; True when the row is new."""
    stmt = _insert(session)(table).values(**values).on_conflict_do_nothing()
    result = await session.execute(stmt)
    return bool(getattr(result, "rowcount", 0))


async def insert_ignore_many(
    session: AsyncSession, table: Table, rows: list[dict[str, Any]], key: str
) -> set[Any]:
    """One multi-row INSERT … ON CONFLICT DO NOTHING; the `key` values of the new rows."""
    if not rows:
        return set()
    stmt = (
        _insert(session)(table)
        .values(rows)
        .on_conflict_do_nothing()
        .returning(table.c[key])
    )
    return set((await session.execute(stmt)).scalars())


def skip_locked(session: AsyncSession) -> dict[str, Any]:
    """with_for_update() options: SKIP LOCKED on PostgreSQL; SQLite has one writer anyway."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return {"skip_locked": True} if dialect == "postgresql" else {}
