"""Alembic upgrade to head, run from the application on start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    if url:
        cfg.set_main_option("sqlalchemy.url", url)
    return cfg


def _upgrade(connection: Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "head")


async def upgrade(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent; safe from two processes on PG)."""
    async with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            # Two workers starting together must not both create the tables.
            await conn.exec_driver_sql("SELECT pg_advisory_xact_lock(827361)")
        await conn.run_sync(_upgrade)
