"""Bot API methods that create or change messages: send*, edit*, answerCallbackQuery."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.core import Core
from bot.sandbox.fakeapi.params import Params
from bot.sandbox.fakeapi.records import JSON, Chat, StoredFile, StoredMessage, bad_request
from bot.sandbox.fakeapi.tgjson import inline_buttons, now, utf16_len
from bot.sandbox.fakeapi.world import drop_none, image_size

Handler = Callable[[Core, BotState, Params], Awaitable[Any]]
MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
_BUTTON_ACTIONS = frozenset(
    {
        "callback_data", "url", "login_url", "switch_inline_query",
        "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
        "copy_text", "callback_game", "pay", "web_app",
    }
)  # fmt: skip
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
QUERY_INVALID = "query is too old and response timeout expired or query ID is invalid"


def target_chat(core: Core, bot: BotState, p: Params) -> Chat:
    """The ``chat_id`` chat, after Telegram's access checks."""
    ref = p.raw("chat_id")
    if ref is None or ref == "":
        raise bad_request("chat_id is empty")
    chat = core.world.resolve_chat(ref)
    core.check_can_send(bot, chat)
    return chat


def inline_markup(p: Params) -> JSON | None:
    """Validated inline keyboard (other keyboards are accepted but not part of Message)."""
    markup = p.obj("reply_markup")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad_request("can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return None
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise bad_request(
            "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
        )
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                raise bad_request(
                    'can\'t parse inline keyboard button: Field "text" must be of type String'
                )
            if not _BUTTON_ACTIONS & button.keys():
                raise bad_request("text buttons are unallowed in the inline keyboard")
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
    return {"inline_keyboard": rows}


def reply_target(core: Core, chat: Chat, p: Params) -> StoredMessage | None:
    """Message being replied to (``reply_parameters`` or legacy ``reply_to_message_id``)."""
    params = p.obj("reply_parameters") or {}
    if not isinstance(params, dict):
        raise bad_request("can't parse reply parameters JSON object")
    message_id = params.get("message_id", p.integer("reply_to_message_id"))
    if message_id is None:
        return None
    allow = bool(params.get("allow_sending_without_reply")) or p.flag(
        "allow_sending_without_reply"
    )
    chat_id = chat.id
    if params.get("chat_id") is not None:
        chat_id = core.world.resolve_chat(params["chat_id"]).id
    stored = core.world.message(chat_id, int(message_id))
    if stored is None and not allow:
        raise bad_request("message to be replied not found")
    return stored


def _checked_text(text: str | None, *, caption: bool = False) -> str | None:
    if caption:
        if text is not None and utf16_len(text) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        return text or None
    if text is None or not text.strip():
        raise bad_request("message text is empty")
    if utf16_len(text) > MAX_TEXT:
        raise bad_request("message is too long")
    return text


def _entities(p: Params, key: str) -> list[JSON] | None:
    value = p.obj(key)
    return value if isinstance(value, list) and value else None


async def send_message(core: Core, bot: BotState, p: Params) -> JSON:
    chat = target_chat(core, bot, p)
    text = _checked_text(p.string("text"))
    markup = inline_markup(p)
    reply = reply_target(core, chat, p)
    core.check_flood(bot, chat)
    fields = drop_none(
        {
            "text": text,
            "entities": _entities(p, "entities"),
            "reply_to_message": core.world.nested(reply) if reply else None,
            "reply_markup": markup,
        }
    )
    stored = core.world.new_message(chat, bot.user_json(), fields, bot_id=bot.id)
    core.record_bot_message(bot, stored, "text")
    return stored.json


def input_file(core: Core, p: Params, field: str) -> StoredFile:
    """Resolve an InputFile parameter: upload (direct or attach://), file_id or URL."""
    up = p.uploads.get(field)
    value = p.string(field)
    if up is None and value is not None and value.startswith("attach://"):
        up = p.uploads.get(value.removeprefix("attach://"))
        if up is None:
            raise bad_request(f"file {value} not found in the request")
    if up is not None:
        return core.world.store_file(up.data, up.filename, up.content_type)
    if value is None or value == "":
        raise bad_request(f"there is no {field} in the request")
    known = core.world.files.get(value)
    if known is not None:
        return known
    if value.startswith(("http://", "https://")):
        name = value.rstrip("/").rsplit("/", 1)[-1] or None
        return core.world.store_file(b"", name, None, url=value)
    raise bad_request("wrong file identifier/HTTP URL specified")


def file_fields(kind: str, stored: StoredFile) -> JSON:
    """``photo`` / ``document`` field of a Message."""
    base: JSON = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": len(stored.data),
    }
    if kind == "photo":
        width, height = image_size(stored.data)
        return {"photo": [{**base, "width": width, "height": height}]}
    doc = drop_none({**base, "file_name": stored.filename, "mime_type": stored.mime_type})
    return {"document": doc}


async def _send_media(core: Core, bot: BotState, p: Params, kind: str) -> JSON:
    chat = target_chat(core, bot, p)
    caption = _checked_text(p.string("caption"), caption=True)
    markup = inline_markup(p)
    reply = reply_target(core, chat, p)
    stored_file = input_file(core, p, kind)
    core.check_flood(bot, chat)
    fields = drop_none(
        {
            **file_fields(kind, stored_file),
            "caption": caption,
            "caption_entities": _entities(p, "caption_entities"),
            "reply_to_message": core.world.nested(reply) if reply else None,
            "reply_markup": markup,
        }
    )
    stored = core.world.new_message(chat, bot.user_json(), fields, bot_id=bot.id)
    core.record_bot_message(bot, stored, kind, stored_file)
    return stored.json


async def send_photo(core: Core, bot: BotState, p: Params) -> JSON:
    return await _send_media(core, bot, p, "photo")


async def send_document(core: Core, bot: BotState, p: Params) -> JSON:
    return await _send_media(core, bot, p, "document")


def _own_message(core: Core, bot: BotState, p: Params) -> StoredMessage:
    if p.has("inline_message_id"):
        raise bad_request("inline messages are not supported by the fake server")
    chat = target_chat(core, bot, p)
    message_id = p.integer("message_id")
    if message_id is None:
        raise bad_request("message identifier is not specified")
    stored = core.world.message(chat.id, message_id)
    if stored is None:
        raise bad_request("message to edit not found")
    if stored.bot_id != bot.id:
        raise bad_request("message can't be edited")
    return stored


def _apply_edit(core: Core, stored: StoredMessage, changes: JSON) -> JSON:
    body = stored.json
    new = {**body, **changes}
    for key, value in changes.items():
        if value is None:
            new.pop(key, None)
    if all(body.get(k) == new.get(k) for k in changes):
        raise bad_request(NOT_MODIFIED)
    new["edit_date"] = now()
    stored.json = new
    record = core.find_bot_message(stored.chat_id, stored.message_id)
    if record is not None:
        record.text = new.get("text")
        record.caption = new.get("caption")
        record.buttons = inline_buttons(new.get("reply_markup"))
        record.edited = True
        record.edit_count += 1
        record.time = time.time()
    core.publish_edit("bot", stored, [])
    return new


async def edit_message_text(core: Core, bot: BotState, p: Params) -> JSON:
    """Note: like Telegram, omitting reply_markup removes the inline keyboard."""
    stored = _own_message(core, bot, p)
    if "text" not in stored.json:
        raise bad_request("there is no text in the message to edit")
    text = _checked_text(p.string("text"))
    changes = {
        "text": text,
        "entities": _entities(p, "entities"),
        "reply_markup": inline_markup(p),
    }
    return _apply_edit(core, stored, changes)


async def edit_message_reply_markup(core: Core, bot: BotState, p: Params) -> JSON:
    stored = _own_message(core, bot, p)
    return _apply_edit(core, stored, {"reply_markup": inline_markup(p)})


async def answer_callback_query(core: Core, bot: BotState, p: Params) -> bool:
    query_id = p.string("callback_query_id")
    pending = core.pending_callbacks.get(query_id or "")
    if query_id is None or pending is None or pending["bot_id"] != bot.id:
        raise bad_request(QUERY_INVALID)
    if query_id in core.observer.callback_answers:
        raise bad_request(QUERY_INVALID)
    text = p.string("text")
    show_alert = p.flag("show_alert")
    core.observer.callback_answers[query_id] = (text, show_alert)
    core.hub.publish(
        "callback_answer",
        bot_id=bot.id,
        callback_query_id=query_id,
        text=text,
        show_alert=show_alert,
        url=p.string("url"),
        user_id=pending["user_id"],
        chat_id=pending["chat_id"],
        message_id=pending["message_id"],
    )
    core.observer.changed()
    return True


SEND_METHODS: dict[str, Handler] = {
    "sendmessage": send_message,
    "sendphoto": send_photo,
    "senddocument": send_document,
    "editmessagetext": edit_message_text,
    "editmessagereplymarkup": edit_message_reply_markup,
    "answercallbackquery": answer_callback_query,
}
