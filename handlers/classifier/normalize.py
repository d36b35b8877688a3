"""Text normalisation: Traditional -> Simplified, full-width -> ASCII, lowercase."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def _table() -> dict[int, str]:
    """Translation table built once from the shipped char map plus width folding."""
    table: dict[int, str] = {}
    text = resources.files(__package__).joinpath("t2s.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for pair in line.split():
            if len(pair) == 2 and pair[0] != pair[1]:  # noqa: PLR2004 - a pair is two chars
                table[ord(pair[0])] = pair[1]
    # Full-width ASCII (Ａ-Ｚ, ０-９, ！ ...) to half-width so one lexicon covers both.
    for code in range(0xFF01, 0xFF5F):
        table[code] = chr(code - 0xFEE0)
    table[0x3000] = " "
    # Upper-case ASCII folded here so str.translate does everything in one pass.
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code + 32)
    return table


def normalize(text: str) -> str:
    """Return `text` in Simplified Chinese, half-width and lower case."""
    return text.translate(_table()).lower()
