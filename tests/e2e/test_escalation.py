"""Unhandled tickets escalate to the chief, once per ticket and level, whoever sweeps."""

from __future__ import annotations

import asyncio

import pytest

from handlers.deps import Deps
from handlers.escalation import sweep_overdue
from storage.db import create_engine, session_factory
from storage.uow import uow_factory
from tests.e2e.conversation import command, report, take
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import CHIEF, OFFICER, SUPERIOR


async def test_untaken_ticket_reminds_officer_and_pings_chief_once(gridbot: Gridbot) -> None:
    await report(gridbot)
    assert await gridbot.run_job(sweep_overdue) == 0
    gridbot.clock.advance(31 * 60)
    assert await gridbot.run_job(sweep_overdue) == 1
    assert await gridbot.run_job(sweep_overdue) == 0
    chief = await said(gridbot.fake, CHIEF, "督办：工单 #1 超时未受理")
    assert "南湖社区一网格" in chief.body and "王向阳" in chief.body and "31分钟" in chief.body
    await said(gridbot.fake, OFFICER, "提醒：工单 #1")
    await gridbot.idle()
    assert len([m for m in gridbot.fake.messages_in(CHIEF) if "#1" in m.body]) == 1
    assert not gridbot.fake.messages_in(SUPERIOR)


async def test_twice_the_limit_goes_to_superiors(gridbot: Gridbot) -> None:
    await report(gridbot)
    gridbot.clock.advance(61 * 60)
    # One sweep after a long outage sends the first level; the next sends the red level.
    await gridbot.run_job(sweep_overdue)
    await gridbot.run_job(sweep_overdue)
    await said(gridbot.fake, SUPERIOR, "严重超时未受理")
    await gridbot.idle()
    assert (await gridbot.ticket(1)).escalation_stage == "accept_red"


async def test_urgent_ticket_uses_urgent_sla_and_alerts_chief_at_once(gridbot: Gridbot) -> None:
    msg = await gridbot.fake.user_sends(3001, -1001001, "#求助 楼下有人拿刀砍人，快来！")
    ack = await said(gridbot.fake, -1001001, "110", reply_to=msg.message_id)
    assert "紧急" in ack.body
    await said(gridbot.fake, CHIEF, "紧急工单 #1")
    gridbot.clock.advance(6 * 60)
    assert await gridbot.run_job(sweep_overdue) == 1


async def test_taken_but_unresolved_ticket_escalates_on_resolve_sla(gridbot: Gridbot) -> None:
    await report(gridbot)
    await take(gridbot)
    gridbot.clock.advance(31 * 60)
    assert await gridbot.run_job(sweep_overdue) == 0
    gridbot.clock.advance(24 * 3600)
    assert await gridbot.run_job(sweep_overdue) == 1
    await said(gridbot.fake, CHIEF, "超时未办结")


async def test_chief_overdue_lists_escalated_tickets(gridbot: Gridbot) -> None:
    await command(gridbot, CHIEF, CHIEF, "/overdue", "没有超时工单")
    await report(gridbot)
    gridbot.clock.advance(31 * 60)
    await gridbot.run_job(sweep_overdue)
    listing = await command(gridbot, CHIEF, CHIEF, "/overdue", "超时工单（1）")
    assert "#1" in listing.body and "王向阳" in listing.body


async def test_chief_stats_counts_today(gridbot: Gridbot) -> None:
    await report(gridbot)
    await take(gridbot)
    stats = await command(gridbot, CHIEF, CHIEF, "/stats", "新增 1")
    assert "受理 1" in stats.body


async def test_two_schedulers_send_each_escalation_once(gridbot: Gridbot) -> None:
    """Two sweepers with their own connection pools, as two processes would have."""
    if "sqlite" in gridbot.database_url:
        pytest.skip("row locking across processes is a PostgreSQL feature; SQLite has one writer")
    for n in range(1, 6):
        await report(gridbot, f"#报事 第{n}件事", number=n)
    gridbot.clock.advance(31 * 60)
    assert gridbot.deps is not None
    engines = [create_engine(gridbot.database_url) for _ in range(2)]
    try:
        sweepers = [
            Deps(
                uow=uow_factory(session_factory(e)),
                clock=gridbot.clock,
                classifier=gridbot.deps.classifier,
                bot=gridbot.deps.bot,
                wake_sender=gridbot.deps.wake_sender,
            )
            for e in engines
        ]
        counts = await asyncio.gather(*(sweep_overdue(d, batch=2) for d in sweepers * 3))
    finally:
        for engine in engines:
            await engine.dispose()
    assert sum(counts) == 5
    await gridbot.idle()
    for n in range(1, 6):
        pings = [m for m in gridbot.fake.messages_in(CHIEF) if f"督办：工单 #{n} " in m.body]
        assert len(pings) == 1
