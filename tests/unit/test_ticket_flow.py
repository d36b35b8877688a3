"""SLA schedule of a ticket: which escalation comes next and when; how ages are shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.ticket_flow import change_ticket, next_escalation, reschedule, sla_seconds
from handlers.timefmt import age, local_time
from storage.models import Station, Ticket

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
SLA = {"accept": 1800, "resolve": 86400, "urgent_accept": 300, "follow_up": 259200,
       "sweep": 60, "rating_change": 600}


def station(**sla: int) -> Station:
    return Station(id=1, name="新城派出所", sla={**SLA, **sla})


def ticket(**fields: Any) -> Ticket:
    values: dict[str, Any] = {"id": 1, "number": 1, "status": "new", "urgent": False,
                              "escalation_stage": None, "clock_started_at": T0,
                              "taken_at": None, "created_at": T0}
    return Ticket(**{**values, **fields})


def test_new_ticket_escalates_for_acceptance_after_accept_limit() -> None:
    assert next_escalation(ticket(), station()) == ("accept", T0 + timedelta(minutes=30))


def test_urgent_ticket_uses_urgent_accept_limit() -> None:
    assert next_escalation(ticket(urgent=True), station()) == (
        "accept", T0 + timedelta(minutes=5))


def test_second_acceptance_level_comes_at_twice_the_limit() -> None:
    assert next_escalation(ticket(escalation_stage="accept"), station()) == (
        "accept_red", T0 + timedelta(hours=1))


def test_no_escalation_after_the_red_level() -> None:
    assert next_escalation(ticket(escalation_stage="accept_red"), station()) is None


def test_taken_ticket_escalates_from_the_time_it_was_taken() -> None:
    taken = T0 + timedelta(minutes=10)
    assert next_escalation(ticket(status="taken", taken_at=taken), station()) == (
        "resolve", taken + timedelta(hours=24))
    assert next_escalation(
        ticket(status="taken", taken_at=taken, escalation_stage="resolve"), station()
    ) == ("resolve_red", taken + timedelta(hours=48))


def test_reopened_ticket_escalates_from_the_reopening() -> None:
    reopened = T0 + timedelta(days=2)
    assert next_escalation(ticket(status="reopened", clock_started_at=reopened), station()) == (
        "accept", reopened + timedelta(minutes=30))


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_finished_ticket_never_escalates(status: str) -> None:
    assert next_escalation(ticket(status=status), station()) is None


def test_station_sla_from_station_file_is_used() -> None:
    assert next_escalation(ticket(), station(accept=45)) == ("accept", T0 + timedelta(seconds=45))


def test_missing_sla_entry_falls_back_to_default() -> None:
    bare = Station(id=1, name="x", sla={})
    assert sla_seconds(bare, "accept") == 1800
    assert sla_seconds(bare, "urgent_accept") == 300


def test_reschedule_sets_and_clears_next_escalation_time() -> None:
    t = ticket()
    reschedule(t, station())
    assert t.next_escalation_at == T0 + timedelta(minutes=30)
    t.status = "resolved"
    reschedule(t, station())
    assert t.next_escalation_at is None


class RecordingTickets:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    async def record_event(self, ticket: Ticket, **fields: Any) -> None:
        self.events.append(fields)


class RecordingUow:
    def __init__(self) -> None:
        self.tickets = RecordingTickets()


async def test_change_ticket_taking_resets_stage_and_moves_clock_to_resolve() -> None:
    uow, t = RecordingUow(), ticket(escalation_stage="accept")
    taken = T0 + timedelta(hours=1)
    await change_ticket(uow, station(), t, action="taken", actor_id=2001,  # type: ignore[arg-type]
                        now=taken, status="taken", officer_id=2001, taken_at=taken)
    assert t.escalation_stage is None
    assert t.next_escalation_at == taken + timedelta(hours=24)
    [event] = uow.tickets.events
    assert event["action"] == "taken"
    assert event["before"] == {"status": "new", "officer_id": None}
    assert event["after"] == {"status": "taken", "officer_id": 2001}


async def test_change_ticket_internal_note_keeps_schedule() -> None:
    uow, t = RecordingUow(), ticket(escalation_stage="accept",
                                   next_escalation_at=T0 + timedelta(hours=1))
    await change_ticket(uow, station(), t, action="note", actor_id=2001,  # type: ignore[arg-type]
                        now=T0, note="已电话联系", internal=True)
    assert (t.escalation_stage, t.next_escalation_at) == ("accept", T0 + timedelta(hours=1))
    assert uow.tickets.events[0]["internal"] is True


@pytest.mark.parametrize(
    ("delta", "zh", "en"),
    [
        (timedelta(seconds=30), "不到1分钟", "<1m"),
        (timedelta(minutes=45), "45分钟", "45m"),
        (timedelta(hours=2, minutes=5), "2小时5分钟", "2h 5m"),
        (timedelta(days=1, hours=3, minutes=7), "1天3小时7分钟", "1d 3h 7m"),
        (timedelta(seconds=-5), "不到1分钟", "<1m"),
    ],
)
def test_age_reads_naturally_in_each_language(delta: timedelta, zh: str, en: str) -> None:
    assert (age(delta, "zh"), age(delta, "en")) == (zh, en)


def test_local_time_is_shown_in_the_station_timezone() -> None:
    assert local_time(T0, "Asia/Shanghai") == "2026-03-01 16:00"
    assert local_time(T0, "UTC") == "2026-03-01 08:00"
