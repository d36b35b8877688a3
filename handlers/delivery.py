"""What the sender reports back to the core: unreachable chats and migrated groups."""

from __future__ import annotations

from handlers import groups
from handlers.deps import Deps
from handlers.turn import Turn, is_group


async def chat_unreachable(deps: Deps, chat_id: int, reason: str) -> None:
    """403: mark the chat, stop sending there, tell the chiefs once."""
    async with deps.uow() as uow:
        turn = Turn(uow=uow, deps=deps, event=None, now=deps.clock.now())
        if is_group(chat_id):
            await groups.chat_unreachable(turn, chat_id, "removed", reason)
        else:
            await groups.person_unreachable(turn, chat_id, reason)
        await uow.commit()
    if turn.emitted:
        deps.wake_sender()


async def chat_migrated(deps: Deps, old_chat_id: int, new_chat_id: int) -> None:
    """Telegram said the group is now a supergroup: binding and pending sends follow it."""
    async with deps.uow() as uow:
        await uow.stations.migrate_group(old_chat_id, new_chat_id)
        await uow.outbox.retarget(old_chat_id, new_chat_id)
        await uow.commit()
    deps.wake_sender()
