"""The webhook inbox: pushed updates stored before the 200, claimed per chat with a lease.

Claim rule: a row may be claimed when it is the oldest row of its chat and no row of that
chat holds a live claim. So a chat's updates are handled one at a time, oldest first, by
whichever worker holds the chat; other chats go side by side. A claim lasts `lease` unless
renewed; a killed worker's claims simply run out and any worker takes them again.

Fast path: a push whose chat has no other row in the inbox is stored already claimed by the
worker that took it (`add(..., claim=True)`), saving the claim transaction. On PostgreSQL the
insert first takes a transaction-scoped advisory lock on the chat, so two pushes of one chat
on two workers are stored one after the other, and the second one's check (a new snapshot,
READ COMMITTED) sees the first row: at most one of them is claimed. SQLite has one writer.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any, cast

from sqlalchemy import Table, case, delete, exists, func, literal, null, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import aliased

from storage.models import InboundUpdate
from storage.sql import insert_ignore, skip_locked

LEASE = timedelta(seconds=20)
# First key of pg_advisory_xact_lock(int, int), the chat's hash the second: a key space of
# its own, apart from the single-bigint keys (leadership, migrations).
CHAT_LOCK_SPACE = 0x1B0C


class Added(Enum):
    DUPLICATE = "duplicate"  # this update id is already waiting: a redelivery
    STORED = "stored"  # stored, for a drainer to claim
    CLAIMED = "claimed"  # stored and claimed by us: its chat had nothing else waiting


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
        # PostgreSQL: a lone INSERT needs no BEGIN/COMMIT round trips of its own (it commits
        # before it answers), which is what a push waits for.
        engine = sessions.kw.get("bind")
        self._autocommit: AsyncEngine | None = None
        if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
            self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")

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

    async def push(
        self, update_id: int, chat: str, body: dict[str, Any], now: datetime, *, claim: bool
    ) -> Added:
        """Store and commit; with `claim`, claimed by us too when its chat has no other row."""
        table = cast("Table", InboundUpdate.__table__)
        if not claim and self._autocommit is not None:
            async with self._autocommit.connect() as conn:
                result = await conn.execute(
                    pg_insert(table)
                    .values(update_id=update_id, chat=chat, body=body, received_at=now, attempts=0)
                    .on_conflict_do_nothing()
                )
            return Added.STORED if getattr(result, "rowcount", 0) else Added.DUPLICATE
        if not claim:
            stored = await self.add(update_id, chat, body, now)
            return Added.STORED if stored else Added.DUPLICATE
        other = table.alias("other")
        alone = ~exists().where(other.c.chat == chat)
        until = literal(now + self.lease, type_=table.c.claimed_until.type)
        async with self.sessions() as session, session.begin():
            postgres = session.bind is not None and session.bind.dialect.name == "postgresql"
            if postgres:
                # Its own statement: the insert's snapshot must be taken once we hold it.
                await session.execute(
                    select(func.pg_advisory_xact_lock(CHAT_LOCK_SPACE, func.hashtext(chat)))
                )
            stmt = (
                (pg_insert if postgres else sqlite_insert)(table)
                .values(
                    update_id=update_id,
                    chat=chat,
                    body=body,
                    received_at=now,
                    attempts=case((alone, 1), else_=0),
                    claimed_by=case((alone, self.worker), else_=null()),
                    claimed_until=case((alone, until), else_=null()),
                )
                .on_conflict_do_nothing()
                .returning(table.c.claimed_by)
            )
            got = (await session.execute(stmt)).first()
        if got is None:
            return Added.DUPLICATE
        return Added.STORED if got[0] is None else Added.CLAIMED

    async def claim(self, limit: int, now: datetime) -> list[Claimed]:
        """Claim up to `limit` chat heads, oldest first; each from a different chat."""
        if limit <= 0:
            return []
        async with self.sessions() as session, session.begin():
            return await self._claim(session, limit, now)

    async def _claim(self, session: AsyncSession, limit: int, now: datetime) -> list[Claimed]:
        row, other = InboundUpdate, aliased(InboundUpdate)
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

    async def done_many(
        self, update_ids: Collection[int], *, claim: int = 0, now: datetime | None = None
    ) -> tuple[set[int], list[Claimed]]:
        """Delete handled rows in one statement, then claim up to `claim` heads (the rows
        just freed among them), all in one transaction: (ids deleted, ours still; claimed)."""
        if not update_ids and claim <= 0:
            return set(), []
        async with self.sessions() as session, session.begin():
            deleted: set[int] = set()
            if update_ids:
                result = await session.scalars(
                    delete(InboundUpdate)
                    .where(
                        InboundUpdate.update_id.in_(list(update_ids)),
                        InboundUpdate.claimed_by == self.worker,
                    )
                    .returning(InboundUpdate.update_id)
                    .execution_options(synchronize_session=False)
                )
                deleted = {int(u) for u in result}
            claimed = await self._claim(session, claim, now) if claim > 0 and now else []
        return deleted, claimed

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
