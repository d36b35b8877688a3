"""Untagged reports, non-police matters and urgency, as the classifier sees them."""

from __future__ import annotations

from tests.e2e.conversation import report
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import DEPARTMENT_CHAT, GROUP, OFFICER, RESIDENT, RESIDENT_B

UNTAGGED = "我停在3栋楼下的电动车昨晚被人偷了，监控能查一下吗"


async def test_untagged_report_gets_register_button_for_sender(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, UNTAGGED)
    offer = await said(fake, GROUP, "要登记为工单吗", reply_to=msg.message_id)
    assert await gridbot.ticket_count() == 0
    stranger = await fake.user_presses(RESIDENT_B, GROUP, offer.message_id, offer.button_data[0])
    answer = await fake.wait_until(lambda: fake.callback_answers.get(stranger.callback_query_id))
    assert answer[1] is True
    await gridbot.idle()
    assert await gridbot.ticket_count() == 0
    await fake.user_presses(RESIDENT, GROUP, offer.message_id, offer.button_data[0])
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.category == "theft" and ticket.reporter_id == RESIDENT


async def test_officer_may_register_a_suggested_report(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    msg = await fake.user_sends(RESIDENT, GROUP, UNTAGGED)
    offer = await said(fake, GROUP, "要登记为工单吗", reply_to=msg.message_id)
    await fake.user_presses(OFFICER, GROUP, offer.message_id, offer.button_data[0])
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    assert (await gridbot.ticket(1)).reporter_id == RESIDENT


async def test_auto_intake_registers_untagged_reports(gridbot: Gridbot) -> None:
    await gridbot.stop()
    await gridbot.start(intake="auto")
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, UNTAGGED)
    await said(gridbot.fake, GROUP, "#1", reply_to=msg.message_id)


async def test_intake_off_ignores_untagged_reports(gridbot: Gridbot) -> None:
    await gridbot.stop()
    await gridbot.start(intake="off")
    await gridbot.fake.user_sends(RESIDENT, GROUP, UNTAGGED)
    await gridbot.idle()
    assert not gridbot.fake.messages_in(GROUP)


async def test_non_police_ticket_offered_to_department_in_one_press(gridbot: Gridbot) -> None:
    fake = gridbot.fake
    await report(gridbot, "#报事 小区门口的垃圾桶三天没人清运了，臭气熏天")
    ticket = await gridbot.ticket(1)
    assert ticket.category == "non_police"
    offer = await said(fake, OFFICER, "转交相关部门")
    await fake.user_presses(OFFICER, OFFICER, offer.message_id, offer.button_data[0])
    await said(fake, DEPARTMENT_CHAT, "工单 #1")
    await said(fake, GROUP, "已转交 城管")
    await gridbot.idle()
    assert (await gridbot.ticket(1)).department == "城管"


async def test_english_station_speaks_english(gridbot: Gridbot) -> None:
    await gridbot.stop()
    await gridbot.start(language="en")
    msg = await gridbot.fake.user_sends(RESIDENT, GROUP, "#report my e-bike battery was stolen")
    ack = await said(gridbot.fake, GROUP, "Ticket #1 registered", reply_to=msg.message_id)
    assert "theft" in ack.body
