"""The fake Telegram world saved to JSON in the data dir, and restored on the next start."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import os
from pathlib import Path
from typing import Any

from bot.sandbox.fakeapi import BotMessage, FakeBotAPI, StoredFile, User
from bot.sandbox.fakeapi.records import JSON, Chat, StoredMessage
from bot.sandbox.fakeapi.tgjson import inline_buttons

VERSION = 1
WORLD_FILE = "world.json"


def snapshot(fake: FakeBotAPI, extra: JSON | None = None) -> JSON:
    """Users, chats, messages, files and per-bot state (incl. the update id counter)."""
    world = fake.world
    return {
        "version": VERSION,
        "users": [vars(u).copy() for u in world.users.values()],
        "chats": [
            {**vars(c), "members": {str(k): v for k, v in c.members.items()}}
            for c in world.chats.values()
        ],
        "messages": [{"json": m.json, "bot_id": m.bot_id} for m in world.messages.values()],
        "files": [_file_json(f) for f in world.files.values()],
        "bots": {str(b.id): _bot_json(fake, b.id) for b in fake.bots.values()},
        "extra": extra or {},
    }


def restore(fake: FakeBotAPI, data: JSON) -> JSON:
    """Load a :func:`snapshot` into an empty fake server; returns its ``extra`` dict."""
    if data.get("version") != VERSION:
        raise ValueError(f"unsupported world file version {data.get('version')!r}")
    world = fake.world
    for user in data["users"]:
        world.add_user(User(**user))
    for chat in data["chats"]:
        fields = {k: v for k, v in chat.items() if k != "members"}
        members = {int(k): str(v) for k, v in chat["members"].items()}
        world.add_chat(Chat(**fields, members=members))
    for item in data["files"]:
        raw = {**item, "data": base64.b64decode(item["data"])}
        world.files[item["file_id"]] = StoredFile(**raw)
    for item in data["messages"]:
        stored = StoredMessage(item["json"], item["bot_id"])
        world.messages[(stored.chat_id, stored.message_id)] = stored
        if stored.bot_id is not None:
            fake.observer.bot_messages.append(_bot_message(stored, world.files))
    world._file_seq = itertools.count(len(world.files) + 1)
    for key, state in data["bots"].items():
        _restore_bot(fake, int(key), state)
    return dict(data.get("extra") or {})


def save(path: Path, data: JSON) -> None:
    """Write atomically (a crash mid-write keeps the previous file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


def load(path: Path) -> JSON | None:
    if not path.exists():
        return None
    data: JSON = json.loads(path.read_text(encoding="utf-8"))
    return data


class Saver:
    """Saves the world a moment after it changes (debounced), and once more at stop."""

    def __init__(self, fake: FakeBotAPI, path: Path, extra: Any, delay: float = 0.5) -> None:
        self.fake, self.path, self.delay = fake, path, delay
        self.extra = extra
        self._task: asyncio.Task[None] | None = None
        self._unsubscribe = fake.subscribe(self._changed)

    def _changed(self, _event: JSON) -> None:
        self.schedule()

    def schedule(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._later())

    async def _later(self) -> None:
        await asyncio.sleep(self.delay)
        self.save_now()

    def save_now(self) -> None:
        save(self.path, snapshot(self.fake, self.extra()))

    async def close(self) -> None:
        self._unsubscribe()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self.save_now()


def _file_json(stored: StoredFile) -> JSON:
    out = vars(stored).copy()
    out["data"] = base64.b64encode(stored.data).decode("ascii")
    return out


def _bot_json(fake: FakeBotAPI, bot_id: int) -> JSON:
    bot = fake.bot(bot_id)
    return {
        "privacy": bot.privacy,
        "status": {str(k): v for k, v in bot.status.items()},
        "blocked_by": sorted(bot.blocked_by),
        "not_started": sorted(bot.not_started),
        "next_update_id": bot.queue._next_id,
    }


def _restore_bot(fake: FakeBotAPI, bot_id: int, state: JSON) -> None:
    if bot_id not in fake.bots:
        return
    bot = fake.bot(bot_id)
    bot.privacy = bool(state["privacy"])
    bot.status = {int(k): str(v) for k, v in state["status"].items()}
    bot.blocked_by = set(state["blocked_by"])
    bot.not_started = set(state["not_started"])
    # The bot dedupes by update_id, so ids must keep growing across restarts.
    bot.queue._next_id = int(state["next_update_id"])


def _bot_message(stored: StoredMessage, files: dict[str, StoredFile]) -> BotMessage:
    body = stored.json
    kind = "photo" if "photo" in body else "document" if "document" in body else "text"
    file_id = (
        body["photo"][-1]["file_id"]
        if kind == "photo"
        else (body["document"]["file_id"] if kind == "document" else None)
    )
    file = files.get(file_id) if file_id else None
    reply = body.get("reply_to_message")
    return BotMessage(
        bot_id=int(stored.bot_id or 0),
        chat_id=stored.chat_id,
        message_id=stored.message_id,
        kind=kind,
        text=body.get("text"),
        reply_to_message_id=reply["message_id"] if reply else None,
        buttons=inline_buttons(body.get("reply_markup")),
        file=file.data if file else None,
        filename=file.filename if file else None,
        caption=body.get("caption"),
        edited="edit_date" in body,
        time=float(body.get("date", 0)),
    )
