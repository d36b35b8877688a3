"""Telegram-compatible fake Bot API server (e2e tests and the offline sandbox).

Construction and lifecycle::

    server = FakeBotAPI(["123456:TEST"], bot_username="gridbot_test_bot",
                        enforce_limits=True, limits=LimitConfig(...))
    await server.start(host="127.0.0.1", port=0)   # -> server.url "http://127.0.0.1:43211"
    ...                                              # or: async with FakeBotAPI(...) as server
    await server.stop()

aiogram: ``AiohttpSession(api=TelegramAPIServer.from_base(server.url))``; PTB:
``base_url(f"{server.url}/bot")``, ``base_file_url(f"{server.url}/file/bot")``.
Bot id = ``int(token.split(":")[0])``; unknown tokens get 401. Extra tokens with other ids
are extra bots (username ``<bot_username>2`` ...); ``bot_id=None`` means the first bot.

World (``actions.py``, ``actions_chat.py``)::

    add_user(id, first_name, *, last_name, username, language_code, started=True) -> User
    add_group(id<0, title, *, supergroup=False, username, members={uid: status},
              bot_status=None | "member" | "administrator")   # bot_status: no update sent
    set_member_status(chat_id, user_id, status); set_privacy(enabled, *, bot_id)
    await user_sends(user_id, chat_id, text, *, reply_to=None, bot_id=None, push_to=None)
        -> SentRef(message_id, update_id | None)   # None: privacy mode / allowed_updates
    await user_edits(user_id, chat_id, message_id, text) -> SentRef   # edited_message
    await user_presses(user_id, chat_id, message_id, data, *, push_to, check_button=True)
        -> PressRef(callback_query_id, update_id)
    await add_bot_to_group(chat_id, by_user_id, *, as_admin=False) -> SentRef
        # my_chat_member left->member/administrator, then a new_chat_members message;
        # SentRef(service message id, my_chat_member update id)
    await promote_bot(chat_id, by_user_id, *, admin=True) -> update_id
    await remove_bot_from_group(chat_id, by_user_id=None) -> update_id   # -> kicked
    await user_blocks_bot(user_id) / user_unblocks_bot(user_id) -> update_id
    await migrate_group(chat_id, new_chat_id, *, by_user_id=None) -> (SentRef, SentRef)
    await redeliver(update_id, to_url=None)   # same update (same update_id) queued again

Privacy mode (default on): in a group where the bot is not administrator, a user message
reaches the bot only if it starts with ``/cmd`` or ``/cmd@this_bot``, mentions
``@this_bot`` or replies to one of this bot's messages. Service messages always pass.
Filtered messages still exist (``chat_history``) and are published to subscribers.

Observing (``observe.py``)::

    bot_messages: list[BotMessage]   # chat_id, message_id, kind text|photo|document, text,
                                     # caption, reply_to_message_id, buttons [[(text, data)]],
                                     # file, filename, edited, edit_count, time, bot_id
    calls / unexpected_calls: list[CallRecord(method, params, status, time, bot_id, ...)]
    callback_answers: {query_id: (text, show_alert)}; count_429 (limits + injected 429s)
    await wait_for_message(pred=None, *, chat_id, reply_to, contains, since=0, timeout=5.0)
    await wait_until(fn, timeout=5.0); messages_in(chat_id); calls_of(method)
    chat_history(chat_id); snapshot(); get_file(file_id); updates(); pending_updates()

Events (``subscribe(cb) -> unsubscribe`` or ``async for e in server.events()``), dicts
with ``seq``, ``time``, ``type`` and: ``message``/``edit``: origin "user"|"bot", bot_id,
chat_id, message_id, message (Telegram JSON), delivered_to [bot ids]; ``callback_query``:
bot_id, callback_query_id, user_id, chat_id, message_id, data; ``callback_answer``:
bot_id, callback_query_id, text, show_alert, url, user_id, chat_id, message_id;
``member``: bot_id, chat_id, old_status, new_status, actor.

Faults (``faults.py``): ``fail_next(method, *, status=429, retry_after=None,
description=None, times=1, chat_id=None)`` and ``delay_next(method, seconds, *, times=1,
chat_id=None)``; method "*" matches any; the first matching entry is consumed.
Flood limits: see :mod:`bot.sandbox.fakeapi.limits` (``server.limits`` is live config).
"""

from bot.sandbox.fakeapi.limits import LimitConfig
from bot.sandbox.fakeapi.records import (
    ApiError,
    BotMessage,
    CallRecord,
    PressRef,
    SentRef,
    StoredFile,
    User,
)
from bot.sandbox.fakeapi.server import FakeBotAPI

__all__ = [
    "ApiError",
    "BotMessage",
    "CallRecord",
    "FakeBotAPI",
    "LimitConfig",
    "PressRef",
    "SentRef",
    "StoredFile",
    "User",
]
