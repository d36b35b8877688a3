"""Long polling that confirms an update only after it was handled (kill -9 loses nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Callable

import structlog

from bot.runtime import Runtime, SendError

log = structlog.get_logger("gridbot.polling")

DEFERRED_PAUSE = 5.0


async def poll(
    runtime: Runtime,
    stop: asyncio.Event,
    *,
    timeout: int = 25,
    deferred: Callable[[int], bool] = lambda _update_id: False,
) -> None:
    """Fetch and feed updates one at a time, in order, until `stop` is set.

    Telegram forgets an update once getUpdates is called with a higher offset, so the
    offset moves only after the update in hand has been committed by the core; an update
    `deferred` (the database was away) is fetched again after a pause.
    """
    offset: int | None = None
    failures = 0
    stopping = asyncio.ensure_future(stop.wait())
    try:
        while not stop.is_set():
            fetch = asyncio.ensure_future(runtime.get_updates(offset, timeout))
            await asyncio.wait({fetch, stopping}, return_when=asyncio.FIRST_COMPLETED)
            if not fetch.done():
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, SendError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except SendError as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6)) * random.uniform(0.5, 1.0)
                log.warning("polling.error", reason=exc.reason, retry_in=round(delay, 2))
                await _pause(stop, delay)
                continue
            failures = 0
            for update in updates:
                # Finish the update in hand even when asked to stop meanwhile.
                await runtime.feed(update)
                if deferred(runtime.update_id(update)):
                    await _pause(stop, DEFERRED_PAUSE)
                    break
                offset = runtime.update_id(update) + 1
                if stop.is_set():
                    break
    finally:
        stopping.cancel()
        if offset is not None:
            # Confirm what was handled so a restart does not see it again.
            with contextlib.suppress(Exception):
                async with asyncio.timeout(5):
                    await runtime.get_updates(offset, 0)


async def _pause(stop: asyncio.Event, seconds: float) -> None:
    """Sleep, but wake when asked to stop."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await stop.wait()
