"""The webhook server over real HTTP with the real inbox: 200 only once the update is stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

import aiohttp
import pytest

from bot.drainer import Drainer, utcnow
from bot.runtime import RawUpdate
from bot.webhook import WebhookServer
from storage.db import create_engine, session_factory
from storage.inbox import Claimed, Inbox
from storage.migrate import upgrade
from tests.fakes.webhooks import free_port, health, push, report_update

SECRET = "unit-Secret_1"


class Served:
    def __init__(self, server: WebhookServer, drainer: Drainer, url: str, base: str) -> None:
        self.server, self.drainer, self.url, self.base = server, drainer, url, base
        self.fed: list[int] = []
        self.gate = asyncio.Event()
        self.gate.set()


@asynccontextmanager
async def serve(database_url: str) -> AsyncIterator[Served]:
    """WebhookServer + Drainer + Inbox as serve_webhook wires them; the feed records."""
    engine = create_engine(database_url)
    if database_url.startswith("sqlite"):
        await upgrade(engine)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    served: Served | None = None

    async def feed(update: RawUpdate) -> None:
        assert served is not None
        await served.gate.wait()
        served.fed.append(update["update_id"])

    drainer = Drainer(Inbox(session_factory(engine), f"unit:{port}"), feed, poll_seconds=0.2)
    server = WebhookServer(drainer, url=f"{base}/hook", listen=f"127.0.0.1:{port}", secret=SECRET)
    served = Served(server, drainer, f"{base}/hook", base)
    await server.start()
    server.ready = True
    try:
        yield served
    finally:
        await server.stop(5)
        await engine.dispose()


@pytest.fixture
async def sqlite_served(tmp_path: Path) -> AsyncIterator[Served]:
    async with serve(f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}") as served:
        await served.drainer.start()
        yield served


async def until(predicate: Callable[[], Awaitable[bool]], timeout: float = 5) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await predicate():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"not within {timeout}s")


async def test_a_redelivery_while_the_update_waits_is_stored_once(sqlite_served: Served) -> None:
    sqlite_served.gate.clear()  # the first push is in hand, not yet handled
    assert await push(sqlite_served.url, report_update(501), SECRET) == 200
    assert await push(sqlite_served.url, report_update(501), SECRET) == 200  # Telegram retried
    sqlite_served.gate.set()

    async def handled() -> bool:
        state = await health(sqlite_served.base)
        return bool(state and state["pending"] == 0 and state["handled"] >= 1)

    await until(handled)
    assert sqlite_served.fed == [501]
    state = await health(sqlite_served.base)
    assert state is not None
    assert (state["accepted"], state["redelivered"], state["handled"]) == (1, 1, 1)


async def test_bad_secret_and_garbage_are_refused_and_store_nothing(
    sqlite_served: Served,
) -> None:
    sqlite_served.gate.clear()  # nothing could leave the inbox unseen
    assert await push(sqlite_served.url, report_update(502), "wrong") == 401
    assert await push(sqlite_served.url, report_update(503), None) == 401
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            sqlite_served.url,
            data=b"{not json",
            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
        ) as resp,
    ):
        assert resp.status == 400
    assert await sqlite_served.drainer.backlog() == 0
    sqlite_served.gate.set()
    assert sqlite_served.fed == []


def in_chat(update_id: int, chat: int) -> RawUpdate:
    update = report_update(update_id)
    update["message"]["chat"]["id"] = chat
    return update


async def test_pushes_are_claimed_at_insert_and_deleted_in_batches_in_chat_order(
    sqlite_served: Served,
) -> None:
    drainer, inbox = sqlite_served.drainer, sqlite_served.drainer.inbox
    claimed: list[int] = []
    batches: list[list[int]] = []
    claim, done_many = inbox.claim, inbox.done_many

    async def spy_claim(limit: int, now: datetime) -> list[Claimed]:
        rows = await claim(limit, now)
        claimed.extend(r.update_id for r in rows)
        return rows

    async def spy_done_many(
        update_ids: Collection[int], *, claim: int = 0, now: datetime | None = None
    ) -> tuple[set[int], list[Claimed]]:
        batches.append(sorted(update_ids))
        deleted, rows = await done_many(update_ids, claim=claim, now=now)
        claimed.extend(r.update_id for r in rows)
        return deleted, rows

    inbox.claim = spy_claim  # type: ignore[method-assign]
    inbox.done_many = spy_done_many  # type: ignore[method-assign]
    sqlite_served.gate.clear()
    pushes = [(601, -1), (602, -2), (603, -3), (604, -1), (605, -2), (606, -1)]
    for update_id, chat in pushes:
        assert await push(sqlite_served.url, in_chat(update_id, chat), SECRET) == 200
    # The first of each chat went straight to the queues, no claim transaction.
    assert drainer.queues.pending == 3
    assert claimed == []
    sqlite_served.gate.set()

    async def drained() -> bool:
        return await inbox.count() == 0

    await until(drained)
    assert sorted(claimed) == [604, 605, 606]
    for chat in (-1, -2, -3):
        order = [u for u, c in pushes if c == chat]
        assert [u for u in sqlite_served.fed if u in order] == order
    assert sorted(u for batch in batches for u in batch) == [u for u, _ in pushes]
    assert len(batches) < len(pushes)  # handled together, deleted together
    assert batches[0] == [601, 602, 603]


async def test_graceful_stop_gives_back_what_it_did_not_finish(tmp_path: Path) -> None:
    async with serve(f"sqlite+aiosqlite:///{tmp_path / 'hook.db'}") as served:
        await served.drainer.start()
        served.gate.clear()
        assert await push(served.url, report_update(504), SECRET) == 200

        async def in_hand() -> bool:
            return bool(served.drainer.queues.pending)

        await until(in_hand)
        await served.server.stop(0.1)  # the update is still held: given back, not lost
        inbox = served.drainer.inbox
        assert await inbox.count() == 1
        claimed = await Inbox(inbox.sessions, "another").claim(10, utcnow())
        assert [c.update_id for c in claimed] == [504]
        served.gate.set()


async def test_unreachable_database_gets_503_so_telegram_retries() -> None:
    gone = f"postgresql+asyncpg://nobody@127.0.0.1:{free_port()}/gone"
    async with serve(gone) as served:
        assert await push(served.url, report_update(505), SECRET) == 503
        assert await push(served.url, report_update(506), "wrong") == 401
        state = await health(served.base)
        assert state is not None and state["pending"] is None
