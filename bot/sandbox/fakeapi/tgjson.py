"""Builders for Telegram JSON objects (User, Chat, ChatMember, entities, ...)."""

from __future__ import annotations

import re
import time

from bot.sandbox.fakeapi.records import JSON, Chat, User

ADMIN_RIGHTS = (
    "can_manage_chat",
    "can_delete_messages",
    "can_manage_video_chats",
    "can_restrict_members",
    "can_promote_members",
    "can_change_info",
    "can_invite_users",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_send_welcome_messages",
    "can_pin_messages",
    "can_manage_topics",
)
ANONYMOUS_GROUP_BOT: JSON = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}
_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")


def now() -> int:
    """Unix time as Telegram sends it."""
    return int(time.time())


def user_json(user: User) -> JSON:
    """Telegram ``User`` for a human."""
    out: JSON = {"id": user.id, "is_bot": False, "first_name": user.first_name}
    for key in ("last_name", "username", "language_code"):
        value = getattr(user, key)
        if value is not None:
            out[key] = value
    return out


def bot_user_json(bot_id: int, first_name: str, username: str) -> JSON:
    """Telegram ``User`` for the bot (as seen in messages)."""
    return {"id": bot_id, "is_bot": True, "first_name": first_name, "username": username}


def chat_json(chat: Chat, users: dict[int, User]) -> JSON:
    """Short Telegram ``Chat`` (as embedded in messages)."""
    out: JSON = {"id": chat.id, "type": chat.type}
    if chat.type == "private":
        user = users.get(chat.id)
        out["first_name"] = user.first_name if user else str(chat.id)
        if user and user.last_name:
            out["last_name"] = user.last_name
        if user and user.username:
            out["username"] = user.username
    else:
        out["title"] = chat.title or str(chat.id)
        if chat.username:
            out["username"] = chat.username
    return out


def chat_full_json(chat: Chat, users: dict[int, User]) -> JSON:
    """Telegram ``ChatFullInfo`` (getChat result) with every field both libraries require."""
    out = chat_json(chat, users)
    out.update(
        accent_color_id=0,
        max_reaction_count=11,
        accepted_gift_types={
            "unlimited_gifts": False,
            "limited_gifts": False,
            "unique_gifts": False,
            "premium_subscription": False,
            "gifts_from_channels": False,
        },
    )
    return out


def member_json(user: JSON, status: str, *, is_bot: bool = False) -> JSON:
    """Telegram ``ChatMember`` for ``status`` (creator/administrator/member/left/kicked)."""
    out: JSON = {"status": status, "user": user}
    if status == "creator":
        out["is_anonymous"] = False
    elif status == "administrator":
        out.update(can_be_edited=False, is_anonymous=False)
        out.update(dict.fromkeys(ADMIN_RIGHTS, True))
        out["can_promote_members"] = not is_bot
    elif status == "kicked":
        out["until_date"] = 0
    return out


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units (Telegram's entity unit)."""
    return len(text.encode("utf-16-le")) // 2


def detect_entities(text: str) -> list[JSON]:
    """``bot_command`` and ``mention`` entities the way Telegram's clients mark them."""
    found: list[tuple[int, int, str]] = [
        (m.start(), m.end(), "bot_command") for m in _COMMAND_RE.finditer(text)
    ]
    found += [(m.start(), m.end(), "mention") for m in _MENTION_RE.finditer(text)]
    found.sort()
    return [
        {"type": kind, "offset": utf16_len(text[:start]), "length": utf16_len(text[start:end])}
        for start, end, kind in found
    ]


def leading_command(text: str) -> tuple[str, str | None] | None:
    """``("/cmd", "botname" | None)`` if ``text`` starts with a command."""
    match = _COMMAND_RE.match(text)
    if match is None:
        return None
    cmd, _, target = match.group(0).partition("@")
    return cmd, target or None


def mentions(text: str) -> set[str]:
    """Lower-cased usernames mentioned with ``@``."""
    return {m.group(0)[1:].lower() for m in _MENTION_RE.finditer(text)}


def inline_buttons(markup: JSON | None) -> list[list[tuple[str, str | None]]]:
    """Rows of ``(text, callback_data)`` from an inline keyboard JSON."""
    if not markup:
        return []
    return [
        [(str(b.get("text", "")), b.get("callback_data")) for b in row]
        for row in markup.get("inline_keyboard", [])
    ]
