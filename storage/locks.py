"""PostgreSQL session-level advisory lock on a connection of its own, plus NOTIFY/LISTEN."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg
import structlog
from sqlalchemy.engine import make_url

log = structlog.get_logger("gridbot.locks")

LEADER_KEY = 827362  # 827361 is the migration lock (storage/migrate.py)
OUTBOX_CHANNEL = "gridbot_outbox"
CALL_TIMEOUT = 5.0
# The server notices a vanished client (power loss, partition) within about 25 s.
KEEPALIVE = {
    "tcp_keepalives_idle": "10",
    "tcp_keepalives_interval": "5",
    "tcp_keepalives_count": "3",
    "application_name": "gridbot-leader",
}


def asyncpg_dsn(url: str) -> str:
    """The SQLAlchemy URL as a plain libpq DSN for asyncpg."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


class AdvisoryLock:
    """Held while its connection lives: a killed holder frees it when the server sees it gone."""

    def __init__(self, url: str, key: int = LEADER_KEY) -> None:
        self.dsn, self.key = asyncpg_dsn(url), key
        self.held = False
        self._conn: Any = None
        self._mutex = asyncio.Lock()
        self._listeners: dict[str, Callable[[], None]] = {}

    async def check(self) -> bool:
        """Take the lock if free, or confirm it is still ours; False on any database trouble."""
        async with self._mutex:
            try:
                conn = await self._connection()
                if self.held:
                    await asyncio.wait_for(conn.fetchval("SELECT 1"), CALL_TIMEOUT)
                else:
                    self.held = bool(
                        await asyncio.wait_for(
                            conn.fetchval("SELECT pg_try_advisory_lock($1)", self.key),
                            CALL_TIMEOUT,
                        )
                    )
            except Exception as exc:
                log.warning("lock.check_failed", key=self.key, error=repr(exc))
                await self._drop()
            return self.held

    async def notify(self, channel: str = OUTBOX_CHANNEL) -> None:
        async with self._mutex:
            try:
                conn = await self._connection()
                await asyncio.wait_for(
                    conn.execute("SELECT pg_notify($1, '')", channel), CALL_TIMEOUT
                )
            except Exception as exc:
                log.warning("lock.notify_failed", error=repr(exc))
                await self._drop()

    def listen(self, callback: Callable[[], None], channel: str = OUTBOX_CHANNEL) -> None:
        """Call `callback` on every NOTIFY (from the next connect on)."""
        self._listeners[channel] = callback

    async def release(self) -> None:
        async with self._mutex:
            await self._drop()

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            self.held = False
            self._conn = await asyncio.wait_for(
                asyncpg.connect(self.dsn, server_settings=KEEPALIVE), CALL_TIMEOUT
            )
            for channel, callback in self._listeners.items():
                await self._conn.add_listener(channel, _adapter(callback))
        return self._conn

    async def _drop(self) -> None:
        """Closing the session is what releases a session-level lock."""
        conn, self._conn, self.held = self._conn, None, False
        if conn is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(conn.close(), CALL_TIMEOUT)
            if not conn.is_closed():
                conn.terminate()


def _adapter(callback: Callable[[], None]) -> Callable[..., None]:
    def on_notify(*_args: object) -> None:
        callback()

    return on_notify
