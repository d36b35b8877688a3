"""The fake Bot API server, driven by the real aiogram and python-telegram-bot clients."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
import pytest
import telegram
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramConflictError,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BotCommand,
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
)
from aiohttp import web

from bot.sandbox.fakeapi import FakeBotAPI, LimitConfig
from bot.sandbox.fakeapi.limits import RateLimiter
from bot.sandbox.fakeapi.records import JSON

TOKEN = "123456:TEST"
BOT_ID = 123456
GROUP = -100123
CHIEF = 1001
LI = 1002
PNG = b"\x89PNG\r\n\x1a\n" + b"\0\0\0\rIHDR" + (64).to_bytes(4, "big") + (48).to_bytes(4, "big")


def keyboard(*pairs: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=t, callback_data=d) for t, d in pairs]]
    )


@pytest.fixture
async def server() -> AsyncIterator[FakeBotAPI]:
    srv = FakeBotAPI([TOKEN], enforce_limits=False, webhook_retry_delay=0.01)
    await srv.start()
    srv.add_user(CHIEF, "王", username="chief")
    srv.add_user(LI, "李", last_name="四", username="lisi4")
    srv.add_group(GROUP, "南湖一网格", supergroup=True)
    yield srv
    await srv.stop()


@pytest.fixture
async def abot(server: FakeBotAPI) -> AsyncIterator[Bot]:
    bot = Bot(TOKEN, session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    yield bot
    await bot.session.close()


@pytest.fixture
async def pbot(server: FakeBotAPI) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(TOKEN, base_url=f"{server.url}/bot", base_file_url=f"{server.url}/file/bot")
    await bot.initialize()
    yield bot
    await bot.shutdown()


async def joined(server: FakeBotAPI, *, as_admin: bool = False) -> None:
    await server.add_bot_to_group(GROUP, CHIEF, as_admin=as_admin)


# -- client compatibility ----------------------------------------------------------------
async def test_aiogram_round_trip(server: FakeBotAPI, abot: Bot) -> None:
    me = await abot.get_me()
    assert (me.id, me.username, me.is_bot) == (BOT_ID, "gridbot_test_bot", True)
    assert me.can_read_all_group_messages is False
    await joined(server)
    ref = await server.user_sends(CHIEF, GROUP, "/report@gridbot_test_bot 东门 @lisi4")
    updates = await abot.get_updates(timeout=1)
    assert [u.update_id for u in updates][-1] == ref.update_id
    member, service, msg = (u for u in updates)
    assert member.my_chat_member is not None
    assert member.my_chat_member.new_chat_member.status == "member"
    assert service.message is not None
    assert service.message.new_chat_members is not None
    assert msg.message is not None
    assert msg.message.entities is not None
    kinds = [(e.type, e.offset, e.length) for e in msg.message.entities]
    assert kinds == [("bot_command", 0, 24), ("mention", 28, 6)]
    assert msg.message.chat.title == "南湖一网格"
    assert msg.message.from_user is not None

    sent = await abot.send_message(
        GROUP,
        "收到",
        reply_markup=keyboard(("接单", "take:1"), ("详情", "info:1")),
        reply_parameters=ReplyParameters(message_id=ref.message_id),
    )
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.text == "/report@gridbot_test_bot 东门 @lisi4"
    assert sent.from_user is not None
    assert sent.from_user.id == BOT_ID
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][1].callback_data == "info:1"
    record = server.bot_messages[-1]
    assert record.buttons == [[("接单", "take:1"), ("详情", "info:1")]]
    assert (record.reply_to_message_id, record.kind) == (ref.message_id, "text")

    doc = await abot.send_document(
        CHIEF, BufferedInputFile(b"col1,col2\n", filename="report.csv"), caption="周报"
    )
    assert doc.document is not None
    assert doc.document.file_name == "report.csv"
    record = server.bot_messages[-1]
    assert (record.kind, record.file, record.filename, record.caption) == (
        "document",
        b"col1,col2\n",
        "report.csv",
        "周报",
    )
    assert server.get_file(doc.document.file_id).data == b"col1,col2\n"
    tg_file = await abot.get_file(doc.document.file_id)
    assert tg_file.file_path is not None
    downloaded = await abot.download_file(tg_file.file_path)
    assert downloaded is not None
    assert downloaded.read() == b"col1,col2\n"
    assert server.unexpected_calls == []


async def test_ptb_round_trip(server: FakeBotAPI, pbot: telegram.Bot) -> None:
    assert pbot.username == "gridbot_test_bot"
    await joined(server, as_admin=True)
    ref = await server.user_sends(LI, GROUP, "普通消息")
    updates = await pbot.get_updates(timeout=1)
    assert updates[-1].update_id == ref.update_id
    assert updates[0].my_chat_member is not None
    assert updates[0].my_chat_member.new_chat_member.status == "administrator"
    assert updates[-1].message is not None
    assert updates[-1].message.text == "普通消息"
    markup = telegram.InlineKeyboardMarkup(
        [[telegram.InlineKeyboardButton("好", callback_data="ok")]]
    )
    sent = await pbot.send_message(
        GROUP, "回复", reply_to_message_id=ref.message_id, reply_markup=markup
    )
    assert sent.reply_to_message is not None
    assert sent.reply_to_message.message_id == ref.message_id
    assert sent.reply_markup is not None
    photo = await pbot.send_photo(CHIEF, PNG, caption="现场")
    assert photo.photo[-1].width == 64
    assert photo.photo[-1].height == 48
    assert server.bot_messages[-1].kind == "photo"
    assert server.bot_messages[-1].file == PNG
    admin = await pbot.get_chat_member(GROUP, BOT_ID)
    assert isinstance(admin, telegram.ChatMemberAdministrator)
    chat = await pbot.get_chat(GROUP)
    assert chat.title == "南湖一网格"
    user = await pbot.get_chat_member(GROUP, LI)
    assert user.status == "member"
    assert server.unexpected_calls == []


async def test_form_json_and_get_params_are_accepted(server: FakeBotAPI) -> None:
    server.add_group(-5, "g", bot_status="member")
    base = f"{server.url}/bot{TOKEN}"
    markup: JSON = {"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]}
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/sendMessage", json={"chat_id": -5, "text": "j", "reply_markup": markup}
        ) as r:
            body = await r.json()
        assert body["ok"]
        assert body["result"]["reply_markup"] == markup
        async with http.post(f"{base}/sendMessage", data={"chat_id": "-5", "text": "f"}) as r:
            assert (await r.json())["result"]["text"] == "f"
        async with http.get(f"{base}/getMe") as r:
            assert (await r.json())["result"]["id"] == BOT_ID
        async with http.post(f"{base}/sendSticker", data={"chat_id": "-5"}) as r:
            assert r.status == 404
            assert await r.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found: method not found",
            }
        async with http.post(f"{server.url}/bot1:bad/getMe") as r:
            assert r.status == 401
    assert [c.method for c in server.unexpected_calls] == ["sendSticker"]
    assert server.calls[0].params["chat_id"] == -5


async def test_unknown_token_is_unauthorized(server: FakeBotAPI) -> None:
    bot = Bot("999:NOPE", session=AiohttpSession(api=TelegramAPIServer.from_base(server.url)))
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await bot.get_me()
    finally:
        await bot.session.close()


# -- updates -----------------------------------------------------------------------------
async def test_long_poll_returns_as_soon_as_an_update_arrives(
    server: FakeBotAPI, abot: Bot
) -> None:
    poll = asyncio.create_task(abot.get_updates(timeout=10))
    await asyncio.sleep(0.1)
    started = time.monotonic()
    ref = await server.user_sends(CHIEF, CHIEF, "/start")
    updates = await poll
    assert time.monotonic() - started < 1
    assert [u.update_id for u in updates] == [ref.update_id]


async def test_offset_confirms_and_redeliver_keeps_update_id(
    server: FakeBotAPI, abot: Bot
) -> None:
    first = await server.user_sends(CHIEF, CHIEF, "one")
    second = await server.user_sends(CHIEF, CHIEF, "two")
    assert first.update_id is not None
    assert second.update_id is not None
    got = await abot.get_updates(timeout=0)
    assert [u.update_id for u in got] == [first.update_id, second.update_id]
    assert await abot.get_updates(offset=second.update_id + 1, timeout=0) == []
    await server.redeliver(first.update_id)
    again = await abot.get_updates(offset=second.update_id + 1, timeout=0)
    assert [u.update_id for u in again] == [first.update_id]
    assert again[0].message is not None
    assert again[0].message.text == "one"
    assert await abot.get_updates(offset=first.update_id + 1, timeout=0) == []


async def test_allowed_updates_filter(server: FakeBotAPI, abot: Bot) -> None:
    await abot.get_updates(timeout=0, allowed_updates=["callback_query"])
    ref = await server.user_sends(CHIEF, CHIEF, "dropped")
    assert ref.update_id is None
    assert await abot.get_updates(timeout=0) == []


async def test_second_poller_conflicts_and_webhook_blocks_polling(
    server: FakeBotAPI, abot: Bot
) -> None:
    first = asyncio.create_task(abot.get_updates(timeout=5))
    await asyncio.sleep(0.05)
    assert await abot.get_updates(timeout=0) == []
    with pytest.raises(TelegramConflictError):
        await first
    await abot.set_webhook("http://127.0.0.1:9/hook")
    with pytest.raises(TelegramConflictError):
        await abot.get_updates(timeout=0)
    await abot.delete_webhook()


# -- user actions ------------------------------------------------------------------------
async def test_privacy_mode_filters_plain_group_messages(server: FakeBotAPI, abot: Bot) -> None:
    await joined(server)
    await abot.get_updates(timeout=0)
    offset = server.updates()[-1]["update_id"] + 1
    events: list[JSON] = []
    server.subscribe(events.append)
    plain = await server.user_sends(LI, GROUP, "今天巡逻")
    assert plain.update_id is None
    assert events[-1]["message"]["text"] == "今天巡逻"
    assert events[-1]["delivered_to"] == []
    assert (await server.user_sends(LI, GROUP, "/help")).update_id is not None
    assert (await server.user_sends(LI, GROUP, "/help@other_bot")).update_id is None
    assert (await server.user_sends(LI, GROUP, "hi @GridBot_Test_Bot")).update_id is not None
    bot_msg = await abot.send_message(GROUP, "请回复")
    reply = await server.user_sends(LI, GROUP, "好的", reply_to=bot_msg.message_id)
    assert reply.update_id is not None
    texts = [u.message.text for u in await abot.get_updates(offset=offset, timeout=0) if u.message]
    assert texts == ["/help", "hi @GridBot_Test_Bot", "好的"]

    server.set_privacy(False)
    assert (await abot.get_me()).can_read_all_group_messages is True
    assert (await server.user_sends(LI, GROUP, "全都能看到")).update_id is not None
    server.set_privacy(True)
    await server.promote_bot(GROUP, CHIEF)
    assert (await server.user_sends(LI, GROUP, "管理员也能看到")).update_id is not None


async def test_callback_query_and_answer(
    server: FakeBotAPI, abot: Bot, pbot: telegram.Bot
) -> None:
    sent = await abot.send_message(CHIEF, "选择", reply_markup=keyboard(("是", "yes")))
    with pytest.raises(ValueError, match="no button"):
        await server.user_presses(CHIEF, CHIEF, sent.message_id, "nope")
    press = await server.user_presses(CHIEF, CHIEF, sent.message_id, "yes")
    (update,) = await abot.get_updates(timeout=0)
    assert update.update_id == press.update_id
    assert update.callback_query is not None
    assert update.callback_query.data == "yes"
    assert update.callback_query.id == press.callback_query_id
    (ptb_update,) = await pbot.get_updates(timeout=0)
    assert ptb_update.callback_query is not None
    assert ptb_update.callback_query.message is not None
    await abot.answer_callback_query(press.callback_query_id, text="已处理", show_alert=True)
    assert server.callback_answers[press.callback_query_id] == ("已处理", True)
    with pytest.raises(TelegramBadRequest, match="query ID is invalid"):
        await abot.answer_callback_query(press.callback_query_id)


async def test_edits_by_bot_and_user(server: FakeBotAPI, abot: Bot) -> None:
    sent = await abot.send_message(CHIEF, "处理中", reply_markup=keyboard(("取消", "cancel")))
    edited = await abot.edit_message_text(text="完成", chat_id=CHIEF, message_id=sent.message_id)
    assert not isinstance(edited, bool)
    assert edited.text == "完成"
    assert edited.reply_markup is None
    record = server.bot_messages[-1]
    assert (record.text, record.edited, record.buttons) == ("完成", True, [])
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await abot.edit_message_text(text="完成", chat_id=CHIEF, message_id=sent.message_id)
    await abot.edit_message_reply_markup(
        chat_id=CHIEF, message_id=sent.message_id, reply_markup=keyboard(("再来", "again"))
    )
    assert server.bot_messages[-1].buttons == [[("再来", "again")]]
    ref = await server.user_sends(CHIEF, CHIEF, "typo")
    edit = await server.user_edits(CHIEF, CHIEF, ref.message_id, "fixed")
    updates = await abot.get_updates(timeout=0)
    assert updates[-1].update_id == edit.update_id
    assert updates[-1].edited_message is not None
    assert updates[-1].edited_message.text == "fixed"


async def test_remove_block_and_migrate_errors(
    server: FakeBotAPI, abot: Bot, pbot: telegram.Bot
) -> None:
    await joined(server)
    update_id = await server.remove_bot_from_group(GROUP, CHIEF)
    with pytest.raises(TelegramForbiddenError, match="bot was kicked from the supergroup chat"):
        await abot.send_message(GROUP, "x")
    assert (await pbot.get_chat_member(GROUP, BOT_ID)).status == "kicked"
    kicked = [u for u in await abot.get_updates(timeout=0) if u.update_id == update_id]
    assert kicked[0].my_chat_member is not None
    assert kicked[0].my_chat_member.new_chat_member.status == "kicked"

    await server.user_blocks_bot(LI)
    with pytest.raises(TelegramForbiddenError, match="bot was blocked by the user"):
        await abot.send_message(LI, "x")
    with pytest.raises(telegram.error.Forbidden):
        await pbot.send_message(LI, "x")

    server.add_group(-77, "老群", bot_status="member")
    old_msg, new_msg = await server.migrate_group(-77, -1007777, by_user_id=CHIEF)
    with pytest.raises(TelegramMigrateToChat) as info:
        await abot.send_message(-77, "x")
    assert info.value.migrate_to_chat_id == -1007777
    with pytest.raises(telegram.error.ChatMigrated) as ptb_info:
        await pbot.send_message(-77, "x")
    assert ptb_info.value.new_chat_id == -1007777
    updates = {u.update_id: u for u in await abot.get_updates(timeout=0)}
    old_update = updates[old_msg.update_id or 0].message
    new_update = updates[new_msg.update_id or 0].message
    assert old_update is not None
    assert old_update.migrate_to_chat_id == -1007777
    assert new_update is not None
    assert new_update.migrate_from_chat_id == -77
    assert (await abot.send_message(-1007777, "ok")).chat.type == "supergroup"


async def test_commands(server: FakeBotAPI, abot: Bot) -> None:
    await abot.set_my_commands([BotCommand(command="report", description="上报")])
    assert [c.command for c in await abot.get_my_commands()] == ["report"]
    await abot.delete_my_commands()
    assert await abot.get_my_commands() == []
    with pytest.raises(TelegramBadRequest):
        await abot.set_my_commands([BotCommand(command="Bad Command", description="x")])


# -- limits and faults -------------------------------------------------------------------
async def test_flood_limits_answer_429(
    server: FakeBotAPI, abot: Bot, pbot: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 warns on RetryAfter otherwise
    server.limits.enabled = True
    await abot.send_message(CHIEF, "1")
    with pytest.raises(TelegramRetryAfter) as info:
        await abot.send_message(CHIEF, "2")
    assert info.value.retry_after >= 1
    assert "Too Many Requests: retry after" in info.value.message
    with pytest.raises(telegram.error.RetryAfter):
        await pbot.send_message(CHIEF, "3")
    assert server.count_429 == 2
    server.add_group(-9, "g", bot_status="member")
    for i in range(20):
        await abot.send_message(-9, str(i))
    with pytest.raises(TelegramRetryAfter) as group_info:
        await abot.send_message(-9, "21st")
    assert group_info.value.retry_after >= 1
    assert [m.text for m in server.messages_in(-9)] == [str(i) for i in range(20)]


def test_limiter_rules() -> None:
    private = RateLimiter(LimitConfig())
    assert [private.check(5, now=t) for t in (0.0, 0.95, 1.9, 2.0)] == [None, None, None, 1]
    group = RateLimiter(LimitConfig())  # a leaky-bucket client (aiolimiter 20/60 s) is fine
    assert all(group.check(-1, now=0.0) is None for _ in range(20))
    assert group.check(-1, now=0.1) == 3
    assert [group.check(-1, now=3.0 * k) for k in range(1, 6)] == [None] * 5
    overall = RateLimiter(LimitConfig(global_per_sec=3))
    assert [overall.check(chat, now=0.0) for chat in (1, 2, 3, 4)] == [None, None, None, 1]
    assert RateLimiter(LimitConfig(enabled=False)).check(1, now=0.0) is None
    burst = RateLimiter(LimitConfig(burst=2))
    assert [burst.check(7, now=0.0) for _ in range(4)] == [None, None, None, 1]


async def test_fail_next_and_delay_next(server: FakeBotAPI, abot: Bot, pbot: telegram.Bot) -> None:
    server.fail_next("sendMessage", status=429, retry_after=7)
    server.fail_next("sendMessage", status=502, chat_id=LI)
    server.fail_next("getMe", status=500, times=2)
    with pytest.raises(TelegramRetryAfter) as info:
        await abot.send_message(CHIEF, "x")
    assert info.value.retry_after == 7
    assert (await abot.send_message(CHIEF, "y")).text == "y"
    with pytest.raises(TelegramServerError):
        await abot.send_message(LI, "z")
    with pytest.raises(TelegramServerError):
        await abot.get_me()
    with pytest.raises(telegram.error.NetworkError):
        await pbot.get_me()
    assert (await abot.get_me()).id == BOT_ID
    assert server.count_429 == 1

    server.delay_next("sendMessage", 1.3)
    with pytest.raises(TelegramNetworkError):
        await abot.send_message(CHIEF, "slow", request_timeout=1)
    msg = await server.wait_for_message(contains="slow", timeout=2)
    assert msg.chat_id == CHIEF  # Telegram still delivered it: the classic duplicate trap


# -- observing and publishing ------------------------------------------------------------
async def test_wait_for_message_and_events(server: FakeBotAPI, abot: Bot) -> None:
    seen: list[JSON] = []
    unsubscribe = server.subscribe(seen.append)
    stream = server.events()
    waiter = asyncio.create_task(server.wait_for_message(chat_id=CHIEF, contains="工单"))
    ref = await server.user_sends(CHIEF, CHIEF, "/new")
    await asyncio.sleep(0.05)
    assert not waiter.done()
    await abot.send_message(CHIEF, "工单 #1 已创建", reply_to_message_id=ref.message_id)
    found = await waiter
    assert found.reply_to_message_id == ref.message_id
    assert await server.wait_for_message(reply_to=ref.message_id, timeout=0.1) is found
    with pytest.raises(TimeoutError):
        await server.wait_for_message(contains="never", timeout=0.05)
    since = len(server.bot_messages)
    with pytest.raises(TimeoutError):
        await server.wait_for_message(contains="工单", since=since, timeout=0.05)
    first = await anext(stream)
    assert (first["type"], first["origin"], first["message"]["text"]) == (
        "message",
        "user",
        "/new",
    )
    unsubscribe()
    assert json.loads(json.dumps(seen)) == seen
    assert json.dumps(server.snapshot())
    assert [e["type"] for e in seen] == ["message", "message"]
    assert seen[1]["origin"] == "bot"
    assert seen[1]["message"]["reply_to_message"]["text"] == "/new"
    assert await server.wait_until(lambda: len(server.calls) >= 1, timeout=0.1)


# -- webhook -----------------------------------------------------------------------------
async def test_webhook_push_with_secret_retry_and_redeliver(server: FakeBotAPI, abot: Bot) -> None:
    received: list[tuple[str | None, JSON]] = []
    failures = [500]

    async def hook(request: web.Request) -> web.Response:
        if failures:
            return web.Response(status=failures.pop())
        received.append(
            (request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json())
        )
        if len(received) == 1:
            return web.json_response(
                {"method": "sendMessage", "chat_id": CHIEF, "text": "via hook"}
            )
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await abot.set_webhook(f"http://{host}:{port}/hook", secret_token="s3cret")
        ref = await server.user_sends(CHIEF, CHIEF, "/start")
        await server.wait_until(lambda: len(received) == 1, timeout=3)
        assert received[0][0] == "s3cret"
        assert received[0][1]["update_id"] == ref.update_id
        assert (await server.wait_for_message(contains="via hook", timeout=2)).chat_id == CHIEF
        assert ref.update_id is not None
        await server.redeliver(ref.update_id)
        await server.wait_until(lambda: len(received) == 2, timeout=3)
        assert received[1][1]["update_id"] == ref.update_id
        info = await abot.get_webhook_info()
        assert info.url.endswith("/hook")
        assert info.last_error_message is not None
    finally:
        await abot.delete_webhook()
        await runner.cleanup()


# -- real polling loops ------------------------------------------------------------------
async def test_aiogram_dispatcher_polling(server: FakeBotAPI, abot: Bot) -> None:
    from aiogram import Dispatcher, F
    from aiogram.filters import Command
    from aiogram.types import CallbackQuery, Message

    dp = Dispatcher()

    @dp.message(Command("start"))
    async def start(message: Message) -> None:
        await message.reply("欢迎", reply_markup=keyboard(("开始", "go")))

    @dp.callback_query(F.data == "go")
    async def go(query: CallbackQuery) -> None:
        await query.answer("好")

    task = asyncio.create_task(
        dp.start_polling(abot, polling_timeout=1, handle_signals=False, close_bot_session=False)
    )
    try:
        ref = await server.user_sends(CHIEF, CHIEF, "/start")
        reply = await server.wait_for_message(reply_to=ref.message_id)
        press = await server.user_presses(CHIEF, CHIEF, reply.message_id, "go")
        await server.wait_until(lambda: press.callback_query_id in server.callback_answers)
        assert server.callback_answers[press.callback_query_id] == ("好", False)
    finally:
        await dp.stop_polling()
        await task
    assert server.unexpected_calls == []


async def test_ptb_application_polling(server: FakeBotAPI) -> None:
    from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

    async def start(update: telegram.Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text("欢迎")

    app = (
        ApplicationBuilder()
        .token(TOKEN)
        .base_url(f"{server.url}/bot")
        .base_file_url(f"{server.url}/file/bot")
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1, poll_interval=0)
        try:
            await server.user_sends(LI, LI, "/start")
            reply = await server.wait_for_message(chat_id=LI)
            assert reply.text == "欢迎"  # PTB does not quote in private chats
        finally:
            await app.updater.stop()
            await app.stop()
    assert server.unexpected_calls == []


async def test_aiogram_webhook_handler_reply_in_response(server: FakeBotAPI, abot: Bot) -> None:
    from aiogram import Dispatcher
    from aiogram.filters import Command
    from aiogram.methods import SendMessage
    from aiogram.types import Message
    from aiogram.webhook.aiohttp_server import SimpleRequestHandler

    dp = Dispatcher()

    @dp.message(Command("start"))
    async def start(message: Message) -> SendMessage:
        return message.answer("webhook 你好")

    app = web.Application()
    SimpleRequestHandler(dp, abot, handle_in_background=False, secret_token="tok").register(
        app, path="/wh"
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        await abot.set_webhook(f"http://{host}:{port}/wh", secret_token="tok")
        await server.user_sends(CHIEF, CHIEF, "/start")
        msg = await server.wait_for_message(contains="webhook 你好", timeout=3)
        assert msg.chat_id == CHIEF
        assert server.calls_of("sendMessage")[-1].via == "webhook_reply"
    finally:
        await abot.delete_webhook()
        await runner.cleanup()
    assert server.unexpected_calls == []


async def test_leave_close_logout_limit(server: FakeBotAPI, abot: Bot) -> None:
    await joined(server)
    assert await abot.leave_chat(GROUP) is True
    with pytest.raises(TelegramForbiddenError, match="not a member"):
        await abot.send_message(GROUP, "x")
    updates = await abot.get_updates(timeout=0, limit=1)
    assert len(updates) == 1
    statuses = [
        u.my_chat_member.new_chat_member.status
        for u in await abot.get_updates(timeout=0)
        if u.my_chat_member
    ]
    assert statuses == ["member", "left"]
    assert await abot.log_out() is True
    assert await abot.close() is True
    assert server.unexpected_calls == []
