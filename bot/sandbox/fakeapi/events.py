"""Event publishing for observers (the sandbox chat page, tests)."""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from bot.sandbox.fakeapi.records import JSON

Subscriber = Callable[[JSON], Awaitable[None] | None]
log = logging.getLogger(__name__)


class EventHub:
    """Fan-out of JSON-serialisable event dicts to callbacks and async iterators."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._queues: list[asyncio.Queue[JSON]] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self.history: list[JSON] = []
        self._seq = 0

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event)`` for every future event; returns an unsubscribe function."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def stream(self, *, replay: bool = False) -> EventStream:
        """Async iterator of events, registered immediately (``replay``: past ones first)."""
        stream = EventStream(self)
        if replay:
            for event in self.history:
                stream.queue.put_nowait(event)
        self._queues.append(stream.queue)
        return stream

    def detach(self, queue: asyncio.Queue[JSON]) -> None:
        if queue in self._queues:
            self._queues.remove(queue)

    def publish(self, kind: str, **fields: Any) -> JSON:
        """Record and deliver ``{"seq", "time", "type": kind, **fields}``."""
        self._seq += 1
        event: JSON = {"seq": self._seq, "time": time.time(), "type": kind, **fields}
        self.history.append(event)
        for queue in self._queues:
            queue.put_nowait(event)
        for callback in list(self._subscribers):
            try:
                result = callback(event)
            except Exception:
                log.exception("event subscriber failed")
                continue
            if inspect.isawaitable(result):
                task = asyncio.ensure_future(result)
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return event


class EventStream:
    """``async for event in stream`` (or ``await anext(stream)``); ``close()`` detaches."""

    def __init__(self, hub: EventHub) -> None:
        self.hub = hub
        self.queue: asyncio.Queue[JSON] = asyncio.Queue()

    def __aiter__(self) -> EventStream:
        return self

    async def __anext__(self) -> JSON:
        return await self.queue.get()

    def close(self) -> None:
        self.hub.detach(self.queue)

    async def aclose(self) -> None:
        """Async-generator style alias of :meth:`close`."""
        self.close()

    async def __aenter__(self) -> EventStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.close()
