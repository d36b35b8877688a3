"""The fake world survives a save and a restore: people, chats, messages, files, counters."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from bot.sandbox import demo
from bot.sandbox.fakeapi import FakeBotAPI
from bot.sandbox.fakeapi.params import Params, Upload
from bot.sandbox.persist import Saver, load, restore, save, snapshot

GROUP = demo.GRIDS[0].chat_id
RESIDENT = demo.RESIDENTS[0].id
MARKUP = {"inline_keyboard": [[{"text": "满意", "callback_data": "rate1:1:0:1"}]]}


def new_fake() -> FakeBotAPI:
    return FakeBotAPI([demo.TOKEN], bot_username=demo.BOT_USERNAME, bot_name=demo.BOT_NAME)


async def busy_world() -> FakeBotAPI:
    fake = new_fake()
    demo.populate(fake)
    first = await fake.user_sends(RESIDENT, GROUP, "#报事 电动车被偷了")
    await fake.execute(
        fake.bot(),
        "sendMessage",
        Params(
            {
                "chat_id": GROUP,
                "text": "已登记工单 #1",
                "reply_to_message_id": first.message_id,
                "reply_markup": MARKUP,
            }
        ),
    )
    await fake.execute(
        fake.bot(),
        "sendDocument",
        Params({"chat_id": demo.CHIEF.id}, {"document": Upload(b"x,y\n", "日报.csv", "text/csv")}),
    )
    await fake.user_sends(demo.OFFICERS[0].id, demo.OFFICERS[0].id, "/mine")
    return fake


async def test_world_round_trip_keeps_everything(tmp_path: Path) -> None:
    before = await busy_world()
    path = tmp_path / "world.json"
    save(path, snapshot(before, {"clock_offset_seconds": 7200}))
    after = new_fake()
    saved = load(path)
    assert saved is not None
    extra = restore(after, saved)

    assert extra == {"clock_offset_seconds": 7200}
    assert {u.id: u.first_name for u in after.world.users.values()} == {
        u.id: u.first_name for u in before.world.users.values()
    }
    for chat_id, chat in before.world.chats.items():
        assert after.world.chats[chat_id] == chat
    assert after.world.history(GROUP) == before.world.history(GROUP)
    assert after.bot().privacy is False
    assert after.bot().status == before.bot().status
    [doc] = after.world.files.values()
    assert doc.data == b"x,y\n"
    assert doc.filename == "日报.csv"
    ack = after.find_bot_message(GROUP, 2)
    assert ack is not None
    assert ack.button_data == ["rate1:1:0:1"]
    assert ack.reply_to_message_id == 1


async def test_restored_world_continues_ids(tmp_path: Path) -> None:
    before = await busy_world()
    last_update = max(u["update_id"] for u in before.updates())
    after = new_fake()
    restore(after, json.loads(json.dumps(snapshot(before))))
    sent = await after.user_sends(RESIDENT, GROUP, "还在吗")
    assert sent.message_id == before.world.chats[GROUP].last_message_id + 1
    assert sent.update_id is not None
    assert sent.update_id > last_update


async def test_saver_writes_after_changes_and_at_close(tmp_path: Path) -> None:
    fake = new_fake()
    demo.populate(fake)
    path = tmp_path / "world.json"
    saver = Saver(fake, path, lambda: {"n": 1}, delay=0.01)
    await fake.user_sends(RESIDENT, GROUP, "第一条")
    for _ in range(200):
        if path.exists():
            break
        await asyncio.sleep(0.01)
    saved = load(path)
    assert saved is not None
    assert [m["json"]["text"] for m in saved["messages"]] == ["第一条"]
    await fake.user_sends(RESIDENT, GROUP, "第二条")
    await saver.close()
    saved = load(path)
    assert saved is not None
    assert len(saved["messages"]) == 2
    assert saved["extra"] == {"n": 1}
