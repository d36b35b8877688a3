"""Escalation sweeps and return visits: jobs over the core, safe to run twice at once."""

from __future__ import annotations

from typing import Any

import structlog

from handlers.deps import Deps
from handlers.events import Button
from handlers.ticket_flow import next_escalation, reschedule
from handlers.timefmt import age, shorten
from handlers.turn import Turn
from storage.models import Station, Ticket

log = structlog.get_logger("gridbot.escalation")


async def sweep_overdue(deps: Deps, *, batch: int = 200) -> int:
    """Send every escalation that is due, once per ticket and level; returns how many."""
    sent = 0
    while True:
        async with deps.uow() as uow:
            turn = Turn(uow=uow, deps=deps, event=None, now=deps.clock.now())
            due = await uow.tickets.due_for_escalation(turn.now, limit=batch)
            for ticket in due:
                sent += await _escalate(turn, ticket)
            await uow.commit()
        if turn.emitted:
            deps.wake_sender()
        if len(due) < batch:
            return sent


async def _escalate(turn: Turn, ticket: Ticket) -> int:
    station = await turn.uow.stations.get(ticket.station_id)
    assert station is not None
    turn.station = station
    step = next_escalation(ticket, station)
    if step is None or step[1] > turn.now:
        reschedule(ticket, station)
        return 0
    level = step[0]
    first = await turn.uow.tickets.record_escalation(
        ticket.id, level, ticket.reopen_count, turn.now
    )
    ticket.escalation_stage = level
    reschedule(ticket, station)
    if not first:
        return 0
    await turn.uow.tickets.record_event(
        ticket, actor_id=None, action="escalated", at=turn.now, after={"level": level}
    )
    await _announce(turn, station, ticket, level)
    log.info("ticket.escalated", ticket=ticket.number, station=station.id, level=level)
    return 1


async def _announce(turn: Turn, station: Station, ticket: Ticket, level: str) -> None:
    t = turn.t
    values: dict[str, Any] = {
        "number": ticket.number,
        "grid": await turn.grid_name(ticket.grid_id),
        "level": t(f"level.{level}"),
        "age": age(turn.now - ticket.clock_started_at, station.language),
        "officer": await turn.person_name(ticket.officer_id),
        "text": ticket.text,
    }
    if ticket.officer_id is not None:
        await turn.say(ticket.officer_id, "escalation_officer", ticket=ticket, **values)
    await turn.to_chiefs(station, "escalation_chief", **values)
    if level.endswith("_red"):
        for superior_id in await turn.staff(station, "superior"):
            await turn.say(superior_id, "escalation_chief", ticket=ticket, **values)


async def send_follow_ups(deps: Deps, *, batch: int = 200) -> int:
    """回访: ask the reporter whether the problem stayed solved; privately when possible."""
    sent = 0
    async with deps.uow() as uow:
        turn = Turn(uow=uow, deps=deps, event=None, now=deps.clock.now())
        for ticket in await uow.tickets.due_for_follow_up(turn.now, limit=batch):
            ticket.follow_up_at = None
            if ticket.status != "resolved":
                continue
            station = await uow.stations.get(ticket.station_id)
            assert station is not None
            turn.station = station
            await _ask(turn, ticket)
            await uow.tickets.record_event(
                ticket, actor_id=None, action="follow_up_sent", at=turn.now
            )
            sent += 1
        await uow.commit()
    if sent:
        deps.wake_sender()
    return sent


async def _ask(turn: Turn, ticket: Ticket) -> None:
    t = turn.t
    buttons = (
        (
            Button(t("follow_up_solved"), f"fu1:{ticket.id}:{ticket.reopen_count}:s"),
            Button(t("follow_up_again"), f"fu1:{ticket.id}:{ticket.reopen_count}:a"),
        ),
    )
    reporter = await turn.uow.stations.person(ticket.reporter_id)
    text = shorten(ticket.text)
    if reporter is not None and reporter.has_private_chat and not reporter.blocked:
        await turn.say(
            reporter.id,
            "follow_up_prompt",
            buttons=buttons,
            ticket=ticket,
            number=ticket.number,
            text=text,
        )
        return
    chat_id = await turn.ticket_chat(ticket)
    if chat_id is not None:
        reply_to = ticket.source_message_id if chat_id == ticket.source_chat_id else None
        await turn.say(
            chat_id,
            "follow_up_prompt",
            buttons=buttons,
            ticket=ticket,
            reply_to=reply_to,
            number=ticket.number,
            text=text,
        )
