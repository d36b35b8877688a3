"""Webhook mode's durable inbox, seen from one worker: accept, claim, handle, delete.

A pushed update is committed to the inbox before Telegram gets its 200, so a worker killed
with -9 loses nothing: its claims run out (storage.inbox.LEASE) and any worker, or its own
next start, takes them again. The core's processed-update marker makes a second run of an
update that was handled but not yet deleted a no-op.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from datetime import UTC, datetime

import structlog

from bot.runtime import RawUpdate
from bot.webhook import CONCURRENCY, ChatQueues, Feed, chat_key
from storage.inbox import LEASE, Claimed, Inbox

log = structlog.get_logger("gridbot.inbox")

POLL_SECONDS = 1.0  # for rows no wake-up announces: another worker's, or a dead one's
RENEW_SECONDS = LEASE.total_seconds() / 4


def utcnow() -> datetime:
    # Real time, not the bot's (test-movable) clock: leases are compared across workers.
    return datetime.now(UTC)


class Drainer:
    """Claims chat heads from the inbox into per-chat queues, `concurrency` at a time."""

    def __init__(
        self,
        inbox: Inbox,
        feed: Feed,
        *,
        concurrency: int = CONCURRENCY,
        poll_seconds: float = POLL_SECONDS,
        deferred: Callable[[int], bool] = lambda _update_id: False,
    ) -> None:
        self.inbox, self.feed, self.deferred = inbox, feed, deferred
        self.concurrency, self.poll_seconds = concurrency, poll_seconds
        self.queues = ChatQueues(self._handle, concurrency=concurrency)
        self.accepted = 0  # updates this worker stored
        self.redelivered = 0  # pushes of an update already waiting: nothing to do
        self._in_hand: set[int] = set()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def handled(self) -> int:
        return self.queues.handled

    async def accept(self, update: RawUpdate) -> None:
        """Store the update durably (raises when the database cannot), then wake up."""
        kind, key = chat_key(update)
        update_id = int(update["update_id"])
        if await self.inbox.add(update_id, f"{kind}:{key}", update, utcnow()):
            self.accepted += 1
            self.wake()
        else:
            self.redelivered += 1
            log.info("inbox.duplicate", update_id=update_id)

    async def backlog(self) -> int:
        return await self.inbox.count()

    def wake(self) -> None:
        self._wake.set()

    async def start(self) -> None:
        # Claims left by this worker's previous run (killed) need not wait for their lease.
        released = await self.inbox.release()
        if released:
            log.warning("inbox.reclaimed_own", rows=released, worker=self.inbox.worker)
        self._stop.clear()
        self._task = asyncio.create_task(self._run(), name="inbox-drainer")
        self.wake()

    async def stop(self, timeout: float) -> None:
        """Stop claiming, finish what is in hand, give back what could not be finished."""
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.queues.join(timeout)
        try:
            async with asyncio.timeout(5):
                await self.inbox.release()
        except Exception as exc:
            log.warning("inbox.release_failed", error=repr(exc))

    async def _run(self) -> None:
        renewed = time.monotonic()
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.poll_seconds):
                    await self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                if time.monotonic() - renewed >= RENEW_SECONDS:
                    await self.inbox.renew(set(self._in_hand), utcnow())
                    renewed = time.monotonic()
                await self._claim()
            except Exception as exc:
                # The database is away: try again at the next poll.
                log.warning("inbox.claim_failed", error=repr(exc))

    async def _claim(self) -> None:
        free = self.concurrency - len(self._in_hand)
        for row in await self.inbox.claim(free, utcnow()):
            if row.attempts > 1:
                log.warning("inbox.retaken", update_id=row.update_id, attempts=row.attempts)
            self._in_hand.add(row.update_id)
            self.queues.put(_with_id(row))

    async def _handle(self, update: RawUpdate) -> None:
        update_id = int(update["update_id"])
        deferred = False
        try:
            await self.feed(update)
            deferred = self.deferred(update_id)
        finally:
            if deferred:
                # The database was away: the row stays, and once our lease runs out it is
                # claimed again, its chat's later updates still waiting behind it.
                log.warning("inbox.deferred", update_id=update_id)
            else:
                # Deleted even when the update failed: the funnel has already apologised,
                # and a row that fails every time must not hold its chat up forever.
                await self._done(update_id)
            self._in_hand.discard(update_id)
            self.wake()

    async def _done(self, update_id: int) -> None:
        try:
            if not await self.inbox.done(update_id):
                log.warning("inbox.claim_lost", update_id=update_id)
        except Exception as exc:
            # Still claimed by us: once the lease runs out it is taken again (and skipped
            # by the core if it was committed).
            log.warning("inbox.done_failed", update_id=update_id, error=repr(exc))


def _with_id(row: Claimed) -> RawUpdate:
    # The stored body is what Telegram sent; its update_id is the row's.
    return {**row.body, "update_id": row.update_id}
