"""Officers work tickets: take, reply, note, resolve, transfer, mine, ticket."""

from __future__ import annotations

from typing import Any

from handlers.commands import split_number, ticket_number
from handlers.errors import NotAllowed, Reply
from handlers.events import Button
from handlers.intake import follow_up_due
from handlers.ticket_flow import OPEN
from handlers.timefmt import local_time, shorten
from handlers.turn import Turn
from storage.models import Ticket


def number_arg(command: str, args: str) -> tuple[int, str]:
    token, rest = split_number(args)
    if not token:
        raise Reply("need_ticket_number", command=command)
    number = ticket_number(token)
    if number is None:
        raise Reply("bad_ticket_number", command=command, value=token[:20])
    return number, rest


async def _workable(turn: Turn, command: str, args: str, *, need_text: bool) -> tuple[Ticket, str]:
    turn.require_officer()
    number, rest = number_arg(command, args)
    if need_text and not rest:
        raise Reply(f"usage_{command}")
    ticket = await turn.ticket(number)
    if ticket.status not in OPEN:
        raise Reply("ticket_is_closed", number=number)
    if (
        ticket.officer_id not in (None, turn.sender_id)
        and ticket.status == "taken"
        and not turn.is_chief
    ):
        raise NotAllowed("refused_not_responsible", number=number)
    return ticket, rest


async def take(turn: Turn, args: str) -> None:
    ticket, _ = await _workable(turn, "take", args, need_text=False)
    assert turn.station is not None
    if ticket.status == "taken" and ticket.officer_id == turn.sender_id:
        raise Reply(
            "already_taken",
            number=ticket.number,
            officer=await turn.person_name(ticket.officer_id),
        )
    await turn.change(
        ticket, "taken", status="taken", officer_id=turn.sender_id, taken_at=turn.now
    )
    name = await turn.person_name(turn.sender_id)
    await turn.answer("take_done", number=ticket.number)
    await turn.to_group_of(ticket, "group_taken", officer=name)


async def reply(turn: Turn, args: str) -> None:
    ticket, text = await _workable(turn, "reply", args, need_text=True)
    assert turn.station is not None
    await turn.change(ticket, "replied", note=text)
    await turn.answer("reply_done", number=ticket.number)
    await turn.to_group_of(
        ticket, "group_reply", officer=await turn.person_name(turn.sender_id), text=text
    )


async def note(turn: Turn, args: str) -> None:
    turn.require_officer()
    number, text = number_arg("note", args)
    if not text:
        raise Reply("usage_note")
    ticket = await turn.ticket(number)
    assert turn.station is not None
    # Internal: audited, never posted to a group.
    await turn.change(ticket, "note", note=text, internal=True)
    await turn.answer("note_done", number=number)


async def resolve(turn: Turn, args: str) -> None:
    ticket, text = await _workable(turn, "resolve", args, need_text=True)
    station = turn.station
    assert station is not None
    officer_id = ticket.officer_id if ticket.status == "taken" else turn.sender_id
    await turn.change(
        ticket,
        "resolved",
        note=text,
        status="resolved",
        officer_id=officer_id,
        resolved_at=turn.now,
        resolution=text,
        rating=None,
        rated_at=None,
        taken_at=ticket.taken_at or turn.now,
    )
    follow_up_due(turn, ticket)
    await turn.answer("resolve_done", number=ticket.number)
    await turn.to_group_of(
        ticket, "group_resolved", officer=await turn.person_name(turn.sender_id), text=text
    )
    await ask_rating(turn, ticket)


async def ask_rating(turn: Turn, ticket: Ticket) -> None:
    """Three buttons, in the contract's order, as a reply to the reporter's message."""
    t = turn.t
    buttons = tuple(
        Button(t(f"rating.{score}"), f"rate1:{ticket.id}:{ticket.reopen_count}:{score}")
        for score in (1, 2, 3)
    )
    reporter = await turn.person_name(ticket.reporter_id)
    chat_id = await turn.ticket_chat(ticket)
    if chat_id is None:
        return
    reply_to = ticket.source_message_id if chat_id == ticket.source_chat_id else None
    await turn.say(
        chat_id,
        "rate_prompt",
        reply_to=reply_to,
        buttons=(buttons,),
        ticket=ticket,
        number=ticket.number,
        reporter=reporter,
    )


async def transfer(turn: Turn, args: str) -> None:
    ticket, target = await _workable(turn, "transfer", args, need_text=True)
    station = turn.station
    assert station is not None
    details: dict[str, Any] = {
        "number": ticket.number,
        "grid": await turn.grid_name(ticket.grid_id),
        "category": turn.t.category(ticket.category),
        "text": ticket.text,
    }
    officer_id = int(target) if target.lstrip("-").isdigit() else None
    if officer_id is not None and await turn.uow.stations.has_role(
        station.id, officer_id, "officer"
    ):
        name = await turn.person_name(officer_id)
        await turn.change(
            ticket,
            "transferred",
            status="new",
            officer_id=officer_id,
            taken_at=None,
            clock_started_at=turn.now,
        )
        await turn.say(
            officer_id,
            "transfer_to_officer",
            ticket=ticket,
            by=await turn.person_name(turn.sender_id),
            **details,
        )
        await turn.answer("transfer_done", number=ticket.number, target=name)
        await turn.to_group_of(ticket, "group_transferred", target=name)
        return
    departments = await turn.uow.stations.departments(station.id)
    department = next((d for d in departments if d.name == target), None)
    if department is None:
        raise Reply(
            "transfer_unknown",
            target=target[:50],
            departments="、".join(d.name for d in departments) or "-",
        )
    await transfer_to_department(turn, ticket, department.name, department.chat_id)


async def transfer_to_department(
    turn: Turn, ticket: Ticket, name: str, chat_id: int | None
) -> None:
    station = turn.station
    assert station is not None
    await turn.change(ticket, "transferred", department=name)
    if chat_id is not None:
        await turn.say(
            chat_id,
            "transfer_to_department",
            ticket=ticket,
            station=station.name,
            number=ticket.number,
            grid=await turn.grid_name(ticket.grid_id),
            category=turn.t.category(ticket.category),
            text=ticket.text,
        )
    await turn.answer("transfer_done", number=ticket.number, target=name)
    await turn.to_group_of(ticket, "group_transferred", target=name)


async def mine(turn: Turn, _args: str) -> None:
    turn.require_officer()
    tickets = await turn.uow.tickets.open_for_officer(turn.sender_id)
    if not tickets:
        raise Reply("mine_empty")
    lines = [turn.t("mine_header", count=len(tickets))]
    lines += [await ticket_line(turn, t) for t in tickets]
    await turn.answer_text("\n".join(lines))


async def ticket_line(turn: Turn, ticket: Ticket) -> str:
    text = shorten(ticket.text)
    return turn.t(
        "ticket_line",
        number=ticket.number,
        status=turn.t.status(ticket.status),
        grid=await turn.grid_name(ticket.grid_id),
        text=text,
    )


async def show_ticket(turn: Turn, args: str) -> None:
    station = turn.require_officer()
    number, _ = number_arg("ticket", args)
    ticket = await turn.ticket(number, lock=False)
    t = turn.t
    lines = [
        t(
            "ticket_detail",
            number=number,
            status=t.status(ticket.status),
            urgent=t("urgent_mark") if ticket.urgent else "",
            grid=await turn.grid_name(ticket.grid_id),
            category=t.category(ticket.category),
            reporter=await turn.person_name(ticket.reporter_id, str(ticket.reporter_id)),
            officer=await turn.person_name(ticket.officer_id),
            created=local_time(ticket.created_at, station.timezone),
            text=ticket.text,
        )
    ]
    events = await turn.uow.tickets.events(ticket.id)
    if events:
        lines.append(t("ticket_history_header"))
        for ev in events:
            lines.append(  # noqa: PERF401 - awaits inside
                t(
                    "history_line",
                    at=local_time(ev.at, station.timezone),
                    actor=await turn.person_name(ev.actor_id, "-"),
                    action=ev.action,
                    note=f": {ev.note}" if ev.note else "",
                )
            )
    await turn.answer_text("\n".join(lines))
