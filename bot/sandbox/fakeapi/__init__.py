"""Telegram-compatible fake Bot API server (tests and the offline sandbox).

See ``FakeBotAPI`` in :mod:`bot.sandbox.fakeapi.server`; the full API is described in
``bot/sandbox/fakeapi/README.md``-style notes below.
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
