"""Cron jobs for the chief's reports: 08:00 station time, daily, Mondays, and on the 1st.

Running twice (or in two processes) is safe: send_reports claims each station and period.
"""

from __future__ import annotations

import asyncio
from typing import Any

import structlog
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger

from handlers.deps import Deps
from handlers.report_period import PeriodKind
from handlers.reports import send_reports

log = structlog.get_logger("gridbot.scheduler")

REPORT_HOUR = 8
# A bot restarted within the morning still sends that day's report.
MISFIRE_GRACE = 6 * 3600
SCHEDULES: dict[PeriodKind, dict[str, Any]] = {
    "day": {},
    "week": {"day_of_week": "mon"},
    "month": {"day": 1},
}


def report_job(deps: Deps, period: PeriodKind, zone: str) -> Any:
    async def run() -> None:
        try:
            await send_reports(deps, period, deps.clock.now(), timezone=zone)
        except asyncio.CancelledError:
            # Shutdown cancels a run in flight: nothing was claimed or sent; next start redoes it.
            log.info("job.cancelled", job="report", period=period, timezone=zone)
        except Exception:
            # The claim rolled back with the failed transaction: the next run retries.
            log.exception("job.failed", job="report", period=period, timezone=zone)

    run.__name__ = f"report_{period}"
    return run


def add_report_jobs(scheduler: AsyncIOScheduler, deps: Deps, stations_tz: list[str]) -> None:
    """One job per period and station timezone, firing at 08:00 in that zone."""
    for zone in sorted(set(stations_tz)):
        for period, fields in SCHEDULES.items():
            scheduler.add_job(
                report_job(deps, period, zone),
                CronTrigger(hour=REPORT_HOUR, minute=0, timezone=zone, **fields),
                id=f"report_{period}_{zone}",
                replace_existing=True,
                coalesce=True,
                max_instances=1,
                misfire_grace_time=MISFIRE_GRACE,
            )
