"""Plain incoming events and outgoing actions: what every runtime produces and delivers."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

ChatKind = Literal["group", "private"]


class EventKind(StrEnum):
    MESSAGE = "message"
    EDITED = "edited"
    CALLBACK = "callback"
    BOT_JOINED = "bot_joined"
    BOT_LEFT = "bot_left"
    MIGRATED = "migrated"


@dataclass(frozen=True, slots=True)
class ChatRef:
    id: int
    kind: ChatKind
    title: str = ""


@dataclass(frozen=True, slots=True)
class UserRef:
    id: int
    name: str
    username: str | None = None


@dataclass(frozen=True, slots=True)
class Incoming:
    update_id: int
    kind: EventKind
    chat: ChatRef
    sender: UserRef
    text: str = ""
    message_id: int = 0
    reply_to_bot: bool = False
    mentions_bot: bool = False
    callback_data: str | None = None
    callback_id: str | None = None
    # For BOT_JOINED: whether the bot can read plain group messages (admin or privacy off).
    can_read_all: bool | None = None
    migrate_to_chat_id: int | None = None


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    data: str


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A message to deliver; text is already rendered and, for groups, masked."""

    chat_id: int
    text: str
    reply_to: int | None = None
    buttons: tuple[tuple[Button, ...], ...] = ()
    kind: Literal["text", "photo", "document"] = "text"
    attachment: bytes | None = None
    filename: str | None = None
    priority: int = 5
    ticket_id: int | None = None
    broadcast_id: int | None = None


@dataclass(frozen=True, slots=True)
class CallbackAnswer:
    """The ephemeral answer to a button press (not an announcement, so no outbox)."""

    text: str = ""
    alert: bool = False


@dataclass(slots=True)
class DispatchResult:
    callback: CallbackAnswer | None = None
    outgoing: list[Outgoing] = field(default_factory=list)
