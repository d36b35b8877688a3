"""The webhook inbox: pushed updates stored before the 200, claimed per chat with a lease.

Claim rule: a row may be claimed when it is the oldest row of its chat and no row of that
chat holds a live claim. So a chat's updates are handled one at a time, oldest first, by
whichever worker holds the chat; other chats go side by side. A claim lasts `lease` unless
renewed; a killed worker's claims simply run out and any worker takes them again.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import InboundUpdate
from storage.sql import insert_ignore, skip_locked

LEASE = timedelta(seconds=20)


@dataclass(frozen=True, slots=True)
class Claimed:
    update_id: int
    body: dict[str, Any]
    attempts: int


class Inbox:
    """One worker's view of the inbox; `worker` names its claims (stable across restarts)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        worker: str,
        *,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessions, self.worker, self.lease = sessions, worker, lease

    async def add(self, update_id: int, chat: str, body: dict[str, Any], now: datetime) -> bool:
        """Store and commit; False when this update id is already waiting (a redelivery)."""
        async with self.sessions() as session, session.begin():
            return await insert_ignore(
                session,
                InboundUpdate.__table__,  # type: ignore[arg-type]
                {
                    "update_id": update_id,
                    "chat": chat,
                    "body": body,
                    "received_at": now,
                    "attempts": 0,
                },
            )

    async def claim(self, limit: int, now: datetime) -> list[Claimed]:
        """Claim up to `limit` chat heads, oldest first; each from a different chat."""
        if limit <= 0:
            return []
        row, other = InboundUpdate, aliased(InboundUpdate)
        async with self.sessions() as session, session.begin():
            heads = (
                select(row.update_id)
                .where(
                    # Checked on the row itself too: PostgreSQL re-checks only this part
                    # when a concurrent claim committed on the row meanwhile.
                    or_(row.claimed_until.is_(None), row.claimed_until <= now),
                    ~exists().where(
                        other.chat == row.chat,
                        or_(other.update_id < row.update_id, other.claimed_until > now),
                    ),
                )
                .order_by(row.update_id)
                .limit(limit)
                .with_for_update(**skip_locked(session))
            )
            # Two statements, not UPDATE … IN (subquery): PostgreSQL may run a LIMITed
            # subquery more than once, and the locks are what keep two workers apart.
            ids = list(await session.scalars(heads))
            if not ids:
                return []
            stmt = (
                update(row)
                .where(row.update_id.in_(ids))
                .values(
                    claimed_by=self.worker,
                    claimed_until=now + self.lease,
                    attempts=row.attempts + 1,
                )
                .returning(row.update_id, row.body, row.attempts)
                .execution_options(synchronize_session=False)
            )
            found = (await session.execute(stmt)).all()
        return sorted(
            (Claimed(int(u), dict(b), int(a)) for u, b, a in found), key=lambda c: c.update_id
        )

    async def renew(self, update_ids: Collection[int], now: datetime) -> None:
        """Extend the claims still in hand (a slow update must not be taken from us)."""
        if not update_ids:
            return
        async with self.sessions() as session, session.begin():
            await session.execute(
                update(InboundUpdate)
                .where(
                    InboundUpdate.update_id.in_(list(update_ids)),
                    InboundUpdate.claimed_by == self.worker,
                )
                .values(claimed_until=now + self.lease)
            )

    async def done(self, update_id: int) -> bool:
        """Delete a handled row; False if our claim was lost (another worker has it now)."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                delete(InboundUpdate).where(
                    InboundUpdate.update_id == update_id,
                    InboundUpdate.claimed_by == self.worker,
                )
            )
        return bool(getattr(result, "rowcount", 0))

    async def release(self) -> int:
        """Give back every claim of ours: at a graceful stop, or at start after a crash."""
        async with self.sessions() as session, session.begin():
            result = await session.execute(
                update(InboundUpdate)
                .where(InboundUpdate.claimed_by == self.worker)
                .values(claimed_by=None, claimed_until=None)
            )
        return int(getattr(result, "rowcount", 0))

    async def count(self) -> int:
        """Rows waiting or in hand, on every worker."""
        async with self.sessions() as session:
            stmt = select(func.count()).select_from(InboundUpdate)
            return int(await session.scalar(stmt) or 0)
