"""The demo station: its people, grids and groups, and a first-start history of tickets."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from bot.sandbox.fakeapi import FakeBotAPI
from storage.station_file import StationSpec, parse_station

Role = Literal["resident", "officer", "chief"]
TOKEN = "700000001:SANDBOX-gridbot-demo"
BOT_USERNAME = "gridbot_demo_bot"
BOT_NAME = "网格工单助手"
WAIT_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    name: str
    role: Role
    grid: str | None = None


@dataclass(frozen=True, slots=True)
class Grid:
    code: str
    name: str
    chat_id: int
    title: str


GRIDS = (
    Grid("NH-01", "南湖社区一网格", -1001000001, "南湖社区一网格群"),
    Grid("NH-02", "南湖社区二网格", -1001000002, "南湖社区二网格群"),
    Grid("BA-03", "北岸社区三网格", -1001000003, "北岸社区三网格群"),
)

CHIEF = Person(1001, "周建国", "chief")
OFFICERS = (
    Person(2001, "王向阳", "officer", "NH-01"),
    Person(2002, "李明", "officer", "NH-02"),
    Person(2003, "陈静", "officer", "BA-03"),
)
RESIDENTS = (
    Person(3001, "张伟", "resident", "NH-01"),
    Person(3002, "王芳", "resident", "NH-01"),
    Person(3003, "李娜", "resident", "NH-01"),
    Person(3004, "刘洋", "resident", "NH-02"),
    Person(3005, "陈杰", "resident", "NH-02"),
    Person(3006, "杨秀英", "resident", "NH-02"),
    Person(3007, "赵磊", "resident", "BA-03"),
    Person(3008, "黄敏", "resident", "BA-03"),
    Person(3009, "周婷", "resident", "BA-03"),
    Person(3010, "吴强", "resident", "NH-01"),
)
PEOPLE = (*RESIDENTS, *OFFICERS, CHIEF)


def station_toml() -> str:
    """The demo station file."""
    officers = "".join(
        f'\n[[officers]]\nid = {p.id}\nname = "{p.name}"\ngrids = ["{p.grid}"]\n' for p in OFFICERS
    )
    grids = "".join(
        f'\n[[grids]]\ncode = "{g.code}"\nname = "{g.name}"\nchat_id = {g.chat_id}\n'
        for g in GRIDS
    )
    return f"""[station]
name = "新城派出所"
timezone = "Asia/Shanghai"
language = "zh"
chiefs = [{CHIEF.id}]

[sla]
accept = "30m"
resolve = "24h"
urgent_accept = "5m"
follow_up = "3d"
sweep = "1m"
{officers}{grids}"""


def station() -> StationSpec:
    return parse_station(station_toml(), "sandbox-station.toml")


def populate(fake: FakeBotAPI) -> None:
    """Create the people and the grid groups, with the bot as a member reading all messages."""
    fake.set_privacy(False)
    for person in PEOPLE:
        fake.add_user(person.id, person.name)
    for grid in GRIDS:
        members = {p.id: "member" for p in PEOPLE if p.grid == grid.code}
        members[CHIEF.id] = "administrator"
        fake.add_group(
            grid.chat_id, grid.title, supergroup=True, members=members, bot_status="administrator"
        )


async def play_history(fake: FakeBotAPI) -> None:
    """Act out a few tickets through the fake server: resolved and rated, taken, new."""
    theft = await _report(
        fake,
        RESIDENTS[0],
        GRIDS[0],
        "#报事 昨晚停在3栋楼下的电动车被偷了，车是白色雅迪，楼道口有监控。联系电话 13812345678",
    )
    officer = OFFICERS[0]
    await _command(fake, officer, GRIDS[0], f"/take {theft}", "正在处理")
    await _command(
        fake, officer, GRIDS[0], f"/reply {theft} 已调取楼道监控，下午到您家里了解情况。", "回复："
    )
    since = len(fake.bot_messages)
    await fake.user_sends(
        officer.id,
        GRIDS[0].chat_id,
        f"/resolve {theft} 电动车已找回，请到派出所认领，带好身份证。",
    )
    await rate(fake, RESIDENTS[0], GRIDS[0].chat_id, theft, "满意", since=since)
    await fake.user_sends(RESIDENTS[1].id, GRIDS[0].chat_id, "谢谢王警官，效率真高！")

    noise = await _report(
        fake,
        RESIDENTS[3],
        GRIDS[1],
        "#求助 楼上每天晚上十二点以后还在装修，电钻声很吵，孩子睡不着。",
    )
    await _command(fake, OFFICERS[1], GRIDS[1], f"/take {noise}", "正在处理")

    await _report(
        fake,
        RESIDENTS[6],
        GRIDS[2],
        "#报事 小区门口有人发传单，说投资理财保本高收益，让加微信 wx_8866，"
        "感觉像诈骗，老人很容易上当。",
    )


async def rate(
    fake: FakeBotAPI, person: Person, chat_id: int, number: int, label: str, *, since: int = 0
) -> None:
    """Press the rating button ``label`` under the prompt for ticket ``number``."""
    prompt = await fake.wait_for_message(
        lambda m: any(text == label for row in m.buttons for text, _ in row),
        chat_id=chat_id,
        contains=f"#{number}",
        since=since,
        timeout=WAIT_SECONDS,
    )
    data = next(d for row in prompt.buttons for text, d in row if text == label)
    assert data is not None
    since = len(fake.callback_answers)
    await fake.user_presses(person.id, chat_id, prompt.message_id, data)
    await fake.wait_until(lambda: len(fake.callback_answers) > since, WAIT_SECONDS)


async def _report(fake: FakeBotAPI, person: Person, grid: Grid, text: str) -> int:
    sent = await fake.user_sends(person.id, grid.chat_id, text)
    ack = await fake.wait_for_message(
        chat_id=grid.chat_id, reply_to=sent.message_id, contains="#", timeout=WAIT_SECONDS
    )
    return ticket_number(ack.body)


async def _command(fake: FakeBotAPI, person: Person, grid: Grid, text: str, expect: str) -> None:
    since = len(fake.bot_messages)
    await fake.user_sends(person.id, grid.chat_id, text)
    await fake.wait_for_message(
        chat_id=grid.chat_id, contains=expect, since=since, timeout=WAIT_SECONDS
    )


def ticket_number(text: str) -> int:
    """The first ``#<n>`` in a bot message."""
    match = re.search(r"#(\d+)", text)
    if match is None:
        raise ValueError(f"no ticket number in {text!r}")
    return int(match.group(1))
