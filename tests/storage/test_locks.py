"""The leader lock on PostgreSQL: one holder; freed when its session ends; NOTIFY reaches it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.locks import AdvisoryLock
from tests.fakes.databases import database, postgres_available


@pytest.fixture
async def pg_url(tmp_path: Path) -> AsyncIterator[str]:
    reason = await postgres_available()
    if reason:
        pytest.skip(reason)
    async with database("postgresql", tmp_path) as url:
        yield url


async def test_only_one_holds_the_lock_until_it_lets_go(pg_url: str) -> None:
    first, second = AdvisoryLock(pg_url), AdvisoryLock(pg_url)
    try:
        assert await first.check()
        assert not await second.check()
        assert await first.check()  # still ours
        await first.release()
        assert await second.check()
        assert not await first.check()
    finally:
        await first.release()
        await second.release()


async def test_notify_from_a_follower_wakes_the_holder(pg_url: str) -> None:
    woken = asyncio.Event()
    leader, follower = AdvisoryLock(pg_url), AdvisoryLock(pg_url)
    leader.listen(woken.set)
    try:
        assert await leader.check()
        await follower.notify()
        await asyncio.wait_for(woken.wait(), 5)
    finally:
        await leader.release()
        await follower.release()


async def test_unreachable_database_means_not_leader() -> None:
    lock = AdvisoryLock("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert not await lock.check()
    await lock.release()
