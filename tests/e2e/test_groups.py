"""The bot joining groups: it checks whether it can read plain messages and says so."""

from __future__ import annotations

from tests.fakes.harness import Gridbot, said
from tests.fakes.station import CHIEF, GROUP

NEW_GROUP = -1007007


async def test_bot_added_with_privacy_on_warns_the_group(gridbot: Gridbot) -> None:
    gridbot.fake.set_privacy(True)
    await gridbot.restart()  # getMe is read at start
    gridbot.fake.add_group(NEW_GROUP, "新群")
    await gridbot.fake.add_bot_to_group(NEW_GROUP, CHIEF)
    await said(gridbot.fake, NEW_GROUP, "/bind")
    warning = await said(gridbot.fake, NEW_GROUP, "BotFather")
    assert "隐私模式" in warning.body


async def test_bot_added_as_admin_does_not_warn(gridbot: Gridbot) -> None:
    gridbot.fake.set_privacy(True)
    await gridbot.restart()
    gridbot.fake.add_group(NEW_GROUP, "新群")
    await gridbot.fake.add_bot_to_group(NEW_GROUP, CHIEF, as_admin=True)
    await said(gridbot.fake, NEW_GROUP, "/bind")
    await gridbot.idle()
    assert not [m for m in gridbot.fake.messages_in(NEW_GROUP) if "BotFather" in m.body]


async def test_bot_added_with_privacy_off_greets_without_warning(gridbot: Gridbot) -> None:
    gridbot.fake.add_group(NEW_GROUP, "新群")
    await gridbot.fake.add_bot_to_group(NEW_GROUP, CHIEF)
    await said(gridbot.fake, NEW_GROUP, "/bind")
    await gridbot.idle()
    assert not [m for m in gridbot.fake.messages_in(NEW_GROUP) if "BotFather" in m.body]


async def test_bound_group_rejoined_gets_station_greeting(gridbot: Gridbot) -> None:
    await gridbot.fake.remove_bot_from_group(GROUP)
    await said(gridbot.fake, CHIEF, "移出群")
    await gridbot.fake.add_bot_to_group(GROUP, CHIEF)
    await said(gridbot.fake, GROUP, "新城派出所网格工单助手")
    msg = await gridbot.fake.user_sends(3001, GROUP, "#报事 回来了就能报事")
    await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id)
