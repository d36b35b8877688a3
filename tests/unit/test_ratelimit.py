"""Our side of Telegram's limits: 30/s overall, 20/min per group, 1/s per private chat."""

from __future__ import annotations

import pytest

from bot.ratelimit import Limits, RateLimiter, Window

GROUP, OTHER_GROUP, PERSON = -1001, -1002, 2001


def test_window_allows_up_to_limit_then_waits_for_oldest_to_expire() -> None:
    window = Window(limit=3, period=10.0)
    for t in (0.0, 1.0, 2.0):
        assert window.wait(t) == 0.0
        window.record(t)
    assert window.wait(5.0) == pytest.approx(5.0)
    assert window.wait(10.0) == 0.0


def test_limiter_group_gets_twenty_per_minute() -> None:
    limiter = RateLimiter(Limits(margin=0.0, second_margin=0.0))
    for i in range(20):
        assert limiter.chat_wait(GROUP, i * 0.5) == 0.0
        limiter.record(GROUP, i * 0.5)
    assert limiter.chat_wait(GROUP, 10.0) == pytest.approx(50.0)
    assert limiter.chat_wait(GROUP, 60.0) == 0.0


def test_limiter_private_chat_gets_one_per_second() -> None:
    limiter = RateLimiter(Limits(margin=0.0, second_margin=0.0))
    limiter.record(PERSON, 0.0)
    assert limiter.chat_wait(PERSON, 0.25) == pytest.approx(0.75)
    assert limiter.chat_wait(PERSON, 1.0) == 0.0


def test_limiter_busy_group_does_not_hold_up_another_chat() -> None:
    limiter = RateLimiter(Limits(margin=0.0, second_margin=0.0))
    for i in range(20):
        limiter.record(GROUP, i * 0.01)
    assert limiter.chat_wait(GROUP, 1.0) > 0
    assert limiter.chat_wait(OTHER_GROUP, 1.0) == 0.0
    assert limiter.chat_wait(PERSON, 1.0) == 0.0


def test_limiter_overall_thirty_per_second() -> None:
    limiter = RateLimiter(Limits(margin=0.0, second_margin=0.0))
    for i in range(30):
        limiter.record(-5000 - i, 0.0)
    assert limiter.overall_wait(0.5) == pytest.approx(0.5)
    assert limiter.overall_wait(1.0) == 0.0


def test_limiter_margins_widen_the_windows() -> None:
    limiter = RateLimiter(Limits(margin=0.1, second_margin=0.02))
    limiter.record(PERSON, 0.0)
    limiter.record(GROUP, 0.0)
    assert limiter.chat_wait(PERSON, 1.0) == pytest.approx(0.02)
    assert limiter.overall_wait(1.0) == 0.0
    for _ in range(19):
        limiter.record(GROUP, 0.0)
    assert limiter.chat_wait(GROUP, 60.0) == pytest.approx(0.1)


def test_limiter_block_after_retry_after_holds_the_chat() -> None:
    limiter = RateLimiter(Limits())
    limiter.block(GROUP, 30.0)
    limiter.block(GROUP, 10.0)  # a shorter block never shortens a longer one
    assert limiter.chat_wait(GROUP, 5.0) == pytest.approx(25.0)
    assert limiter.chat_wait(OTHER_GROUP, 5.0) == 0.0
    assert limiter.chat_wait(GROUP, 30.0) == 0.0


def test_limiter_forget_idle_drops_quiet_chats() -> None:
    limiter = RateLimiter(Limits())
    limiter.record(GROUP, 0.0)
    limiter.record(PERSON, 100.0)
    limiter.forget_idle(100.5)
    assert set(limiter.chats) == {PERSON}


def test_limiter_forget_idle_keeps_a_group_that_is_still_limited() -> None:
    limiter = RateLimiter(Limits(margin=0.0, second_margin=0.0))
    for i in range(20):
        limiter.record(GROUP, float(i))
    limiter.forget_idle(30.0)
    assert limiter.chat_wait(GROUP, 30.0) == pytest.approx(30.0)


def test_limiter_forget_idle_keeps_an_active_retry_after_block() -> None:
    limiter = RateLimiter(Limits())
    limiter.record(GROUP, 0.0)
    limiter.block(GROUP, 100.0)  # Telegram said retry_after=100
    limiter.forget_idle(70.0)
    assert limiter.chat_wait(GROUP, 70.0) == pytest.approx(30.0)
