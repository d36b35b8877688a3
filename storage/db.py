"""Engine and session factory; SQLite gets WAL and immediate transactions."""

from __future__ import annotations

import asyncio
import weakref
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def create_engine(url: str, *, pool_size: int = 5) -> AsyncEngine:
    """Create the async engine for a SQLAlchemy URL (sqlite+aiosqlite or postgresql+asyncpg)."""
    if is_sqlite(url):
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _configure_sqlite(engine)
        return engine
    return create_async_engine(url, pool_size=pool_size, max_overflow=10, pool_pre_ping=True)


def _configure_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transactions into our own hands so BEGIN IMMEDIATE below is used.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        # A deferred transaction that reads and then writes fails at once with SQLITE_BUSY
        # when another writer got in between; IMMEDIATE waits for the lock instead.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


_WRITERS: weakref.WeakKeyDictionary[
    Engine, weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Lock]
] = weakref.WeakKeyDictionary()


def writer_lock(engine: AsyncEngine | None) -> asyncio.Lock | None:
    """SQLite: the lock this process's transactions on `engine` queue on; None elsewhere.

    Every SQLite transaction here is BEGIN IMMEDIATE, so there is one writer at a time
    anyway. Left to SQLite, a waiting writer sleeps in the busy handler (1, 2, 5 … 100 ms)
    and wakes late; queueing in-process hands the lock over at once. Other processes on the
    same file still meet the busy timeout. One lock per event loop (tests run several).
    """
    if engine is None or engine.dialect.name != "sqlite":
        return None
    loop = asyncio.get_running_loop()
    per_loop = _WRITERS.setdefault(engine.sync_engine, weakref.WeakKeyDictionary())
    lock = per_loop.get(loop)
    if lock is None:
        lock = per_loop[loop] = asyncio.Lock()
    return lock


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)
