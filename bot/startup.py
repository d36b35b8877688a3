"""Start-up failures an operator can fix, each told as one line naming the setting."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from sqlalchemy.exc import DBAPIError, OperationalError

from bot.runtime import Forbidden, Rejected, Transient

T = TypeVar("T")


class StartupError(Exception):
    """str() is the line printed before exit 2."""


async def checked_database(step: Awaitable[T]) -> T:
    try:
        return await step
    except (OSError, OperationalError, DBAPIError) as exc:
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
        raise StartupError(
            f"setting --database-url (GRIDBOT_DATABASE_URL): cannot use the database: {reason}"
        ) from exc


async def checked_bot_api(step: Awaitable[T]) -> T:
    try:
        return await step
    except (Forbidden, Rejected) as exc:
        raise StartupError(
            f"setting --token (GRIDBOT_TOKEN): the Bot API server refused it: {exc.reason}"
        ) from exc
    except (Transient, OSError) as exc:
        raise StartupError(
            f"setting --api-url (GRIDBOT_API_URL): cannot reach the Bot API server: {exc}"
        ) from exc
