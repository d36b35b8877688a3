"""Two real worker processes behind nginx on one PostgreSQL: once-only, leader fail-over."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.app import worker_name
from bot.sandbox.fakeapi import FakeBotAPI
from storage.db import create_engine
from storage.models import InboundUpdate, ProcessedUpdate, Ticket
from tests.fakes.burst import assert_in_order, tickets_by_group
from tests.fakes.cluster import SECRET, Cluster, nginx_missing
from tests.fakes.databases import database, postgres_available
from tests.fakes.harness import TOKEN, said
from tests.fakes.slow_bot import HOLD_ENV
from tests.fakes.station import (
    CHIEF,
    GROUP,
    GROUP_B,
    RESIDENT,
    RESIDENT_B,
    populate,
    station_toml,
)
from tests.fakes.webhooks import health, push, report_update, settled

pytestmark = pytest.mark.slow


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    reason = nginx_missing() or await postgres_available()
    if reason:
        pytest.skip(reason)
    async with database("postgresql", tmp_path) as url:
        yield url


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI([TOKEN], enforce_limits=False)
    await server.start()
    populate(server)
    yield server
    await server.stop()
    assert not server.unexpected_calls, f"unexpected Bot API calls: {server.unexpected_calls}"


async def start_cluster(
    tmp_path: Path, fake: FakeBotAPI, url: str, station: str, **options: Any
) -> Cluster:
    cluster = Cluster(tmp_path, fake, url, station, **options)
    try:
        await cluster.start()
    except BaseException:
        await cluster.stop()
        raise
    return cluster


async def counts(url: str) -> tuple[int, int]:
    """(tickets, processed updates) straight from the database."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            tickets = await conn.scalar(select(func.count()).select_from(Ticket))
            processed = await conn.scalar(select(func.count()).select_from(ProcessedUpdate))
    finally:
        await engine.dispose()
    return int(tickets or 0), int(processed or 0)


async def test_updates_redelivered_to_the_other_worker_make_no_second_ticket_or_message(
    tmp_path: Path,
    fake: FakeBotAPI,
    pg_url: str,
) -> None:
    cluster = await start_cluster(tmp_path, fake, pg_url, station_toml())
    try:
        sent = []
        for i in range(20):
            group, user = (GROUP, RESIDENT) if i % 2 == 0 else (GROUP_B, RESIDENT_B)
            msg = await fake.user_sends(user, group, f"#报事 {i}号楼门口的路灯坏了")
            assert msg.update_id is not None
            if i % 10 == 0:  # 10%: Telegram retries, and this time another worker gets it
                for base in cluster.bases:
                    await fake.redeliver(msg.update_id, to_url=f"{base}/tg/hook")
            sent.append((group, msg))
        for group, msg in sent:
            await said(fake, group, "#", reply_to=msg.message_id, timeout=30)
        await settled(fake, cluster.bases)
        await asyncio.sleep(1.5)  # a doubled send would come from the leader's next pump
        assert await counts(pg_url) == (20, 20)
        for group, msg in sent:
            acks = [m for m in fake.messages_in(group) if m.reply_to_message_id == msg.message_id]
            assert len(acks) == 1, acks
        doubled = Counter((m.chat_id, m.body) for m in fake.bot_messages)
        assert [k for k, n in doubled.items() if n > 1] == []
        # A redelivery is dropped at the door while the update still waits in the inbox,
        # or reaches the core, which skips it.
        logs = [cluster.log(i) for i in range(2)]
        duplicates = [log.count("update.duplicate") + log.count("inbox.duplicate") for log in logs]
        assert sum(duplicates) >= 2, duplicates
        states = [await health(base) or {} for base in cluster.bases]
        handled = [s.get("handled", 0) for s in states]
        redelivered = [s.get("redelivered", 0) for s in states]
        assert min(handled) > 0, handled  # nginx used both
        assert sum(handled) + sum(redelivered) == 20 + 2 * 2, (handled, redelivered)
    finally:
        assert await cluster.stop() == [0, 0]


async def test_leader_killed_next_escalation_still_arrives_once(
    tmp_path: Path,
    fake: FakeBotAPI,
    pg_url: str,
) -> None:
    station = station_toml(accept="2s").replace('sweep = "1m"', 'sweep = "1s"')
    cluster = await start_cluster(tmp_path, fake, pg_url, station)
    try:
        leader = await cluster.leader()
        msg = await fake.user_sends(RESIDENT, GROUP, "#报事 小区门口的井盖丢了")
        await said(fake, GROUP, "#1", reply_to=msg.message_id, timeout=15)
        cluster.kill(leader)
        survivor = 1 - leader
        assert await cluster.leader(timeout=30) == survivor
        await said(fake, CHIEF, "#1", timeout=30)
        await asyncio.sleep(5)  # several sweeps later, and past the red level (2 × accept)
        to_chief = Counter(m.body for m in fake.messages_in(CHIEF) if "#1" in m.body)
        assert to_chief and max(to_chief.values()) == 1, to_chief
    finally:
        codes = await cluster.stop()
    assert codes[survivor] == 0


async def test_push_with_bad_secret_through_nginx_gets_401_and_stores_nothing(
    tmp_path: Path,
    fake: FakeBotAPI,
    pg_url: str,
) -> None:
    cluster = await start_cluster(tmp_path, fake, pg_url, station_toml())
    try:
        assert await push(cluster.url, report_update(880001), "not-the-secret") == 401
        assert await push(cluster.url, report_update(880002), None) == 401
        await settled(fake, cluster.bases)
        assert await counts(pg_url) == (0, 0)
        assert await push(cluster.url, report_update(880003), SECRET) == 200
        await said(fake, GROUP, "#1", timeout=15)
        assert await counts(pg_url) == (1, 1)
    finally:
        assert await cluster.stop() == [0, 0]


# the durable inbox across workers ----------------------------------------------------------------
HELD = {"module": "tests.fakes.slow_bot", "env": {HOLD_ENV: "0.1"}}


async def until_holding(url: str, worker: str, timeout: float = 30) -> list[int]:
    """Update ids `worker` has claimed and not finished, as soon as there are some."""
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            async with engine.connect() as conn:
                held = list(
                    await conn.scalars(
                        select(InboundUpdate.update_id).where(
                            InboundUpdate.claimed_by == worker,
                            InboundUpdate.claimed_until > datetime.now(UTC),
                        )
                    )
                )
            if held:
                return held
            await asyncio.sleep(0.01)
    finally:
        await engine.dispose()
    raise TimeoutError(f"{worker} never held an update")


async def test_worker_killed_holding_updates_the_other_worker_handles_them_once(
    tmp_path: Path,
    fake: FakeBotAPI,
    pg_url: str,
) -> None:
    cluster = await start_cluster(tmp_path, fake, pg_url, station_toml(), **HELD)
    try:
        sent = []
        for i in range(40):
            group, user = (GROUP, RESIDENT) if i % 2 == 0 else (GROUP_B, RESIDENT_B)
            msg = await fake.user_sends(user, group, f"#报事 {i}号楼门口的路灯坏了")
            sent.append((group, msg))
        held = await until_holding(pg_url, worker_name(f"127.0.0.1:{cluster.ports[0]}"))
        cluster.kill(0)
        # Its claims run out (about 20 s), then the survivor takes them in chat order.
        for group, msg in sent:
            await said(fake, group, "#", reply_to=msg.message_id, timeout=60)
        await settled(fake, cluster.bases[1:], timeout=30)
        tickets, processed = await counts(pg_url)
        assert (tickets, processed) == (40, 40), held
        for group, msg in sent:
            acks = [m for m in fake.messages_in(group) if m.reply_to_message_id == msg.message_id]
            assert 1 <= len(acks) <= 2, acks  # a send in flight at the kill may repeat once
        assert_in_order(await tickets_by_group(pg_url))
        assert "inbox.retaken" in (tmp_path / "worker1.log").read_text(encoding="utf-8")
    finally:
        codes = await cluster.stop()
    assert codes[1] == 0


async def test_one_chats_messages_on_two_workers_are_handled_in_order(
    tmp_path: Path,
    fake: FakeBotAPI,
    pg_url: str,
) -> None:
    cluster = await start_cluster(tmp_path, fake, pg_url, station_toml(), **HELD)
    try:
        sent = [
            await fake.user_sends(RESIDENT, GROUP, f"#报事 第{i}件事：路灯坏了") for i in range(16)
        ]
        for msg in sent:
            await said(fake, GROUP, "#", reply_to=msg.message_id, timeout=30)
        accepted = [(await health(base) or {}).get("accepted", 0) for base in cluster.bases]
        assert min(accepted) > 0, accepted  # the chat's updates really went to both workers
        by_message = dict((await tickets_by_group(pg_url))[GROUP])
        assert [by_message[m.message_id] for m in sent] == list(range(1, 17))
    finally:
        assert await cluster.stop() == [0, 0]
