"""Scheduled jobs: short functions over the core, each safe to run twice or in two processes."""

from __future__ import annotations

from datetime import timedelta

from handlers.broadcasts import report_broadcasts
from handlers.deps import Deps
from handlers.escalation import send_follow_ups, sweep_overdue

UPDATE_RETENTION = timedelta(days=2)


async def escalations(deps: Deps) -> None:
    await sweep_overdue(deps)


async def follow_ups(deps: Deps) -> None:
    await send_follow_ups(deps)


async def broadcasts(deps: Deps) -> None:
    await report_broadcasts(deps)


async def prune_processed_updates(deps: Deps) -> None:
    """Telegram redelivers within hours, not days: older update ids need not be kept."""
    async with deps.uow() as uow:
        await uow.runs.forget_updates_before(deps.clock.now() - UPDATE_RETENTION)
        await uow.commit()
