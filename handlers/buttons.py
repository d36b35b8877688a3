"""Inline buttons: rating, return visit, broadcast confirmation, intake, department transfer.

Callback data is versioned (`rate1:`…) and checked against the database, so tampered or
stale data gets an alert and changes nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from handlers.errors import Alert
from handlers.events import CallbackAnswer, Outgoing
from handlers.intake import report_ticket
from handlers.officers import transfer_to_department
from handlers.ticket_flow import sla_seconds
from handlers.turn import PRIORITY_BROADCAST, Turn
from storage.models import Station, Ticket

DISSATISFIED = 3
PATTERNS = {
    "rate": re.compile(r"^rate1:(\d{1,12}):(\d{1,6}):([123])$"),
    "follow_up": re.compile(r"^fu1:(\d{1,12}):(\d{1,6}):([sa])$"),
    "broadcast": re.compile(r"^bc1:(\d{1,12}):([yn])$"),
    "intake": re.compile(r"^in1:(\d{1,12})$"),
    "department": re.compile(r"^xf1:(\d{1,12}):(\d{1,12})$"),
}


async def on_button(turn: Turn, data: str) -> CallbackAnswer:
    for name, pattern in PATTERNS.items():
        match = pattern.match(data)
        if match:
            return await HANDLERS[name](turn, match.groups())
    raise Alert("button_stale")


async def _ticket_by_id(turn: Turn, ticket_id: str) -> tuple[Ticket, Station]:
    ticket = await turn.uow.tickets.get(int(ticket_id))
    station = await turn.uow.stations.get(ticket.station_id) if ticket else None
    if ticket is None or station is None:
        raise Alert("button_stale")
    turn.station = station
    return ticket, station


async def rate(turn: Turn, groups: tuple[str, ...]) -> CallbackAnswer:
    ticket, station = await _ticket_by_id(turn, groups[0])
    cycle, score = int(groups[1]), int(groups[2])
    if turn.sender_id != ticket.reporter_id:
        raise Alert("rate_not_reporter")
    if cycle != ticket.reopen_count or ticket.status not in ("resolved", "closed"):
        raise Alert("rate_not_now")
    t = turn.t
    if ticket.rating is not None:
        window = timedelta(seconds=sla_seconds(station, "rating_change"))
        if ticket.rated_at is None or turn.now - ticket.rated_at > window:
            raise Alert("rate_locked")
        if ticket.rating == score:
            return CallbackAnswer(
                t("rate_thanks", number=ticket.number, rating=t(f"rating.{score}"))
            )
    changed = ticket.rating is not None
    await turn.change(ticket, "rated", rating=score, rated_at=turn.now)
    if score == DISSATISFIED:
        await reopen(turn, station, ticket, via="rating")
    key = "rate_changed" if changed else "rate_thanks"
    return CallbackAnswer(t(key, number=ticket.number, rating=t(f"rating.{score}")))


async def reopen(turn: Turn, station: Station, ticket: Ticket, *, via: str) -> None:
    """二次调解: back to the officer with a fresh SLA clock; group, officer and chief told."""
    await turn.change(
        ticket,
        "reopened",
        status="reopened",
        taken_at=None,
        resolved_at=None,
        clock_started_at=turn.now,
        reopen_count=ticket.reopen_count + 1,
        follow_up_at=None,
        note=via,
    )
    officer = await turn.person_name(ticket.officer_id)
    grid = await turn.grid_name(ticket.grid_id)
    if via == "rating":
        await turn.to_group_of(ticket, "group_reopened", officer=officer)
        await turn.to_chiefs(
            station, "rate_reopened_chief", number=ticket.number, grid=grid, officer=officer
        )
        if ticket.officer_id is not None:
            await turn.say(
                ticket.officer_id, "rate_reopened_officer", ticket=ticket, number=ticket.number
            )
    else:
        await turn.to_group_of(ticket, "follow_up_reopened", officer=officer)
        await turn.to_chiefs(
            station, "follow_up_reopened_chief", number=ticket.number, grid=grid, officer=officer
        )
        if ticket.officer_id is not None:
            await turn.say(
                ticket.officer_id,
                "follow_up_reopened",
                ticket=ticket,
                number=ticket.number,
                officer=officer,
            )


async def follow_up(turn: Turn, groups: tuple[str, ...]) -> CallbackAnswer:
    ticket, station = await _ticket_by_id(turn, groups[0])
    if turn.sender_id != ticket.reporter_id:
        raise Alert("follow_up_not_reporter")
    if int(groups[1]) != ticket.reopen_count or ticket.follow_up_answer is not None:
        raise Alert("button_stale")
    if ticket.status not in ("resolved", "closed"):
        raise Alert("button_stale")
    answer = "solved" if groups[2] == "s" else "again"
    await turn.change(
        ticket,
        "follow_up",
        follow_up_answer=answer,
        status="closed" if answer == "solved" else ticket.status,
        closed_at=turn.now if answer == "solved" else None,
    )
    if answer == "again":
        await reopen(turn, station, ticket, via="follow_up")
        ticket.follow_up_answer = None
        return CallbackAnswer(
            turn.t(
                "follow_up_reopened",
                number=ticket.number,
                officer=await turn.person_name(ticket.officer_id),
            )
        )
    return CallbackAnswer(turn.t("follow_up_thanks", number=ticket.number))


async def confirm_broadcast(turn: Turn, groups: tuple[str, ...]) -> CallbackAnswer:
    draft = await turn.uow.broadcast(int(groups[0]))
    if draft is None or draft.chief_id != turn.sender_id:
        raise Alert("button_stale")
    station = await turn.uow.stations.get(draft.station_id)
    assert station is not None
    turn.station = station
    if draft.status != "draft":
        raise Alert("broadcast_already")
    t = turn.t
    if groups[1] == "n":
        draft.status = "cancelled"
        return CallbackAnswer(t("broadcast_cancelled"))
    chats = [g for g in await turn.uow.stations.bound_groups(station.id) if g.status == "active"]
    draft.status, draft.total, draft.progress_at = "sending", len(chats), turn.now
    text = t("broadcast_text", station=station.name, text=draft.text)
    for chat in chats:
        await turn.send(
            Outgoing(
                chat_id=chat.chat_id, text=text, priority=PRIORITY_BROADCAST, broadcast_id=draft.id
            )
        )
    await turn.say(draft.chief_id, "broadcast_started", count=len(chats))
    return CallbackAnswer(t("broadcast_started", count=len(chats)))


async def register_suggestion(turn: Turn, groups: tuple[str, ...]) -> CallbackAnswer:
    suggestion = await turn.uow.suggestion(int(groups[0]))
    if suggestion is None or turn.group is None or suggestion.chat_id != turn.group.chat_id:
        raise Alert("button_stale")
    if turn.sender_id != suggestion.sender_id and not turn.is_officer:
        raise Alert("intake_not_allowed")
    if suggestion.status != "open":
        raise Alert("button_stale")
    suggestion.status = "registered"
    reporter = await turn.uow.stations.person(suggestion.sender_id)
    await report_ticket(
        turn,
        suggestion.text,
        source_message_id=suggestion.message_id,
        reporter_id=suggestion.sender_id,
        reporter_name=reporter.name if reporter else str(suggestion.sender_id),
    )
    return CallbackAnswer(turn.t("intake_done"))


async def to_department(turn: Turn, groups: tuple[str, ...]) -> CallbackAnswer:
    ticket, station = await _ticket_by_id(turn, groups[0])
    roles = {
        r.role for r in await turn.uow.stations.roles(turn.sender_id) if r.station_id == station.id
    }
    turn.roles = roles
    if not turn.is_officer:
        raise Alert("refused_officer")
    departments = {d.id: d for d in await turn.uow.stations.departments(station.id)}
    department = departments.get(int(groups[1]))
    if department is None or ticket.status not in ("new", "taken", "reopened"):
        raise Alert("button_stale")
    await transfer_to_department(turn, ticket, department.name, department.chat_id)
    return CallbackAnswer(turn.t("transfer_done", number=ticket.number, target=department.name))


HANDLERS = {
    "rate": rate,
    "follow_up": follow_up,
    "broadcast": confirm_broadcast,
    "intake": register_suggestion,
    "department": to_department,
}
