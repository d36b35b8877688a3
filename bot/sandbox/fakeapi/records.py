"""Plain data records shared by the fake Bot API modules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

JSON = dict[str, Any]


class ApiError(Exception):
    """A Telegram-style error answer: ``{"ok": false, "error_code": status, ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(f"{status} {description}")
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JSON:
        """The JSON body Telegram would send."""
        out: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            out["parameters"] = self.parameters
        return out


def bad_request(text: str, parameters: JSON | None = None) -> ApiError:
    """400 ``Bad Request: <text>``."""
    return ApiError(400, f"Bad Request: {text}", parameters)


def forbidden(text: str) -> ApiError:
    """403 ``Forbidden: <text>``."""
    return ApiError(403, f"Forbidden: {text}")


@dataclass
class User:
    """A human account in the fake world."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None


@dataclass
class Chat:
    """A private chat, group or supergroup; ``members`` maps user id -> status."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    migrated_to: int | None = None
    members: dict[int, str] = field(default_factory=dict)
    last_message_id: int = 0


@dataclass
class StoredFile:
    """An uploaded (or URL-referenced) file."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str | None
    mime_type: str | None
    url: str | None = None


@dataclass
class StoredMessage:
    """A message in the world: its Telegram JSON and who sent it (``bot_id`` for bots)."""

    json: JSON
    bot_id: int | None = None

    @property
    def chat_id(self) -> int:
        return int(self.json["chat"]["id"])

    @property
    def message_id(self) -> int:
        return int(self.json["message_id"])


@dataclass
class BotMessage:
    """What a bot sent (kept up to date when the bot edits it)."""

    bot_id: int
    chat_id: int
    message_id: int
    kind: str  # "text" | "photo" | "document"
    text: str | None
    reply_to_message_id: int | None
    buttons: list[list[tuple[str, str | None]]]
    file: bytes | None = None
    filename: str | None = None
    caption: str | None = None
    edited: bool = False
    time: float = 0.0
    edit_count: int = 0

    @property
    def body(self) -> str:
        """Text or caption ("" when neither)."""
        return self.text if self.text is not None else (self.caption or "")

    @property
    def button_data(self) -> list[str]:
        """All callback_data values, row by row."""
        return [data for row in self.buttons for _, data in row if data is not None]


@dataclass
class CallRecord:
    """One Bot API call as the server saw it (``params`` as received, files summarised)."""

    method: str
    params: JSON
    status: int
    time: float
    bot_id: int | None
    description: str | None = None
    via: str = "http"


@dataclass(frozen=True)
class SentRef:
    """A message created by a simulated user: its id and the bot update id (None if filtered)."""

    message_id: int
    update_id: int | None


@dataclass(frozen=True)
class PressRef:
    """A simulated button press: the callback query id and the update id."""

    callback_query_id: str
    update_id: int | None
