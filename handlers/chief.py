"""The station chief: overdue list, assignment, stats, broadcasts."""

from __future__ import annotations

from handlers.errors import Reply
from handlers.events import Button
from handlers.officers import number_arg
from handlers.timefmt import age
from handlers.turn import Turn
from storage.models import Broadcast


async def overdue(turn: Turn, _args: str) -> None:
    station = turn.require_chief()
    tickets = await turn.uow.tickets.escalated(station.id)
    if not tickets:
        raise Reply("overdue_none")
    t = turn.t
    lines = [t("overdue_header", count=len(tickets))]
    for ticket in tickets:
        lines.append(  # noqa: PERF401 - awaits inside
            t(
                "overdue_line",
                number=ticket.number,
                grid=await turn.grid_name(ticket.grid_id),
                officer=await turn.person_name(ticket.officer_id),
                level=t(f"level.{ticket.escalation_stage}"),
                age=age(turn.now - ticket.created_at, station.language),
            )
        )
    await turn.answer_text("\n".join(lines))


async def assign(turn: Turn, args: str) -> None:
    station = turn.require_chief()
    number, rest = number_arg("assign", args)
    target = rest.split()[0] if rest.split() else ""
    if not target.lstrip("-").isdigit():
        raise Reply("usage_assign")
    officer_id = int(target)
    if not await turn.uow.stations.has_role(station.id, officer_id, "officer"):
        raise Reply("assign_unknown_officer", officer_id=officer_id)
    ticket = await turn.ticket(number)
    previous = ticket.officer_id
    status = "new" if ticket.status in ("new", "taken", "resolved", "closed") else ticket.status
    if ticket.status in ("resolved", "closed"):
        status = "reopened"
    await turn.change(
        ticket,
        "assigned",
        officer_id=officer_id,
        status=status,
        taken_at=None,
        clock_started_at=turn.now,
    )
    name = await turn.person_name(officer_id)
    t = turn.t
    await turn.say(
        officer_id,
        "assign_to_officer",
        ticket=ticket,
        number=number,
        grid=await turn.grid_name(ticket.grid_id),
        category=t.category(ticket.category),
        text=ticket.text,
    )
    if previous is not None and previous != officer_id:
        await turn.say(previous, "assign_from_officer", ticket=ticket, number=number, officer=name)
    await turn.answer("assign_done", number=number, officer=name)
    await turn.to_group_of(ticket, "group_assigned", officer=name)


async def broadcast(turn: Turn, args: str) -> None:
    station = turn.require_chief()
    text = args.strip()
    if not text:
        raise Reply("usage_broadcast")
    groups = [g for g in await turn.uow.stations.bound_groups(station.id) if g.status == "active"]
    if not groups:
        raise Reply("broadcast_none")
    draft = await turn.uow.add_broadcast(
        Broadcast(
            station_id=station.id,
            chief_id=turn.sender_id,
            text=text,
            status="draft",
            total=len(groups),
            created_at=turn.now,
        )
    )
    t = turn.t
    buttons = (
        (
            Button(t("broadcast_yes"), f"bc1:{draft.id}:y"),
            Button(t("broadcast_no"), f"bc1:{draft.id}:n"),
        ),
    )
    assert turn.event is not None
    await turn.say(
        turn.event.chat.id,
        "broadcast_confirm",
        buttons=buttons,
        count=len(groups),
        text=text,
        reply_to=turn.event.message_id if turn.event.chat.kind == "group" else None,
    )
