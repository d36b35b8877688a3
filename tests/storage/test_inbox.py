"""The webhook inbox: per-chat claims, oldest first, leases that run out, on both databases."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.db import is_sqlite
from storage.inbox import LEASE, Added, Inbox

NOW = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
LATER = NOW + timedelta(seconds=1)


def worker(sessions: async_sessionmaker[AsyncSession], name: str) -> Inbox:
    return Inbox(sessions, name)


async def fill(inbox: Inbox, rows: list[tuple[int, str]]) -> None:
    for update_id, chat in rows:
        body = {"update_id": update_id, "message": {"text": f"#报事 {update_id}"}}
        assert await inbox.add(update_id, chat, body, NOW)


def ids(claimed: list[object]) -> list[int]:
    return [c.update_id for c in claimed]  # type: ignore[attr-defined]


async def test_a_redelivered_update_is_stored_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    inbox = worker(sessions, "a")
    assert await inbox.add(7, "chat:-1", {"update_id": 7}, NOW)
    assert not await inbox.add(7, "chat:-1", {"update_id": 7, "again": True}, NOW)
    assert not await worker(sessions, "b").add(7, "chat:-1", {"update_id": 7}, NOW)
    assert await inbox.count() == 1
    [claimed] = await inbox.claim(10, NOW)
    assert claimed.body == {"update_id": 7} and claimed.attempts == 1


async def test_one_update_per_chat_at_a_time_oldest_first_chats_side_by_side(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = worker(sessions, "a")
    await fill(a, [(3, "chat:-1"), (1, "chat:-1"), (2, "chat:-2"), (4, "chat:-1"), (5, "chat:-3")])
    assert ids(await a.claim(10, NOW)) == [1, 2, 5]  # the head of each chat
    assert await a.claim(10, NOW) == []  # every chat is held
    assert await a.done(1)
    assert ids(await a.claim(10, NOW)) == [3]
    assert await a.done(3)
    assert await a.done(2)
    assert ids(await a.claim(10, NOW)) == [4]
    assert await a.count() == 2


async def test_claims_stop_at_the_limit_in_update_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a = worker(sessions, "a")
    await fill(a, [(i, f"chat:-{i}") for i in range(1, 8)])
    assert ids(await a.claim(3, NOW)) == [1, 2, 3]
    assert ids(await a.claim(0, NOW)) == []
    assert ids(await a.claim(10, NOW)) == [4, 5, 6, 7]


async def test_a_chat_held_by_one_worker_waits_for_it_and_then_goes_to_anyone(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    await fill(a, [(1, "chat:-1"), (2, "chat:-1"), (3, "chat:-2")])
    assert ids(await a.claim(1, NOW)) == [1]
    assert ids(await b.claim(10, NOW)) == [3]  # not 2: chat -1 is a's for now
    assert not await b.done(1)  # only the holder removes a row
    assert await a.done(1)
    assert ids(await b.claim(10, NOW)) == [2]


async def test_an_update_arriving_late_waits_while_its_chat_is_held(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    await fill(a, [(5, "chat:-1")])
    assert ids(await a.claim(10, NOW)) == [5]
    await fill(b, [(4, "chat:-1")])  # older, but pushed to the other worker a moment later
    assert await b.claim(10, NOW) == []
    assert await a.done(5)
    assert ids(await b.claim(10, NOW)) == [4]


async def test_a_dead_workers_claims_run_out_and_are_taken_again(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    dead, alive = worker(sessions, "dead"), worker(sessions, "alive")
    await fill(dead, [(1, "chat:-1"), (2, "chat:-1")])
    assert ids(await dead.claim(10, NOW)) == [1]
    assert await alive.claim(10, NOW + LEASE - timedelta(seconds=1)) == []
    [taken] = await alive.claim(10, NOW + LEASE)
    assert (taken.update_id, taken.attempts) == (1, 2)
    assert not await dead.done(1)  # too late: the row is alive's now
    assert await alive.done(1)
    assert ids(await alive.claim(10, NOW + LEASE)) == [2]


async def test_renewed_claims_do_not_run_out(sessions: async_sessionmaker[AsyncSession]) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    await fill(a, [(1, "chat:-1"), (2, "chat:-2")])
    assert ids(await a.claim(10, NOW)) == [1, 2]
    await a.renew({1}, NOW + LEASE / 2)
    assert ids(await b.claim(10, NOW + LEASE)) == [2]  # 1 was renewed, 2 was not
    await b.renew({1}, NOW + LEASE)  # not b's to renew
    assert ids(await b.claim(10, NOW + LEASE + LEASE / 2)) == [1]


async def test_release_gives_claims_back_at_once(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    await fill(a, [(1, "chat:-1"), (2, "chat:-2")])
    assert ids(await a.claim(10, NOW)) == [1, 2]
    # The same worker after a restart: same name, new object.
    assert await worker(sessions, "a").release() == 2
    assert ids(await b.claim(10, LATER)) == [1, 2]
    assert await a.release() == 0


async def test_workers_claiming_together_never_share_a_row_or_a_chat(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("one writer at a time on SQLite: nothing concurrent to show")
    seed = worker(sessions, "seed")
    rows = [(i, f"chat:-{i % 7}") for i in range(1, 141)]
    await fill(seed, rows)
    chat_of = dict(rows)
    workers = [worker(sessions, f"w{i}") for i in range(4)]
    handled: list[int] = []
    held: set[str] = set()

    async def drain(inbox: Inbox) -> None:
        idle = 0
        while idle < 3:
            got = await inbox.claim(3, NOW)
            idle = 0 if got else idle + 1
            for row in got:
                chat = chat_of[row.update_id]
                assert chat not in held, f"{chat} claimed twice at once"
                held.add(chat)
                handled.append(row.update_id)
            await asyncio.sleep(0)
            for row in got:
                held.discard(chat_of[row.update_id])  # before: others may claim once it commits
                assert await inbox.done(row.update_id)
            await asyncio.sleep(0.01 if not got else 0)

    await asyncio.gather(*(drain(w) for w in workers))
    assert sorted(handled) == [u for u, _ in rows]  # each once
    for chat in set(chat_of.values()):
        order = [u for u in handled if chat_of[u] == chat]
        assert order == sorted(order), chat  # oldest first within a chat
    assert await seed.count() == 0


async def test_a_push_to_an_empty_chat_is_stored_claimed_otherwise_it_waits(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    assert await a.push(1, "chat:-1", {"update_id": 1}, NOW, claim=True) is Added.CLAIMED
    assert await b.push(2, "chat:-1", {"update_id": 2}, NOW, claim=True) is Added.STORED
    assert await b.push(3, "chat:-2", {"update_id": 3}, NOW, claim=False) is Added.STORED
    assert await a.push(1, "chat:-1", {"update_id": 1}, NOW, claim=True) is Added.DUPLICATE
    assert await b.push(3, "chat:-2", {"update_id": 3}, NOW, claim=True) is Added.DUPLICATE
    assert await a.push(2, "chat:-1", {"update_id": 2}, NOW, claim=False) is Added.DUPLICATE
    # 1 is a's already (first attempt); 2 waits behind it; 3 was stored unclaimed.
    assert ids(await b.claim(10, NOW)) == [3]
    assert await b.claim(10, NOW + LEASE - timedelta(seconds=1)) == []
    assert not await b.done(1)
    assert await a.done_many({1, 2, 3}) == ({1}, [])  # only its own claims
    [taken] = await b.claim(10, NOW)
    assert (taken.update_id, taken.attempts) == (2, 1)
    assert await b.done_many([2, 3]) == ({2, 3}, [])
    # A lease taken at insert runs out like any other.
    assert await a.push(4, "chat:-4", {"update_id": 4}, NOW, claim=True) is Added.CLAIMED
    [again] = await b.claim(10, NOW + LEASE)
    assert (again.update_id, again.attempts) == (4, 2)


async def test_batched_done_deletes_ours_and_frees_each_chat_for_its_next_row(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    a, b = worker(sessions, "a"), worker(sessions, "b")
    await fill(a, [(1, "chat:-1"), (2, "chat:-1"), (3, "chat:-2"), (4, "chat:-3"), (5, "chat:-2")])
    assert ids(await a.claim(2, NOW)) == [1, 3]
    assert ids(await b.claim(10, NOW)) == [4]
    assert await a.done_many([]) == (set(), [])
    deleted, claimed = await a.done_many([1, 3, 4], claim=1, now=NOW)
    assert deleted == {1, 3}  # 4 is b's
    assert ids(claimed) == [2]  # freed by the delete, claimed in the same transaction
    assert ids(await a.claim(10, NOW)) == [5]
    assert await a.count() == 3


async def test_pushes_of_one_chat_racing_on_many_workers_claim_at_most_one(
    sessions: async_sessionmaker[AsyncSession], database_url: str
) -> None:
    if is_sqlite(database_url):
        pytest.skip("one writer at a time on SQLite: nothing concurrent to show")
    workers = [worker(sessions, f"w{i}") for i in range(4)]
    next_id = 1000
    for round_ in range(15):
        chat = f"chat:-{round_}"
        pushes = []
        for w in workers:
            next_id += 1
            pushes.append(w.push(next_id, chat, {"update_id": next_id}, NOW, claim=True))
        added = await asyncio.gather(*pushes)
        assert added.count(Added.CLAIMED) == 1, (round_, added)  # the chat was empty
        assert added.count(Added.STORED) == len(workers) - 1
        # Nothing else of that chat may be claimed while the fast-path claim is live.
        assert await workers[0].claim(10, NOW) == []
    # Racing against a normal claim too: a chat with a waiting head is never fast-pathed.
    seed = worker(sessions, "seed")
    assert await seed.push(1, "chat:-99", {"update_id": 1}, NOW, claim=False) is Added.STORED

    async def claim_it() -> list[int]:
        return ids(await workers[1].claim(10, NOW + LEASE))

    got, added = await asyncio.gather(
        claim_it(), workers[2].push(2, "chat:-99", {"update_id": 2}, NOW, claim=True)
    )
    assert added is Added.STORED
    assert 1 in got and 2 not in got
