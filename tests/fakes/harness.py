"""The bot under test: the real `run_bot` entry point, polling the fake Bot API over HTTP."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import func, select

from bot.app import Hooks, run_bot
from bot.ratelimit import Limits
from bot.sandbox.fakeapi import FakeBotAPI
from bot.sandbox.fakeapi.records import BotMessage
from bot.settings import Settings
from handlers.clock import OffsetClock
from handlers.deps import Deps
from storage.db import create_engine, session_factory
from storage.models import OutboxMessage, Ticket, TicketEvent
from storage.station_file import parse_station
from storage.uow import UnitOfWork, uow_factory
from tests.fakes.station import station_toml

TOKEN = "123456:TEST-token"
T = TypeVar("T")


class Gridbot:
    """Start, stop, restart the bot; look into its database; move its clock."""

    def __init__(self, fake: FakeBotAPI, framework: str, database_url: str) -> None:
        self.fake, self.framework, self.database_url = fake, framework, database_url
        self.clock = OffsetClock()
        self.station = station_toml()
        self.limits: Limits | None = None
        self.deps: Deps | None = None
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.engine = create_engine(database_url)
        self.uow = uow_factory(session_factory(self.engine))

    def settings(self) -> Settings:
        return Settings(
            token=TOKEN,
            api_url=self.fake.url,
            database_url=self.database_url,
            framework=self.framework,
            poll_timeout=2,
        )  # type: ignore[arg-type]

    async def start(self, **station: str) -> None:
        if station:
            self.station = station_toml(**station)
        ready = asyncio.Event()

        def on_ready(deps: Deps) -> None:
            self.deps = deps
            ready.set()

        self._stop = asyncio.Event()
        hooks = Hooks(clock=self.clock, limits=self.limits, on_ready=on_ready, sweep_seconds=3600)
        self._task = asyncio.create_task(
            run_bot(
                self.settings(), self._stop, stations=[parse_station(self.station)], hooks=hooks
            )
        )
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self._task}, timeout=30, return_when=asyncio.FIRST_COMPLETED
        )
        if self._task in done:
            waiter.cancel()
            self._task.result()
        assert ready.is_set(), "bot did not start in 30 s"

    async def stop(self) -> None:
        """The same path SIGTERM takes."""
        if self._task is None:
            return
        self._stop.set()
        task, self._task = self._task, None
        done, _ = await asyncio.wait({task}, timeout=30)
        if not done:
            task.cancel()
            await asyncio.wait({task}, timeout=10)
            raise AssertionError("the bot did not stop within 30 s of SIGTERM's path")
        task.result()

    async def restart(self) -> None:
        await self.stop()
        await self.start()

    async def close(self) -> None:
        try:
            await self.stop()
        finally:
            await self.engine.dispose()

    # waiting ----------------------------------------------------------------------------
    async def idle(self, timeout: float = 15) -> None:
        """Until every update is handled and every due outbox row is sent or failed."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.fake.pending_updates() and await self._outbox_settled():
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"bot not idle after {timeout}s: {await self.outbox_counts()}")

    async def _outbox_settled(self) -> bool:
        counts = await self.outbox_counts()
        return counts.get("pending", 0) + counts.get("sending", 0) == 0

    async def outbox_counts(self) -> dict[str, int]:
        async with self.uow() as uow:
            return await uow.outbox.counts()

    # looking into the database ----------------------------------------------------------------
    async def query(self, fn: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async with self.uow() as uow:
            return await fn(uow)

    async def tickets(self) -> list[Ticket]:
        async def fetch(uow: UnitOfWork) -> list[Ticket]:
            return list(await uow.session.scalars(select(Ticket).order_by(Ticket.id)))

        return await self.query(fetch)

    async def ticket(self, number: int) -> Ticket:
        tickets = [t for t in await self.tickets() if t.number == number]
        assert tickets, f"no ticket #{number}"
        return tickets[0]

    async def ticket_count(self) -> int:
        async def count(uow: UnitOfWork) -> int:
            return int(await uow.session.scalar(select(func.count()).select_from(Ticket)) or 0)

        return await self.query(count)

    async def events(self, number: int) -> list[TicketEvent]:
        ticket = await self.ticket(number)
        return await self.query(lambda uow: uow.tickets.events(ticket.id))

    async def outbox(self) -> list[OutboxMessage]:
        async def fetch(uow: UnitOfWork) -> list[OutboxMessage]:
            return list(
                await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
            )

        return await self.query(fetch)

    async def snapshot(self) -> list[dict[str, Any]]:
        """Every ticket's fields, to prove a refused command changed nothing."""
        return [
            {c.key: getattr(t, c.key) for c in Ticket.__table__.columns}
            for t in await self.tickets()
        ]

    # clock and jobs ------------------------------------------------------------------------------
    async def run_job(self, job: Callable[[Deps], Awaitable[Any]]) -> Any:
        assert self.deps is not None
        return await job(self.deps)


async def said(
    fake: FakeBotAPI,
    chat_id: int,
    contains: str,
    *,
    since: int = 0,
    reply_to: int | None = None,
    timeout: float = 10,
) -> BotMessage:
    return await fake.wait_for_message(
        chat_id=chat_id, contains=contains, since=since, reply_to=reply_to, timeout=timeout
    )
