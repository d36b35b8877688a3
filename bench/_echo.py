"""The baseline: a bare echo bot of each framework, as its own documentation writes one."""

from __future__ import annotations

import argparse
import asyncio
import signal


def run_aiogram(token: str, api_url: str) -> None:
    from aiogram import Bot, Dispatcher
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer
    from aiogram.types import Message

    dp = Dispatcher()

    @dp.message()
    async def echo(message: Message) -> None:
        await message.bot.send_message(message.chat.id, message.text or "")  # type: ignore[union-attr]

    async def main() -> None:
        bot = Bot(token, session=AiohttpSession(api=TelegramAPIServer.from_base(api_url)))
        await dp.start_polling(bot, polling_timeout=10, handle_signals=True)

    asyncio.run(main())


def run_ptb(token: str, api_url: str) -> None:
    from telegram import Update
    from telegram.ext import Application, ContextTypes, MessageHandler, filters

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_chat is not None
        assert update.effective_message is not None
        await context.bot.send_message(
            update.effective_chat.id, update.effective_message.text or ""
        )

    app = Application.builder().token(token).base_url(f"{api_url}/bot").build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(timeout=10, stop_signals=(signal.SIGTERM, signal.SIGINT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--framework", choices=["aiogram", "ptb"], required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--api-url", required=True)
    args = parser.parse_args()
    (run_aiogram if args.framework == "aiogram" else run_ptb)(args.token, args.api_url)


if __name__ == "__main__":
    main()
