"""Webhook push delivery: POST queued updates to the bot's URL, in order, with retries."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import aiohttp

from bot.sandbox.fakeapi.params import Params, Upload
from bot.sandbox.fakeapi.records import JSON
from bot.sandbox.fakeapi.updates import Entry, UpdateQueue

ReplyHandler = Callable[[str, Params], Awaitable[None]]


@dataclass
class Delivery:
    """One webhook POST attempt."""

    update_id: int
    url: str
    status: int | None  # None: connection error / timeout
    error: str | None
    time: float


@dataclass
class WebhookConfig:
    """Where and how a bot's updates are pushed."""

    url: str = ""
    secret_token: str | None = None
    max_connections: int = 40
    last_error_date: int | None = None
    last_error_message: str | None = None
    deliveries: list[Delivery] = field(default_factory=list)


class WebhookPusher:
    """Background task that pushes entries of an :class:`UpdateQueue`."""

    def __init__(
        self,
        queue: UpdateQueue,
        config: WebhookConfig,
        on_reply: ReplyHandler,
        *,
        retries: int = 3,
        retry_delay: float = 0.1,
        timeout: float = 10.0,
    ) -> None:
        self.queue = queue
        self.config = config
        self.on_reply = on_reply
        self.retries = retries
        self.retry_delay = retry_delay
        self.timeout = timeout
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    def start(self) -> None:
        if self._task is None:
            self._session = aiohttp.ClientSession()
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _next(self) -> Entry | None:
        for entry in self.queue.entries:
            if entry.push_to or self.config.url:
                return entry
        return None

    async def _run(self) -> None:
        while True:
            entry = self._next()
            if entry is None:
                await self.queue.wait_change(3600.0)
                continue
            url = entry.push_to or self.config.url
            await self._deliver(entry.update, url)
            if entry in self.queue.entries:
                self.queue.entries.remove(entry)
            self.queue.wake()

    async def _deliver(self, update: JSON, url: str) -> bool:
        """POST with retries; True on a 2xx answer."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if self.config.secret_token:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self.config.secret_token
        for attempt in range(self.retries + 1):
            if attempt:
                await asyncio.sleep(self.retry_delay * attempt)
            status: int | None = None
            error: str | None = None
            reply: Params | None = None
            try:
                async with self._session.post(
                    url,
                    data=json.dumps(update, ensure_ascii=False).encode(),
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=self.timeout),
                ) as resp:
                    status = resp.status
                    reply = await read_reply(resp)
            except (aiohttp.ClientError, TimeoutError) as exc:
                error = f"{type(exc).__name__}: {exc}"
            ok = status is not None and 200 <= status < 300  # noqa: PLR2004
            if not ok and error is None:
                error = f"Wrong response from the webhook: {status}"
            self.config.deliveries.append(
                Delivery(int(update["update_id"]), url, status, error, time.time())
            )
            if ok:
                method = reply.values.pop("method", None) if reply else None
                if reply is not None and isinstance(method, str):
                    await self.on_reply(method, reply)
                return True
            self.config.last_error_date = int(time.time())
            self.config.last_error_message = error
        return False


async def read_reply(resp: aiohttp.ClientResponse) -> Params | None:
    """A method call in a webhook answer: JSON (PTB style) or multipart (aiogram style)."""
    if resp.content_type == "multipart/form-data":
        values: JSON = {}
        uploads: dict[str, Upload] = {}
        reader = aiohttp.MultipartReader.from_response(resp)
        while (part := await reader.next()) is not None:
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            data = bytes(await part.read())
            if part.filename:
                ctype = part.headers.get(aiohttp.hdrs.CONTENT_TYPE)
                uploads[part.name] = Upload(data, part.filename, ctype)
            else:
                values[part.name] = data.decode()
        return Params(values, uploads)
    body = await resp.read()
    try:
        parsed = json.loads(body) if body.strip() else None
    except ValueError:
        return None
    return Params(parsed) if isinstance(parsed, dict) else None
