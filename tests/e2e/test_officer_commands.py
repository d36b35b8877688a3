"""Officers work tickets with commands; every step is posted back to the group."""

from __future__ import annotations

from tests.e2e.conversation import command, report, resolve, take
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import (
    CHIEF,
    DEPARTMENT_CHAT,
    GROUP,
    GROUP_UNBOUND,
    OFFICER,
    OFFICER_B,
    RESIDENT,
)


async def test_officer_take_posts_to_group_and_moves_state(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, OFFICER, OFFICER, "/take #1", "你已受理工单 #1")
    post = await said(gridbot.fake, GROUP, "工单 #1 已由 王向阳 受理")
    assert post.reply_to_message_id is None
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.status == "taken" and ticket.taken_at is not None
    assert [e.action for e in await gridbot.events(1)] == ["created", "taken"]


async def test_officer_take_in_group_answers_as_reply(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, OFFICER, GROUP, "/take 1", "你已受理工单 #1")
    await said(gridbot.fake, GROUP, "工单 #1 已由 王向阳 受理")


async def test_officer_reply_is_posted_masked(gridbot: Gridbot) -> None:
    await report(gridbot)
    await take(gridbot)
    await command(gridbot, OFFICER, OFFICER, "/reply 1 物业电话 13912345678，已联系", "#1")
    post = await said(gridbot.fake, GROUP, "王向阳 回复")
    assert "139****5678" in post.body and "13912345678" not in post.body


async def test_officer_note_never_reaches_group(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, OFFICER, OFFICER, "/note 1 报告人情绪激动，注意方式", "内部备注")
    await gridbot.idle()
    assert all("情绪激动" not in m.body for m in gridbot.fake.messages_in(GROUP))
    notes = [e for e in await gridbot.events(1) if e.action == "note"]
    assert notes and notes[0].internal and notes[0].note == "报告人情绪激动，注意方式"


async def test_officer_resolve_posts_result_and_asks_reporter_to_rate(gridbot: Gridbot) -> None:
    report_id = await report(gridbot)
    await take(gridbot)
    prompt = await resolve(gridbot, text="已更换灯泡，身份证110101199003071234已登记")
    result = await said(gridbot.fake, GROUP, "工单 #1 已办结")
    assert "110***********1234" in result.body
    assert prompt.reply_to_message_id == report_id
    assert [text for row in prompt.buttons for text, _ in row] == ["满意", "基本满意", "不满意"]
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.status == "resolved" and ticket.follow_up_at is not None


async def test_officer_transfer_to_other_officer_and_to_department(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, OFFICER, OFFICER, f"/transfer 1 {OFFICER_B}", "已转给 李明")
    await said(gridbot.fake, OFFICER_B, "工单 #1")
    await said(gridbot.fake, GROUP, "已转交 李明")
    assert (await gridbot.ticket(1)).officer_id == OFFICER_B
    await report(gridbot, "#报事 小区门口垃圾三天没人收", number=2)
    await command(gridbot, OFFICER, OFFICER, "/transfer 2 城管", "已转给 城管")
    await said(gridbot.fake, DEPARTMENT_CHAT, "工单 #2")
    assert (await gridbot.ticket(2)).department == "城管"


async def test_officer_transfer_to_unknown_target_lists_departments(gridbot: Gridbot) -> None:
    await report(gridbot)
    before = await gridbot.snapshot()
    await command(gridbot, OFFICER, OFFICER, "/transfer 1 水务局", "城管")
    assert await gridbot.snapshot() == before


async def test_officer_mine_and_ticket_show_details(gridbot: Gridbot) -> None:
    await report(gridbot)
    await report(gridbot, "#报事 有人在楼下烧垃圾", number=2)
    listing = await command(gridbot, OFFICER, OFFICER, "/mine", "#2")
    assert "#1" in listing.body
    await take(gridbot)
    detail = await command(gridbot, OFFICER, OFFICER, "/ticket 1", "张三")
    assert "处理记录" in detail.body and "taken" in detail.body


async def test_resident_status_shows_one_and_own_open_tickets(gridbot: Gridbot) -> None:
    await report(gridbot)
    await report(gridbot, "#报事 有人在楼下烧垃圾", number=2)
    one = await command(gridbot, RESIDENT, GROUP, "/status 1", "工单 #1：待受理")
    assert "王向阳" in one.body
    mine = await command(gridbot, RESIDENT, GROUP, "/status", "#2")
    assert "#1" in mine.body


async def test_chief_assign_tells_both_officers_and_group(gridbot: Gridbot) -> None:
    await report(gridbot)
    await command(gridbot, CHIEF, CHIEF, f"/assign 1 {OFFICER_B}", "已指派给 李明")
    await said(gridbot.fake, OFFICER_B, "所长把工单 #1 指派给你")
    await said(gridbot.fake, OFFICER, "改派给 李明")
    await said(gridbot.fake, GROUP, "指派给 李明")
    assert any(e.action == "assigned" for e in await gridbot.events(1))


async def test_officer_binds_unbound_group_then_residents_can_report(gridbot: Gridbot) -> None:
    await command(gridbot, OFFICER, GROUP_UNBOUND, "/bind NH-02", "南湖社区二网格")
    await report(gridbot, "#报事 二网格的路灯坏了", chat=GROUP_UNBOUND)
    assert (await gridbot.ticket(1)).source_chat_id == GROUP_UNBOUND


async def test_other_grids_officer_cannot_bind(gridbot: Gridbot) -> None:
    await command(gridbot, OFFICER_B, GROUP_UNBOUND, "/bind NH-02", "只有所长或该网格的民警")
    await command(gridbot, RESIDENT, GROUP_UNBOUND, "/report 有人乱停车", "/bind")


async def test_bind_unknown_grid_is_explained(gridbot: Gridbot) -> None:
    await command(gridbot, CHIEF, GROUP_UNBOUND, "/bind XX-99", "没有编号为 XX-99 的网格")
