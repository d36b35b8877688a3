"""aiogram 3 runtime: one funnel router, updates fed by our own polling or webhook loop."""

from __future__ import annotations

from typing import Any

from aiogram import Bot, Dispatcher, Router, methods
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
from aiogram.methods.base import Response
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    TelegramObject,
    Update,
)

from bot.bot_calls import ALLOWED, BotCalls
from bot.runtime import (
    ChatMigrated,
    Forbidden,
    Rejected,
    RetryAfter,
    Transient,
    UpdateHandler,
)
from handlers.deps import BotIdentity

# aiogram reads every answer as `Response[<the method's result type>]`, and pydantic keeps
# parametrised models only in a weak cache: once the garbage collector drops the class, the
# next answer builds it again, schema and validator (milliseconds, about a tenth of the
# bot's CPU when sending fast). Holding them here keeps that cache warm.
_RESPONSE_TYPES = tuple(
    Response[method.__returning__]  # type: ignore[name-defined]
    for method in (
        methods.AnswerCallbackQuery,
        methods.DeleteWebhook,
        methods.GetChatMember,
        methods.GetMe,
        methods.GetUpdates,
        methods.SendDocument,
        methods.SendMessage,
        methods.SendPhoto,
        methods.SetWebhook,
    )
)


class AiogramRuntime(BotCalls):
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

    def file(self, data: bytes, filename: str) -> Any:
        return BufferedInputFile(data, filename)

    def keyboard(self, rows: list[list[list[str]]]) -> Any:
        return InlineKeyboardMarkup(
            inline_keyboard=[
                [InlineKeyboardButton(text=text, callback_data=data) for text, data in row]
                for row in rows
            ]
        )

    def reply_to(self, message_id: int) -> Any:
        return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)

    async def call(self, awaitable: Any) -> Any:
        return await _call(awaitable)

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
