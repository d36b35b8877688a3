"""One sandbox: the fake Bot API, the chat page and the real bot, in one event loop."""

from __future__ import annotations

import asyncio
import contextlib
import errno
from datetime import timedelta
from pathlib import Path

import structlog
from aiohttp import web
from pydantic import SecretStr

from bot.app import Hooks, run_bot
from bot.sandbox import demo
from bot.sandbox.fakeapi import FakeBotAPI
from bot.sandbox.fakeapi.records import JSON
from bot.sandbox.persist import WORLD_FILE, Saver, load, restore
from bot.sandbox.webapp import ChatPage
from bot.settings import Settings
from handlers.clock import OffsetClock
from handlers.deps import Deps

log = structlog.get_logger("gridbot.sandbox")
DB_FILE = "sandbox.db"
START_SECONDS = 60.0
STOP_SECONDS = 30.0


class SandboxError(Exception):
    """The sandbox cannot start; str() is the one line printed before exit 2."""


class PortInUse(SandboxError):
    """The page's port is taken."""


class Sandbox:
    """Start with :meth:`start`, stop with :meth:`stop`; ``history`` plays the first-start demo."""

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        framework: str = "aiogram",
        sweep_seconds: float = 5.0,
        poll_timeout: int = 10,
    ) -> None:
        self.data_dir, self.host, self.port = data_dir, host, port
        self.framework, self.sweep_seconds = framework, sweep_seconds
        self.poll_timeout = poll_timeout
        self.fake = FakeBotAPI(
            [demo.TOKEN], bot_username=demo.BOT_USERNAME, bot_name=demo.BOT_NAME
        )
        self.clock = OffsetClock()
        self.page = ChatPage(self.fake, self.clock)
        self.url = ""
        self.deps: Deps | None = None
        self.history: asyncio.Task[None] | None = None
        self._runner: web.AppRunner | None = None
        self._saver: Saver | None = None
        self._bot: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self._extra: JSON = {}

    @property
    def bot_task(self) -> asyncio.Task[None] | None:
        """The running bot; done early only if it crashed."""
        return self._bot

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{(self.data_dir / DB_FILE).resolve()}"

    async def start(self) -> str:
        """Serve the page, restore or create the world, start the bot; returns the page URL."""
        await self._serve_page()
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            first_start = self._load_world()
            await self.fake.start()
            self._saver = Saver(self.fake, self.data_dir / WORLD_FILE, self._extra_state)
            await self._start_bot()
            if first_start:
                self.history = asyncio.create_task(self._play_history(), name="sandbox-history")
        except BaseException:
            await self.stop()
            raise
        return self.url

    async def stop(self) -> None:
        """Stop the bot (flushing its sends), save the world, close both servers."""
        self.page.closing.set()
        self._stop.set()
        if self.history is not None:
            self.history.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.history  # also collects a failure already logged
        if self._bot is not None:
            bot, self._bot = self._bot, None
            try:
                await asyncio.wait_for(bot, STOP_SECONDS)
            except Exception:
                log.exception("sandbox.bot_failed")
        if self._saver is not None:
            await self._saver.close()
            self._saver = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self.fake.stop()

    async def _serve_page(self) -> None:
        self._runner = web.AppRunner(self.page.app(), shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self.host, self.port).start()
        except OSError as exc:
            await self._runner.cleanup()
            self._runner = None
            if exc.errno == errno.EADDRINUSE:
                raise PortInUse(
                    f"port {self.port} on {self.host} is already in use; "
                    f"try --port {self.port + 1}"
                ) from exc
            raise PortInUse(f"cannot listen on {self.host}:{self.port}: {exc.strerror}") from exc
        host, port = self._runner.addresses[0][:2]
        self.url = f"http://{host}:{port}/"

    def _load_world(self) -> bool:
        """Restore the saved world; True when there was none (a first start)."""
        path = self.data_dir / WORLD_FILE
        try:
            saved = load(path)
            if saved is None:
                demo.populate(self.fake)
                return True
            self._extra = restore(self.fake, saved)
        except (ValueError, KeyError, TypeError) as exc:
            raise SandboxError(f"cannot restore {path} ({exc}); start over with --reset") from exc
        self.clock.offset = timedelta(seconds=float(self._extra.get("clock_offset_seconds", 0)))
        return False

    def _extra_state(self) -> JSON:
        return {**self._extra, "clock_offset_seconds": self.clock.offset.total_seconds()}

    async def _start_bot(self) -> None:
        ready = asyncio.Event()

        def on_ready(deps: Deps) -> None:
            self.deps = deps
            ready.set()

        settings = Settings(
            token=SecretStr(demo.TOKEN),
            api_url=self.fake.url,
            database_url=self.database_url,
            framework=self.framework,
            poll_timeout=self.poll_timeout,
            webhook_url=None,  # never let a GRIDBOT_WEBHOOK_URL in the environment leak in
            station=None,
        )
        hooks = Hooks(clock=self.clock, on_ready=on_ready, sweep_seconds=self.sweep_seconds)
        self._bot = asyncio.create_task(
            run_bot(settings, self._stop, stations=[demo.station()], hooks=hooks), name="bot"
        )
        waiter = asyncio.create_task(ready.wait())
        done, _ = await asyncio.wait(
            {waiter, self._bot}, timeout=START_SECONDS, return_when=asyncio.FIRST_COMPLETED
        )
        if self._bot in done:
            waiter.cancel()
            self._bot.result()
        if not ready.is_set():
            waiter.cancel()
            raise TimeoutError(f"the bot did not start within {START_SECONDS:.0f}s")

    async def _play_history(self) -> None:
        try:
            await demo.play_history(self.fake)
        except Exception:
            log.exception("sandbox.history_failed")
            raise
        if self._saver is not None:
            self._saver.schedule()
