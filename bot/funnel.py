"""The glue both runtimes share: raw update -> Incoming -> core, and the button answer."""

from __future__ import annotations

import asyncio

import structlog

from bot.runtime import RawUpdate, Runtime, SendError
from bot.translate import incoming_from_update
from handlers.deps import BotIdentity
from handlers.dispatch import Core
from handlers.events import CallbackAnswer, DispatchResult, Incoming
from storage.errors import unavailable

log = structlog.get_logger("gridbot.funnel")

# While the database is away an update is tried again in place (its chat waits, in order);
# after about half a minute it is given back to the transport to fetch again later.
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0)


class Funnel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.core: Core | None = None
        self.identity: BotIdentity | None = None
        self.reads_all = False
        self._deferred: set[int] = set()

    def deferred(self, update_id: int) -> bool:
        """True once for an update left unhandled because the database was away."""
        if update_id in self._deferred:
            self._deferred.discard(update_id)
            return True
        return False

    async def __call__(self, update: RawUpdate) -> CallbackAnswer | None:
        assert self.core is not None
        assert self.identity is not None
        event = incoming_from_update(update, self.identity.id, bot_reads_all=self.reads_all)
        if event is None:
            return None
        try:
            result = await self._dispatch(event)
            if result is None:
                return None
        except Exception:
            # Last resort: log, apologise once, and never let one update stop the bot.
            log.exception("update.failed", update_id=event.update_id)
            try:
                await self.core.apologise(event)
            except Exception:
                log.exception("update.apology_failed", update_id=event.update_id)
            result = None
        if event.callback_id:
            answer = result.callback if result and result.callback else CallbackAnswer()
            try:
                await self.runtime.answer_callback(event.callback_id, answer)
            except SendError as exc:
                # A late answer expires on Telegram's side; the state is already committed.
                log.warning("callback.answer_failed", reason=exc.reason)
        return result.callback if result else None

    async def _dispatch(self, event: Incoming) -> DispatchResult | None:
        """The core's answer; None when the database stayed away (the update is deferred)."""
        assert self.core is not None
        for delay in (*RETRY_DELAYS, None):
            try:
                return await self.core.dispatch(event)
            except Exception as exc:
                if not unavailable(exc):
                    raise
                if delay is None:
                    self._deferred.add(event.update_id)
                    log.error("update.deferred", update_id=event.update_id, error=repr(exc))
                    return None
                log.warning(
                    "update.retry", update_id=event.update_id, retry_in=delay, error=repr(exc)
                )
                await asyncio.sleep(delay)
        return None
