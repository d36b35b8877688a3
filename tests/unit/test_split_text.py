"""Texts over Telegram's 4096-character limit are sent in parts, cut at line breaks."""

from __future__ import annotations

from bot.outbox_sender import MAX_TEXT, split_text


def test_short_text_is_one_part() -> None:
    assert split_text("工单 #1 已办结") == ["工单 #1 已办结"]


def test_text_of_exactly_the_limit_is_one_part() -> None:
    text = "字" * MAX_TEXT
    assert split_text(text) == [text]


def test_long_text_is_cut_at_the_last_line_break_before_the_limit() -> None:
    lines = [f"#{i} 楼道灯坏了" + "。" * 40 for i in range(200)]
    text = "\n".join(lines)
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(p) <= MAX_TEXT for p in parts)
    # No line is broken across two parts, and nothing is lost or reordered.
    assert [line for p in parts for line in p.split("\n")] == lines


def test_text_without_line_breaks_is_cut_at_the_limit() -> None:
    text = "".join(str(i % 10) for i in range(MAX_TEXT * 2 + 5))
    parts = split_text(text)
    assert [len(p) for p in parts] == [MAX_TEXT, MAX_TEXT, 5]
    assert "".join(parts) == text


def test_small_size_splits_each_line() -> None:
    assert split_text("aaa\nbbb\nccc", size=5) == ["aaa", "bbb", "ccc"]


def test_parts_never_start_with_a_line_break() -> None:
    parts = split_text("a" * 8 + "\n\n\n" + "b" * 8, size=10)
    assert not any(p.startswith("\n") for p in parts)
    assert [p.strip("\n") for p in parts] == ["a" * 8, "b" * 8]
