"""One leader among the workers: it alone runs the scheduler and the outbox sender.

One sender keeps Telegram's global 30 messages/s across workers; the once-only guarantees
themselves live in the database (processed updates, outbox claims, escalation keys).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.outbox_sender import OutboxSender
from handlers.deps import Deps
from scheduler.setup import build_scheduler
from storage.locks import AdvisoryLock

log = structlog.get_logger("gridbot.leader")

RETRY_SECONDS = 5.0
FLUSH_SECONDS = 10.0


class Duties:
    """What only the leader runs: scheduled jobs and the outbox sender."""

    def __init__(self, deps: Deps, sender: OutboxSender, *, sweep_seconds: float) -> None:
        self.deps, self.sender, self.sweep_seconds = deps, sender, sweep_seconds
        self._scheduler: AsyncIOScheduler | None = None
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._scheduler = build_scheduler(self.deps, sweep_seconds=self.sweep_seconds)
        self._scheduler.start()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self.sender.run(self._stop), name="sender")
        self.sender.wake()

    async def stop(self, *, flush: bool) -> None:
        """Stop both; `flush` (shutdown) also sends what is due, for up to FLUSH_SECONDS."""
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        self._stop.set()
        self.sender.wake()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.sender.wait_inflight(FLUSH_SECONDS)
        if flush:
            await self.sender.drain(time.monotonic() + FLUSH_SECONDS)


class Leadership:
    """Holds or keeps trying for the leader lock; SQLite (one process) always leads."""

    def __init__(
        self, lock: AdvisoryLock | None, duties: Duties, *, retry_seconds: float = RETRY_SECONDS
    ) -> None:
        self.lock, self.duties, self.retry_seconds = lock, duties, retry_seconds
        self.is_leader = False
        self._notify: asyncio.Task[None] | None = None
        self._dirty = False
        if lock is not None:
            lock.listen(duties.sender.wake)

    async def check(self) -> None:
        held = True if self.lock is None else await self.lock.check()
        if held and not self.is_leader:
            self.is_leader = True
            log.info("leader.gained")
            self.duties.start()
        elif not held and self.is_leader:
            self.is_leader = False
            log.warning("leader.lost")
            await self.duties.stop(flush=False)

    async def run(self, stop: asyncio.Event) -> None:
        """Re-check every few seconds until `stop`: followers take over from a dead leader."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.retry_seconds):
                    await stop.wait()
            if not stop.is_set():
                await self.check()

    def wake_sender(self) -> None:
        """New outbox rows: wake our sender, or tell the leader's through NOTIFY."""
        if self.is_leader or self.lock is None:
            self.duties.sender.wake()
        else:
            self._dirty = True
            if self._notify is None or self._notify.done():
                self._notify = asyncio.get_running_loop().create_task(self._send_notify())

    async def _send_notify(self) -> None:
        while self._dirty and self.lock is not None:
            self._dirty = False
            await self.lock.notify()

    async def finish(self) -> None:
        """On shutdown the leader flushes; a follower that finds no leader left flushes too."""
        if not self.is_leader and self.lock is not None and await self.lock.check():
            self.is_leader = True
        if self.is_leader:
            await self.duties.stop(flush=True)
            log.info("bot.flushed", sent=self.duties.sender.sent)
        self.is_leader = False
        if self._notify is not None:
            with contextlib.suppress(Exception):
                await self._notify
        if self.lock is not None:
            await self.lock.release()
