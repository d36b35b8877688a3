"""Mask phone and ID-card numbers in anything posted to a group."""

from __future__ import annotations

import re

_SEP = r"[-\s]?"
ID_18 = re.compile(r"(?<![\dA-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![\dA-Za-z])")
ID_15 = re.compile(r"(?<!\d)(\d{6})(\d{6})(\d{3})(?!\d)")
MOBILE = re.compile(rf"(?<![\d+])((?:\+?86{_SEP})?1[3-9]\d){_SEP}(\d{{4}}){_SEP}(\d{{4}})(?!\d)")
LANDLINE = re.compile(r"(?<!\d)([(（]?0\d{2,3}[)）]?)([-\s]?)(\d{3,4})([-\s]?\d{4})(?!\d)")


def mask(text: str) -> str:
    """Phone numbers keep their first three and last four digits; ID numbers their ends."""
    text = ID_18.sub(lambda m: m.group(1)[:3] + "*" * 11 + m.group(3)[-4:], text)
    text = ID_15.sub(lambda m: m.group(1)[:3] + "*" * 9 + m.group(3), text)
    text = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    return LANDLINE.sub(
        lambda m: f"{m.group(1)}{m.group(2)}{'*' * len(m.group(3))}{m.group(4)}", text
    )
