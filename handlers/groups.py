"""Group life: binding to a grid, the bot joining or leaving, supergroup migration."""

from __future__ import annotations

from handlers.errors import NotAllowed, Reply
from handlers.turn import Turn
from storage.models import Grid


async def bind(turn: Turn, args: str) -> None:
    event = turn.event
    assert event is not None
    if event.chat.kind != "group":
        raise Reply("bind_in_group_only")
    code = args.strip().split()[0] if args.strip() else ""
    if not code:
        raise Reply("bind_usage")
    grid = await _grid_for(turn, code)
    station = await turn.uow.stations.get(grid.station_id)
    assert station is not None
    turn.station = station
    roles = {
        r.role for r in await turn.uow.stations.roles(turn.sender_id) if r.station_id == station.id
    }
    officers = await turn.uow.stations.officers_of_grid(grid.id)
    if "chief" not in roles and turn.sender_id not in {o.id for o in officers}:
        raise NotAllowed("bind_not_allowed")
    await turn.uow.stations.bind(event.chat.id, event.chat.title, grid)
    turn.grid = grid
    names = "、".join(o.name for o in officers) or turn.t("no_officer")
    await turn.answer("bind_done", grid=grid.name, code=grid.code, officers=names)


async def _grid_for(turn: Turn, code: str) -> Grid:
    if turn.station is not None:
        grid = await turn.uow.stations.grid_by_code(turn.station.id, code)
        if grid is not None:
            return grid
    candidates = await turn.uow.stations.grids_by_code(code)
    stations = {r.station_id for r in await turn.uow.stations.roles(turn.sender_id)}
    for grid in candidates:
        if grid.station_id in stations:
            return grid
    if len(candidates) == 1:
        return candidates[0]
    raise Reply("bind_unknown_grid", code=code[:30])


async def bot_joined(turn: Turn) -> None:
    event = turn.event
    assert event is not None
    await turn.uow.stations.seen_group(event.chat.id, event.chat.title)
    await turn.uow.stations.set_group_status(event.chat.id, "active", None)
    if turn.station is not None and turn.grid is not None:
        await turn.say(event.chat.id, "joined_ok", station=turn.station.name)
    else:
        await turn.say(event.chat.id, "joined_unbound")
    if event.can_read_all is False:
        await turn.say(event.chat.id, "privacy_warning")


async def bot_left(turn: Turn) -> None:
    event = turn.event
    assert event is not None
    await chat_unreachable(turn, event.chat.id, "removed", "bot removed from the group")


async def chat_unreachable(turn: Turn, chat_id: int, status: str, reason: str) -> None:
    """Stop sending to a group that removed the bot; tell the chiefs once."""
    ctx = await turn.uow.stations.group(chat_id)
    if ctx is None:
        return
    changed = await turn.uow.stations.set_group_status(chat_id, status, reason)
    await turn.uow.outbox.fail_pending_for_chat(chat_id, reason)
    if changed and ctx.station is not None:
        turn.station = ctx.station
        grid = ctx.grid.name if ctx.grid else "-"
        await turn.to_chiefs(
            ctx.station, "group_removed_chief", title=ctx.chat.title or chat_id, grid=grid
        )


async def person_unreachable(turn: Turn, person_id: int, reason: str) -> None:
    """A person blocked the bot: stop private sends; chiefs hear of it once if it is staff."""
    changed = await turn.uow.stations.set_person_blocked(person_id)
    await turn.uow.outbox.fail_pending_for_chat(person_id, reason)
    if not changed:
        return
    roles = await turn.uow.stations.roles(person_id)
    staff = [r for r in roles if r.role == "officer"]
    for role in staff[:1]:
        station = await turn.uow.stations.get(role.station_id)
        if station is not None:
            turn.station = station
            await turn.to_chiefs(
                station,
                "person_blocked_chief",
                name=await turn.person_name(person_id),
                person_id=person_id,
            )


async def migrated(turn: Turn) -> None:
    event = turn.event
    assert event is not None
    assert event.migrate_to_chat_id is not None
    new = await turn.uow.stations.migrate_group(event.chat.id, event.migrate_to_chat_id)
    await turn.uow.outbox.retarget(event.chat.id, event.migrate_to_chat_id)
    if new is not None and new.grid_id is not None:
        await turn.say(new.chat_id, "group_migrated")
