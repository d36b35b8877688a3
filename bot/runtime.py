"""What the shared code needs from a framework runtime, and the send errors it maps to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from handlers.deps import BotIdentity
from handlers.events import CallbackAnswer


@dataclass(frozen=True, slots=True)
class OutboxItem:
    """One outbox row as the transport sends it."""

    id: int
    chat_id: int
    kind: str
    text: str
    reply_to: int | None
    buttons: list[list[list[str]]]
    attachment: bytes | None
    filename: str | None


class SendError(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class RetryAfter(SendError):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"429 retry after {seconds}s")
        self.seconds = seconds


class Forbidden(SendError):
    """403: blocked by the user or removed from the group."""


class ChatMigrated(SendError):
    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class Rejected(SendError):
    """400 and other answers that repeating will not change."""


class Transient(SendError):
    """5xx, timeouts, network errors: try again later."""


RawUpdate = dict[str, Any]
UpdateHandler = Callable[[RawUpdate], Awaitable[CallbackAnswer | None]]


class Runtime(Protocol):
    """A framework (aiogram or python-telegram-bot) seen from the shared code."""

    name: str

    async def start(self, handle: UpdateHandler) -> BotIdentity:
        """Connect, learn who the bot is; `handle` is the funnel every update goes through."""

    async def get_updates(self, offset: int | None, timeout: int) -> list[Any]: ...

    def update_id(self, update: Any) -> int: ...

    async def feed(self, update: Any) -> None:
        """Run one framework update through the framework's own dispatch into the funnel."""

    async def feed_raw(self, update: RawUpdate) -> None: ...

    async def send(self, item: OutboxItem) -> int:
        """Deliver one message; raises a SendError subclass on failure."""

    async def answer_callback(self, callback_id: str, answer: CallbackAnswer) -> None: ...

    async def can_read_all(self, chat_id: int) -> bool: ...

    async def set_webhook(self, url: str, secret: str | None) -> None: ...

    async def delete_webhook(self) -> None: ...

    async def close(self) -> None: ...
