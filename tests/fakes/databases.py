"""Real databases for tests: a SQLite file, or a fresh PostgreSQL database per test."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

PG_ADMIN = os.environ.get("GRIDBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")


async def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        conn = await asyncpg.connect(PG_ADMIN, timeout=3)
    except (OSError, asyncpg.PostgresError) as exc:
        return f"PostgreSQL at {PG_ADMIN} does not answer: {exc}"
    await conn.close()
    return None


@asynccontextmanager
async def database(kind: str, tmp_path: Path) -> AsyncIterator[str]:
    """Yield a SQLAlchemy async URL for an empty database of this kind."""
    if kind == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'gridbot.db'}"
        return
    name = f"gridbot_t_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_ADMIN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    try:
        yield f"{base}/{name}"
    finally:
        admin = await asyncpg.connect(PG_ADMIN)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()
