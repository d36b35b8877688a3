"""Bot API calls that aiogram and python-telegram-bot spell the same way, written once.

Each runtime supplies only what differs: how its errors map (`call`), and how it builds a
file, an inline keyboard and reply parameters.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from bot.runtime import OutboxItem
from handlers.events import CallbackAnswer

ALLOWED = ["message", "edited_message", "callback_query", "my_chat_member"]


class BotCalls:
    bot: Any
    reads_all: bool

    async def call(self, awaitable: Awaitable[Any]) -> Any:
        """Await a Bot API call, mapping the framework's errors onto SendError."""
        raise NotImplementedError

    def file(self, data: bytes, filename: str) -> Any:
        raise NotImplementedError

    def keyboard(self, rows: list[list[list[str]]]) -> Any:
        raise NotImplementedError

    def reply_to(self, message_id: int) -> Any:
        raise NotImplementedError

    async def send(self, item: OutboxItem) -> int:
        markup = self.keyboard(item.buttons) if item.buttons else None
        reply = self.reply_to(item.reply_to) if item.reply_to else None
        extra = {"reply_markup": markup, "reply_parameters": reply}
        if item.kind in ("photo", "document") and item.attachment is not None:
            default = "chart.png" if item.kind == "photo" else "file.bin"
            upload = self.file(item.attachment, item.filename or default)
            send = self.bot.send_photo if item.kind == "photo" else self.bot.send_document
            message = await self.call(
                send(item.chat_id, upload, caption=item.text or None, **extra)
            )
        else:
            message = await self.call(self.bot.send_message(item.chat_id, item.text, **extra))
        return int(message.message_id)

    async def answer_callback(self, callback_id: str, answer: CallbackAnswer) -> None:
        await self.call(
            self.bot.answer_callback_query(
                callback_id, text=answer.text or None, show_alert=answer.alert
            )
        )

    async def can_read_all(self, chat_id: int) -> bool:
        member = await self.call(self.bot.get_chat_member(chat_id, self.bot.id))
        return self.reads_all or member.status in ("administrator", "creator")

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await self.call(self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED))

    async def delete_webhook(self) -> None:
        await self.call(self.bot.delete_webhook())
