"""Helpers for webhook-mode tests: free ports, raw pushes, worker health."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from typing import Any

import aiohttp

from bot.sandbox.fakeapi import FakeBotAPI
from bot.webhook import SECRET_HEADER
from tests.fakes.station import GROUP, RESIDENT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def report_update(update_id: int, text: str = "#报事 伪造的推送：楼道灯坏了") -> dict[str, Any]:
    """A well-formed group message update that would create a ticket if accepted."""
    return {
        "update_id": update_id,
        "message": {
            "message_id": 90000 + update_id % 1000,
            "date": int(time.time()),
            "text": text,
            "chat": {"id": GROUP, "type": "supergroup", "title": "南湖一网格群"},
            "from": {"id": RESIDENT, "is_bot": False, "first_name": "张三"},
        },
    }


async def push(url: str, update: dict[str, Any], secret: str | None) -> int:
    """POST one update the way Telegram does; the HTTP status."""
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers[SECRET_HEADER] = secret
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=json.dumps(update), headers=headers) as resp,
    ):
        return resp.status


async def health(base: str) -> dict[str, Any] | None:
    """A worker's /healthz answer, or None while it does not answer."""
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{base}/healthz", timeout=aiohttp.ClientTimeout(total=2)) as resp,
        ):
            return dict(await resp.json()) if resp.status == 200 else None
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def settled(fake: FakeBotAPI, bases: list[str], timeout: float = 20) -> None:
    """Until the fake pushed everything and every live worker has handled what it got."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not fake.pending_updates():
            states = [await health(base) for base in bases]
            if all(s is None or s.get("pending") == 0 for s in states):
                return
        await asyncio.sleep(0.05)
    raise TimeoutError(f"webhook workers not settled after {timeout}s")
