"""Phone and ID-card numbers are masked in everything the bot posts to a group (CONTRACT §3)."""

from __future__ import annotations

import pytest

from handlers.masking import mask


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("13812345678", "138****5678"),
        ("电话13812345678。", "电话138****5678。"),
        ("138 1234 5678", "138****5678"),
        ("138-1234-5678", "138****5678"),
        ("+8613812345678", "+86138****5678"),
        ("手机:+86 13812345678!", "手机:+86 138****5678!"),
        ("13812345678和13987654321", "138****5678和139****4321"),
        ("wx13812345678", "wx138****5678"),
    ],
)
def test_mask_mobile_keeps_first_three_and_last_four(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("110101199003074518", "110***********4518"),
        ("11010119900307451X", "110***********451X"),
        ("11010119900307451x", "110***********451x"),
        ("身份证110101199003074518，电话13812345678",
         "身份证110***********4518，电话138****5678"),
        ("110101900307451", "110*********451"),
    ],
)
def test_mask_id_card_keeps_only_the_ends(text: str, expected: str) -> None:
    assert mask(text) == expected


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("010-62345678", "6234"),
        ("0755 12345678", "1234"),
        ("021-1234567", "123"),
        ("座机 010-6234-5678", "6234"),
        ("座机（010）62345678", "6234"),
        ("座机(010)62345678", "6234"),
    ],
)
def test_mask_landline_hides_the_middle_digits(text: str, hidden: str) -> None:
    masked = mask(text)
    assert hidden not in masked
    assert masked.endswith("5678") or masked.endswith("4567")


@pytest.mark.parametrize(
    "text",
    [
        "3栋楼道灯坏了",
        "ticket #12 at 12:30",
        "1381234567",  # ten digits: not a mobile number
        "138123456789",  # twelve digits
        "订单号 2023123456789012345",
        "2026-11-26 02:30",
        "",
    ],
)
def test_mask_leaves_other_text_alone(text: str) -> None:
    assert mask(text) == text


def test_mask_is_idempotent() -> None:
    once = mask("身份证110101199003074518 电话13812345678 座机010-62345678")
    assert mask(once) == once
