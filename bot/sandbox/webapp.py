"""The chat page's HTTP side: static files, JSON endpoints and a server-sent event stream."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import web

from bot.sandbox.fakeapi import FakeBotAPI, StoredFile
from bot.sandbox.fakeapi.records import JSON
from bot.sandbox.views import message_view, state_view
from handlers.clock import OffsetClock

WEB_DIR = Path(__file__).with_name("web")
KEEPALIVE_SECONDS = 15.0
HOUR = 3600.0


class BadInput(Exception):
    """A request the page should not have sent; answered with 400."""


class ChatPage:
    """Routes of the page, acting as users through the fake Bot API server."""

    def __init__(self, fake: FakeBotAPI, clock: OffsetClock) -> None:
        self.fake, self.clock = fake, clock
        self.closing = asyncio.Event()

    def app(self) -> web.Application:
        app = web.Application(middlewares=[_errors])
        app.router.add_get("/", self.index)
        app.router.add_static("/static", WEB_DIR)
        app.router.add_get("/api/state", self.state)
        app.router.add_get("/api/events", self.events)
        app.router.add_get("/api/file/{file_id}", self.file)
        app.router.add_post("/api/send", self.send)
        app.router.add_post("/api/press", self.press)
        app.router.add_post("/api/clock", self.advance_clock)
        return app

    def clock_hours(self) -> float:
        return self.clock.offset.total_seconds() / HOUR

    async def index(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(WEB_DIR / "index.html")

    async def state(self, _request: web.Request) -> web.Response:
        return _json(state_view(self.fake, self.clock_hours()))

    async def send(self, request: web.Request) -> web.Response:
        body = await _body(request)
        text = str(body.get("text") or "").strip()
        if not text:
            raise BadInput("text is empty")
        reply_to = body.get("reply_to")
        sent = await self.fake.user_sends(
            _int(body, "user_id"),
            _int(body, "chat_id"),
            text,
            reply_to=int(reply_to) if reply_to else None,
        )
        return _json({"message_id": sent.message_id})

    async def press(self, request: web.Request) -> web.Response:
        body = await _body(request)
        pressed = await self.fake.user_presses(
            _int(body, "user_id"),
            _int(body, "chat_id"),
            _int(body, "message_id"),
            str(body.get("data") or ""),
        )
        return _json({"callback_query_id": pressed.callback_query_id})

    async def advance_clock(self, request: web.Request) -> web.Response:
        body = await _body(request)
        hours = float(body.get("hours", 1))
        if not 0 < hours <= 24 * 30:
            raise BadInput("hours must be between 0 and 720")
        self.clock.advance(hours * HOUR)
        return _json({"clock_hours": self.clock_hours()})

    async def file(self, request: web.Request) -> web.Response:
        stored = self.fake.world.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        headers = {}
        if stored.filename and not (stored.mime_type or "").startswith("image/"):
            headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(stored)}"
        return web.Response(
            body=stored.data,
            headers=headers,
            content_type=stored.mime_type or "application/octet-stream",
        )

    async def events(self, request: web.Request) -> web.StreamResponse:
        """Server-sent events: new and edited messages, callback answers."""
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        stream = self.fake.events()
        closing = asyncio.ensure_future(self.closing.wait())
        try:
            await response.write(b": connected\n\n")
            while not self.closing.is_set():
                nxt = asyncio.ensure_future(anext(stream))
                await asyncio.wait(
                    {nxt, closing}, timeout=KEEPALIVE_SECONDS, return_when=asyncio.FIRST_COMPLETED
                )
                if not nxt.done():
                    nxt.cancel()
                    if not self.closing.is_set():
                        await response.write(b": keepalive\n\n")
                    continue
                page_event = to_page_event(nxt.result())
                if page_event is not None:
                    data = json.dumps(page_event, ensure_ascii=False)
                    await response.write(f"data: {data}\n\n".encode())
        except ConnectionResetError:
            pass
        finally:
            closing.cancel()
            stream.close()
        return response


def to_page_event(event: JSON) -> JSON | None:
    """A fake-server event as the page consumes it (None: not shown)."""
    kind = event.get("type")
    if kind in ("message", "edit"):
        return {"type": kind, "message": message_view(event["message"])}
    if kind == "callback_answer":
        return {
            key: event.get(key)
            for key in (
                "type",
                "callback_query_id",
                "user_id",
                "chat_id",
                "message_id",
                "text",
                "show_alert",
            )
        }
    return None


@web.middleware
async def _errors(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        response: web.StreamResponse = await handler(request)
    except (BadInput, KeyError, ValueError, TypeError) as exc:
        message = exc.args[0] if exc.args else type(exc).__name__
        return _json({"error": str(message)}, status=400)
    return response


async def _body(request: web.Request) -> JSON:
    try:
        body = await request.json()
    except json.JSONDecodeError as exc:
        raise BadInput("body must be JSON") from exc
    if not isinstance(body, dict):
        raise BadInput("body must be a JSON object")
    return body


def _int(body: JSON, key: str) -> int:
    value = body.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise BadInput(f"{key} must be an integer")
    try:
        return int(value)
    except ValueError:
        raise BadInput(f"{key} must be an integer") from None


def _json(data: JSON, status: int = 200) -> web.Response:
    return web.json_response(
        data, status=status, dumps=lambda d: json.dumps(d, ensure_ascii=False)
    )


def _quote(stored: StoredFile) -> str:
    return quote(str(stored.filename))
