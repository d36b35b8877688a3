"""Bad input gets a short, useful answer and never changes state."""

from __future__ import annotations

import pytest

from tests.e2e.conversation import command, report
from tests.fakes.harness import Gridbot
from tests.fakes.station import GROUP, OFFICER, RESIDENT


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("/take 1", "只有民警"),
        ("/resolve 1 好了", "只有民警"),
        ("/note 1 x", "只有民警"),
        ("/transfer 1 2002", "只有民警"),
        ("/assign 1 2001", "只有所长"),
        ("/overdue", "只有所长"),
        ("/broadcast 注意防骗", "只有所长"),
    ],
)
async def test_resident_staff_command_refused_and_nothing_changes(
    gridbot: Gridbot, text: str, expect: str
) -> None:
    await report(gridbot)
    before = await gridbot.snapshot()
    outbox_before = len(await gridbot.outbox())
    answer = await command(gridbot, RESIDENT, GROUP, text, expect)
    assert answer.reply_to_message_id is not None
    await gridbot.idle()
    assert await gridbot.snapshot() == before
    # The refusal is the only new message.
    assert len(await gridbot.outbox()) == outbox_before + 1


async def test_unknown_command_gets_help_pointer(gridbot: Gridbot) -> None:
    await command(gridbot, RESIDENT, GROUP, "/frobnicate 3", "/help")


@pytest.mark.parametrize(
    ("text", "expect"),
    [
        ("/take", "请写上工单编号"),
        ("/take abc", "不是有效的工单编号"),
        ("/take 999", "没有找到工单 #999"),
        ("/reply 1", "用法"),
        ("/resolve 1", "用法"),
    ],
)
async def test_officer_bad_ticket_numbers_get_helpful_reply(
    gridbot: Gridbot, text: str, expect: str
) -> None:
    await report(gridbot)
    before = await gridbot.snapshot()
    await command(gridbot, OFFICER, OFFICER, text, expect)
    assert await gridbot.snapshot() == before


async def test_resolved_ticket_cannot_be_taken_again(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, OFFICER, OFFICER, "/resolve 1 已处理", "已办结")
    await command(gridbot, OFFICER, OFFICER, "/take 1", "已办结，不能再操作")


async def test_private_plain_text_from_resident_points_to_group(gridbot: Gridbot) -> None:
    await command(gridbot, RESIDENT, RESIDENT, "你好，我要报警", "网格群")
    assert await gridbot.ticket_count() == 0


async def test_help_lists_officer_commands_for_officers_only(gridbot: Gridbot) -> None:
    staff = await command(gridbot, OFFICER, OFFICER, "/help", "/take")
    assert "/resolve" in staff.body
    resident = await command(gridbot, RESIDENT, RESIDENT, "/help", "/report")
    assert "/take" not in resident.body
