"""Webhook mode's durable inbox, seen from one worker: accept, claim, handle, delete.

A pushed update is committed to the inbox before Telegram gets its 200, so a worker killed
with -9 loses nothing: its claims run out (storage.inbox.LEASE) and any worker, or its own
next start, takes them again. The core's processed-update marker makes a second run of an
update that was handled but not yet deleted a no-op.

Fast path: a push whose chat has nothing else waiting is stored already claimed by this
worker and queued at once, without a claim transaction. Handled rows are deleted in batches
by one writer task (everything finished since its last statement); a chat's next row stays
unclaimable while the finished one exists, and the drainer is woken once the batch commits.
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
from storage.inbox import LEASE, Added, Claimed, Inbox

log = structlog.get_logger("gridbot.inbox")

POLL_SECONDS = 1.0  # for rows no wake-up announces: another worker's, or a dead one's
RENEW_SECONDS = LEASE.total_seconds() / 4
DONE_TRIES = 3  # batch deletes failing this often are left to run out their lease


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
        self._in_hand: set[int] = set()  # claimed by us, not yet handled
        self._finished: list[int] = []  # handled, waiting for the next batch delete
        self._deleting: set[int] = set()  # handled, in the batch delete under way
        self._deleter: asyncio.Task[None] | None = None
        self._running = False  # claims may be taken (after start's release, before stop)
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
        # Claimed at once only while this worker has room, so its share stays bounded.
        claim = self._running and len(self._in_hand) < self.concurrency
        added = await self.inbox.push(update_id, f"{kind}:{key}", update, utcnow(), claim=claim)
        if added is Added.DUPLICATE:
            self.redelivered += 1
            log.info("inbox.duplicate", update_id=update_id)
            return
        self.accepted += 1
        if added is Added.CLAIMED:
            # Claimed while stopping (running turned off during the insert): the release at
            # the end of stop gives it back, the drainer being stopped or about to be.
            if self._running:
                self._in_hand.add(update_id)
                self.queues.put({**update, "update_id": update_id})
        elif not claim:
            self.wake()
        # Else its chat had a row already: the worker that deletes that row claims it then.

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
        self._running = True
        self._task = asyncio.create_task(self._run(), name="inbox-drainer")
        self.wake()

    async def stop(self, timeout: float) -> None:
        """Stop claiming, finish what is in hand, give back what could not be finished."""
        self._running = False
        self._stop.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self.queues.join(timeout)
        if self._deleter is not None:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await asyncio.shield(self._deleter)
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
                    held = self._in_hand | self._deleting | set(self._finished)
                    await self.inbox.renew(held, utcnow())
                    renewed = time.monotonic()
                await self._claim()
            except Exception as exc:
                # The database is away: try again at the next poll.
                log.warning("inbox.claim_failed", error=repr(exc))

    async def _claim(self) -> None:
        free = self.concurrency - len(self._in_hand)
        self._take(await self.inbox.claim(free, utcnow()))

    def _take(self, rows: list[Claimed]) -> None:
        if not self._running:
            return  # stopping: the release at the end of stop gives them back
        for row in rows:
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
                self._finished.append(update_id)
                if self._deleter is None or self._deleter.done():
                    self._deleter = asyncio.create_task(self._delete(), name="inbox-deleter")
            self._in_hand.discard(update_id)
            if deferred:
                self.wake()

    async def _delete(self) -> None:
        """Delete handled rows: one statement for all handled since the last one.

        Until it commits, a handled row still heads its chat, so the chat's next row cannot
        be claimed (here or elsewhere); the wake-up after the commit claims it.
        """
        failures = 0
        while self._finished:
            batch, self._finished = self._finished, []
            self._deleting.update(batch)
            # The rows freed are claimed in the same transaction, with the room we have.
            room = self.concurrency - len(self._in_hand) if self._running else 0
            try:
                deleted, claimed = await self.inbox.done_many(batch, claim=room, now=utcnow())
            except Exception as exc:
                failures += 1
                log.warning("inbox.done_failed", rows=len(batch), error=repr(exc))
                if failures >= DONE_TRIES:
                    # Still claimed by us: once the lease runs out they are taken again (and
                    # skipped by the core, which committed them).
                    return
                self._finished[:0] = batch
                await asyncio.sleep(0.2 * failures)
                continue
            finally:
                self._deleting.difference_update(batch)
            for update_id in sorted(set(batch) - deleted):
                log.warning("inbox.claim_lost", update_id=update_id)
            self._take(claimed)


def _with_id(row: Claimed) -> RawUpdate:
    # The stored body is what Telegram sent; its update_id is the row's.
    return {**row.body, "update_id": row.update_id}
