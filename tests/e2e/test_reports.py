"""The chief's reports over the fake Bot API: /stats week, and the scheduled report job."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.sandbox.fakeapi import FakeBotAPI
from handlers import reports
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import CHIEF, GROUP, OFFICER, RESIDENT


async def report_a_ticket(gridbot: Gridbot, fake_api: FakeBotAPI) -> None:
    sent = await fake_api.user_sends(RESIDENT, GROUP, "/report 楼道灯坏了")
    await said(fake_api, GROUP, "#1", reply_to=sent.message_id)
    await gridbot.idle()


def kinds(fake_api: FakeBotAPI, chat_id: int, since: int = 0) -> list[str]:
    return [m.kind for m in fake_api.messages_in(chat_id)[since:]]


async def test_chief_stats_week_gets_text_chart_and_workbook(
    gridbot: Gridbot, fake_api: FakeBotAPI
) -> None:
    await report_a_ticket(gridbot, fake_api)
    since = len(fake_api.messages_in(CHIEF))
    await fake_api.user_sends(CHIEF, CHIEF, "/stats week")
    text = await said(fake_api, CHIEF, "本周统计", since=since)
    await gridbot.idle()
    assert "新增 1" in text.body
    assert kinds(fake_api, CHIEF, since) == ["text", "photo", "document"]
    photo, document = fake_api.messages_in(CHIEF)[-2:]
    assert photo.file is not None
    assert photo.file.startswith(b"\x89PNG")
    assert document.filename is not None
    assert document.filename.endswith(".xlsx")
    book = load_workbook(io.BytesIO(document.file or b""))
    assert book.sheetnames == ["汇总", "按网格", "按民警", "红黑榜"]


async def test_officer_stats_is_refused(gridbot: Gridbot, fake_api: FakeBotAPI) -> None:
    await fake_api.user_sends(OFFICER, OFFICER, "/stats week")
    await said(fake_api, OFFICER, "只有所长")


async def test_report_job_sends_each_chief_three_messages_once(
    gridbot: Gridbot, fake_api: FakeBotAPI
) -> None:
    assert gridbot.deps is not None
    since = len(fake_api.messages_in(CHIEF))
    now = gridbot.clock.now()
    assert await reports.send_reports(gridbot.deps, "week", now) == 1
    assert await reports.send_reports(gridbot.deps, "week", now) == 0
    await said(fake_api, CHIEF, "周报", since=since)
    await gridbot.idle()
    assert kinds(fake_api, CHIEF, since) == ["text", "photo", "document"]
