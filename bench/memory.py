"""Issue 4.7d: peak resident memory of the bot process through intake and broadcast.

Runs the intake benchmark's gridbot run (N reports, limits off) and the broadcast scenario
(300 groups, limits on, reports during the broadcast) with `gridbot run` as a subprocess, and
reads the kernel's high-water mark (VmHWM in /proc/<pid>/status, sampled every 0.1 s and once
more before the process is stopped). The bare echo bots are shown for scale.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

from bench import broadcast, intake
from bench._common import (
    TOKEN,
    echo_process,
    gridbot_process,
    mb,
    populate,
    revision,
    scratch_database,
    station_toml,
    table,
)
from bench._common import verdict as pass_fail
from bot.sandbox.fakeapi import FakeBotAPI

GOAL = 200 * 1024 * 1024


async def gridbot_intake(framework: str, url: str, station: Path, n: int) -> intake.Run:
    async with FakeBotAPI([TOKEN], enforce_limits=False) as fake:
        populate(fake, intake.GROUPS)
        bot = gridbot_process(fake, framework, url, station, send_limits="off")
        return await intake.measure(bot, fake, n, gridbot=True)


async def echo_peak(framework: str, n: int) -> int:
    async with FakeBotAPI([TOKEN], enforce_limits=False) as fake:
        populate(fake, intake.GROUPS)
        bot = echo_process(fake, framework)
        await intake.measure(bot, fake, n, gridbot=False)
        return bot.peak_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="N=60, 90 groups, aiogram only")
    parser.add_argument("--framework", default="aiogram,ptb")
    args = parser.parse_args()
    n, groups = (60, 90) if args.quick else (args.n, args.groups)
    frameworks = ["aiogram"] if args.quick else args.framework.split(",")
    rows, ok = [], True
    with tempfile.TemporaryDirectory(prefix="bench-memory-") as tmp:
        small, big = Path(tmp) / "small.toml", Path(tmp) / "big.toml"
        small.write_text(station_toml(intake.GROUPS), encoding="utf-8")
        big.write_text(station_toml(groups), encoding="utf-8")
        for framework in frameworks:
            with scratch_database("sqlite", f"mem_intake_{framework}") as url:
                full = asyncio.run(gridbot_intake(framework, url, small, n))
            with scratch_database("sqlite", f"mem_broadcast_{framework}") as url:
                _, bc_rss = asyncio.run(
                    broadcast.run(framework, url, big, groups, quiet_phase=False)
                )
            bare = asyncio.run(echo_peak(framework, 60))
            peak = max(full.peak_rss, bc_rss)
            ok &= peak < GOAL
            rows.append([framework, mb(full.peak_rss), mb(bc_rss), mb(peak), mb(bare)])
            print(f"  {framework}: done", flush=True)
    print()
    print(f"code: {revision()}")
    print(
        f"peak RSS of `gridbot run` (SQLite): intake of {n} reports; broadcast to {groups} "
        "groups with reports during it"
    )
    print(table(["framework", "intake", "broadcast", "peak", "bare echo bot"], rows))
    print(f"\ngoal: peak RSS < {mb(GOAL)}: {pass_fail(ok)}")


if __name__ == "__main__":
    main()
