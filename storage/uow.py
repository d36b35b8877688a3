"""Unit of work: one transaction per use case; leaving without commit rolls back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import writer_lock
from storage.errors import Conflict
from storage.models import Broadcast, IntakeSuggestion
from storage.outbox import OutboxRepo
from storage.runs import RunRepo
from storage.stations import StationRepo
from storage.tickets import TicketRepo


class UnitOfWork:
    stations: StationRepo
    tickets: TicketRepo
    outbox: OutboxRepo
    runs: RunRepo

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._session: AsyncSession | None = None
        self._writer: asyncio.Lock | None = None

    @property
    def session(self) -> AsyncSession:
        assert self._session is not None, "use `async with uow:`"
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        writer = writer_lock(self._sessions.kw.get("bind"))
        if writer is not None:
            await writer.acquire()
            self._writer = writer
        try:
            self._session = self._sessions()
            await self._session.begin()
        except BaseException:
            self._release()
            raise
        self.stations = StationRepo(self._session)
        self.tickets = TicketRepo(self._session)
        self.outbox = OutboxRepo(self._session)
        self.runs = RunRepo(self._session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # Keep what was read usable after the block (rollback would expire it).
            session.expunge_all()
            if session.in_transaction():
                await session.rollback()
        finally:
            try:
                await session.close()
            finally:
                self._session = None
                self._release()

    def _release(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except IntegrityError as exc:
            raise Conflict(str(exc.orig)) from exc

    async def flush(self) -> None:
        await self.session.flush()

    def writes_at_commit(self) -> AbstractContextManager[Any]:
        """No autoflush inside: for batches that never read back their own writes."""
        return self.session.no_autoflush  # type: ignore[no-any-return]

    # Small aggregates without a repository of their own.
    async def add_broadcast(self, broadcast: Broadcast) -> Broadcast:
        self.session.add(broadcast)
        await self.session.flush()
        return broadcast

    async def broadcast(self, broadcast_id: int) -> Broadcast | None:
        return await self.session.get(Broadcast, broadcast_id)

    async def suggestion(self, suggestion_id: int) -> IntakeSuggestion | None:
        return await self.session.get(IntakeSuggestion, suggestion_id)

    async def add_suggestion(self, suggestion: IntakeSuggestion) -> IntakeSuggestion:
        self.session.add(suggestion)
        await self.session.flush()
        return suggestion


UowFactory = Callable[[], UnitOfWork]


def uow_factory(sessions: async_sessionmaker[AsyncSession]) -> UowFactory:
    return lambda: UnitOfWork(sessions)
