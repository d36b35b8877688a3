"""Bot API methods about the bot itself, updates, webhooks, commands and chats."""

from __future__ import annotations

import json
import re

from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.core import Core
from bot.sandbox.fakeapi.methods_send import SEND_METHODS, Handler
from bot.sandbox.fakeapi.params import Params
from bot.sandbox.fakeapi.records import JSON, ApiError, bad_request
from bot.sandbox.fakeapi.tgjson import chat_full_json, member_json, now, user_json

WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
_SECRET_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
MAX_DESCRIPTION = 256
MAX_COMMANDS = 100


async def get_me(_core: Core, bot: BotState, _p: Params) -> JSON:
    return bot.me_json()


async def ok_true(_core: Core, _bot: BotState, _p: Params) -> bool:
    """close / logOut: accepted, nothing else happens."""
    return True


async def get_updates(_core: Core, bot: BotState, p: Params) -> list[JSON]:
    if bot.webhook.url:
        raise ApiError(409, WEBHOOK_ACTIVE)
    allowed = p.obj("allowed_updates")
    if allowed is not None:
        bot.queue.set_allowed([str(x) for x in allowed] if isinstance(allowed, list) else None)
    offset = p.integer("offset", 0) or 0
    limit = p.integer("limit", 100) or 100
    timeout = max(0.0, p.number("timeout", 0.0))
    return await bot.queue.get(offset, limit, timeout)


async def set_webhook(_core: Core, bot: BotState, p: Params) -> bool:
    url = p.string("url", "") or ""
    secret = p.string("secret_token")
    if secret is not None and not _SECRET_RE.fullmatch(secret):
        raise bad_request("secret token contains unallowed characters")
    if url and not url.startswith(("http://", "https://")):
        raise bad_request("bad webhook: invalid webhook URL specified")
    if p.flag("drop_pending_updates"):
        bot.queue.clear()
    allowed = p.obj("allowed_updates")
    if isinstance(allowed, list):
        bot.queue.set_allowed([str(x) for x in allowed])
    bot.webhook.url = url
    bot.webhook.secret_token = secret if url else None
    bot.webhook.max_connections = p.integer("max_connections", 40) or 40
    bot.queue.wake()
    return True


async def delete_webhook(_core: Core, bot: BotState, p: Params) -> bool:
    if p.flag("drop_pending_updates"):
        bot.queue.clear()
    bot.webhook.url = ""
    bot.webhook.secret_token = None
    bot.queue.wake()
    return True


async def get_webhook_info(_core: Core, bot: BotState, _p: Params) -> JSON:
    hook = bot.webhook
    info: JSON = {
        "url": hook.url,
        "has_custom_certificate": False,
        "pending_update_count": len(bot.queue.entries),
    }
    if hook.url:
        info["max_connections"] = hook.max_connections
        info["allowed_updates"] = sorted(bot.queue.allowed)
    if hook.last_error_date is not None:
        info["last_error_date"] = hook.last_error_date
        info["last_error_message"] = hook.last_error_message
    return info


def _commands_key(p: Params) -> str:
    scope = p.obj("scope") or {"type": "default"}
    lang = p.string("language_code", "") or ""
    return f"{json.dumps(scope, sort_keys=True)}|{lang}"


async def set_my_commands(_core: Core, bot: BotState, p: Params) -> bool:
    commands = p.obj("commands")
    if not isinstance(commands, list) or len(commands) > MAX_COMMANDS:
        raise bad_request("can't parse commands JSON object")
    clean: list[JSON] = []
    for item in commands:
        if not isinstance(item, dict):
            raise bad_request("can't parse BotCommand")
        command = str(item.get("command", "")).removeprefix("/")
        description = str(item.get("description", ""))
        if not _COMMAND_RE.fullmatch(command):
            raise bad_request("BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= MAX_DESCRIPTION:
            raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        clean.append({"command": command, "description": description})
    bot.commands[_commands_key(p)] = clean
    return True


async def get_my_commands(_core: Core, bot: BotState, p: Params) -> list[JSON]:
    return list(bot.commands.get(_commands_key(p), []))


async def delete_my_commands(_core: Core, bot: BotState, p: Params) -> bool:
    bot.commands.pop(_commands_key(p), None)
    return True


async def get_chat(core: Core, _bot: BotState, p: Params) -> JSON:
    chat = core.world.resolve_chat(p.raw("chat_id"))
    return chat_full_json(chat, core.world.users)


async def get_chat_member(core: Core, bot: BotState, p: Params) -> JSON:
    chat = core.world.resolve_chat(p.raw("chat_id"))
    user_id = p.require_int("user_id")
    other = core.bots.get(user_id)
    if other is not None:
        return member_json(other.user_json(), other.status_in(chat.id), is_bot=True)
    user = core.world.users.get(user_id)
    if user is None:
        raise bad_request("PARTICIPANT_ID_INVALID")
    if chat.type == "private":
        status = "member" if user_id in (chat.id, bot.id) else "left"
    else:
        status = chat.members.get(user_id, "left")
    return member_json(user_json(user), status)


async def leave_chat(core: Core, bot: BotState, p: Params) -> bool:
    chat = core.world.resolve_chat(p.raw("chat_id"))
    if chat.type == "private":
        raise bad_request("chat member status can't be changed in private chats")
    core.check_can_send(bot, chat)
    old = bot.status_in(chat.id)
    bot.status[chat.id] = "left"
    core.enqueue(bot, "my_chat_member", _member_change(core, bot, chat.id, old, "left"))
    service = core.world.new_message(
        chat, bot.user_json(), {"left_chat_member": bot.user_json()}, bot_id=bot.id
    )
    core.publish_message("bot", service, [])
    return True


def _member_change(core: Core, bot: BotState, chat_id: int, old: str, new: str) -> JSON:
    chat = core.world.chat(chat_id)
    me = bot.user_json()
    return {
        "chat": core.world.chat_json(chat),
        "from": me,
        "date": now(),
        "old_chat_member": member_json(me, old, is_bot=True),
        "new_chat_member": member_json(me, new, is_bot=True),
    }


async def get_file(core: Core, _bot: BotState, p: Params) -> JSON:
    file_id = p.string("file_id") or ""
    stored = core.world.files.get(file_id)
    if stored is None:
        raise bad_request("invalid file_id")
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
        "file_path": f"documents/{stored.file_id}",
    }


META_METHODS: dict[str, Handler] = {
    "getme": get_me,
    "close": ok_true,
    "logout": ok_true,
    "getupdates": get_updates,
    "setwebhook": set_webhook,
    "deletewebhook": delete_webhook,
    "getwebhookinfo": get_webhook_info,
    "setmycommands": set_my_commands,
    "getmycommands": get_my_commands,
    "deletemycommands": delete_my_commands,
    "getchat": get_chat,
    "getchatmember": get_chat_member,
    "leavechat": leave_chat,
    "getfile": get_file,
}


def all_methods() -> dict[str, Handler]:
    """Lower-case method name -> handler."""
    out: dict[str, Handler] = {}
    out.update(SEND_METHODS)
    out.update(META_METHODS)
    return out
