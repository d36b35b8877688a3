"""Escalation sweeps and return visits: jobs over the core, safe to run twice at once."""

from __future__ import annotations

from collections.abc import Sequence
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
            # Nothing below reads back what it writes: let the writes go out once, at commit.
            with uow.writes_at_commit():
                sent += await _escalate(turn, due)
            await uow.commit()
        if turn.emitted:
            deps.wake_sender()
        if len(due) < batch:
            return sent


async def _escalate(turn: Turn, due: Sequence[Ticket]) -> int:
    """Escalate a batch: one statement records every step, then each first one is announced."""
    stations: dict[int, Station] = {}
    steps: dict[int, str] = {}
    for ticket in due:
        station = stations.get(ticket.station_id)
        if station is None:
            station = await turn.uow.stations.get(ticket.station_id)
            assert station is not None
            stations[station.id] = station
        step = next_escalation(ticket, station)
        if step is not None and step[1] <= turn.now:
            steps[ticket.id] = step[0]
            ticket.escalation_stage = step[0]
        reschedule(ticket, station)
    first = await turn.uow.tickets.record_escalations(
        [(t.id, steps[t.id], t.reopen_count) for t in due if t.id in steps], turn.now
    )
    announced = [t for t in due if t.id in first]
    await turn.preload_names(
        grid_ids={t.grid_id for t in announced if t.grid_id is not None},
        person_ids={t.officer_id for t in announced if t.officer_id is not None},
    )
    for ticket in announced:
        station = turn.station = stations[ticket.station_id]
        level = steps[ticket.id]
        await turn.uow.tickets.record_event(
            ticket, actor_id=None, action="escalated", at=turn.now, after={"level": level}
        )
        await _announce(turn, station, ticket, level)
        log.info("ticket.escalated", ticket=ticket.number, station=station.id, level=level)
    return len(announced)


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
