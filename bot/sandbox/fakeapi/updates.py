"""Per-bot update queue with Telegram's getUpdates semantics (offset, limit, long poll)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.sandbox.fakeapi.records import JSON, ApiError

ALL_TYPES = frozenset(
    {
        "message", "edited_message", "channel_post", "edited_channel_post",
        "business_connection", "business_message", "edited_business_message",
        "deleted_business_messages", "message_reaction", "message_reaction_count",
        "inline_query", "chosen_inline_result", "callback_query", "shipping_query",
        "pre_checkout_query", "purchased_paid_media", "poll", "poll_answer",
        "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
        "removed_chat_boost",
    }
)  # fmt: skip
DEFAULT_ALLOWED = ALL_TYPES - {"chat_member", "message_reaction", "message_reaction_count"}
CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"  # noqa: E501


def update_type(update: JSON) -> str:
    """The payload key of an update (``message``, ``callback_query``, ...)."""
    return next(key for key in update if key != "update_id")


@dataclass
class Entry:
    """A queued update; ``push_to`` forces webhook delivery to that URL."""

    update: JSON
    push_to: str | None = None
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])


class UpdateQueue:
    """Pending updates of one bot plus the history of every update ever created."""

    def __init__(self, first_id: int = 100001, on_change: Callable[[], None] | None = None):
        self.entries: list[Entry] = []
        self.history: dict[int, JSON] = {}
        self.allowed: frozenset[str] = DEFAULT_ALLOWED
        self.closing = False
        self._next_id = first_id
        self._waiters: list[asyncio.Future[None]] = []
        self._poll_gen = 0
        self._on_change = on_change

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def put(self, update: JSON, push_to: str | None = None) -> bool:
        """Queue ``update``; False (dropped) when its type is not in ``allowed_updates``."""
        self.history[int(update["update_id"])] = update
        if push_to is None and update_type(update) not in self.allowed:
            return False
        self.entries.append(Entry(update, push_to))
        self.wake()
        return True

    def wake(self) -> None:
        """Release every long poll / pusher waiting for a change."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)
        if self._on_change is not None:
            self._on_change()

    async def wait_change(self, seconds: float) -> None:
        """Sleep until :meth:`wake` or ``seconds`` elapsed."""
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(fut)
        try:  # asyncio.wait (unlike wait_for on 3.11) never swallows a cancellation
            await asyncio.wait([fut], timeout=seconds)
        finally:
            if fut in self._waiters:
                self._waiters.remove(fut)

    def set_allowed(self, allowed: list[str] | None) -> None:
        """Apply ``allowed_updates`` (None keeps the previous setting, [] restores default)."""
        if allowed is None:
            return
        self.allowed = frozenset(allowed) & ALL_TYPES or DEFAULT_ALLOWED
        self.entries = [
            e for e in self.entries if e.push_to or update_type(e.update) in self.allowed
        ]

    def confirm(self, offset: int) -> None:
        """Forget delivered updates below ``offset``; negative keeps only the last ``-offset``."""
        if offset < 0:
            self.entries = self.entries[offset:]
        elif offset > 0:
            self.entries = [e for e in self.entries if e.update_id >= offset or not e.delivered]

    def clear(self) -> None:
        self.entries.clear()

    def pullable(self) -> list[Entry]:
        return [e for e in self.entries if e.push_to is None]

    async def get(self, offset: int, limit: int, poll_seconds: float) -> list[JSON]:
        """getUpdates: confirm, then return up to ``limit`` updates (long poll)."""
        self._poll_gen += 1
        gen = self._poll_gen
        self.wake()  # an older long poll now ends with 409
        self.confirm(offset)
        deadline = time.monotonic() + poll_seconds
        while True:
            ready = self.pullable()[: max(1, min(limit, 100))]
            left = deadline - time.monotonic()
            if ready or left <= 0 or self.closing:
                for entry in ready:
                    entry.delivered = True
                return [e.update for e in ready]
            await self.wait_change(left)
            if gen != self._poll_gen:
                raise ApiError(409, CONFLICT)
