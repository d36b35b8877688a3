"""python-telegram-bot 22 runtime: the mirror image of aiogram_runtime."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReplyParameters,
    Update,
)
from telegram import error as tg_error
from telegram.ext import Application, ApplicationBuilder, ContextTypes, TypeHandler
from telegram.request import HTTPXRequest

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


class PtbRuntime(BotCalls):
    name = "ptb"

    def __init__(self, token: str, api_url: str) -> None:
        # Time periods as timedelta: PTB 22 deprecates plain numbers in its error objects.
        os.environ.setdefault("PTB_TIMEDELTA", "true")
        base = api_url.rstrip("/")
        self.app: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(token)
            .base_url(f"{base}/bot")
            .base_file_url(f"{base}/file/bot")
            .request(HTTPXRequest(connection_pool_size=64, read_timeout=20))
            .get_updates_request(HTTPXRequest(read_timeout=60))
            .updater(None)
            .build()
        )
        self.reads_all = False

    @property
    def bot(self) -> Bot:
        bot: Bot = self.app.bot
        return bot

    async def start(self, handle: UpdateHandler) -> BotIdentity:
        async def on_update(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
            await handle(update.to_dict())

        self.app.add_handler(TypeHandler(Update, on_update))
        await _call(self.app.initialize())
        me = self.bot.bot
        self.reads_all = bool(me.can_read_all_group_messages)
        return BotIdentity(id=me.id, username=me.username or "")

    async def get_updates(self, offset: int | None, timeout: int) -> list[Any]:
        return list(
            await _call(
                self.bot.get_updates(
                    offset=offset,
                    timeout=timedelta(seconds=timeout),
                    allowed_updates=ALLOWED,
                )
            )
        )

    def update_id(self, update: Any) -> int:
        return int(update.update_id)

    async def feed(self, update: Any) -> None:
        await self.app.process_update(update)

    async def feed_raw(self, update: dict[str, Any]) -> None:
        await self.app.process_update(Update.de_json(update, self.bot))

    def file(self, data: bytes, filename: str) -> Any:
        return InputFile(data, filename=filename)

    def keyboard(self, rows: list[list[list[str]]]) -> Any:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(text, callback_data=data) for text, data in row]
                for row in rows
            ]
        )

    def reply_to(self, message_id: int) -> Any:
        return ReplyParameters(message_id=message_id, allow_sending_without_reply=True)

    async def call(self, awaitable: Any) -> Any:
        return await _call(awaitable)

    async def close(self) -> None:
        await self.app.shutdown()


async def _call(awaitable: Any) -> Any:
    """Await a Bot API call, mapping PTB's errors onto the shared SendError family."""
    try:
        return await awaitable
    except tg_error.RetryAfter as exc:
        delay = exc.retry_after
        seconds = delay.total_seconds() if isinstance(delay, timedelta) else float(delay)
        raise RetryAfter(seconds) from exc
    except tg_error.ChatMigrated as exc:
        raise ChatMigrated(int(exc.new_chat_id)) from exc
    except (tg_error.Forbidden, tg_error.InvalidToken) as exc:
        raise Forbidden(exc.message) from exc
    except (tg_error.BadRequest, tg_error.EndPointNotFound) as exc:
        raise Rejected(exc.message) from exc
    except (tg_error.TimedOut, tg_error.NetworkError) as exc:
        raise Transient(exc.message) from exc
