"""Webhook mode: store the update, answer Telegram 200, handle it right after.

The server only checks and stores (bot/drainer.py keeps the inbox); a 200 means the update
is committed to the database. Updates of one chat are handled one at a time, oldest first;
different chats run side by side up to a bound (ChatQueues). Handling is idempotent
(processed-update ids), so a redelivery is harmless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any, Protocol
from urllib.parse import urlsplit

import structlog
from aiohttp import web

from bot.runtime import RawUpdate

log = structlog.get_logger("gridbot.webhook")

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
CONCURRENCY = 10  # below the engine's pool (5 + 10 overflow)
MAX_PENDING = 5000
STORE_SECONDS = 5.0  # not stored by then: 503 (before nginx gives up at 10 s), Telegram resends
HEALTH_SECONDS = 2.0
ChatKey = tuple[str, int]
Feed = Callable[[RawUpdate], Awaitable[None]]


def chat_key(update: RawUpdate) -> ChatKey:
    """Which chat an update belongs to; updates of unknown kind each get their own key."""
    for kind in ("message", "edited_message", "my_chat_member", "callback_query"):
        body = update.get(kind)
        if not isinstance(body, dict):
            continue
        holder = body.get("message") if kind == "callback_query" else body
        chat = holder.get("chat") if isinstance(holder, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return ("chat", chat["id"])
        sender = body.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return ("chat", sender["id"])
    return ("update", int(update.get("update_id", 0)))


class ChatQueues:
    """One FIFO per chat, drained by one task per busy chat, `concurrency` updates at a time."""

    def __init__(
        self, feed: Feed, *, concurrency: int = CONCURRENCY, limit: int = MAX_PENDING
    ) -> None:
        self.feed, self.limit = feed, limit
        self.pending = self.handled = 0
        self._queues: dict[ChatKey, deque[RawUpdate]] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(concurrency)
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, update: RawUpdate) -> bool:
        """Queue an update; False when too many are waiting already."""
        if self.pending >= self.limit:
            return False
        self.pending += 1
        self._idle.clear()
        key = chat_key(update)
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(update)
            return True
        self._queues[key] = deque([update])
        task = asyncio.create_task(self._drain(key), name=f"chat-{key[1]}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return True

    async def _drain(self, key: ChatKey) -> None:
        queue = self._queues[key]
        try:
            while queue:
                update = queue[0]
                async with self._slots:
                    try:
                        await self.feed(update)
                    except Exception:
                        log.exception("webhook.update_failed", update_id=update.get("update_id"))
                queue.popleft()
                self.pending -= 1
                self.handled += 1
        finally:
            del self._queues[key]
            if not self._queues:
                self._idle.set()

    async def join(self, timeout: float) -> bool:
        """Wait until every queued update is handled; False if `timeout` passed first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            log.warning("webhook.unfinished", pending=self.pending)
            return False
        return True


def split_listen(listen: str) -> tuple[str, int]:
    host, _, port = listen.rpartition(":")
    return host.strip("[]"), int(port)


class Intake(Protocol):
    """Where a checked push goes: the durable inbox (bot/drainer.Drainer)."""

    @property
    def accepted(self) -> int: ...

    @property
    def handled(self) -> int: ...

    @property
    def redelivered(self) -> int: ...

    async def accept(self, update: RawUpdate) -> None:
        """Store it for good, or raise."""

    async def backlog(self) -> int:
        """Updates stored and not yet handled, on every worker."""

    async def stop(self, timeout: float) -> None: ...


class WebhookServer:
    """POST {path}: check the secret, store, answer 200. GET /healthz: worker status."""

    def __init__(
        self,
        intake: Intake,
        *,
        url: str,
        listen: str,
        secret: str | None,
        status: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.path = urlsplit(url).path or "/"
        self.listen, self.secret = listen, secret
        self.status = status or dict
        self.intake = intake
        self.closing = False
        self.ready = False  # set once the webhook is registered
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post(self.path, self._receive)
        app.router.add_get("/healthz", self._health)
        self._runner = web.AppRunner(
            app, access_log=None, handler_cancellation=False, shutdown_timeout=2.0
        )
        await self._runner.setup()
        host, port = split_listen(self.listen)
        await web.TCPSite(self._runner, host, port).start()
        log.info(
            "webhook.listening", listen=self.listen, path=self.path, secret=self.secret is not None
        )

    async def stop(self, timeout: float) -> None:
        """Stop taking updates, then finish the ones in hand."""
        self.closing = True
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()
            self._runner = None
        await self.intake.stop(timeout)

    async def _receive(self, request: web.Request) -> web.Response:
        if self.secret is not None:
            given = request.headers.get(SECRET_HEADER, "")
            if not hmac.compare_digest(given.encode(), self.secret.encode()):
                log.warning("webhook.bad_secret", peer=request.remote)
                return web.Response(status=401, text="bad secret token")
        try:
            update = await request.json()
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return web.Response(status=400, text="not an update")
        if self.closing:
            return web.Response(status=503, text="stopping")
        try:
            async with asyncio.timeout(STORE_SECONDS):
                await self.intake.accept(update)
        except Exception as exc:
            # Not stored, so not acknowledged: Telegram (or nginx, to another worker) retries.
            log.warning("webhook.store_failed", update_id=update["update_id"], error=repr(exc))
            return web.Response(status=503, text="cannot store the update")
        return web.Response(status=200)

    async def _health(self, _request: web.Request) -> web.Response:
        up = self.ready and not self.closing
        pending: int | None
        try:
            async with asyncio.timeout(HEALTH_SECONDS):
                pending = await self.intake.backlog()
        except Exception:
            pending = None  # the database does not answer
        body = {
            "ok": up,
            "pending": pending,
            "accepted": self.intake.accepted,
            "handled": self.intake.handled,
            "redelivered": self.intake.redelivered,
            **self.status(),
        }
        return web.json_response(body, status=200 if up else 503)
