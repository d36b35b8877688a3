"""Broadcast progress and the final count, reported to the chief who sent it."""

from __future__ import annotations

from datetime import timedelta

from handlers.deps import Deps
from handlers.turn import Turn

PROGRESS_EVERY = timedelta(seconds=30)
FAILURES_LISTED = 10


async def report_broadcasts(deps: Deps) -> None:
    async with deps.uow() as uow:
        turn = Turn(uow=uow, deps=deps, event=None, now=deps.clock.now())
        for draft in await uow.outbox.sending_broadcasts():
            turn.station = await uow.stations.get(draft.station_id)
            counts = await uow.outbox.broadcast_counts(draft.id)
            delivered, failed = counts.get("sent", 0), counts.get("failed", 0)
            if counts.get("pending", 0) + counts.get("sending", 0) == 0:
                draft.status, draft.finished_at = "done", turn.now
                lines = "".join(
                    turn.t("broadcast_failure_line", chat=chat, reason=reason)
                    for chat, reason in (await uow.outbox.broadcast_failures(draft.id))[
                        :FAILURES_LISTED
                    ]
                )
                await turn.say(
                    draft.chief_id,
                    "broadcast_done",
                    delivered=delivered,
                    failed=failed,
                    total=draft.total,
                    failures=lines,
                )
            elif draft.progress_at is None or turn.now - draft.progress_at >= PROGRESS_EVERY:
                draft.progress_at = turn.now
                await turn.say(
                    draft.chief_id, "broadcast_progress", delivered=delivered, total=draft.total
                )
        await uow.commit()
    if turn.emitted:
        deps.wake_sender()
