"""Station chief's reports: `/stats` and the scheduled day/week/month reports."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime

import structlog

from handlers.deps import Deps
from handlers.errors import Reply
from handlers.events import Outgoing
from handlers.report_period import Period, PeriodKind, parse_kind, previous, so_far
from handlers.report_text import heading, render_text
from handlers.texts import Texts, catalogue
from handlers.turn import PRIORITY_NOTICE, PRIORITY_REPLY, Turn
from storage.models import Station
from storage.reports import Report, build_report
from storage.uow import UnitOfWork

log = structlog.get_logger("gridbot.reports")


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    chart: bytes
    chart_caption: str
    chart_name: str
    workbook: bytes
    workbook_caption: str
    workbook_name: str


async def report_for(uow: UnitOfWork, station: Station, period: Period) -> Report:
    return await build_report(uow.session, station, period.start, period.end)


def render(report: Report, period: Period, t: Texts, *, current: bool = False) -> Rendered:
    """Text, chart and workbook of one report, with their captions and file names."""
    # matplotlib and openpyxl cost ~50 MB: loaded when the first report is drawn, not at start.
    from handlers.report_chart import render_chart
    from handlers.report_workbook import render_workbook

    stem = f"report-{period.kind}-{period.first_day.isoformat()}"
    return Rendered(
        text=render_text(report, period, t, current=current),
        chart=render_chart(report, period, t, current=current),
        chart_caption=heading("report.chart_caption", report, period, t, current=current),
        chart_name=f"{stem}.png",
        workbook=render_workbook(report, period, t, current=current),
        workbook_caption=heading("report.workbook_caption", report, period, t, current=current),
        workbook_name=f"{stem}.xlsx",
    )


async def send_files(
    turn: Turn,
    chat_id: int,
    out: Rendered,
    *,
    reply_to: int | None = None,
    priority: int = PRIORITY_NOTICE,
) -> None:
    await turn.send(
        Outgoing(
            chat_id=chat_id,
            kind="photo",
            text=out.chart_caption,
            attachment=out.chart,
            filename=out.chart_name,
            reply_to=reply_to,
            priority=priority,
        )
    )
    await turn.send(
        Outgoing(
            chat_id=chat_id,
            kind="document",
            text=out.workbook_caption,
            attachment=out.workbook,
            filename=out.workbook_name,
            reply_to=reply_to,
            priority=priority,
        )
    )


async def stats(turn: Turn, args: str) -> None:
    """/stats [day|week|month]: the period running now; week and month add chart and workbook."""
    station = turn.require_chief()
    words = args.split()
    kind: PeriodKind | None = parse_kind(words[0]) if words else "day"
    if kind is None:
        raise Reply("report.usage")
    period = so_far(kind, turn.now, station.timezone)
    report = await report_for(turn.uow, station, period)
    t = turn.t
    if kind == "day":
        await turn.answer_text(render_text(report, period, t, current=True))
        return
    # In a thread, so other chats' updates go on while the chart is drawn.
    out = await asyncio.to_thread(render, report, period, t, current=True)
    await turn.answer_text(out.text)
    assert turn.event is not None
    chat = turn.event.chat
    await send_files(
        turn,
        chat.id,
        out,
        priority=PRIORITY_REPLY,
        reply_to=turn.event.message_id if chat.kind == "group" else None,
    )


async def send_reports(
    deps: Deps, period: PeriodKind, now: datetime, *, timezone: str | None = None
) -> int:
    """Send each chief the last complete period's report; once per station and period.

    `timezone` limits the run to stations in that zone (one cron job per zone).
    Returns how many stations were reported.
    """
    async with deps.uow() as uow:
        stations = [
            s for s in await uow.stations.all() if timezone is None or s.timezone == timezone
        ]
    sent = 0
    for station in stations:
        sent += await _send_station(deps, station.id, period, now)
    return sent


async def _send_station(deps: Deps, station_id: int, kind: PeriodKind, now: datetime) -> int:
    async with deps.uow() as uow:
        station = await uow.stations.get(station_id)
        if station is None:
            return 0
        period = previous(kind, now, station.timezone)
        report = await report_for(uow, station, period)
    # Drawn between transactions, in a thread: a chart takes a few hundred ms of CPU, and
    # SQLite holds its writer lock for a whole transaction. The period is past, so the
    # figures cannot change meanwhile; a second process may draw in vain, never send twice.
    out = await asyncio.to_thread(render, report, period, catalogue(station.language))
    async with deps.uow() as uow:
        # Claimed in the same transaction as the outbox rows: a crash sends nothing and
        # the claim rolls back with them, so the next run tries again.
        job = f"report:{kind}:{station.id}"
        if not await uow.runs.claim_job(job, period.first_day.isoformat(), now):
            return 0
        chiefs = await uow.stations.people_with_role(station.id, "chief")
        turn = Turn(uow=uow, deps=deps, event=None, now=now, station=station)
        for chief in chiefs:
            await turn.send(Outgoing(chat_id=chief.id, text=out.text, priority=PRIORITY_NOTICE))
            await send_files(turn, chief.id, out)
        await uow.commit()
    log.info(
        "report.sent",
        station=station_id,
        period=kind,
        first=period.first_day.isoformat(),
        chiefs=len(chiefs),
    )
    deps.wake_sender()
    return 1
