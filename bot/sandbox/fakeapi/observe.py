"""Test-side observation: what the bot sent, the call log, and event-driven waiting."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from bot.sandbox.fakeapi.records import BotMessage, CallRecord

T = TypeVar("T")
MessagePredicate = Callable[[BotMessage], bool]


class Observer:
    """Collects bot output and wakes waiters on every change (no polling sleeps)."""

    def __init__(self) -> None:
        self.bot_messages: list[BotMessage] = []
        self.calls: list[CallRecord] = []
        self.unexpected_calls: list[CallRecord] = []
        self.callback_answers: dict[str, tuple[str | None, bool]] = {}
        self.count_429 = 0
        self._waiters: list[asyncio.Future[None]] = []

    def changed(self) -> None:
        """Something changed: re-evaluate every waiter."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_until(self, fn: Callable[[], T | None], timeout: float = 5.0) -> T:
        """Return ``fn()`` as soon as it is truthy (re-checked after each change)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = fn()
            if value:
                return value
            left = deadline - loop.time()
            if left <= 0:
                raise TimeoutError(f"condition not met within {timeout}s")
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            try:  # asyncio.wait (unlike wait_for on 3.11) never swallows a cancellation
                await asyncio.wait([fut], timeout=left)
            finally:
                if fut in self._waiters:
                    self._waiters.remove(fut)

    def find_message(
        self,
        predicate: MessagePredicate | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        contains: str | None = None,
        since: int = 0,
    ) -> BotMessage | None:
        """First bot message (from index ``since``) matching every given criterion."""
        for msg in self.bot_messages[since:]:
            if chat_id is not None and msg.chat_id != chat_id:
                continue
            if reply_to is not None and msg.reply_to_message_id != reply_to:
                continue
            if contains is not None and contains not in msg.body:
                continue
            if predicate is not None and not predicate(msg):
                continue
            return msg
        return None

    async def wait_for_message(
        self,
        predicate: MessagePredicate | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        contains: str | None = None,
        since: int = 0,
        timeout: float = 5.0,
    ) -> BotMessage:
        """Wait for the first bot message matching (already sent ones count too).

        Pass ``since=len(server.bot_messages)`` to consider only messages sent from now on.
        Edited messages are matched with their current text.
        """

        def probe() -> BotMessage | None:
            return self.find_message(
                predicate, chat_id=chat_id, reply_to=reply_to, contains=contains, since=since
            )

        try:
            return await self.wait_until(probe, timeout)
        except TimeoutError:
            recent = [(m.chat_id, m.message_id, m.body[:60]) for m in self.bot_messages[-5:]]
            raise TimeoutError(
                f"no bot message with chat_id={chat_id} reply_to={reply_to} "
                f"contains={contains!r} within {timeout}s; last bot messages: {recent}"
            ) from None

    def messages_in(self, chat_id: int) -> list[BotMessage]:
        """Bot messages sent to ``chat_id``, oldest first."""
        return [m for m in self.bot_messages if m.chat_id == chat_id]

    def record_call(self, record: CallRecord) -> None:
        self.calls.append(record)
        if record.status == 429:  # noqa: PLR2004
            self.count_429 += 1
        self.changed()

    def calls_of(self, method: str) -> list[CallRecord]:
        """Calls of one method (case-insensitive)."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    @staticmethod
    def now() -> float:
        return time.time()
