"""Composition root: builds everything explicitly and runs the bot until asked to stop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from bot.drainer import Drainer
from bot.funnel import Funnel
from bot.leader import Duties, Leadership
from bot.outbox_sender import OutboxSender
from bot.polling import poll
from bot.ratelimit import Limits
from bot.runtime import Rejected, Runtime
from bot.settings import Settings
from bot.startup import StartupError, checked_bot_api, checked_database
from bot.webhook import WebhookServer
from handlers.clock import Clock, SystemClock
from handlers.delivery import chat_migrated, chat_unreachable
from handlers.deps import BotIdentity, Deps, MessageClassifier
from handlers.dispatch import Core
from storage.db import create_engine, is_sqlite, session_factory
from storage.inbox import Inbox
from storage.locks import AdvisoryLock
from storage.migrate import upgrade
from storage.station_apply import apply_station
from storage.station_file import StationSpec, load_station_file
from storage.uow import uow_factory

log = structlog.get_logger("gridbot.app")

SHUTDOWN_FLUSH_SECONDS = 10.0


def configure_logging(level: str = "info") -> None:
    numeric = getattr(logging, level.upper(), logging.INFO)
    logging.basicConfig(level=max(numeric, logging.WARNING), stream=sys.stderr)
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            structlog.processors.KeyValueRenderer(key_order=["timestamp", "level", "event"]),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=False,
    )


def make_runtime(framework: str, token: str, api_url: str) -> Runtime:
    if framework == "ptb":
        from bot.ptb_runtime import PtbRuntime

        return PtbRuntime(token, api_url)
    from bot.aiogram_runtime import AiogramRuntime

    return AiogramRuntime(token, api_url)


def station_files(setting: str | None, extra: list[str] | None = None) -> list[Path]:
    """--station may name files or folders of *.toml files, and may be given more than once."""
    paths: list[Path] = []
    for entry in [*(extra or []), *([setting] if setting and not extra else [])]:
        path = Path(entry)
        paths.extend(sorted(path.glob("*.toml")) if path.is_dir() else [path])
    return paths


def default_classifier() -> MessageClassifier:
    from handlers.classifier import Classifier

    return Classifier.default()


@dataclass
class Hooks:
    """Seams for tests and the sandbox; production uses the defaults."""

    clock: Clock = field(default_factory=SystemClock)
    limits: Limits | None = None
    classifier: MessageClassifier | None = None
    on_ready: Callable[[Deps], Awaitable[None] | None] | None = None
    sweep_seconds: float | None = None


async def run_bot(
    settings: Settings,
    stop: asyncio.Event,
    *,
    stations: list[StationSpec] | None = None,
    hooks: Hooks | None = None,
) -> None:
    """Run until `stop` is set, then finish the updates in hand and flush due sends."""
    hooks = hooks or Hooks()
    engine = create_engine(settings.database_url)
    runtime = make_runtime(settings.framework, settings.token_value, settings.api_url)
    lock = None if is_sqlite(settings.database_url) else AdvisoryLock(settings.database_url)
    leadership: Leadership | None = None
    try:
        await checked_database(upgrade(engine))
        sessions = session_factory(engine)
        uow = uow_factory(sessions)
        specs = (
            stations
            if stations is not None
            else [load_station_file(p) for p in station_files(settings.station)]
        )
        sweep = hooks.sweep_seconds or min([s.sla.sweep for s in specs] or [60])
        async with sessions() as session, session.begin():
            for spec in specs:
                await apply_station(session, spec)
        funnel = Funnel(runtime)
        identity: BotIdentity = await checked_bot_api(runtime.start(funnel))
        lead_box: list[Leadership] = []
        deps = Deps(
            uow=uow,
            clock=hooks.clock,
            classifier=hooks.classifier or default_classifier(),
            bot=identity,
            wake_sender=lambda: lead_box[0].wake_sender() if lead_box else None,
        )
        sender = OutboxSender(
            uow,
            hooks.clock,
            runtime.send,
            limits=hooks.limits or settings.limits(),
            on_unreachable=lambda chat, reason: chat_unreachable(deps, chat, reason),
            on_migrated=lambda old, new: chat_migrated(deps, old, new),
        )
        leadership = Leadership(lock, Duties(deps, sender, sweep_seconds=sweep))
        lead_box.append(leadership)
        funnel.core, funnel.identity = Core(deps), identity
        funnel.reads_all = bool(getattr(runtime, "reads_all", False))
        await leadership.check()
        lead_task = asyncio.create_task(leadership.run(stop), name="leadership")
        try:
            if settings.webhook_url is None:
                with contextlib.suppress(Exception):
                    await runtime.delete_webhook()
                await _ready(hooks, deps, runtime, leadership)
                await poll(runtime, stop, timeout=settings.poll_timeout, deferred=funnel.deferred)
            else:
                await serve_webhook(
                    settings,
                    runtime,
                    leadership,
                    stop,
                    inbox=Inbox(sessions, worker_name(settings.listen)),
                    deferred=funnel.deferred,
                    ready=lambda: _ready(hooks, deps, runtime, leadership),
                )
        finally:
            stop.set()
            with contextlib.suppress(asyncio.CancelledError):
                await lead_task
            await leadership.finish()
            log.info("bot.stopped", sent=sender.sent)
    finally:
        if leadership is None and lock is not None:
            await lock.release()
        with contextlib.suppress(Exception):
            await runtime.close()
        await engine.dispose()


async def _ready(hooks: Hooks, deps: Deps, runtime: Runtime, leadership: Leadership) -> None:
    log.info(
        "bot.started", framework=runtime.name, bot=deps.bot.username, leader=leadership.is_leader
    )
    if hooks.on_ready is not None:
        maybe = hooks.on_ready(deps)
        if maybe is not None:
            await maybe


async def serve_webhook(
    settings: Settings,
    runtime: Runtime,
    leadership: Leadership,
    stop: asyncio.Event,
    *,
    inbox: Inbox,
    deferred: Callable[[int], bool],
    ready: Callable[[], Awaitable[None]],
) -> None:
    """Listen, register the webhook, serve until `stop`; the webhook stays registered."""
    assert settings.webhook_url is not None
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    drainer = Drainer(inbox, runtime.feed_raw, deferred=deferred)
    server = WebhookServer(
        drainer,
        url=settings.webhook_url,
        listen=settings.listen,
        secret=secret,
        status=lambda: {"leader": leadership.is_leader},
    )
    if secret is None:
        log.warning("webhook.no_secret", hint="set --webhook-secret so forged pushes get 401")
    try:
        try:
            await server.start()
        except OSError as exc:
            raise StartupError(f"setting --listen (GRIDBOT_LISTEN): cannot listen: {exc}") from exc
        # After the bind: holding the port proves no other run of this worker is alive.
        await drainer.start()
        # Every worker registers the same URL: harmless, and any one of them may start first.
        await checked_webhook(runtime.set_webhook(settings.webhook_url, secret))
        server.ready = True
        await ready()
        await stop.wait()
    finally:
        # No deleteWebhook: the other workers behind the same URL keep serving it.
        await server.stop(SHUTDOWN_FLUSH_SECONDS)


def worker_name(listen: str) -> str:
    """Names this worker's inbox claims; the same after a restart, so it takes them back."""
    return f"{socket.gethostname()}:{listen}"


async def checked_webhook(step: Awaitable[None]) -> None:
    try:
        await step
    except Rejected as exc:
        raise StartupError(
            f"setting --webhook-url (GRIDBOT_WEBHOOK_URL): the Bot API server refused it: "
            f"{exc.reason}"
        ) from exc
