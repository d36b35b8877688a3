"""After /resolve the reporter rates; dissatisfied reopens; a return visit follows."""

from __future__ import annotations

from handlers.escalation import send_follow_ups
from tests.e2e.conversation import report, resolve, take
from tests.fakes.harness import Gridbot, said
from tests.fakes.station import CHIEF, GROUP, OFFICER, RESIDENT, RESIDENT_B


def data_of(prompt_buttons: list[list[tuple[str, str | None]]], label: str) -> str:
    for row in prompt_buttons:
        for text, data in row:
            if text == label and data:
                return data
    raise AssertionError(f"no button {label}")


async def _resolved(gridbot: Gridbot) -> tuple[int, str, list[list[tuple[str, str | None]]]]:
    await report(gridbot)
    await take(gridbot)
    prompt = await resolve(gridbot)
    return prompt.message_id, prompt.chat_id, prompt.buttons  # type: ignore[return-value]


async def test_reporter_rates_satisfied_and_it_is_stored(gridbot: Gridbot) -> None:
    message_id, _, buttons = await _resolved(gridbot)
    press = await gridbot.fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "满意"))
    answer = await gridbot.fake.wait_until(
        lambda: gridbot.fake.callback_answers.get(press.callback_query_id)
    )
    assert "满意" in (answer[0] or "") and not answer[1]
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.rating == 1 and ticket.status == "resolved"


async def test_other_user_cannot_rate_and_nothing_changes(gridbot: Gridbot) -> None:
    message_id, _, buttons = await _resolved(gridbot)
    before = await gridbot.snapshot()
    press = await gridbot.fake.user_presses(
        RESIDENT_B, GROUP, message_id, data_of(buttons, "不满意")
    )
    answer = await gridbot.fake.wait_until(
        lambda: gridbot.fake.callback_answers.get(press.callback_query_id)
    )
    assert answer[1] is True and "只有报告人" in (answer[0] or "")
    await gridbot.idle()
    assert await gridbot.snapshot() == before


async def test_dissatisfied_reopens_and_tells_chief_and_officer(gridbot: Gridbot) -> None:
    message_id, _, buttons = await _resolved(gridbot)
    await gridbot.fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "不满意"))
    await said(gridbot.fake, CHIEF, "不满意")
    await said(gridbot.fake, OFFICER, "二次调解")
    await said(gridbot.fake, GROUP, "已重新打开")
    await gridbot.idle()
    ticket = await gridbot.ticket(1)
    assert ticket.status == "reopened" and ticket.rating == 3 and ticket.reopen_count == 1
    # The old buttons are stale now: pressing again changes nothing.
    before = await gridbot.snapshot()
    press = await gridbot.fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "满意"))
    answer = await gridbot.fake.wait_until(
        lambda: gridbot.fake.callback_answers.get(press.callback_query_id)
    )
    assert answer[1] is True
    assert await gridbot.snapshot() == before


async def test_second_press_changes_rating_within_window_and_is_audited(
    gridbot: Gridbot,
) -> None:
    message_id, _, buttons = await _resolved(gridbot)
    fake = gridbot.fake
    first = await fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "满意"))
    await fake.wait_until(lambda: fake.callback_answers.get(first.callback_query_id))
    second = await fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "基本满意"))
    await fake.wait_until(lambda: fake.callback_answers.get(second.callback_query_id))
    await gridbot.idle()
    assert (await gridbot.ticket(1)).rating == 2
    ratings = [e for e in await gridbot.events(1) if e.action == "rated"]
    assert [e.after["rating"] for e in ratings] == [1, 2]
    # Past the window, the rating is locked.
    gridbot.clock.advance(3600)
    third = await fake.user_presses(RESIDENT, GROUP, message_id, data_of(buttons, "满意"))
    answer = await fake.wait_until(lambda: fake.callback_answers.get(third.callback_query_id))
    assert answer[1] is True
    await gridbot.idle()
    assert (await gridbot.ticket(1)).rating == 2


async def test_tampered_callback_data_is_refused(gridbot: Gridbot) -> None:
    message_id, _, _ = await _resolved(gridbot)
    before = await gridbot.snapshot()
    fake = gridbot.fake
    for data in ("rate1:1:0:9", "rate1:999:0:1", "rate9:1:0:1", "garbage", "rate1:1:5:1"):
        press = await fake.user_presses(RESIDENT, GROUP, message_id, data, check_button=False)
        answer = await fake.wait_until(
            lambda p=press: fake.callback_answers.get(p.callback_query_id)
        )
        assert answer[1] is True, data
    await gridbot.idle()
    assert await gridbot.snapshot() == before


async def test_return_visit_asks_reporter_and_happened_again_reopens(gridbot: Gridbot) -> None:
    await gridbot.fake.user_sends(RESIDENT, RESIDENT, "/start")
    await said(gridbot.fake, RESIDENT, "您好")
    await _resolved(gridbot)
    await gridbot.idle()
    assert await gridbot.run_job(send_follow_ups) == 0  # not due yet
    gridbot.clock.advance(3 * 86400 + 60)
    assert await gridbot.run_job(send_follow_ups) == 1
    assert await gridbot.run_job(send_follow_ups) == 0  # once
    # The resident has a private chat with the bot: asked there.
    visit = await said(gridbot.fake, RESIDENT, "回访")
    again = data_of(visit.buttons, "又出现了")
    await gridbot.fake.user_presses(RESIDENT, RESIDENT, visit.message_id, again)
    await said(gridbot.fake, CHIEF, "回访发现工单 #1")
    await gridbot.idle()
    assert (await gridbot.ticket(1)).status == "reopened"


async def test_return_visit_without_private_chat_asks_in_group_and_closes(
    gridbot: Gridbot,
) -> None:
    report_id = await report(gridbot)
    await take(gridbot)
    await resolve(gridbot)
    gridbot.clock.advance(3 * 86400 + 60)
    await gridbot.run_job(send_follow_ups)
    visit = await said(gridbot.fake, GROUP, "回访")
    assert visit.reply_to_message_id == report_id
    await gridbot.fake.user_presses(
        RESIDENT, GROUP, visit.message_id, data_of(visit.buttons, "已解决")
    )
    await gridbot.fake.wait_until(lambda: gridbot.fake.callback_answers)
    await gridbot.idle()
    assert (await gridbot.ticket(1)).status == "closed"
