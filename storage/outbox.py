"""The outbox: rows written with the state they announce, claimed and sent after commit."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Broadcast, GroupChat, OutboxMessage, Person
from storage.sql import skip_locked

# Core statements on the table: the sender's batch updates need no ORM bookkeeping.
_TABLE: Table = OutboxMessage.__table__  # type: ignore[assignment]
_T = _TABLE.c


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
        return row_id in await self.claim_many([row_id], now, lease)

    async def claim_many(
        self, row_ids: Collection[int], now: datetime, lease: timedelta
    ) -> set[int]:
        """Take these rows for sending in one statement; the ids actually taken."""
        if not row_ids:
            return set()
        stmt = (
            update(_TABLE)
            .where(
                _T.id.in_(list(row_ids)),
                or_(
                    _T.status == "pending",
                    (_T.status == "sending") & (_T.lease_until <= now),
                ),
            )
            .values(status="sending", lease_until=now + lease, attempts=_T.attempts + 1)
            .returning(_T.id)
        )
        return {int(i) for i in (await self.session.execute(stmt)).scalars()}

    async def release(self, row_ids: Collection[int]) -> None:
        """Claimed rows that were not tried after all: pending again, the attempt undone."""
        if row_ids:
            await self.session.execute(
                update(_TABLE)
                .where(_T.id.in_(list(row_ids)), _T.status == "sending")
                .values(status="pending", lease_until=None, attempts=_T.attempts - 1)
            )

    async def get(self, row_id: int) -> OutboxMessage | None:
        return await self.session.get(OutboxMessage, row_id)

    async def mark_sent(self, row_id: int, now: datetime, message_id: int | None) -> None:
        await self.mark_sent_many([(row_id, message_id)], now)

    async def mark_sent_many(self, sent: Sequence[tuple[int, int | None]], now: datetime) -> None:
        """Rows delivered, with Telegram's message id of each; one executemany."""
        if not sent:
            return
        await self.session.execute(
            update(_TABLE)
            .where(_T.id == bindparam("row_id"))
            .values(
                status="sent",
                sent_at=now,
                telegram_message_id=bindparam("message_id"),
                lease_until=None,
            ),
            [{"row_id": r, "message_id": m} for r, m in sent],
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
