"""What the chat page gets: people, chats and messages as small JSON objects."""

from __future__ import annotations

from bot.sandbox.demo import PEOPLE, Person
from bot.sandbox.fakeapi import FakeBotAPI
from bot.sandbox.fakeapi.records import JSON, Chat

SNIPPET = 80


def person_view(person: Person) -> JSON:
    return {"id": person.id, "name": person.name, "role": person.role, "grid": person.grid}


def chat_view(chat: Chat) -> JSON:
    return {
        "id": chat.id,
        "type": chat.type,
        "title": chat.title,
        "members": sorted(
            uid for uid, status in chat.members.items() if status not in ("left", "kicked")
        ),
    }


def sender_name(sender: JSON) -> str:
    return " ".join(p for p in (sender.get("first_name"), sender.get("last_name")) if p)


def message_view(msg: JSON) -> JSON:
    """A Telegram Message as the page draws it."""
    sender = msg.get("from") or {}
    out: JSON = {
        "id": msg["message_id"],
        "chat_id": msg["chat"]["id"],
        "date": msg.get("date", 0),
        "from_id": sender.get("id"),
        "from_name": sender_name(sender),
        "is_bot": bool(sender.get("is_bot")),
        "text": msg.get("text") or msg.get("caption") or "",
        "edited": "edit_date" in msg,
        "buttons": [
            [{"text": b.get("text", ""), "data": b.get("callback_data")} for b in row]
            for row in (msg.get("reply_markup") or {}).get("inline_keyboard", [])
        ],
    }
    reply = msg.get("reply_to_message")
    if reply:
        text = reply.get("text") or reply.get("caption") or _media_label(reply)
        out["reply"] = {
            "id": reply["message_id"],
            "name": sender_name(reply.get("from") or {}),
            "text": text[:SNIPPET],
        }
    if msg.get("photo"):
        out["photo"] = f"/api/file/{msg['photo'][-1]['file_id']}"
    if msg.get("document"):
        doc = msg["document"]
        out["document"] = {
            "url": f"/api/file/{doc['file_id']}",
            "name": doc.get("file_name") or "file",
        }
    service = _service(msg)
    if service:
        out["service"] = service
    return out


def state_view(fake: FakeBotAPI, clock_hours: float) -> JSON:
    """Everything the page needs at load time."""
    bot = fake.bot()
    people = [person_view(p) for p in PEOPLE if p.id in fake.world.users]
    groups = [c for c in fake.world.chats.values() if c.type != "private"]
    privates = [c for c in fake.world.chats.values() if c.type == "private"]
    messages = {
        str(chat.id): [message_view(m) for m in fake.world.history(chat.id)]
        for chat in (*groups, *privates)
    }
    return {
        "bot": {"id": bot.id, "name": bot.first_name, "username": bot.username},
        "people": people,
        "chats": [chat_view(c) for c in groups],
        "messages": messages,
        "clock_hours": clock_hours,
    }


def _media_label(msg: JSON) -> str:
    if msg.get("photo"):
        return "[图片]"
    if msg.get("document"):
        return "[文件]"
    return ""


def _service(msg: JSON) -> str | None:
    """Service messages as a kind the page labels itself."""
    for key in (
        "new_chat_members",
        "left_chat_member",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
    ):
        if key in msg:
            return key
    return None
