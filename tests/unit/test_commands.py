"""Parsing chat text: commands, ticket numbers and report triggers (CONTRACT §3)."""

from __future__ import annotations

import pytest

from handlers.commands import (
    Command,
    has_report_tag,
    mentions,
    parse_command,
    split_number,
    strip_report_tags,
    ticket_number,
)

BOT = "gridbot_test_bot"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/take 12", Command("take", "12")),
        ("/take #12", Command("take", "#12")),
        ("/TAKE 12", Command("take", "12")),
        (f"/take@{BOT} 12", Command("take", "12")),
        ("/take@GRIDBOT_TEST_BOT 12", Command("take", "12")),
        ("/mine", Command("mine", "")),
        ("  /status   7  ", Command("status", "7")),
        ("/reply 3 第一行\n第二行", Command("reply", "3 第一行\n第二行")),
    ],
)
def test_parse_command_recognises_command_and_arguments(text: str, expected: Command) -> None:
    assert parse_command(text, BOT) == expected


@pytest.mark.parametrize(
    "text",
    ["楼道灯坏了", "take 12", "#报事 /take 12", "/take@other_bot 12", "/", "/报事 x", ""],
)
def test_parse_command_ignores_plain_text_and_other_bots(text: str) -> None:
    assert parse_command(text, BOT) is None


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        ("#12 楼道灯已修好", ("#12", "楼道灯已修好")),
        ("12   多个   空格 ", ("12", "多个   空格")),
        ("12", ("12", "")),
        ("", ("", "")),
        ("   ", ("", "")),
        ("12\n第二行", ("12", "第二行")),
    ],
)
def test_split_number_separates_number_from_text(args: str, expected: tuple[str, str]) -> None:
    assert split_number(args) == expected


@pytest.mark.parametrize(
    ("token", "expected"),
    [("12", 12), ("#12", 12), ("＃12", 12), (" 7 ", 7), ("007", 7), ("123456789", 123456789)],
)
def test_ticket_number_accepts_number_with_or_without_hash(token: str, expected: int) -> None:
    assert ticket_number(token) == expected


@pytest.mark.parametrize("token", ["", "#", "abc", "12a", "#-3", "1.5", "##12", "1234567890"])
def test_ticket_number_rejects_non_numbers(token: str) -> None:
    assert ticket_number(token) is None


@pytest.mark.parametrize(
    "text",
    ["#报事 楼道灯坏了", "楼道灯坏了#求助", "#report broken lamp", "#HELP please", "＃报事 漏水",
     "＃求助 有人晕倒", "#报事楼道灯坏了"],
)
def test_has_report_tag_finds_each_contract_tag(text: str) -> None:
    assert has_report_tag(text)


@pytest.mark.parametrize("text", ["楼道灯坏了", "report this", "help me", "#报 事", "求助"])
def test_has_report_tag_ignores_text_without_tag(text: str) -> None:
    assert not has_report_tag(text)


@pytest.mark.parametrize("text", ["#helpful tips for the garden", "#reporter at the gate"])
def test_has_report_tag_ignores_longer_ascii_hashtags(text: str) -> None:
    assert not has_report_tag(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("#报事 楼道灯坏了", "楼道灯坏了"),
        ("#报事楼道灯坏了", "楼道灯坏了"),
        (f"@{BOT} 3栋 漏水 #求助", "3栋 漏水"),
        (f"@{BOT.upper()} 漏水", "漏水"),
        ("#REPORT lamp broken", "lamp broken"),
    ],
)
def test_strip_report_tags_leaves_only_the_report(text: str, expected: str) -> None:
    assert strip_report_tags(text, BOT) == expected


def test_strip_report_tags_keeps_line_breaks() -> None:
    cleaned = strip_report_tags("第一行 #报事\n第二行", BOT)
    assert "#报事" not in cleaned
    assert cleaned.splitlines()[1] == "第二行"


def test_mentions_is_case_insensitive() -> None:
    assert mentions(f"请 @{BOT.upper()} 处理", BOT)


def test_mentions_ignores_other_bots_and_bare_names() -> None:
    assert not mentions("请 @other_bot 处理", BOT)
    assert not mentions(f"{BOT} 处理", BOT)
