"""Bursts of reports into many groups, against real `gridbot run` processes: kill -9 tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.sandbox.fakeapi import FakeBotAPI
from storage.db import create_engine
from storage.models import ProcessedUpdate, Ticket
from tests.fakes.harness import TOKEN

GROUPS = [-1002000 - i for i in range(10)]
OFFICER = 2001
RESIDENTS = [3001 + i for i in range(10)]
ROOT = Path(__file__).resolve().parents[2]
Sent = list[tuple[int, int]]  # (group, message id) of each report


def burst_station(path: Path) -> Path:
    grids = "\n".join(
        f'[[grids]]\ncode = "G{i}"\nname = "网格{i}"\nchat_id = {chat}\n'
        for i, chat in enumerate(GROUPS)
    )
    codes = ", ".join(f'"G{i}"' for i in range(len(GROUPS)))
    path.write_text(
        f'[station]\nname = "压测派出所"\nchiefs = [1001]\n\n'
        f'[[officers]]\nid = {OFFICER}\nname = "王"\ngrids = [{codes}]\n\n{grids}',
        encoding="utf-8",
    )
    return path


async def burst_fake(**options: Any) -> FakeBotAPI:
    """A started fake Bot API with the burst station's people and groups."""
    fake = FakeBotAPI([TOKEN], enforce_limits=False, **options)
    await fake.start()
    fake.set_privacy(False)
    fake.add_user(OFFICER, "王")
    for uid in RESIDENTS:
        fake.add_user(uid, f"居民{uid}")
    for chat in GROUPS:
        fake.add_group(chat, f"群{chat}", supergroup=True, bot_status="member")
    return fake


def start_gridbot(
    fake: FakeBotAPI,
    framework: str,
    database_url: str,
    station: Path,
    log: Path,
    *args: str,
    module: str = "bot",
    env: dict[str, str] | None = None,
) -> subprocess.Popen[bytes]:
    """`python -m {module} run …` with the test server's settings plus `args`."""
    with log.open("ab") as err:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "run",
                "--token",
                TOKEN,
                "--api-url",
                fake.url,
                "--database-url",
                database_url,
                "--station",
                str(station),
                "--framework",
                framework,
                "--send-limits",
                "off",
                *args,
            ],
            cwd=log.parent,
            stdout=subprocess.DEVNULL,
            stderr=err,
            env={**clean_env(), "PYTHONUNBUFFERED": "1", **(env or {})},
        )


def clean_env() -> dict[str, str]:
    """This environment without GRIDBOT_* settings, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    return {**env, "PYTHONPATH": str(ROOT)}


async def stop_gridbot(proc: subprocess.Popen[bytes]) -> int:
    """SIGTERM, waited for off the event loop: the bot's last calls go to the fake in it."""
    proc.terminate()
    try:
        await asyncio.to_thread(proc.wait, 60)
    finally:
        if proc.poll() is None:
            proc.kill()
            await asyncio.to_thread(proc.wait, 10)
    return int(proc.returncode)


async def send_burst(fake: FakeBotAPI, count: int, groups: int = len(GROUPS)) -> Sent:
    sent = []
    for n in range(count):
        chat, user = GROUPS[n % groups], RESIDENTS[n % len(RESIDENTS)]
        sent.append((chat, (await fake.user_sends(user, chat, f"#报事 第{n}号问题")).message_id))
    return sent


def group_acks(fake: FakeBotAPI) -> Counter[tuple[int, int | None]]:
    return Counter(
        (m.chat_id, m.reply_to_message_id)
        for m in fake.bot_messages
        if m.chat_id < 0 and m.reply_to_message_id
    )


def every_report_acked(fake: FakeBotAPI, sent: Sent) -> bool:
    got = group_acks(fake)
    return all(s in got for s in sent)


async def until_all_delivered(fake: FakeBotAPI, sent: Sent) -> None:
    """Every report acknowledged in its group and announced to the officer."""
    await fake.wait_until(lambda: every_report_acked(fake, sent), timeout=120)
    await fake.wait_until(
        lambda: len([m for m in fake.messages_in(OFFICER) if "新工单" in m.body]) >= len(sent),
        timeout=60,
    )


def new_ticket_numbers(fake: FakeBotAPI) -> Counter[int]:
    """Ticket numbers in the officer's 新工单 messages."""
    return Counter(
        int(m.body.split("#")[1].split()[0])
        for m in fake.messages_in(OFFICER)
        if "新工单" in m.body
    )


def assert_each_report_one_ticket(fake: FakeBotAPI, sent: Sent) -> None:
    """Numbers 1..N, each acknowledged; a send in flight at a kill may repeat at most once."""
    acks = group_acks(fake)
    assert set(acks) == set(sent)
    assert max(acks.values()) <= 2
    numbers = new_ticket_numbers(fake)
    assert sorted(numbers) == list(range(1, len(sent) + 1))
    assert max(numbers.values()) <= 2


async def processed_count(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(await conn.scalar(select(func.count()).select_from(ProcessedUpdate)) or 0)
    finally:
        await engine.dispose()


async def tickets_by_group(url: str) -> dict[int, list[tuple[int, int]]]:
    """Per group: (message id, ticket number) in message order."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            stmt = select(Ticket.source_chat_id, Ticket.source_message_id, Ticket.number)
            rows = (await conn.execute(stmt)).all()
    finally:
        await engine.dispose()
    groups: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for chat, message, number in sorted(rows):
        groups[int(chat)].append((int(message), int(number)))
    return groups


def assert_in_order(tickets: dict[int, list[tuple[int, int]]]) -> None:
    """Within each group, a later message got a later ticket number."""
    for group, pairs in tickets.items():
        numbers = [number for _, number in pairs]
        assert numbers == sorted(numbers), f"group {group} handled out of order: {pairs}"
