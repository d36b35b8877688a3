"""The one core entry point: an Incoming event in, state and outbox rows committed together."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog

from handlers import buttons, chief, groups, intake, officers, reports, residents
from handlers.commands import has_report_tag, mentions, parse_command
from handlers.deps import Deps
from handlers.errors import Alert, Reply
from handlers.events import CallbackAnswer, DispatchResult, EventKind, Incoming
from handlers.turn import Turn
from storage.errors import Conflict
from storage.uow import UnitOfWork

log = structlog.get_logger("gridbot.core")

CommandFn = Callable[[Turn, str], Awaitable[None]]

COMMANDS: dict[str, CommandFn] = {
    "start": residents.start,
    "help": residents.show_help,
    "status": residents.status,
    "take": officers.take,
    "reply": officers.reply,
    "note": officers.note,
    "resolve": officers.resolve,
    "transfer": officers.transfer,
    "mine": officers.mine,
    "ticket": officers.show_ticket,
    "overdue": chief.overdue,
    "assign": chief.assign,
    "stats": reports.stats,
    "broadcast": chief.broadcast,
    "bind": groups.bind,
}
# Commands that make sense in a group not yet bound to a grid.
UNBOUND_OK = {"bind", "start", "help"}


class Core:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def dispatch(self, event: Incoming) -> DispatchResult:
        """Handle one update once; domain refusals are answered, never raised."""
        result = DispatchResult()
        try:
            async with self.deps.uow() as uow:
                now = self.deps.clock.now()
                if not await uow.runs.first_time_update(event.update_id, now):
                    log.info("update.duplicate", update_id=event.update_id)
                    return DispatchResult(callback=CallbackAnswer())
                turn = await open_turn(uow, self.deps, event)
                result.callback = await route(turn)
                await uow.commit()
                emitted = turn.emitted
        except Reply as outcome:
            emitted = await self._answer_outcome(event, outcome)
        except Alert as alert:
            result.callback = await self._alert(event, alert)
            emitted = 0
        except Conflict:
            log.info("update.conflict", update_id=event.update_id)
            return DispatchResult(callback=CallbackAnswer())
        if emitted:
            self.deps.wake_sender()
        return result

    async def _answer_outcome(self, event: Incoming, outcome: Reply) -> int:
        async with self.deps.uow() as uow:
            turn = await open_turn(uow, self.deps, event)
            await uow.runs.first_time_update(event.update_id, turn.now)
            if event.kind == EventKind.CALLBACK:
                await uow.commit()
                return 0
            await turn.answer(outcome.key, **outcome.values)
            await uow.commit()
            return turn.emitted

    async def _alert(self, event: Incoming, alert: Alert) -> CallbackAnswer:
        async with self.deps.uow() as uow:
            turn = await open_turn(uow, self.deps, event)
            await uow.runs.first_time_update(event.update_id, turn.now)
            await uow.commit()
            return CallbackAnswer(turn.t(alert.key, **alert.values), alert=True)

    async def apologise(self, event: Incoming) -> None:
        """Last resort after an unexpected error: a generic apology, marked as handled."""
        async with self.deps.uow() as uow:
            turn = await open_turn(uow, self.deps, event)
            await uow.runs.first_time_update(event.update_id, turn.now)
            if event.kind == EventKind.MESSAGE and event.text.startswith("/"):
                await turn.answer("generic_error")
            await uow.commit()
        self.deps.wake_sender()


async def open_turn(uow: UnitOfWork, deps: Deps, event: Incoming) -> Turn:
    """Load the station, grid and the sender's roles that this event is about."""
    turn = Turn(uow=uow, deps=deps, event=event, now=deps.clock.now())
    private = event.chat.kind == "private"
    if event.sender.id:
        await uow.stations.touch_person(
            event.sender.id,
            event.sender.name,
            event.sender.username,
            private=private and event.kind == EventKind.MESSAGE,
        )
    if not private:
        ctx = await uow.stations.group(event.chat.id)
        if ctx is not None:
            turn.group, turn.station, turn.grid = ctx.chat, ctx.station, ctx.grid
        elif event.kind not in (EventKind.BOT_LEFT, EventKind.MIGRATED):
            turn.group = await uow.stations.seen_group(event.chat.id, event.chat.title)
    roles = await uow.stations.roles(event.sender.id) if event.sender.id else []
    if turn.station is None and roles:
        turn.station = await uow.stations.get(roles[0].station_id)
    if turn.station is None and private:
        stations = await uow.stations.all()
        turn.station = stations[0] if len(stations) == 1 else None
    if turn.station is not None:
        turn.roles = {r.role for r in roles if r.station_id == turn.station.id}
    return turn


async def route(turn: Turn) -> CallbackAnswer | None:
    event = turn.event
    assert event is not None
    if event.kind == EventKind.CALLBACK:
        return await buttons.on_button(turn, event.callback_data or "")
    if event.kind == EventKind.BOT_JOINED:
        await groups.bot_joined(turn)
    elif event.kind == EventKind.BOT_LEFT:
        await groups.bot_left(turn)
    elif event.kind == EventKind.MIGRATED:
        await groups.migrated(turn)
    elif event.kind == EventKind.EDITED:
        await intake.edit_report(turn, event.message_id, event.text)
    elif event.kind == EventKind.MESSAGE:
        await on_message(turn, event)
    return None


async def on_message(turn: Turn, event: Incoming) -> None:
    username = turn.deps.bot.username
    command = parse_command(event.text, username)
    group = event.chat.kind == "group"
    if command is not None:
        if command.name == "report":
            await _report(turn, event, command.args)
            return
        handler = COMMANDS.get(command.name)
        if handler is None:
            raise Reply("unknown_command", command=command.name[:32])
        if group and turn.grid is None and command.name not in UNBOUND_OK and not turn.roles:
            raise Reply("group_not_bound")
        await handler(turn, command.args)
        return
    if not event.text.strip():
        return
    if not group:
        raise Reply("help_officer" if turn.is_officer else "report_private")
    if has_report_tag(event.text) or mentions(event.text, username) or event.reply_to_bot:
        await _report(turn, event, event.text)
    elif turn.grid is not None:
        await intake.suggest_or_register(turn, event.text)


async def _report(turn: Turn, event: Incoming, text: str) -> None:
    if event.chat.kind != "group":
        raise Reply("report_private")
    if turn.grid is None:
        raise Reply("group_not_bound")
    if not text.strip():
        raise Reply("report_empty")
    await intake.report_ticket(
        turn,
        text,
        source_message_id=event.message_id,
        reporter_id=event.sender.id,
        reporter_name=event.sender.name,
    )
