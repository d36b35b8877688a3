"""The fake Telegram world: users, chats, messages and files (bot-independent)."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import time
from typing import Any

from bot.sandbox.fakeapi.records import JSON, Chat, StoredFile, StoredMessage, User, bad_request
from bot.sandbox.fakeapi.tgjson import chat_json, now


class World:
    """Everything that exists independently of a bot's point of view."""

    def __init__(self) -> None:
        self.users: dict[int, User] = {}
        self.chats: dict[int, Chat] = {}
        self.messages: dict[tuple[int, int], StoredMessage] = {}
        self.files: dict[str, StoredFile] = {}
        self._file_seq = itertools.count(1)

    # -- users and chats -------------------------------------------------------------------
    def add_user(self, user: User) -> User:
        self.users[user.id] = user
        self.chats.setdefault(user.id, Chat(user.id, "private"))
        return user

    def add_chat(self, chat: Chat) -> Chat:
        self.chats[chat.id] = chat
        return chat

    def user(self, user_id: int) -> User:
        try:
            return self.users[user_id]
        except KeyError:
            raise KeyError(f"unknown user {user_id}; call add_user() first") from None

    def chat(self, chat_id: int) -> Chat:
        try:
            return self.chats[chat_id]
        except KeyError:
            raise KeyError(f"unknown chat {chat_id}; call add_group()/add_user() first") from None

    def resolve_chat(self, ref: object) -> Chat:
        """Chat for a Bot API ``chat_id`` (int, numeric string or ``@username``)."""
        if isinstance(ref, str) and ref.startswith("@"):
            name = ref[1:].lower()
            for chat in self.chats.values():
                if chat.username and chat.username.lower() == name:
                    return chat
            raise bad_request("chat not found")
        try:
            chat_id = int(str(ref))
        except ValueError:
            raise bad_request("chat not found") from None
        found = self.chats.get(chat_id)
        if found is None:
            raise bad_request("chat not found")
        return found

    def chat_json(self, chat: Chat) -> JSON:
        return chat_json(chat, self.users)

    # -- messages --------------------------------------------------------------------------
    def new_message(
        self, chat: Chat, sender: JSON, fields: JSON, *, bot_id: int | None = None
    ) -> StoredMessage:
        """Create and store a message in ``chat`` (``reply_to`` handled by the caller)."""
        chat.last_message_id += 1
        body: JSON = {
            "message_id": chat.last_message_id,
            "date": now(),
            "chat": self.chat_json(chat),
            "from": sender,
        }
        body.update({k: v for k, v in fields.items() if v is not None})
        stored = StoredMessage(body, bot_id)
        self.messages[(chat.id, chat.last_message_id)] = stored
        return stored

    def message(self, chat_id: int, message_id: int) -> StoredMessage | None:
        return self.messages.get((chat_id, message_id))

    def history(self, chat_id: int) -> list[JSON]:
        """All messages of a chat (users' and bots'), oldest first."""
        found = [m for (cid, _), m in self.messages.items() if cid == chat_id]
        return [m.json for m in sorted(found, key=lambda m: m.message_id)]

    @staticmethod
    def nested(stored: StoredMessage) -> JSON:
        """A message as embedded in ``reply_to_message`` (one level deep only)."""
        return {k: v for k, v in stored.json.items() if k != "reply_to_message"}

    # -- files -----------------------------------------------------------------------------
    def store_file(
        self, data: bytes, filename: str | None, mime_type: str | None, *, url: str | None = None
    ) -> StoredFile:
        seq = next(self._file_seq)
        if mime_type in (None, "application/octet-stream") and filename:
            mime_type = mimetypes.guess_type(filename)[0] or mime_type
        stored = StoredFile(
            file_id=f"FAKE{seq:06d}{secrets.token_hex(8)}",
            file_unique_id=f"U{seq:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            url=url,
        )
        self.files[stored.file_id] = stored
        return stored


def image_size(data: bytes) -> tuple[int, int]:
    """Width/height of a PNG (read from its header); 800x600 for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:  # noqa: PLR2004
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 800, 600


def stamp() -> float:
    """Wall-clock time used in records."""
    return time.time()


def drop_none(values: dict[str, Any]) -> JSON:
    return {k: v for k, v in values.items() if v is not None}
