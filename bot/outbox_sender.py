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
    ) -> None:
        self.uow, self.clock, self._send = uow, clock, send
        self.on_unreachable, self.on_migrated = on_unreachable, on_migrated
        self.limiter = RateLimiter(limits or Limits())
        self.batch = batch
        self._wake = asyncio.Event()
        self._dirty = True
        self._queue: list[OutboxMessage] = []
        self._loaded_at = 0.0
        self._inflight: dict[int, asyncio.Task[None]] = {}
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
                return
            await asyncio.sleep(min(max(pause, 0.01), 0.2))
        await self.wait_inflight(max(0.0, deadline - time.monotonic()) + 1)

    async def wait_inflight(self, timeout: float) -> None:
        if self._inflight:
            await asyncio.wait(list(self._inflight.values()), timeout=timeout)

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
        picked: set[int] = set()
        keep: list[OutboxMessage] = []
        for row in self._queue:
            chat = row.chat_id
            if chat in self._inflight or chat in picked:
                keep.append(row)
                picked.add(chat)  # later rows of a chat wait for its earlier ones
                continue
            picked.add(chat)
            now = time.monotonic()
            wait = max(self.limiter.chat_wait(chat, now), self.limiter.overall_wait(now))
            if wait > 0:
                next_in = min(next_in, wait)
                keep.append(row)
                continue
            if not await self._claim(row.id):
                continue
            self.limiter.record(chat, now)
            self._inflight[chat] = asyncio.create_task(self._deliver(row))
        self._queue = keep
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

    async def _claim(self, row_id: int) -> bool:
        async with self.uow() as uow:
            ok = await uow.outbox.claim(row_id, self.clock.now(), LEASE)
            await uow.commit()
        return ok

    async def _deliver(self, row: OutboxMessage) -> None:
        try:
            await self._attempt(row)
        except Exception:
            log.exception("sender.deliver_failed", row=row.id)
        finally:
            self._inflight.pop(row.chat_id, None)
            self._wake.set()

    async def _attempt(self, row: OutboxMessage) -> None:
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
                return
            delay = min(60.0, 0.5 * 2**attempts) * random.uniform(0.5, 1.5)
            await self._retry(row, delay, exc.reason)
        except ChatMigrated as exc:
            await self.on_migrated(row.chat_id, exc.new_chat_id)
        except Forbidden as exc:
            await self._fail(row, f"403 {exc.reason}")
            await self.on_unreachable(row.chat_id, exc.reason)
        except (Rejected, SendError) as exc:
            await self._fail(row, exc.reason)
        else:
            async with self.uow() as uow:
                await uow.outbox.mark_sent(row.id, self.clock.now(), message_id)
                await uow.commit()
            self.sent += 1

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
