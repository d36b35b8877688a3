"""The outbox: rows written with the state they announce, claimed and sent after commit."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, GroupChat, OutboxMessage, Person
from storage.sql import skip_locked


class OutboxRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, row: OutboxMessage) -> None:
        self.session.add(row)

    async def due(self, now: datetime, limit: int = 500) -> list[OutboxMessage]:
        """Pending rows (and rows whose sender died mid-send), best priority first."""
        stmt = (
            select(OutboxMessage)
            .where(
                or_(
                    (OutboxMessage.status == "pending") & (OutboxMessage.available_at <= now),
                    (OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now),
                )
            )
            .order_by(OutboxMessage.priority, OutboxMessage.id)
            .limit(limit)
            .with_for_update(**skip_locked(self.session))
        )
        return list(await self.session.scalars(stmt))

    async def claim(self, row_id: int, now: datetime, lease: timedelta) -> bool:
        """Take one row for sending; False when another sender has it (or it is done)."""
        result = await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                or_(
                    OutboxMessage.status == "pending",
                    (OutboxMessage.status == "sending") & (OutboxMessage.lease_until <= now),
                ),
            )
            .values(status="sending", lease_until=now + lease, attempts=OutboxMessage.attempts + 1)
        )
        return bool(getattr(result, "rowcount", 0))

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def mark_sent(self, row_id: int, now: datetime, message_id: int | None) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status="sent", sent_at=now, telegram_message_id=message_id, lease_until=None)
        )

    async def retry_at(self, row_id: int, when: datetime, error: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status="pending", available_at=when, lease_until=None, error=error[:500])
        )

    async def mark_failed(self, row_id: int, error: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status="failed", lease_until=None, error=error[:500])
        )

    async def fail_pending_for_chat(self, chat_id: int, error: str) -> None:
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status.in_(("pending", "sending")),
            )
            .values(status="failed", lease_until=None, error=error[:500])
        )

    async def retarget(self, old_chat: int, new_chat: int) -> None:
        """Pending sends follow a group that migrated to a supergroup."""
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == old_chat,
                OutboxMessage.status.in_(("pending", "sending")),
            )
            .values(chat_id=new_chat, reply_to=None, status="pending")
        )

    async def unsendable_chats(self, chat_ids: set[int]) -> set[int]:
        """Chats among these that are removed, migrated or blocked."""
        if not chat_ids:
            return set()
        groups = select(GroupChat.chat_id).where(
            GroupChat.chat_id.in_(chat_ids), GroupChat.status != "active"
        )
        people = select(Person.id).where(Person.id.in_(chat_ids), Person.blocked.is_(True))
        found = set(await self.session.scalars(groups)) | set(await self.session.scalars(people))
        return {int(c) for c in found}

    async def counts(self) -> dict[str, int]:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return {s: int(n) for s, n in (await self.session.execute(stmt)).all()}

    async def broadcast_counts(self, broadcast_id: int) -> dict[str, int]:
        stmt = (
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == broadcast_id)
            .group_by(OutboxMessage.status)
        )
        return {s: int(n) for s, n in (await self.session.execute(stmt)).all()}

    async def broadcast_failures(self, broadcast_id: int) -> list[tuple[int, str]]:
        stmt = select(OutboxMessage.chat_id, OutboxMessage.error).where(
            OutboxMessage.broadcast_id == broadcast_id, OutboxMessage.status == "failed"
        )
        return [(int(c), e or "") for c, e in (await self.session.execute(stmt)).all()]

    async def sending_broadcasts(self) -> list[Broadcast]:
        stmt = (
            select(Broadcast)
            .where(Broadcast.status == "sending")
            .order_by(Broadcast.id)
            .with_for_update(**skip_locked(self.session))
        )
        return list(await self.session.scalars(stmt))
