"""Repositories and the unit of work, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from storage.errors import Conflict
from storage.models import OutboxMessage, Station, Ticket
from storage.uow import UnitOfWork, UowFactory

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LEASE = timedelta(seconds=20)
BEIJING = timezone(timedelta(hours=8))


async def add_station(uow: UowFactory, name: str = "新城派出所") -> int:
    async with uow() as u:
        station = await u.stations.add(Station(name=name, next_ticket_number=1, sla={}))
        await u.commit()
        return station.id


def new_ticket(station_id: int, number: int, message_id: int, **fields: object) -> Ticket:
    values: dict[str, object] = {
        "station_id": station_id, "number": number, "source_chat_id": -1001001,
        "source_message_id": message_id, "reporter_id": 3001, "text": "楼道灯坏了",
        "category": "safety_hazard", "created_at": NOW, "clock_started_at": NOW,
    }
    return Ticket(**{**values, **fields})


async def add_ticket(uow: UowFactory, station_id: int, number: int = 1, **fields: object) -> int:
    async with uow() as u:
        ticket = await u.tickets.add(new_ticket(station_id, number, 100 + number, **fields))
        await u.commit()
        return ticket.id


async def add_outbox(uow: UowFactory, **fields: object) -> int:
    values: dict[str, object] = {"chat_id": -1001001, "text": "已登记工单 #1",
                                 "available_at": NOW, "created_at": NOW}
    row = OutboxMessage(**{**values, **fields})
    async with uow() as u:
        await u.outbox.add(row)
        await u.commit()
    return row.id


async def commit_new(uow: UowFactory, row: object) -> None:
    async with uow() as u:
        u.session.add(row)
        await u.commit()


async def station_count(uow: UowFactory) -> int:
    async with uow() as u:
        return int(await u.session.scalar(select(func.count()).select_from(Station)) or 0)


# unit of work -------------------------------------------------------------------------------

async def test_uow_without_commit_rolls_back(uow: UowFactory) -> None:
    async with uow() as u:
        await u.stations.add(Station(name="未提交", next_ticket_number=1, sla={}))
    assert await station_count(uow) == 0


async def test_uow_rolls_back_when_the_block_raises(uow: UowFactory) -> None:
    async def failing_use_case() -> None:
        async with uow() as u:
            await u.stations.add(Station(name="出错", next_ticket_number=1, sla={}))
            raise RuntimeError("use case failed")

    with pytest.raises(RuntimeError):
        await failing_use_case()
    assert await station_count(uow) == 0


async def test_uow_commit_persists(uow: UowFactory) -> None:
    await add_station(uow)
    assert await station_count(uow) == 1


async def test_uow_work_after_commit_is_rolled_back_without_second_commit(
    uow: UowFactory,
) -> None:
    async with uow() as u:
        await u.stations.add(Station(name="一", next_ticket_number=1, sla={}))
        await u.commit()
        await u.stations.add(Station(name="二", next_ticket_number=1, sla={}))
    async with uow() as u:
        assert [s.name for s in await u.stations.all()] == ["一"]


async def test_uow_commit_of_a_duplicate_raises_conflict(uow: UowFactory) -> None:
    await add_station(uow, "新城派出所")
    with pytest.raises(Conflict):
        await commit_new(uow, Station(name="新城派出所", next_ticket_number=1, sla={}))
    assert await station_count(uow) == 1


async def test_uow_objects_read_stay_usable_after_the_block(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    async with uow() as u:
        station = await u.stations.get(station_id)
    assert station is not None
    assert station.name == "新城派出所"


# datetimes --------------------------------------------------------------------------------------

async def test_aware_datetime_round_trips_as_utc(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    local = datetime(2026, 3, 1, 16, 30, 15, 123456, tzinfo=BEIJING)
    ticket_id = await add_ticket(uow, station_id, created_at=local, clock_started_at=local)
    async with uow() as u:
        ticket = await u.tickets.get(ticket_id)
    assert ticket is not None
    assert ticket.created_at == local
    assert ticket.created_at.utcoffset() == timedelta(0)
    assert ticket.created_at == datetime(2026, 3, 1, 8, 30, 15, 123456, tzinfo=UTC)


async def test_naive_datetime_is_refused(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    with pytest.raises(StatementError, match="naive datetime"):
        async with uow() as u:
            await u.tickets.add(new_ticket(station_id, 1, 101,
                                           created_at=datetime(2026, 3, 1, 8, 0)))  # noqa: DTZ001


async def test_datetime_comparison_uses_the_instant_not_the_zone(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    due = datetime(2026, 3, 1, 16, 0, tzinfo=BEIJING)  # 08:00 UTC
    ticket_id = await add_ticket(uow, station_id, next_escalation_at=due)
    async with uow() as u:
        assert [t.id for t in await u.tickets.due_for_escalation(NOW)] == [ticket_id]
        assert await u.tickets.due_for_escalation(NOW - timedelta(seconds=1)) == []


# once-only markers ------------------------------------------------------------------------------

async def test_processed_update_is_first_time_only_once(uow: UowFactory) -> None:
    results = []
    for _ in range(2):
        async with uow() as u:
            results.append(await u.runs.first_time_update(555, NOW))
            await u.commit()
    assert results == [True, False]


async def test_processed_update_marker_is_lost_without_commit(uow: UowFactory) -> None:
    async with uow() as u:
        assert await u.runs.first_time_update(556, NOW)
    async with uow() as u:
        assert await u.runs.first_time_update(556, NOW)


async def test_forgotten_updates_can_be_seen_again(uow: UowFactory) -> None:
    async with uow() as u:
        await u.runs.first_time_update(1, NOW - timedelta(days=3))
        await u.runs.first_time_update(2, NOW)
        await u.runs.forget_updates_before(NOW - timedelta(days=1))
        await u.commit()
    async with uow() as u:
        assert await u.runs.first_time_update(1, NOW)
        assert not await u.runs.first_time_update(2, NOW)


async def test_escalation_is_recorded_once_per_ticket_level_and_cycle(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    ticket_id = await add_ticket(uow, station_id)
    results = []
    for level, cycle in [("accept", 0), ("accept", 0), ("accept_red", 0), ("accept", 1)]:
        async with uow() as u:
            results.append(await u.tickets.record_escalation(ticket_id, level, cycle, NOW))
            await u.commit()
    assert results == [True, False, True, True]


async def test_a_batch_of_escalations_reports_only_the_first_records(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    one, two, three = [await add_ticket(uow, station_id, n) for n in (1, 2, 3)]
    async with uow() as u:
        assert await u.tickets.record_escalation(one, "accept", 0, NOW)
        await u.commit()
    async with uow() as u:
        steps = [(one, "accept", 0), (two, "accept", 0), (three, "solve", 1)]
        assert await u.tickets.record_escalations(steps, NOW) == {two, three}
        assert await u.tickets.record_escalations([], NOW) == set()
        await u.commit()
    async with uow() as u:
        assert await u.tickets.record_escalations(steps, NOW) == set()


async def test_job_run_is_claimed_once_per_due_key(uow: UowFactory) -> None:
    results = []
    for job, key in [("follow_up", "2026-03-01T08:00"), ("follow_up", "2026-03-01T08:00"),
                     ("follow_up", "2026-03-01T08:01"), ("sweep", "2026-03-01T08:00")]:
        async with uow() as u:
            results.append(await u.runs.claim_job(job, key, NOW))
            await u.commit()
    assert results == [True, False, True, True]


async def test_concurrent_job_claims_have_one_winner(uow: UowFactory) -> None:
    async def claim() -> bool:
        async with uow() as u:
            won = await u.runs.claim_job("daily_report", "2026-03-01", NOW)
            await u.commit()
            return won

    assert sorted(await asyncio.gather(*(claim() for _ in range(4)))) == [
        False, False, False, True]


# ticket numbers -------------------------------------------------------------------------------

async def test_ticket_numbers_count_per_station(uow: UowFactory) -> None:
    first, second = await add_station(uow, "新城派出所"), await add_station(uow, "老城派出所")
    numbers = []
    for station_id in (first, first, second, first):
        async with uow() as u:
            numbers.append(await u.stations.allocate_number(station_id))
            await u.commit()
    assert numbers == [1, 2, 1, 3]


async def test_ticket_number_is_not_used_up_without_commit(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    async with uow() as u:
        assert await u.stations.allocate_number(station_id) == 1
    async with uow() as u:
        assert await u.stations.allocate_number(station_id) == 1


async def test_concurrent_reports_get_distinct_numbers(uow: UowFactory) -> None:
    station_id = await add_station(uow)

    async def allocate() -> int:
        async with uow() as u:
            number = await u.stations.allocate_number(station_id)
            await u.commit()
            return number

    assert sorted(await asyncio.gather(*(allocate() for _ in range(5)))) == [1, 2, 3, 4, 5]


async def test_same_source_message_cannot_make_two_tickets(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    await add_ticket(uow, station_id, number=1)
    with pytest.raises(Conflict):
        await commit_new(uow, new_ticket(station_id, 2, 101))  # same chat and message as #1


async def test_ticket_lookups_by_number_source_and_reporter(uow: UowFactory) -> None:
    station_id = await add_station(uow)
    await add_ticket(uow, station_id, number=1)
    await add_ticket(uow, station_id, number=2, status="resolved")
    await add_ticket(uow, station_id, number=3, reporter_id=3002)
    async with uow() as u:
        by_number = await u.tickets.by_number(station_id, 2)
        by_source = await u.tickets.by_source(-1001001, 101)
        open_tickets = await u.tickets.open_for_reporter(station_id, 3001)
    assert by_number is not None
    assert by_number.status == "resolved"
    assert by_source is not None
    assert by_source.number == 1
    assert [t.number for t in open_tickets] == [1]


# outbox --------------------------------------------------------------------------------

async def test_outbox_claim_is_exclusive(uow: UowFactory) -> None:
    row_id = await add_outbox(uow)
    results = []
    for _ in range(2):
        async with uow() as u:
            results.append(await u.outbox.claim(row_id, NOW, LEASE))
            await u.commit()
    assert results == [True, False]


async def test_concurrent_outbox_claims_have_one_winner(uow: UowFactory) -> None:
    row_id = await add_outbox(uow)

    async def claim() -> bool:
        async with uow() as u:
            won = await u.outbox.claim(row_id, NOW, LEASE)
            await u.commit()
            return won

    assert sorted(await asyncio.gather(claim(), claim())) == [False, True]
    async with uow() as u:
        row = await u.outbox.get(row_id)
    assert row is not None
    assert (row.status, row.attempts) == ("sending", 1)


async def test_outbox_claim_of_sent_row_fails(uow: UowFactory) -> None:
    row_id = await add_outbox(uow)
    async with uow() as u:
        await u.outbox.mark_sent(row_id, NOW, 77)
        await u.commit()
    async with uow() as u:
        assert not await u.outbox.claim(row_id, NOW + timedelta(hours=1), LEASE)


async def test_outbox_expired_lease_can_be_claimed_again(uow: UowFactory) -> None:
    row_id = await add_outbox(uow)
    async with uow() as u:
        assert await u.outbox.claim(row_id, NOW, LEASE)
        await u.commit()
    async with uow() as u:
        assert not await u.outbox.claim(row_id, NOW + LEASE - timedelta(seconds=1), LEASE)
        assert await u.outbox.claim(row_id, NOW + LEASE, LEASE)
        await u.commit()
    async with uow() as u:
        row = await u.outbox.get(row_id)
    assert row is not None
    assert row.attempts == 2


async def test_outbox_due_returns_pending_and_expired_leases_only(uow: UowFactory) -> None:
    pending = await add_outbox(uow)
    later = await add_outbox(uow, available_at=NOW + timedelta(minutes=1))
    expired = await add_outbox(uow, status="sending", lease_until=NOW - timedelta(seconds=1))
    leased = await add_outbox(uow, status="sending", lease_until=NOW + timedelta(seconds=5))
    sent = await add_outbox(uow, status="sent")
    failed = await add_outbox(uow, status="failed")
    async with uow() as u:
        due = {r.id for r in await u.outbox.due(NOW)}
    assert due == {pending, expired}
    assert not due & {later, leased, sent, failed}


async def test_outbox_due_orders_by_priority_then_age(uow: UowFactory) -> None:
    broadcast = await add_outbox(uow, priority=8)
    ack = await add_outbox(uow, priority=1)
    notice = await add_outbox(uow, priority=3)
    second_ack = await add_outbox(uow, priority=1)
    async with uow() as u:
        assert [r.id for r in await u.outbox.due(NOW)] == [ack, second_ack, notice, broadcast]


async def test_outbox_retry_makes_row_due_later(uow: UowFactory) -> None:
    row_id = await add_outbox(uow)
    async with uow() as u:
        await u.outbox.claim(row_id, NOW, LEASE)
        await u.outbox.retry_at(row_id, NOW + timedelta(seconds=30), "429 retry after 30")
        await u.commit()
    async with uow() as u:
        assert await u.outbox.due(NOW + timedelta(seconds=29)) == []
        assert [r.id for r in await u.outbox.due(NOW + timedelta(seconds=30))] == [row_id]


async def test_outbox_counts_by_status(uow: UowFactory) -> None:
    await add_outbox(uow)
    await add_outbox(uow)
    await add_outbox(uow, status="sent")
    async with uow() as u:
        assert await u.outbox.counts() == {"pending": 2, "sent": 1}


async def test_uow_is_a_fresh_transaction_each_time(uow: UowFactory) -> None:
    first: UnitOfWork = uow()
    async with first:
        pass
    async with first as again:
        assert await again.stations.all() == []


async def test_two_transactions_may_meet_the_same_new_person(uow: UowFactory) -> None:
    async def second() -> tuple[str, str | None, bool]:
        async with uow() as b:
            person = await b.stations.touch_person(77, "", "jia", private=True)
            await b.commit()
            return person.name, person.username, person.has_private_chat

    async with uow() as a:
        await a.stations.touch_person(77, "甲", None)
        later = asyncio.create_task(second())
        await asyncio.sleep(0.3)  # the second one meets the uncommitted row
        await a.commit()
    assert await later == ("甲", "jia", True)
