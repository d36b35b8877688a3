"""The aiohttp front end: routing, token check, faults, call log, start/stop."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from bot.sandbox.fakeapi.actions_chat import ChatActions
from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.events import EventStream, Subscriber
from bot.sandbox.fakeapi.faults import Fault
from bot.sandbox.fakeapi.limits import LimitConfig
from bot.sandbox.fakeapi.methods_meta import all_methods
from bot.sandbox.fakeapi.observe import MessagePredicate
from bot.sandbox.fakeapi.params import Params, parse_request
from bot.sandbox.fakeapi.records import (
    JSON,
    ApiError,
    BotMessage,
    CallRecord,
    StoredFile,
)
from bot.sandbox.fakeapi.tgjson import user_json
from bot.sandbox.fakeapi.webhook import WebhookPusher

T = TypeVar("T")
log = logging.getLogger(__name__)
NOT_FOUND = "Not Found: method not found"
MAX_BODY = 64 * 1024 * 1024


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)


class FakeBotAPI(ChatActions):
    """Telegram-compatible fake Bot API server (see the package docstring for the API)."""

    def __init__(
        self,
        tokens: list[str],
        *,
        bot_username: str = "gridbot_test_bot",
        bot_name: str = "GridBot Test",
        enforce_limits: bool = True,
        limits: LimitConfig | None = None,
        webhook_retries: int = 3,
        webhook_retry_delay: float = 0.1,
    ) -> None:
        super().__init__(
            tokens,
            bot_username=bot_username,
            bot_name=bot_name,
            enforce_limits=enforce_limits,
            limits=limits,
        )
        self.url = ""
        self._methods = all_methods()
        self._runner: web.AppRunner | None = None
        for bot in self.bots.values():
            bot.pusher = WebhookPusher(
                bot.queue,
                bot.webhook,
                self._webhook_reply_handler(bot),
                retries=webhook_retries,
                retry_delay=webhook_retry_delay,
            )

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on ``host:port`` (0 = any free port); returns and sets :attr:`url`."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(
            app, handler_cancellation=False, shutdown_timeout=1.0, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_host, bound_port = self._runner.addresses[0][:2]
        self.url = f"http://{bound_host}:{bound_port}"
        for bot in self.bots.values():
            bot.queue.closing = False
            if bot.pusher is not None:
                bot.pusher.start()
        return self.url

    async def stop(self) -> None:
        """Release long polls, stop webhook pushers and the HTTP server."""
        for bot in self.bots.values():
            bot.queue.closing = True
            bot.queue.wake()
            if bot.pusher is not None:
                await bot.pusher.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeBotAPI:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    def api_base(self, token: str | None = None) -> str:
        """``{url}/bot{token}`` (PTB ``base_url`` is ``f"{url}/bot"``)."""
        return f"{self.url}/bot{token or next(iter(self.tokens))}"

    # -- HTTP ------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        arrived = time.time()
        try:
            params = await parse_request(request)
        except ApiError as exc:
            return web.json_response(exc.body(), status=exc.status, dumps=_dumps)
        bot_id = self.tokens.get(token)
        if bot_id is None:
            error = ApiError(401, "Unauthorized")
            self.observer.record_call(
                CallRecord(method, params.summary(), 401, arrived, None, error.description)
            )
            return web.json_response(error.body(), status=401, dumps=_dumps)
        body, status = await self.execute(self.bots[bot_id], method, params, arrived=arrived)
        return web.json_response(body, status=status, dumps=_dumps)

    async def _download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] not in self.tokens:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        stored = self.world.files.get(file_id)
        if stored is None:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        ctype = stored.mime_type or "application/octet-stream"
        return web.Response(body=stored.data, content_type=ctype)

    async def execute(
        self,
        bot: BotState,
        method: str,
        params: Params,
        *,
        via: str = "http",
        arrived: float | None = None,
    ) -> tuple[JSON, int]:
        """Run one Bot API call; returns (response body, HTTP status) and logs it."""
        arrived = time.time() if arrived is None else arrived
        handler = self._methods.get(method.lower())
        chat_ref = params.raw("chat_id")
        chat_key = int(chat_ref) if str(chat_ref).lstrip("-").isdigit() else None
        try:
            if handler is None:
                raise ApiError(404, NOT_FOUND)
            fault = self.faults.take(method, chat_key)
            if fault is not None and fault.delay > 0:
                await asyncio.sleep(fault.delay)
            if fault is not None and fault.status is not None:
                raise fault.error()
            body: JSON = {"ok": True, "result": await handler(self, bot, params)}
            status = 200
        except ApiError as exc:
            body, status = exc.body(), exc.status
        except Exception as exc:  # a bug in the fake itself: answer 500 and flag the call
            log.exception("fake Bot API crashed in %s", method)
            crashed = ApiError(500, f"Internal Server Error: fake server crashed: {exc!r}")
            body, status, handler = crashed.body(), 500, None
        record = CallRecord(
            method, params.summary(), status, arrived, bot.id, body.get("description"), via
        )
        if handler is None:  # unknown method, or the fake crashed
            self.observer.unexpected_calls.append(record)
        self.observer.record_call(record)
        return body, status

    def _webhook_reply_handler(self, bot: BotState) -> Callable[[str, Params], Any]:
        async def on_reply(method: str, params: Params) -> None:
            await self.execute(bot, method, params, via="webhook_reply")

        return on_reply

    # -- faults ----------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: int | None = None,
        description: str | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` ("*" = any) with an error."""
        self.faults.add(Fault(method.lower(), times, status, retry_after, description, chat_id))

    def delay_next(
        self, method: str, seconds: float, *, times: int = 1, chat_id: int | None = None
    ) -> None:
        """Hold the next ``times`` responses of ``method`` for ``seconds`` (then run normally)."""
        self.faults.add(Fault(method.lower(), times, chat_id=chat_id, delay=seconds))

    # -- observing (delegates) -------------------------------------------------------------
    @property
    def bot_messages(self) -> list[BotMessage]:
        return self.observer.bot_messages

    @property
    def calls(self) -> list[CallRecord]:
        return self.observer.calls

    @property
    def unexpected_calls(self) -> list[CallRecord]:
        return self.observer.unexpected_calls

    @property
    def callback_answers(self) -> dict[str, tuple[str | None, bool]]:
        return self.observer.callback_answers

    @property
    def count_429(self) -> int:
        return self.observer.count_429

    def calls_of(self, method: str) -> list[CallRecord]:
        return self.observer.calls_of(method)

    def messages_in(self, chat_id: int) -> list[BotMessage]:
        return self.observer.messages_in(chat_id)

    async def wait_for_message(
        self,
        predicate: MessagePredicate | None = None,
        *,
        chat_id: int | None = None,
        reply_to: int | None = None,
        contains: str | None = None,
        since: int = 0,
        timeout: float = 5.0,
    ) -> BotMessage:
        return await self.observer.wait_for_message(
            predicate,
            chat_id=chat_id,
            reply_to=reply_to,
            contains=contains,
            since=since,
            timeout=timeout,
        )

    async def wait_until(self, fn: Callable[[], T | None], timeout: float = 5.0) -> T:
        return await self.observer.wait_until(fn, timeout)

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(event_dict)`` (sync or async) for every future event."""
        return self.hub.subscribe(callback)

    def events(self, *, replay: bool = False) -> EventStream:
        """Async iterator over events from now on (``replay=True``: past events first)."""
        return self.hub.stream(replay=replay)

    def get_file(self, file_id: str) -> StoredFile:
        """A stored upload by file_id."""
        return self.world.files[file_id]

    def chat_history(self, chat_id: int) -> list[JSON]:
        """Every message of a chat (users' and bots'), oldest first, as Telegram JSON."""
        return self.world.history(chat_id)

    def snapshot(self) -> JSON:
        """JSON-serialisable world state for UIs: bots, users and chats."""
        bots = [
            {**b.me_json(), "privacy": b.privacy, "webhook_url": b.webhook.url}
            for b in self.bots.values()
        ]
        chats = [
            {
                **self.world.chat_json(chat),
                "migrated_to": chat.migrated_to,
                "members": {str(k): v for k, v in chat.members.items()},
                "bot_status": {str(b.id): b.status_in(chat.id) for b in self.bots.values()},
            }
            for chat in self.world.chats.values()
        ]
        users = [user_json(u) for u in self.world.users.values()]
        return {"url": self.url, "bots": bots, "users": users, "chats": chats}

    def pending_updates(self, bot_id: int | None = None) -> list[JSON]:
        """Updates queued and not yet confirmed by the bot."""
        return [e.update for e in self.bot(bot_id).queue.entries]

    def updates(self, bot_id: int | None = None) -> list[JSON]:
        """Every update ever created for the bot, by update_id."""
        history = self.bot(bot_id).queue.history
        return [history[k] for k in sorted(history)]
