"""Issue 4.7a: reports per second through the whole bot, against a bare echo bot.

Both bots run as their own process polling the same kind of fake Bot API server (limits off
on both sides), fed the same N group messages at once, timed until the last reply arrived:
gridbot must have stored the ticket, acknowledged it in the group and told the officer.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench._common import (
    TOKEN,
    BotProcess,
    echo_process,
    gridbot_process,
    group_id,
    mb,
    populate,
    resident,
    revision,
    scratch_database,
    station_toml,
    table,
    verdict,
)
from bot.sandbox.fakeapi import FakeBotAPI

GROUPS = 20
WARMUP = 10
GOAL = 0.5


@dataclass
class Run:
    rate: float
    seconds: float
    peak_rss: int


def report_text(i: int) -> str:
    return f"#报事 {i % 40 + 1}栋{i % 7 + 1}单元楼道灯坏了,晚上很黑"


async def push(fake: FakeBotAPI, first: int, n: int) -> set[tuple[int, int]]:
    """n reports spread over the groups; returns (chat, message id) of each."""
    sent: set[tuple[int, int]] = set()
    for i in range(first, first + n):
        g = i % GROUPS
        ref = await fake.user_sends(resident(g, i % 3), group_id(g), report_text(i))
        sent.add((group_id(g), ref.message_id))
    return sent


async def wait_replies(
    fake: FakeBotAPI, since: int, sent: set[tuple[int, int]], *, private: int, timeout: float
) -> None:
    """Until every sent message has a group reply and `private` private messages arrived."""
    state = {"index": since, "acks": 0, "private": 0}
    pending = set(sent)

    def done() -> bool | None:
        messages = fake.bot_messages
        for msg in messages[state["index"] :]:
            if msg.chat_id > 0:
                state["private"] += 1
            elif (msg.chat_id, msg.reply_to_message_id) in pending:
                pending.discard((msg.chat_id, msg.reply_to_message_id))
        state["index"] = len(messages)
        return (not pending and state["private"] >= private) or None

    await fake.wait_until(done, timeout=timeout)


async def wait_echoes(fake: FakeBotAPI, since: int, n: int, timeout: float) -> None:
    await fake.wait_until(lambda: len(fake.bot_messages) - since >= n or None, timeout=timeout)


async def measure(bot: BotProcess, fake: FakeBotAPI, n: int, *, gridbot: bool) -> Run:
    await bot.start(fake)
    try:

        async def one_round(first: int, count: int) -> float:
            since = len(fake.bot_messages)
            start = time.perf_counter()
            sent = await push(fake, first, count)
            if gridbot:
                await wait_replies(fake, since, sent, private=count, timeout=150)
            else:
                await wait_echoes(fake, since, count, timeout=150)
            return time.perf_counter() - start

        await one_round(0, WARMUP)
        seconds = await one_round(WARMUP, n)
        return Run(n / seconds, seconds, bot.rss())
    finally:
        await bot.stop()


async def bench_framework(
    framework: str, database_url: str, station: Path, n: int
) -> tuple[Run, Run]:
    async with FakeBotAPI([TOKEN], enforce_limits=False) as fake:
        populate(fake, GROUPS)
        bare = await measure(echo_process(fake, framework), fake, n, gridbot=False)
    async with FakeBotAPI([TOKEN], enforce_limits=False) as fake:
        populate(fake, GROUPS)
        bot = gridbot_process(fake, framework, database_url, station, send_limits="off")
        full = await measure(bot, fake, n, gridbot=True)
    return full, bare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300, help="reports per run (default 300)")
    parser.add_argument("--quick", action="store_true", help="N=60, SQLite only")
    parser.add_argument(
        "--db", default="sqlite", help="comma-separated: sqlite, postgresql (default sqlite)"
    )
    parser.add_argument("--framework", default="aiogram,ptb")
    args = parser.parse_args()
    n = 60 if args.quick else args.n
    dbs = ["sqlite"] if args.quick else args.db.split(",")
    rows, goal_ok = [], True
    with tempfile.TemporaryDirectory(prefix="bench-intake-") as tmp:
        station = Path(tmp) / "station.toml"
        station.write_text(station_toml(GROUPS), encoding="utf-8")
        for db in dbs:
            for framework in args.framework.split(","):
                with scratch_database(db, f"intake_{framework}") as url:
                    full, bare = asyncio.run(bench_framework(framework, url, station, n))
                ratio = full.rate / bare.rate
                if db == "sqlite":
                    goal_ok &= ratio >= GOAL
                rows.append(
                    [
                        framework,
                        db,
                        n,
                        f"{full.rate:.1f}/s",
                        f"{bare.rate:.1f}/s",
                        f"{ratio:.2f}",
                        mb(full.peak_rss),
                        mb(bare.peak_rss),
                    ]
                )
                print(
                    f"  {framework}/{db}: gridbot {full.seconds:.2f}s, bare {bare.seconds:.2f}s",
                    flush=True,
                )
    print()
    print(f"code: {revision()}")
    print(f"intake: {n} reports (ticket + group ack + officer DM) vs bare echo, same fake server")
    print(
        table(
            ["framework", "db", "N", "gridbot", "bare echo", "ratio", "gridbot RSS", "echo RSS"],
            rows,
        )
    )
    print(f"goal: gridbot >= {GOAL} x bare echo rate on SQLite: {verdict(goal_ok)}")


if __name__ == "__main__":
    main()
