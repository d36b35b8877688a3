"""The message catalogue: both languages complete, placeholders aligned, every used key present."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from handlers.texts import LANGUAGES, Texts, catalogue, catalogue_keys

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
# Callables whose string arguments are catalogue keys.
KEY_TAKERS = {"t", "texts", "answer", "say", "to_group_of", "to_chiefs", "Reply", "NotAllowed",
              "Alert"}
KEY = re.compile(r"[a-z_][a-z0-9_.]*")


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}


def keys_used_in_handlers() -> set[str]:
    used: set[str] = set()
    for path in HANDLERS.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in KEY_TAKERS:
                continue
            used |= {a.value for a in node.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str) and KEY.fullmatch(a.value)}
    return used


def test_catalogues_have_the_same_keys_in_both_languages() -> None:
    zh, en = catalogue_keys("zh"), catalogue_keys("en")
    assert {s: set(v) for s, v in zh.items()} == {s: set(v) for s, v in en.items()}


@pytest.mark.parametrize("section", sorted(catalogue_keys("zh")))
def test_catalogue_placeholders_agree_between_languages(section: str) -> None:
    zh, en = catalogue_keys("zh")[section], catalogue_keys("en")[section]
    differing = {k: (placeholders(zh[k]), placeholders(en[k]))
                 for k in zh.keys() & en.keys() if placeholders(zh[k]) != placeholders(en[k])}
    assert differing == {}


def test_every_key_the_handlers_use_exists_in_each_language() -> None:
    used = keys_used_in_handlers()
    assert len(used) > 50, "the scan found too few keys; KEY_TAKERS is out of date"
    for lang in LANGUAGES:
        table = catalogue_keys(lang)
        missing = {k for k in used
                   if k.rpartition(".")[2] not in table.get(k.rpartition(".")[0] or "msg", {})}
        assert missing == set(), lang


def test_rating_buttons_are_the_contract_words_in_order() -> None:
    zh = catalogue("zh")
    assert [zh("rating.1"), zh("rating.2"), zh("rating.3")] == ["满意", "基本满意", "不满意"]


def test_texts_render_placeholders_in_the_station_language() -> None:
    assert "#12" in catalogue("zh")("take_done", number=12)
    assert catalogue("en")("take_done", number=12) == "You took ticket #12."


def test_texts_unknown_language_falls_back_to_chinese() -> None:
    assert catalogue("fr").lang == "zh"
    assert Texts("xx")("status.new") == catalogue("zh")("status.new")


def test_texts_unknown_category_or_status_shows_the_code() -> None:
    texts = catalogue("zh")
    assert texts.category("theft") == "盗窃"
    assert texts.category("no_such_code") == "no_such_code"
    assert texts.status("no_such_status") == "no_such_status"


def test_texts_missing_key_raises() -> None:
    with pytest.raises(KeyError):
        catalogue("zh")("no_such_message")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_ticket_message_names_the_ticket(lang: str) -> None:
    """CONTRACT §3: a ticket's number appears as #<number> in every bot message about it."""
    table = catalogue_keys(lang)["msg"]
    about_ticket = {k: v for k, v in table.items() if "number" in placeholders(v)}
    assert about_ticket
    assert {k for k, v in about_ticket.items() if "#{number}" not in v} == set()
