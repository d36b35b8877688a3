"""What residents can ask: /status, /help, /start."""

from __future__ import annotations

from handlers.officers import number_arg, ticket_line
from handlers.turn import Turn


async def status(turn: Turn, args: str) -> None:
    t = turn.t
    if args.strip():
        number, _ = number_arg("status", args)
        ticket = await turn.ticket(number, lock=False)
        await turn.answer(
            "status_detail",
            number=number,
            status=t.status(ticket.status),
            category=t.category(ticket.category),
            officer=await turn.person_name(ticket.officer_id),
        )
        return
    if turn.station is None:
        await turn.answer("status_none")
        return
    tickets = await turn.uow.tickets.open_for_reporter(turn.station.id, turn.sender_id)
    if not tickets:
        await turn.answer("status_none")
        return
    lines = [t("status_header")] + [await ticket_line(turn, x) for x in tickets]
    await turn.answer_text("\n".join(lines))


async def show_help(turn: Turn, _args: str) -> None:
    parts = [turn.t("help_resident")]
    if turn.is_officer:
        parts.append(turn.t("help_officer"))
    if turn.is_chief:
        parts.append(turn.t("help_chief"))
    await turn.answer_text("\n\n".join(parts))


async def start(turn: Turn, args: str) -> None:
    if turn.event is not None and turn.event.chat.kind == "group":
        await show_help(turn, args)
        return
    if turn.station is not None:
        await turn.answer("private_welcome", station=turn.station.name)
    else:
        await turn.answer("private_welcome_nostation")
    if turn.is_officer:
        await show_help(turn, args)
