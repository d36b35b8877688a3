"""The chat page's JSON API and event stream, against a fake server with the demo world."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.sandbox import demo
from bot.sandbox.fakeapi import FakeBotAPI
from bot.sandbox.fakeapi.params import Params, Upload
from bot.sandbox.webapp import ChatPage
from handlers.clock import OffsetClock

GROUP = demo.GRIDS[0].chat_id
RESIDENT = demo.RESIDENTS[0].id
PNG = (
    b"\x89PNG\r\n\x1a\n"
    + b"\x00\x00\x00\rIHDR"
    + (40).to_bytes(4, "big")
    + (30).to_bytes(4, "big")
    + b"\x08\x02\x00\x00\x00"
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI([demo.TOKEN], bot_username=demo.BOT_USERNAME, bot_name=demo.BOT_NAME)
    demo.populate(server)
    yield server
    await server.stop()


@pytest.fixture
def page(fake: FakeBotAPI) -> ChatPage:
    return ChatPage(fake, OffsetClock())


@pytest.fixture
async def client(page: ChatPage) -> AsyncIterator[TestClient[object, object]]:
    async with TestClient(TestServer(page.app())) as test_client:
        yield test_client
        page.closing.set()


async def bot_says(fake: FakeBotAPI, chat_id: int, text: str, **extra: object) -> int:
    body, status = await fake.execute(
        fake.bot(), "sendMessage", Params({"chat_id": chat_id, "text": text, **extra})
    )
    assert status == 200, body
    return int(body["result"]["message_id"])


async def test_page_index_and_static_files_are_served(client: TestClient[object, object]) -> None:
    index = await client.get("/")
    assert index.status == 200
    assert "网格工单沙盒" in await index.text()
    script = await client.get("/static/app.js")
    assert script.status == 200


async def test_state_lists_people_groups_and_messages(
    client: TestClient[object, object], fake: FakeBotAPI
) -> None:
    await fake.user_sends(RESIDENT, GROUP, "大家好")
    state = await (await client.get("/api/state")).json()
    roles = {p["role"] for p in state["people"]}
    assert roles == {"resident", "officer", "chief"}
    assert len([p for p in state["people"] if p["role"] == "resident"]) == 10
    assert {c["title"] for c in state["chats"]} == {g.title for g in demo.GRIDS}
    assert state["bot"]["name"] == demo.BOT_NAME
    [message] = state["messages"][str(GROUP)]
    assert message["text"] == "大家好"
    assert message["from_name"] == "张伟"


async def test_send_posts_as_the_person_with_a_reply(
    client: TestClient[object, object], fake: FakeBotAPI
) -> None:
    first = await fake.user_sends(RESIDENT, GROUP, "#报事 楼道灯坏了")
    body = {
        "user_id": RESIDENT,
        "chat_id": GROUP,
        "text": "补充：是3栋",
        "reply_to": first.message_id,
    }
    response = await client.post("/api/send", json=body)
    assert response.status == 200
    message_id = (await response.json())["message_id"]
    stored = fake.world.message(GROUP, message_id)
    assert stored is not None
    assert stored.json["reply_to_message"]["message_id"] == first.message_id
    assert fake.pending_updates()[-1]["message"]["text"] == "补充：是3栋"


@pytest.mark.parametrize(
    "body",
    [
        {"user_id": RESIDENT, "chat_id": GROUP, "text": "  "},
        {"user_id": 999999, "chat_id": GROUP, "text": "hi"},
        {"user_id": "x", "chat_id": GROUP, "text": "hi"},
        {"user_id": RESIDENT, "chat_id": demo.OFFICERS[0].id, "text": "hi"},
    ],
)
async def test_send_refuses_bad_input_with_400(
    client: TestClient[object, object], body: dict[str, object]
) -> None:
    response = await client.post("/api/send", json=body)
    assert response.status == 400
    assert (await response.json())["error"]


async def test_press_creates_a_callback_query(
    client: TestClient[object, object], fake: FakeBotAPI
) -> None:
    markup = {"inline_keyboard": [[{"text": "满意", "callback_data": "rate1:1:0:1"}]]}
    message_id = await bot_says(fake, GROUP, "请评价", reply_markup=markup)
    response = await client.post(
        "/api/press",
        json={
            "user_id": RESIDENT,
            "chat_id": GROUP,
            "message_id": message_id,
            "data": "rate1:1:0:1",
        },
    )
    assert response.status == 200
    query = fake.pending_updates()[-1]["callback_query"]
    assert query["data"] == "rate1:1:0:1"
    assert query["from"]["id"] == RESIDENT
    bad = await client.post(
        "/api/press",
        json={"user_id": RESIDENT, "chat_id": GROUP, "message_id": message_id, "data": "nope"},
    )
    assert bad.status == 400


async def test_clock_moves_the_bot_clock_forward(
    client: TestClient[object, object], page: ChatPage
) -> None:
    response = await client.post("/api/clock", json={"hours": 1})
    assert (await response.json())["clock_hours"] == 1
    assert page.clock.offset.total_seconds() == 3600
    assert (await client.post("/api/clock", json={"hours": -1})).status == 400


async def test_files_are_served_as_images_and_downloads(
    client: TestClient[object, object], fake: FakeBotAPI
) -> None:
    uploads = {
        "photo": Upload(PNG, "chart.png", "image/png"),
        "document": Upload(b"a,b\n", "报表.csv", "text/csv"),
    }
    photo, _ = await fake.execute(fake.bot(), "sendPhoto", Params({"chat_id": GROUP}, uploads))
    doc, _ = await fake.execute(fake.bot(), "sendDocument", Params({"chat_id": GROUP}, uploads))
    state = await (await client.get("/api/state")).json()
    views = state["messages"][str(GROUP)]
    image = await client.get(views[0]["photo"])
    assert image.content_type == "image/png"
    assert await image.read() == PNG
    assert views[1]["document"]["name"] == "报表.csv"
    download = await client.get(views[1]["document"]["url"])
    assert "attachment" in download.headers["Content-Disposition"]
    assert photo["ok"]
    assert doc["ok"]
    assert (await client.get("/api/file/missing")).status == 404


async def test_events_stream_new_messages(
    client: TestClient[object, object], fake: FakeBotAPI
) -> None:
    response = await client.get("/api/events")
    assert response.headers["Content-Type"].startswith("text/event-stream")
    assert (await response.content.readline()).startswith(b": connected")
    await fake.user_sends(RESIDENT, GROUP, "有人吗")
    event = await asyncio.wait_for(_next_event(response.content), 5)
    assert event["type"] == "message"
    assert event["message"]["text"] == "有人吗"
    response.close()


async def _next_event(content: object) -> dict[str, object]:
    while True:
        line: bytes = await content.readline()  # type: ignore[attr-defined]
        if line.startswith(b"data: "):
            data: dict[str, object] = json.loads(line[len(b"data: ") :])
            return data
