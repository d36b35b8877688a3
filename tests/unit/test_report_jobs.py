"""The report cron jobs fire at 08:00 station time on the right days."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.clock import FakeClock
from handlers.deps import BotIdentity, Deps
from scheduler.report_jobs import add_report_jobs

SHANGHAI = ZoneInfo("Asia/Shanghai")


def deps() -> Deps:
    # The jobs are only scheduled here, never run: no database or classifier is needed.
    unused: Any = None
    return Deps(uow=unused, clock=FakeClock(), classifier=unused, bot=BotIdentity(1, "bot"))


def next_fire(scheduler: AsyncIOScheduler, job_id: str, after: datetime) -> Any:
    job = scheduler.get_job(job_id)
    assert job is not None
    assert job.coalesce is True
    assert job.max_instances == 1
    return job.trigger.get_next_fire_time(None, after)


def test_jobs_fire_at_eight_local_daily_monday_and_first() -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    add_report_jobs(scheduler, deps(), ["Asia/Shanghai", "Asia/Shanghai"])
    after = datetime(2026, 3, 11, 9, tzinfo=SHANGHAI)  # a Wednesday, after 08:00
    assert next_fire(scheduler, "report_day_Asia/Shanghai", after) == datetime(
        2026, 3, 12, 8, tzinfo=SHANGHAI
    )
    assert next_fire(scheduler, "report_week_Asia/Shanghai", after) == datetime(
        2026, 3, 16, 8, tzinfo=SHANGHAI
    )
    assert next_fire(scheduler, "report_month_Asia/Shanghai", after) == datetime(
        2026, 4, 1, 8, tzinfo=SHANGHAI
    )
    assert len(scheduler.get_jobs()) == 3


def test_one_set_of_jobs_per_timezone() -> None:
    scheduler = AsyncIOScheduler(timezone="UTC")
    add_report_jobs(scheduler, deps(), ["Asia/Shanghai", "Asia/Urumqi"])
    fire = next_fire(scheduler, "report_day_Asia/Urumqi", datetime(2026, 3, 11, tzinfo=UTC))
    assert fire.astimezone(UTC) == datetime(2026, 3, 11, 2, tzinfo=UTC)
