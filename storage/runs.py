"""Once-only markers: processed updates and scheduled job runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import JobRun, ProcessedUpdate
from storage.sql import insert_ignore


class RunRepo:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def first_time_update(self, update_id: int, now: datetime) -> bool:
        """True when this update id was never handled before (Telegram redelivers)."""
        return await insert_ignore(
            self.session,
            ProcessedUpdate.__table__,  # type: ignore[arg-type]
            {"update_id": update_id, "at": now},
        )

    async def claim_job(self, job: str, due_key: str, now: datetime) -> bool:
        """True for exactly one caller per (job, due time), across processes."""
        return await insert_ignore(
            self.session,
            JobRun.__table__,  # type: ignore[arg-type]
            {"job": job, "due_key": due_key, "at": now},
        )

    async def forget_updates_before(self, when: datetime) -> None:
        await self.session.execute(delete(ProcessedUpdate).where(ProcessedUpdate.at < when))
