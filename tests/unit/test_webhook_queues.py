"""Per-chat webhook queues: order within a chat, chats side by side, bounded."""

from __future__ import annotations

import asyncio

from bot.runtime import RawUpdate
from bot.webhook import ChatQueues, chat_key


def message(update_id: int, chat: int) -> RawUpdate:
    return {"update_id": update_id, "message": {"message_id": update_id, "chat": {"id": chat}}}


def test_chat_key_follows_the_chat_of_each_update_kind() -> None:
    assert chat_key(message(1, -100)) == ("chat", -100)
    press = {
        "update_id": 2,
        "callback_query": {"from": {"id": 7}, "message": {"chat": {"id": -5}}},
    }
    assert chat_key(press) == ("chat", -5)
    inline = {"update_id": 3, "callback_query": {"from": {"id": 7}}}
    assert chat_key(inline) == ("chat", 7)
    assert chat_key({"update_id": 4, "poll": {}}) == ("update", 4)


async def test_updates_of_one_chat_are_handled_in_order_chats_in_parallel() -> None:
    done: list[int] = []
    running = 0
    peak = 0

    async def feed(update: RawUpdate) -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        # Later updates of chat -1 finish faster: only the queue keeps them in order.
        await asyncio.sleep(0.05 if update["update_id"] == 1 else 0.01)
        done.append(update["update_id"])
        running -= 1

    queues = ChatQueues(feed, concurrency=2)
    for i, chat in enumerate([-1, -1, -1, -2, -3, -4], start=1):
        assert queues.put(message(i, chat))
    assert await queues.join(5)
    assert [u for u in done if u <= 3] == [1, 2, 3]
    assert peak == 2
    assert queues.pending == 0 and queues.handled == 6


async def test_a_failing_update_does_not_stop_its_chat() -> None:
    done: list[int] = []

    async def feed(update: RawUpdate) -> None:
        if update["update_id"] == 1:
            raise RuntimeError("boom")
        done.append(update["update_id"])

    queues = ChatQueues(feed)
    queues.put(message(1, -1))
    queues.put(message(2, -1))
    assert await queues.join(5)
    assert done == [2]


async def test_queue_refuses_beyond_its_limit() -> None:
    gate = asyncio.Event()

    async def feed(_update: RawUpdate) -> None:
        await gate.wait()

    queues = ChatQueues(feed, limit=2)
    assert queues.put(message(1, -1)) and queues.put(message(2, -2))
    assert not queues.put(message(3, -3))
    gate.set()
    assert await queues.join(5)
