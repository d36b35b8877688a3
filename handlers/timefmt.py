"""Times and durations as a station reads them."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo


def local_time(when: datetime, zone: str) -> str:
    return when.astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def age(delta: timedelta, lang: str) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if lang == "en":
        parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m"]
        return " ".join(p for p in parts if p) if minutes else "<1m"
    parts = [f"{days}天" if days else "", f"{hours}小时" if hours else "", f"{mins}分钟"]
    return "".join(p for p in parts if p) if minutes else "不到1分钟"


PREVIEW = 40


def shorten(text: str, size: int = PREVIEW) -> str:
    """A one-line preview of a ticket's text for lists and prompts."""
    return text if len(text) <= size else text[: size - 1] + "…"
