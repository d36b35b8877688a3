"""Parsing chat text: commands, ticket numbers and intake triggers (CONTRACT §3)."""

from __future__ import annotations

import re
from dataclasses import dataclass

COMMAND = re.compile(r"^/([A-Za-z0-9_]+)(?:@([A-Za-z0-9_]+))?(?:\s+(.*))?$", re.DOTALL)
TICKET_NUMBER = re.compile(r"^[#＃]?(\d{1,9})$")
# Chinese tags may run straight into the text; #report and #help must not be part of a longer
# hashtag such as #helpful.
REPORT_TAG = re.compile(r"[#＃](?:报事|求助)|[#＃](?:report|help)(?![A-Za-z0-9_])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    args: str


def parse_command(text: str, bot_username: str) -> Command | None:
    """'/take@bot 12' -> Command('take', '12'); None for plain text or another bot's command."""
    match = COMMAND.match(text.strip())
    if not match:
        return None
    target = match.group(2)
    if target and target.lower() != bot_username.lower():
        return None
    return Command(match.group(1).lower(), (match.group(3) or "").strip())


def split_number(args: str) -> tuple[str, str]:
    """'#12 some text' -> ('#12', 'some text')."""
    parts = args.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def ticket_number(token: str) -> int | None:
    match = TICKET_NUMBER.match(token.strip())
    return int(match.group(1)) if match else None


def has_report_tag(text: str) -> bool:
    return REPORT_TAG.search(text) is not None


def strip_report_tags(text: str, bot_username: str) -> str:
    cleaned = REPORT_TAG.sub(" ", text)
    cleaned = re.sub(re.escape(f"@{bot_username}"), " ", cleaned, flags=re.IGNORECASE)
    return re.sub(r"[ \t]+", " ", cleaned).strip()


def mentions(text: str, bot_username: str) -> bool:
    return f"@{bot_username.lower()}" in text.lower()
