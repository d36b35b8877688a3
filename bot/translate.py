"""Bot API update (JSON form, as both frameworks serialise it) -> the core's Incoming.

One pure function serves both runtimes: each turns its own Update object back into the
Bot API dict, so the translation is written, and tested, once.
"""

from __future__ import annotations

from typing import Any

from handlers.events import ChatKind, ChatRef, EventKind, Incoming, UserRef

LEAVING = {"left", "kicked"}
PRESENT = {"member", "administrator", "creator", "restricted"}


def _chat(raw: dict[str, Any]) -> ChatRef:
    kind: ChatKind = "private" if raw.get("type") == "private" else "group"
    title = raw.get("title") or " ".join(
        p for p in (raw.get("first_name"), raw.get("last_name")) if p
    )
    return ChatRef(id=int(raw["id"]), kind=kind, title=title)


def _user(raw: dict[str, Any] | None) -> UserRef:
    if not raw:
        return UserRef(id=0, name="")
    name = " ".join(p for p in (raw.get("first_name"), raw.get("last_name")) if p)
    return UserRef(
        id=int(raw["id"]),
        name=name or raw.get("username") or str(raw["id"]),
        username=raw.get("username"),
    )


def incoming_from_update(
    update: dict[str, Any], bot_id: int, *, bot_reads_all: bool = False
) -> Incoming | None:
    """None for updates the core does not handle (channel posts, polls, …)."""
    update_id = int(update["update_id"])
    if "message" in update or "edited_message" in update:
        edited = "edited_message" in update
        return _from_message(
            update_id, update.get("edited_message") or update["message"], bot_id, edited=edited
        )
    if "callback_query" in update:
        query = update["callback_query"]
        message = query.get("message") or {}
        if not message.get("chat"):
            return None
        return Incoming(
            update_id=update_id,
            kind=EventKind.CALLBACK,
            chat=_chat(message["chat"]),
            sender=_user(query.get("from")),
            message_id=int(message.get("message_id", 0)),
            callback_data=query.get("data") or "",
            callback_id=str(query["id"]),
        )
    if "my_chat_member" in update:
        change = update["my_chat_member"]
        chat = _chat(change["chat"])
        if chat.kind == "private":
            return None
        new = change.get("new_chat_member", {}).get("status")
        old = change.get("old_chat_member", {}).get("status")
        if new in LEAVING and old not in LEAVING:
            kind = EventKind.BOT_LEFT
        elif new in PRESENT and old in LEAVING:
            kind = EventKind.BOT_JOINED
        else:
            return None
        can_read_all = bot_reads_all or new in ("administrator", "creator")
        return Incoming(
            update_id=update_id,
            kind=kind,
            chat=chat,
            sender=_user(change.get("from")),
            can_read_all=can_read_all,
        )
    return None


def _from_message(update_id: int, msg: dict[str, Any], bot_id: int, *, edited: bool) -> Incoming:
    chat = _chat(msg["chat"])
    sender = _user(msg.get("from"))
    if msg.get("migrate_to_chat_id"):
        return Incoming(
            update_id=update_id,
            kind=EventKind.MIGRATED,
            chat=chat,
            sender=sender,
            message_id=int(msg["message_id"]),
            migrate_to_chat_id=int(msg["migrate_to_chat_id"]),
        )
    reply = msg.get("reply_to_message") or {}
    reply_to_bot = bool(reply) and int((reply.get("from") or {}).get("id", 0)) == bot_id
    text = msg.get("text") or msg.get("caption") or ""
    return Incoming(
        update_id=update_id,
        kind=EventKind.EDITED if edited else EventKind.MESSAGE,
        chat=chat,
        sender=sender,
        text=text,
        message_id=int(msg["message_id"]),
        reply_to_bot=reply_to_bot,
    )
