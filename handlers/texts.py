"""The message catalogue: every text the bot sends, in Chinese (default) and English."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")


@cache
def _load(lang: str) -> dict[str, dict[str, str]]:
    """`locales/{lang}.toml` plus every `locales/<part>.{lang}.toml` (one file per feature)."""
    folder = resources.files("handlers").joinpath("locales")
    names = sorted(f.name for f in folder.iterdir() if f.name.endswith(f".{lang}.toml"))
    table: dict[str, dict[str, str]] = {}
    for name in [f"{lang}.toml", *names]:
        data: dict[str, Any] = tomllib.loads(folder.joinpath(name).read_text("utf-8"))
        for section, items in data.items():
            merged = table.setdefault(section, {})
            for key, value in items.items():
                if str(key) in merged:
                    raise ValueError(f"{name}: {section}.{key} is defined twice")
                merged[str(key)] = str(value)
    return table


class Texts:
    """Renders catalogue entries ('msg.report_ack', 'category.theft') in one language."""

    def __init__(self, lang: str = "zh") -> None:
        self.lang = lang if lang in LANGUAGES else "zh"
        self._table = _load(self.lang)

    def __call__(self, key: str, **values: Any) -> str:
        section, _, name = key.rpartition(".")
        template = self._table[section or "msg"][name]
        return template.format(**values) if values else template

    def category(self, code: str) -> str:
        return self._table["category"].get(code, code)

    def status(self, code: str) -> str:
        return self._table["status"].get(code, code)


def catalogue(lang: str) -> Texts:
    return _texts(lang if lang in LANGUAGES else "zh")


@cache
def _texts(lang: str) -> Texts:
    return Texts(lang)


def catalogue_keys(lang: str) -> dict[str, dict[str, str]]:
    return _load(lang)
