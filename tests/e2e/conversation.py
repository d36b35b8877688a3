"""Short conversation steps shared by the end-to-end tests."""

from __future__ import annotations

from bot.sandbox.fakeapi.records import BotMessage
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import GROUP, OFFICER, RESIDENT


async def report(
    gridbot: Gridbot,
    text: str = "#报事 楼道灯坏了",
    *,
    number: int = 1,
    chat: int = GROUP,
    user: int = RESIDENT,
) -> int:
    """A resident reports; returns the message id of the report."""
    msg = await gridbot.fake.user_sends(user, chat, text)
    await said(gridbot.fake, chat, f"#{number}", reply_to=msg.message_id)
    return msg.message_id


async def command(gridbot: Gridbot, user: int, chat: int, text: str, expect: str) -> BotMessage:
    """Send a command and wait for the bot's answer containing `expect` in that chat."""
    await gridbot.idle()
    since = len(gridbot.fake.bot_messages)
    msg = await gridbot.fake.user_sends(user, chat, text)
    reply_to = msg.message_id if chat < 0 else None
    return await said(gridbot.fake, chat, expect, since=since, reply_to=reply_to)


async def take(gridbot: Gridbot, number: int = 1, officer: int = OFFICER) -> None:
    await command(gridbot, officer, officer, f"/take {number}", f"#{number}")
    await said(gridbot.fake, GROUP, f"工单 #{number} 已由")


async def resolve(gridbot: Gridbot, number: int = 1, text: str = "已更换灯泡") -> BotMessage:
    """Resolve; returns the rating prompt posted to the group."""
    await command(gridbot, OFFICER, OFFICER, f"/resolve {number} {text}", f"#{number}")
    return await said(gridbot.fake, GROUP, "请")
