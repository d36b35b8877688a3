"""Telegram says 429, 5xx and 403, groups migrate: nothing is lost, nothing doubled."""

from __future__ import annotations

from tests.e2e.conversation import command, report, take
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import CHIEF, GROUP, GROUP_B, GROUP_UNBOUND, OFFICER, RESIDENT, RESIDENT_B


async def test_429_is_honoured_and_the_ack_arrives_once(gridbot: Gridbot) -> None:
    gridbot.fake.fail_next("sendMessage", status=429, retry_after=1, chat_id=GROUP)
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "#报事 楼道灯坏了")
    await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id)
    await gridbot.idle()
    acks = [m for m in gridbot.fake.messages_in(GROUP) if m.reply_to_message_id == msg.message_id]
    assert len(acks) == 1
    refused = [c for c in gridbot.fake.calls_of("sendMessage") if c.status == 429]
    assert len(refused) == 1


async def test_5xx_is_retried_until_delivered(gridbot: Gridbot) -> None:
    gridbot.fake.fail_next("sendMessage", status=502, times=2, chat_id=GROUP)
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "#报事 楼道灯坏了")
    await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id, timeout=15)
    await gridbot.idle()
    rows = await gridbot.outbox()
    assert all(r.status == "sent" for r in rows)
    assert max(r.attempts for r in rows) == 3


async def test_no_officer_rate_limit_breach_in_a_burst(gridbot: Gridbot) -> None:
    """Ten reports in a second: the officer's private chat gets one message a second."""
    for n in range(10):
        await gridbot.fake.user_sends(RESIDENT, GROUP, f"#报事 第{n}件事")
    await gridbot.idle(timeout=30)
    assert gridbot.fake.count_429 == 0
    assert len([m for m in gridbot.fake.messages_in(OFFICER) if "新工单" in m.body]) == 10


async def test_pending_sends_survive_a_restart(gridbot: Gridbot) -> None:
    gridbot.fake.fail_next("sendMessage", status=502, times=1000)
    await gridbot.fake.user_sends(RESIDENT, GROUP, "#报事 楼道灯坏了")
    await gridbot.fake.wait_until(lambda: gridbot.fake.calls_of("sendMessage"))
    await gridbot.stop()
    assert (await gridbot.outbox_counts()).get("pending", 0) >= 1
    gridbot.fake.faults.clear()
    await gridbot.start()
    await said(gridbot.fake, GROUP, "#1", timeout=30)
    await gridbot.idle(timeout=30)
    assert await gridbot.ticket_count() == 1


async def test_bot_removed_from_group_marks_it_and_tells_chief_once(gridbot: Gridbot) -> None:
    await report(gridbot)
    await gridbot.fake.remove_bot_from_group(GROUP)
    await said(gridbot.fake, CHIEF, "移出群")
    await command(gridbot, OFFICER, OFFICER, "/take 1", "你已受理")
    await gridbot.idle()
    assert len([m for m in gridbot.fake.messages_in(CHIEF) if "移出群" in m.body]) == 1
    sends_to_group = [
        c
        for c in gridbot.fake.calls_of("sendMessage")
        if str(c.params.get("chat_id")) == str(GROUP)
    ]
    assert len(sends_to_group) == 1  # only the acknowledgement, sent before removal


async def test_403_on_send_to_blocked_officer_tells_chief_once(gridbot: Gridbot) -> None:
    await gridbot.fake.user_blocks_bot(OFFICER)
    await report(gridbot)
    await report(gridbot, "#报事 第二件事", number=2)
    await said(gridbot.fake, CHIEF, "屏蔽了机器人")
    await gridbot.idle()
    assert len([m for m in gridbot.fake.messages_in(CHIEF) if "屏蔽" in m.body]) == 1
    failed = [r for r in await gridbot.outbox() if r.status == "failed"]
    assert failed and all(r.chat_id == OFFICER for r in failed)


async def test_group_migration_moves_binding_and_pending_sends(gridbot: Gridbot) -> None:
    new_id = -1009999
    await command(gridbot, OFFICER, GROUP_UNBOUND, "/bind NH-02", "南湖社区二网格")
    await report(gridbot, "#报事 二网格路灯坏了", chat=GROUP_UNBOUND)
    await gridbot.fake.migrate_group(GROUP_UNBOUND, new_id)
    await command(gridbot, OFFICER, OFFICER, "/take 1", "你已受理")
    await said(gridbot.fake, new_id, "工单 #1 已由")
    msg = await gridbot.fake.user_sends(RESIDENT, new_id, "#报事 超级群里也能报事")
    await said(gridbot.fake, new_id, "#2", reply_to=msg.message_id)


async def test_send_to_migrated_id_follows_the_new_chat(gridbot: Gridbot) -> None:
    """Telegram answers 400 migrate_to_chat_id before the bot saw the migration message."""
    new_id = -1008888
    await command(gridbot, OFFICER, GROUP_UNBOUND, "/bind NH-02", "南湖社区二网格")
    await report(gridbot, "#报事 二网格路灯坏了", chat=GROUP_UNBOUND)
    await gridbot.idle()
    await gridbot.stop()
    await gridbot.fake.migrate_group(GROUP_UNBOUND, new_id)
    # The bot never sees the migration message: only Telegram's 400 tells it.
    gridbot.fake.bot().queue.entries.clear()
    await gridbot.start()
    await command(gridbot, OFFICER, OFFICER, "/take 1", "你已受理")
    await said(gridbot.fake, new_id, "工单 #1 已由", timeout=15)
    refused = [
        c
        for c in gridbot.fake.calls_of("sendMessage")
        if c.status == 400 and str(c.params.get("chat_id")) == str(GROUP_UNBOUND)
    ]
    assert len(refused) == 1
    msg = await gridbot.fake.user_sends(RESIDENT, new_id, "#报事 超级群里也能报事")
    await said(gridbot.fake, new_id, "#2", reply_to=msg.message_id)


async def test_long_text_is_split_below_4096(gridbot: Gridbot) -> None:
    await report(gridbot)
    await take(gridbot)
    long_reply = "很长的说明。" * 900
    await command(gridbot, OFFICER, OFFICER, f"/reply 1 {long_reply}", "已在群内回复")
    await gridbot.idle(timeout=20)
    parts = [m for m in gridbot.fake.messages_in(GROUP) if "很长的说明" in m.body]
    assert len(parts) >= 2 and all(len(p.body) <= 4096 for p in parts)


async def test_busy_group_does_not_hold_up_another_groups_ack(gridbot: Gridbot) -> None:
    """21+ acks in one group wait for its 20/min limit; another group's ack goes first."""
    fake = gridbot.fake
    for n in range(22):
        await fake.user_sends(RESIDENT, GROUP, f"#报事 第{n}件事")
    await fake.wait_until(lambda: len(fake.messages_in(GROUP)) >= 20, timeout=30)
    msg = await fake.user_sends(RESIDENT_B, GROUP_B, "#报事 北岸路灯坏了")
    other = await said(fake, GROUP_B, "#23", reply_to=msg.message_id, timeout=30)
    # The busy group's last acknowledgements were still waiting for its limit.
    assert len([m for m in fake.messages_in(GROUP) if m.time <= other.time]) == 20
    assert fake.count_429 == 0
