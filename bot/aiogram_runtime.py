"""aiogram 3 runtime: one funnel router, updates fed by our own polling or webhook loop."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    TelegramObject,
    Update,
)

from bot.runtime import (
    ChatMigrated,
    Forbidden,
    OutboxItem,
    Rejected,
    RetryAfter,
    Transient,
    UpdateHandler,
)
from handlers.deps import BotIdentity
from handlers.events import CallbackAnswer

ALLOWED = ["message", "edited_message", "callback_query", "my_chat_member"]


class AiogramRuntime:
    name = "aiogram"

    def __init__(self, token: str, api_url: str) -> None:
        server = TelegramAPIServer.from_base(api_url.rstrip("/"))
        self.bot = Bot(token, session=AiohttpSession(api=server))
        self.dp = Dispatcher()
        self._handle: UpdateHandler | None = None
        self.reads_all = False

    async def start(self, handle: UpdateHandler) -> BotIdentity:
        self._handle = handle
        router = Router(name="funnel")

        async def on_update(_event: TelegramObject, event_update: Update) -> None:
            await handle(event_update.model_dump(mode="json", by_alias=True, exclude_none=True))

        for observer in (
            router.message,
            router.edited_message,
            router.callback_query,
            router.my_chat_member,
        ):
            observer.register(on_update)
        self.dp.include_router(router)
        me = await _call(self.bot.get_me())
        self.reads_all = bool(me.can_read_all_group_messages)
        return BotIdentity(id=me.id, username=me.username or "")

    async def get_updates(self, offset: int | None, timeout: int) -> list[Any]:
        return list(
            await _call(
                self.bot.get_updates(
                    offset=offset,
                    timeout=timeout,
                    allowed_updates=ALLOWED,
                    request_timeout=timeout + 10,
                )
            )
        )

    def update_id(self, update: Any) -> int:
        return int(update.update_id)

    async def feed(self, update: Any) -> None:
        await self.dp.feed_update(self.bot, update)

    async def feed_raw(self, update: dict[str, Any]) -> None:
        await self.dp.feed_raw_update(self.bot, update)

    async def send(self, item: OutboxItem) -> int:
        markup = None
        if item.buttons:
            markup = InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
                    for row in item.buttons
                ]
            )
        reply = (
            ReplyParameters(message_id=item.reply_to, allow_sending_without_reply=True)
            if item.reply_to
            else None
        )
        if item.kind == "photo" and item.attachment is not None:
            call = self.bot.send_photo(
                item.chat_id,
                BufferedInputFile(item.attachment, item.filename or "chart.png"),
                caption=item.text or None,
                reply_markup=markup,
                reply_parameters=reply,
            )
        elif item.kind == "document" and item.attachment is not None:
            call = self.bot.send_document(
                item.chat_id,
                BufferedInputFile(item.attachment, item.filename or "file.bin"),
                caption=item.text or None,
                reply_markup=markup,
                reply_parameters=reply,
            )
        else:
            call = self.bot.send_message(
                item.chat_id, item.text, reply_markup=markup, reply_parameters=reply
            )
        message = await _call(call)
        return int(message.message_id)

    async def answer_callback(self, callback_id: str, answer: CallbackAnswer) -> None:
        await _call(
            self.bot.answer_callback_query(
                callback_id, text=answer.text or None, show_alert=answer.alert
            )
        )

    async def can_read_all(self, chat_id: int) -> bool:
        member = await _call(self.bot.get_chat_member(chat_id, self.bot.id))
        return self.reads_all or member.status in ("administrator", "creator")

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await _call(self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED))

    async def delete_webhook(self) -> None:
        await _call(self.bot.delete_webhook())

    async def close(self) -> None:
        await self.bot.session.close()


async def _call(awaitable: Any) -> Any:
    """Await a Bot API call, mapping aiogram's errors onto the shared SendError family."""
    try:
        return await awaitable
    except TelegramRetryAfter as exc:
        raise RetryAfter(float(exc.retry_after)) from exc
    except TelegramMigrateToChat as exc:
        raise ChatMigrated(int(exc.migrate_to_chat_id)) from exc
    except (TelegramForbiddenError, TelegramUnauthorizedError) as exc:
        raise Forbidden(exc.message) from exc
    except (TelegramBadRequest, TelegramNotFound) as exc:
        raise Rejected(exc.message) from exc
    except (TelegramServerError, TelegramNetworkError, TimeoutError) as exc:
        raise Transient(str(exc)) from exc
