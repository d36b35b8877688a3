"""The one place a ticket's state changes: fields, audit row and SLA schedule together."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from storage.models import Station, Ticket
from storage.uow import UnitOfWork

OPEN = ("new", "taken", "reopened")
AUDITED = (
    "status",
    "officer_id",
    "text",
    "category",
    "urgent",
    "rating",
    "department",
    "follow_up_answer",
    "grid_id",
)


def sla_seconds(station: Station, name: str) -> int:
    defaults = {
        "accept": 1800,
        "resolve": 86400,
        "urgent_accept": 300,
        "follow_up": 259200,
        "sweep": 60,
        "rating_change": 600,
    }
    return int((station.sla or {}).get(name, defaults[name]))


def next_escalation(ticket: Ticket, station: Station) -> tuple[str, datetime] | None:
    """The next escalation level this ticket can reach, and when; None when none is left."""
    if ticket.status in ("new", "reopened"):
        limit = sla_seconds(station, "urgent_accept" if ticket.urgent else "accept")
        start, levels = ticket.clock_started_at, ("accept", "accept_red")
    elif ticket.status == "taken" and ticket.taken_at is not None:
        limit = sla_seconds(station, "resolve")
        start, levels = ticket.taken_at, ("resolve", "resolve_red")
    else:
        return None
    if ticket.escalation_stage == levels[1]:
        return None
    if ticket.escalation_stage == levels[0]:
        return levels[1], start + timedelta(seconds=2 * limit)
    return levels[0], start + timedelta(seconds=limit)


def reschedule(ticket: Ticket, station: Station) -> None:
    following = next_escalation(ticket, station)
    ticket.next_escalation_at = following[1] if following else None


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


async def change_ticket(
    uow: UnitOfWork,
    station: Station,
    ticket: Ticket,
    *,
    action: str,
    actor_id: int | None,
    now: datetime,
    note: str | None = None,
    internal: bool = False,
    **changes: Any,
) -> None:
    """Apply changes, write the audit event, and move the SLA clock when the state moves."""
    before = {k: _plain(getattr(ticket, k)) for k in changes if k in AUDITED}
    status_before = ticket.status
    for key, value in changes.items():
        setattr(ticket, key, value)
    after = {k: _plain(getattr(ticket, k)) for k in changes if k in AUDITED}
    if ticket.status != status_before or "urgent" in changes or "taken_at" in changes:
        ticket.escalation_stage = None
        reschedule(ticket, station)
    await uow.tickets.record_event(
        ticket,
        actor_id=actor_id,
        action=action,
        at=now,
        before=before,
        after=after,
        note=note,
        internal=internal,
    )
