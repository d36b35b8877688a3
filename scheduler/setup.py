"""APScheduler 3 wiring, the same for both runtimes. State lives in the database, not here."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from handlers.deps import Deps
from scheduler import jobs
from scheduler.report_jobs import add_report_jobs

log = structlog.get_logger("gridbot.scheduler")

Job = Callable[[Deps], Awaitable[None]]


def _guarded(job: Job, deps: Deps) -> Callable[[], Awaitable[None]]:
    async def run() -> None:
        try:
            await job(deps)
        except asyncio.CancelledError:
            # Shutdown cancels a job in flight: its transaction rolled back; next run redoes it.
            log.info("job.cancelled", job=job.__name__)
        except Exception:
            # A failed run is retried at the next tick; the database keeps what is due.
            log.exception("job.failed", job=job.__name__)

    run.__name__ = job.__name__
    return run


def build_scheduler(
    deps: Deps, *, sweep_seconds: float, timezone: str = "UTC"
) -> AsyncIOScheduler:
    scheduler = AsyncIOScheduler(timezone=timezone)
    every = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
    scheduler.add_job(
        _guarded(jobs.escalations, deps),
        "interval",
        seconds=sweep_seconds,
        id="escalations",
        **every,
    )
    scheduler.add_job(
        _guarded(jobs.follow_ups, deps),
        "interval",
        seconds=sweep_seconds,
        id="follow_ups",
        **every,
    )
    scheduler.add_job(
        _guarded(jobs.broadcasts, deps), "interval", seconds=2, id="broadcasts", **every
    )
    scheduler.add_job(
        _guarded(jobs.prune_processed_updates, deps),
        "interval",
        hours=6,
        id="prune_updates",
        **every,
    )
    # Report times depend on each station's timezone, which lives in the database.
    scheduler.add_job(_install_report_jobs, "date", args=[scheduler, deps], id="report_jobs")
    return scheduler


async def _install_report_jobs(scheduler: AsyncIOScheduler, deps: Deps) -> None:
    async with deps.uow() as uow:
        zones = [station.timezone for station in await uow.stations.all()]
    add_report_jobs(scheduler, deps, zones)
