"""Residents report in their grid group; each report becomes exactly one ticket."""

from __future__ import annotations

from tests.fakes.harness import Gridbot, said
from tests.fakes.station import GROUP, GROUP_UNBOUND, OFFICER, RESIDENT


async def test_resident_hashtag_report_acknowledged_in_group_and_officer_told(
    gridbot: Gridbot,
) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, "#报事 5栋车棚的电动车被偷了，电话13812345678")
    ack = await said(fake, GROUP, "#1", reply_to=msg.message_id)
    assert "盗窃" in ack.body and "王向阳" in ack.body
    officer = await said(fake, OFFICER, "#1")
    assert "电动车被偷了" in officer.body and "南湖社区一网格" in officer.body
    # The officer's private copy keeps the original number; groups never see it.
    assert "13812345678" in officer.body
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.status == "new" and ticket.officer_id == OFFICER
    assert ticket.category == "theft"


async def test_resident_report_command_creates_ticket(gridbot: Gridbot) -> None:
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "/report 楼上每天半夜装修电钻声太吵")
    ack = await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id)
    assert "噪音" in ack.body
    assert (await gridbot.ticket(1)).text == "楼上每天半夜装修电钻声太吵"


async def test_resident_mention_and_reply_to_bot_create_tickets(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    first = await fake.user_sends(RESIDENT, GROUP, "@gridbot_test_bot 小区门口有人卖假药")
    ack = await said(fake, GROUP, "#1", reply_to=first.message_id)
    second = await fake.user_sends(
        RESIDENT, GROUP, "还有一个：楼道堆满杂物挡住消防通道", reply_to=ack.message_id
    )
    await said(fake, GROUP, "#2", reply_to=second.message_id)
    assert await gridbot.ticket_count() == 2


async def test_resident_english_tag_report_is_registered(gridbot: Gridbot) -> None:
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "#help my wallet was stolen on the bus")
    await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id)


async def test_redelivered_update_makes_no_second_ticket_or_ack(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, "#报事 路灯不亮了")
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    await gridbot.idle()
    assert msg.update_id is not None
    await fake.redeliver(msg.update_id)
    await fake.redeliver(msg.update_id)
    await gridbot.idle()
    assert await gridbot.ticket_count() == 1
    acks = [m for m in fake.messages_in(GROUP) if m.reply_to_message_id == msg.message_id]
    assert len(acks) == 1
    assert len([m for m in fake.messages_in(OFFICER) if "新工单 #1" in m.body]) == 1


async def test_report_with_empty_text_gets_usage_hint(gridbot: Gridbot) -> None:
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "/report")
    await said(gridbot.fake, GROUP, "/report", reply_to=msg.message_id)
    assert await gridbot.ticket_count() == 0


async def test_report_in_unbound_group_gets_bind_hint(gridbot: Gridbot) -> None:
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP_UNBOUND, "/report 有人乱停车")
    await said(gridbot.fake, GROUP_UNBOUND, "/bind", reply_to=msg.message_id)
    assert await gridbot.ticket_count() == 0


async def test_edited_report_updates_new_ticket_and_is_audited(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, "#报事 3栋电梯坏了")
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    await fake.user_edits(RESIDENT, GROUP, msg.message_id, "#报事 3栋2单元电梯坏了，有人被困")
    await said(fake, OFFICER, "3栋2单元电梯坏了")
    await gridbot.idle()
    assert (await gridbot.ticket(1)).text == "3栋2单元电梯坏了，有人被困"
    edits = [e for e in await gridbot.events(1) if e.action == "edited"]
    assert edits and edits[0].before["text"] == "3栋电梯坏了"


async def test_edit_after_take_does_not_change_ticket(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, "#报事 3栋电梯坏了")
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    await fake.user_sends(OFFICER, OFFICER, "/take 1")
    await said(fake, GROUP, "受理")
    await fake.user_edits(RESIDENT, GROUP, msg.message_id, "#报事 改了内容")
    await gridbot.idle()
    assert (await gridbot.ticket(1)).text == "3栋电梯坏了"


async def test_plain_chatter_creates_nothing(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    await fake.user_sends(RESIDENT, GROUP, "大家早上好，今天天气不错")
    await fake.user_sends(RESIDENT, GROUP, "收到，谢谢警官")
    await gridbot.idle()
    assert await gridbot.ticket_count() == 0
    assert fake.messages_in(GROUP) == []
