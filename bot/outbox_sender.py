"""The one outbound sender both runtimes use: claims committed outbox rows and delivers them.

Within Telegram's limits (30/s overall, 20/min per group, 1/s per private chat), fair between
chats (a busy group never holds up another chat's acknowledgement), in order within a chat.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

import structlog

from bot.ratelimit import Limits, RateLimiter
from bot.runtime import (
    ChatMigrated,
    Forbidden,
    OutboxItem,
    Rejected,
    RetryAfter,
    SendError,
    Transient,
)
from handlers.clock import Clock
from storage.models import OutboxMessage
from storage.uow import UowFactory

log = structlog.get_logger("gridbot.sender")

MAX_TEXT = 4096
LEASE = timedelta(seconds=20)
MAX_ATTEMPTS = 12
CHAT_BATCH = 20  # rows of one chat claimed at once when the limits allow them all now
MARK_TRIES = 5
SendFn = Callable[[OutboxItem], Awaitable[int]]


def split_text(text: str, size: int = MAX_TEXT) -> list[str]:
    """Split at line breaks where possible; Telegram refuses texts over 4096 characters."""
    if len(text) <= size:
        return [text]
    parts: list[str] = []
    rest = text
    while len(rest) > size:
        cut = rest.rfind("\n", 0, size)
        if cut <= 0:
            cut = size
        parts.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    if rest:
        parts.append(rest)
    return parts


class OutboxSender:
    """Claims due rows in batches, sends each chat's rows in order, marks them sent in batches.

    One transaction claims every row a pump picks (several rows of a chat when the limits
    allow them now); a task per chat sends its rows one after another; delivered rows are
    marked sent together, by one transaction for whatever was delivered meanwhile.
    """

    def __init__(
        self,
        uow: UowFactory,
        clock: Clock,
        send: SendFn,
        *,
        on_unreachable: Callable[[int, str], Awaitable[None]],
        on_migrated: Callable[[int, int], Awaitable[None]],
        limits: Limits | None = None,
        batch: int = 500,
        chat_batch: int = CHAT_BATCH,
    ) -> None:
        self.uow, self.clock, self._send = uow, clock, send
        self.on_unreachable, self.on_migrated = on_unreachable, on_migrated
        self.limiter = RateLimiter(limits or Limits())
        self.batch, self.chat_batch = batch, chat_batch
        self._wake = asyncio.Event()
        self._dirty = True
        self._queue: list[OutboxMessage] = []
        self._loaded_at = 0.0
        self._inflight: dict[int, asyncio.Task[None]] = {}
        self._marks: list[tuple[int, int | None]] = []
        self._marker: asyncio.Task[None] | None = None
        self.sent = 0

    def wake(self) -> None:
        """New rows were committed: reload the queue and send."""
        self._dirty = True
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                pause = await self.pump()
            except Exception:
                log.exception("sender.pump_failed")
                pause = 1.0
            # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a cancellation.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.005, min(pause, 1.0))):
                    await self._wake.wait()

    async def drain(self, deadline: float) -> None:
        """On shutdown: send what is due until nothing is left or the deadline passes."""
        while time.monotonic() < deadline:
            pause = await self.pump(force_reload=True)
            if not self._queue and not self._inflight:
                break
            await asyncio.sleep(min(max(pause, 0.01), 0.2))
        await self.wait_inflight(max(0.0, deadline - time.monotonic()) + 1)

    async def wait_inflight(self, timeout: float) -> None:
        """Until the sends in hand are done and marked sent."""
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=timeout)
        if self._marker is not None and not self._marker.done():
            await asyncio.wait({self._marker}, timeout=timeout)

    async def pump(self, *, force_reload: bool = False) -> float:
        """Start every send allowed now; return how long until the next may be."""
        mono = time.monotonic()
        self._wake.clear()
        # A finished send only frees its chat; the queue in hand is still right.
        if force_reload or self._dirty or not self._queue or mono - self._loaded_at > 1:
            self._dirty = False
            await self._reload()
            self._loaded_at = mono
        if not self._queue:
            return 1.0
        next_in = 1.0
        held: set[int] = set()  # chats whose remaining rows wait for a later pump
        picked: dict[int, list[tuple[OutboxMessage, float]]] = {}
        keep: list[OutboxMessage] = []
        for row in self._queue:
            chat = row.chat_id
            full = len(picked.get(chat, ())) >= self.chat_batch
            if full or chat in held or chat in self._inflight:
                keep.append(row)
                held.add(chat)  # later rows of a chat wait for its earlier ones
                continue
            now = time.monotonic()
            wait = max(self.limiter.chat_wait(chat, now), self.limiter.overall_wait(now))
            if wait > 0:
                next_in = min(next_in, wait)
                keep.append(row)
                held.add(chat)
                continue
            # Reserve the send now; the chat's task moves it to when the send happens.
            self.limiter.record(chat, now)
            picked.setdefault(chat, []).append((row, now))
        self._queue = keep
        if picked:
            try:
                claimed = await self._claim([r.id for rows in picked.values() for r, _ in rows])
            except BaseException:
                for chat, rows in picked.items():
                    for _, at in rows:
                        self.limiter.moved(chat, at, None)
                self._dirty = True
                raise
            for chat, rows in picked.items():
                mine = [(r, at) for r, at in rows if r.id in claimed]
                for r, at in rows:
                    if r.id not in claimed:
                        self.limiter.moved(chat, at, None)
                if mine:
                    self._inflight[chat] = asyncio.create_task(self._deliver(chat, mine))
        self.limiter.forget_idle(time.monotonic())
        return next_in

    async def _reload(self) -> None:
        async with self.uow() as uow:
            rows = await uow.outbox.due(self.clock.now(), limit=self.batch)
            dead = await uow.outbox.unsendable_chats({r.chat_id for r in rows})
        self._queue = [r for r in rows if r.chat_id not in dead]
        if dead:
            async with self.uow() as uow:
                for chat_id in dead:
                    await uow.outbox.fail_pending_for_chat(chat_id, "chat unreachable")
                await uow.commit()

    async def _claim(self, row_ids: list[int]) -> set[int]:
        async with self.uow() as uow:
            claimed = await uow.outbox.claim_many(row_ids, self.clock.now(), LEASE)
            await uow.commit()
        return claimed

    async def _deliver(self, chat: int, rows: list[tuple[OutboxMessage, float]]) -> None:
        """Send one chat's claimed rows in order; stop at the first that must wait."""
        done = 0
        try:
            for row, reserved in rows:
                self.limiter.moved(chat, reserved, time.monotonic())
                done += 1
                if not await self._attempt(row):
                    break
        except Exception:
            log.exception("sender.deliver_failed", chat=chat)
        finally:
            rest = rows[done:]
            if rest:
                for _, at in rest:
                    self.limiter.moved(chat, at, None)
                with contextlib.suppress(Exception):
                    async with self.uow() as uow:
                        await uow.outbox.release([r.id for r, _ in rest])
                        await uow.commit()
                self._dirty = True
            self._inflight.pop(chat, None)
            self._wake.set()

    async def _attempt(self, row: OutboxMessage) -> bool:
        """Try one row; False when the chat's later rows must not follow it now."""
        item = OutboxItem(
            id=row.id,
            chat_id=row.chat_id,
            kind=row.kind,
            text=row.text,
            reply_to=row.reply_to,
            buttons=row.buttons or [],
            attachment=row.attachment,
            filename=row.filename,
        )
        try:
            message_id = await self._send_item(item)
        except RetryAfter as exc:
            until = time.monotonic() + exc.seconds
            self.limiter.block(row.chat_id, until)
            await self._retry(row, exc.seconds, exc.reason)
        except Transient as exc:
            attempts = row.attempts + 1
            if attempts >= MAX_ATTEMPTS:
                await self._fail(row, exc.reason)
                return False
            delay = min(60.0, 0.5 * 2**attempts) * random.uniform(0.5, 1.5)
            await self._retry(row, delay, exc.reason)
        except ChatMigrated as exc:
            await self.on_migrated(row.chat_id, exc.new_chat_id)
        except Forbidden as exc:
            await self._fail(row, f"403 {exc.reason}")
            await self.on_unreachable(row.chat_id, exc.reason)
        except (Rejected, SendError) as exc:
            await self._fail(row, exc.reason)
            return True
        else:
            self._mark_sent(row.id, message_id)
            return True
        return False

    def _mark_sent(self, row_id: int, message_id: int) -> None:
        self._marks.append((row_id, message_id))
        if self._marker is None or self._marker.done():
            self._marker = asyncio.create_task(self._write_marks())

    async def _write_marks(self) -> None:
        """Mark delivered rows sent: one transaction for all delivered since the last one.

        Until it commits, a delivered row stays claimed; after a crash it is sent again when
        its lease runs out, as it would be if the crash came just before the mark.
        """
        failures = 0
        while self._marks:
            marks, self._marks = self._marks, []
            try:
                async with self.uow() as uow:
                    await uow.outbox.mark_sent_many(marks, self.clock.now())
                    await uow.commit()
            except Exception:
                failures += 1
                log.exception("sender.mark_failed", rows=len(marks), failures=failures)
                if failures >= MARK_TRIES:
                    return  # left claimed: sent once more after the lease
                self._marks[:0] = marks
                await asyncio.sleep(0.2 * failures)
                continue
            self.sent += len(marks)

    async def _send_item(self, item: OutboxItem) -> int:
        parts = split_text(item.text) if item.kind == "text" else [item.text]
        message_id = 0
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            chunk = OutboxItem(
                id=item.id,
                chat_id=item.chat_id,
                kind=item.kind,
                text=part,
                reply_to=item.reply_to if i == 0 else None,
                buttons=item.buttons if last else [],
                attachment=item.attachment,
                filename=item.filename,
            )
            message_id = await self._send(chunk)
        return message_id

    async def _retry(self, row: OutboxMessage, delay: float, reason: str) -> None:
        log.info(
            "sender.retry", row=row.id, chat=row.chat_id, delay=round(delay, 2), reason=reason
        )
        async with self.uow() as uow:
            when = self.clock.now() + timedelta(seconds=delay)
            await uow.outbox.retry_at(row.id, when, reason)
            await uow.commit()

    async def _fail(self, row: OutboxMessage, reason: str) -> None:
        log.warning("sender.failed", row=row.id, chat=row.chat_id, reason=reason)
        async with self.uow() as uow:
            await uow.outbox.mark_failed(row.id, reason)
            await uow.commit()
