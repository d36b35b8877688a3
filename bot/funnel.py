"""The glue both runtimes share: raw update -> Incoming -> core, and the button answer."""

from __future__ import annotations

import structlog

from bot.runtime import RawUpdate, Runtime, SendError
from bot.translate import incoming_from_update
from handlers.deps import BotIdentity
from handlers.dispatch import Core
from handlers.events import CallbackAnswer

log = structlog.get_logger("gridbot.funnel")


class Funnel:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.core: Core | None = None
        self.identity: BotIdentity | None = None
        self.reads_all = False

    async def __call__(self, update: RawUpdate) -> CallbackAnswer | None:
        assert self.core is not None
        assert self.identity is not None
        event = incoming_from_update(update, self.identity.id, bot_reads_all=self.reads_all)
        if event is None:
            return None
        try:
            result = await self.core.dispatch(event)
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
