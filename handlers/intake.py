"""Residents' reports become tickets: /report, hashtags, mentions, replies, suggestions."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.commands import strip_report_tags
from handlers.errors import Reply
from handlers.events import Button
from handlers.ticket_flow import reschedule, sla_seconds
from handlers.turn import PRIORITY_REPLY, Turn
from storage.models import IntakeSuggestion, Ticket


async def report_ticket(
    turn: Turn, text: str, *, source_message_id: int, reporter_id: int, reporter_name: str
) -> Ticket | None:
    """Create the ticket for a group message (once), acknowledge it, alert the officer."""
    station, grid, group = turn.station, turn.grid, turn.group
    if station is None or grid is None or group is None:
        raise Reply("group_not_bound")
    body = strip_report_tags(text, turn.deps.bot.username)
    if not body:
        raise Reply("report_empty")
    if await turn.uow.tickets.by_source(group.chat_id, source_message_id) is not None:
        return None  # the same message again: Telegram redelivered it
    verdict = turn.deps.classifier.classify_report(body)
    category = verdict.category if verdict.category != "none" else "help"
    officers = await turn.uow.stations.officers_of_grid(grid.id)
    officer = officers[0] if officers else None
    number = await turn.uow.stations.allocate_number(station.id)
    ticket = Ticket(
        station_id=station.id,
        number=number,
        grid_id=grid.id,
        source_chat_id=group.chat_id,
        source_message_id=source_message_id,
        reporter_id=reporter_id,
        text=body,
        category=category,
        urgent=verdict.urgent,
        status="new",
        officer_id=officer.id if officer else None,
        created_at=turn.now,
        clock_started_at=turn.now,
        reopen_count=0,
    )
    reschedule(ticket, station)
    await turn.uow.tickets.add(ticket)
    await turn.uow.tickets.record_event(
        ticket,
        actor_id=reporter_id,
        action="created",
        at=turn.now,
        after={
            "status": "new",
            "category": category,
            "urgent": verdict.urgent,
            "officer_id": ticket.officer_id,
        },
    )
    t = turn.t
    officer_name = officer.name if officer else t("no_officer")
    ack = (
        "report_ack_urgent"
        if ticket.urgent
        else "report_ack_non_police"
        if category == "non_police"
        else "report_ack"
    )
    await turn.say(
        group.chat_id,
        ack,
        reply_to=source_message_id,
        ticket=ticket,
        priority=PRIORITY_REPLY,
        number=number,
        category=t.category(category),
        officer=officer_name,
    )
    details: dict[str, Any] = {
        "number": number,
        "grid": grid.name,
        "category": t.category(category),
        "text": body,
    }
    if officer is not None:
        await turn.say(
            officer.id,
            "officer_new_ticket",
            ticket=ticket,
            priority=PRIORITY_REPLY,
            urgent=t("urgent_mark") if ticket.urgent else "",
            reporter=reporter_name,
            **details,
        )
        if category == "non_police":
            await offer_departments(turn, ticket, officer.id)
    if ticket.urgent:
        await turn.to_chiefs(station, "chief_urgent_ticket", officer=officer_name, **details)
    return ticket


async def offer_departments(turn: Turn, ticket: Ticket, officer_id: int) -> None:
    """一报警三分发: a non-police ticket can be passed on to a department in one press."""
    assert turn.station is not None
    departments = await turn.uow.stations.departments(turn.station.id)
    if not departments:
        return
    rows = tuple(
        (Button(turn.t("department_button", name=d.name), f"xf1:{ticket.id}:{d.id}"),)
        for d in departments
    )
    await turn.say(
        officer_id, "offer_department", buttons=rows, ticket=ticket, number=ticket.number
    )


async def edit_report(turn: Turn, message_id: int, text: str) -> None:
    """An edited report updates its ticket while nobody has taken it yet."""
    if turn.group is None or turn.station is None:
        return
    ticket = await turn.uow.tickets.by_source(turn.group.chat_id, message_id)
    if ticket is None or ticket.status != "new" or ticket.reporter_id != turn.sender_id:
        return
    body = strip_report_tags(text, turn.deps.bot.username)
    if not body or body == ticket.text:
        return
    await turn.change(ticket, "edited", text=body)
    if ticket.officer_id is not None:
        await turn.say(
            ticket.officer_id,
            "officer_ticket_edited",
            ticket=ticket,
            number=ticket.number,
            text=body,
        )


async def suggest_or_register(turn: Turn, text: str) -> None:
    """An untagged message that looks like a report: offer a button, or register it."""
    assert turn.event is not None
    assert turn.station is not None
    mode = turn.station.intake
    if mode == "off" or turn.grid is None:
        return
    verdict = turn.deps.classifier.classify(text)
    if not verdict.is_report:
        return
    event = turn.event
    if mode == "auto":
        await report_ticket(
            turn,
            text,
            source_message_id=event.message_id,
            reporter_id=event.sender.id,
            reporter_name=event.sender.name,
        )
        return
    suggestion = await turn.uow.add_suggestion(
        IntakeSuggestion(
            chat_id=event.chat.id,
            message_id=event.message_id,
            sender_id=event.sender.id,
            text=text,
            status="open",
            created_at=turn.now,
        )
    )
    button = Button(turn.t("intake_button"), f"in1:{suggestion.id}")
    await turn.say(
        event.chat.id,
        "intake_suggest",
        reply_to=event.message_id,
        buttons=((button,),),
        priority=PRIORITY_REPLY,
    )


def follow_up_due(turn: Turn, ticket: Ticket) -> None:
    assert turn.station is not None
    ticket.follow_up_at = turn.now + timedelta(seconds=sla_seconds(turn.station, "follow_up"))
