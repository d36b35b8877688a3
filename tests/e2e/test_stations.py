"""Several stations in one deployment: a folder of station files, numbers kept apart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app import Hooks, run_bot, station_files
from bot.sandbox.fakeapi import FakeBotAPI
from handlers.deps import Deps
from storage.station_file import load_station_file
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import GROUP, OFFICER, RESIDENT, station_toml

CHIEF_2 = 1101
OFFICER_2 = 2101
GROUP_2 = -1002001

STATION_2 = f"""
[station]
name = "东湖派出所"
timezone = "Asia/Shanghai"
language = "zh"
chiefs = [{CHIEF_2}]

[sla]
accept = "30m"
resolve = "24h"
urgent_accept = "5m"
follow_up = "3d"
sweep = "1m"

[[officers]]
id = {OFFICER_2}
name = "赵东"
grids = ["DH-01"]

[[grids]]
code = "DH-01"
name = "东湖社区一网格"
chat_id = {GROUP_2}
"""


class TwoStations(Gridbot):
    """The harness bot started with `--station <folder>` holding two station files."""

    def __init__(self, fake: FakeBotAPI, framework: str, database_url: str, folder: Path) -> None:
        super().__init__(fake, framework, database_url)
        self.folder = folder

    async def start(self, **_station: str) -> None:
        ready = asyncio.Event()

        def on_ready(deps: Deps) -> None:
            self.deps = deps
            ready.set()

        specs = [load_station_file(p) for p in station_files(str(self.folder))]
        assert len(specs) == 2
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(
            run_bot(
                self.settings(),
                self._stop,
                stations=specs,
                hooks=Hooks(clock=self.clock, on_ready=on_ready, sweep_seconds=3600),
            )
        )
        await asyncio.wait_for(ready.wait(), 30)


@pytest.fixture(params=["aiogram", "ptb"])
async def two_stations(
    request: pytest.FixtureRequest, fake_api: FakeBotAPI, database_url: str, tmp_path: Path
) -> AsyncIterator[TwoStations]:
    folder = tmp_path / "stations"
    folder.mkdir()
    (folder / "a-xincheng.toml").write_text(station_toml(), encoding="utf-8")
    (folder / "b-donghu.toml").write_text(STATION_2, encoding="utf-8")
    fake_api.add_user(CHIEF_2, "东湖所长")
    fake_api.add_user(OFFICER_2, "赵东")
    fake_api.add_group(
        GROUP_2,
        "东湖一网格群",
        supergroup=True,
        bot_status="member",
        members={RESIDENT: "member", OFFICER_2: "member"},
    )
    bot = TwoStations(fake_api, request.param, database_url, folder)
    await bot.start()
    yield bot
    await bot.close()


def test_station_option_takes_folders_and_repeats(tmp_path: Path) -> None:
    for name in ("b.toml", "a.toml", "notes.txt"):
        (tmp_path / name).write_text("", encoding="utf-8")
    assert station_files(str(tmp_path)) == [tmp_path / "a.toml", tmp_path / "b.toml"]
    assert station_files(None, ["x.toml", str(tmp_path)]) == [
        Path("x.toml"),
        tmp_path / "a.toml",
        tmp_path / "b.toml",
    ]


async def test_two_stations_number_tickets_separately(two_stations: TwoStations) -> None:
    fake = two_stations.fake
    first = await fake.user_sends(RESIDENT, GROUP, "#报事 新城：路灯不亮了")
    await said(fake, GROUP, "#1", reply_to=first.message_id)
    second = await fake.user_sends(RESIDENT, GROUP, "#报事 新城：井盖丢了")
    await said(fake, GROUP, "#2", reply_to=second.message_id)
    other = await fake.user_sends(RESIDENT, GROUP_2, "#报事 东湖：垃圾没人清")
    await said(fake, GROUP_2, "#1", reply_to=other.message_id)
    await said(fake, OFFICER_2, "#1")
    await two_stations.idle()
    numbers = sorted((t.station_id, t.number) for t in await two_stations.tickets())
    assert [n for _, n in numbers] == [1, 2, 1]
    assert len({s for s, _ in numbers}) == 2


async def test_officer_command_about_other_stations_ticket_is_not_found(
    two_stations: TwoStations,
) -> None:
    fake = two_stations.fake
    for text in ("#报事 新城：路灯不亮了", "#报事 新城：井盖丢了"):
        msg = await fake.user_sends(RESIDENT, GROUP, text)
        await said(fake, GROUP, "#", reply_to=msg.message_id)
    await two_stations.idle()
    before = await two_stations.snapshot()
    since = len(fake.bot_messages)
    await fake.user_sends(OFFICER_2, OFFICER_2, "/take 2")
    await said(fake, OFFICER_2, "没有找到工单 #2", since=since)
    await fake.user_sends(OFFICER_2, OFFICER_2, "/ticket 1")
    await said(fake, OFFICER_2, "没有找到工单 #1", since=since)
    assert await two_stations.snapshot() == before
    assert not [m for m in fake.messages_in(OFFICER) if "赵东" in m.body]
