"""Issues 4.7b+c: a broadcast to 300 groups within Telegram's limits; acks stay fast meanwhile.

The fake Bot API enforces Telegram's limits (429 with retry_after, counted); the bot runs as
`gridbot run` with its default limits (30/s, 20/min per group, 1/s per private chat).
Three phases against one bot process:
  A. 20 residents in 20 groups report, 0.4 s apart, nothing else going on;
  B. the chief's /broadcast and the press on confirm, timed until the 300th group got it;
  C. B again with A's 20 reports sent during it (in 20 other groups).
Floor: 300 groups / 30 messages per second = 10 s.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench._common import (
    CHIEF,
    GRIDS_PER_OFFICER,
    TOKEN,
    BotProcess,
    gridbot_process,
    group_id,
    mb,
    percentile,
    populate,
    resident,
    revision,
    scratch_database,
    station_toml,
    table,
    verdict,
)
from bot.sandbox.fakeapi import FakeBotAPI

REPORTERS = 20
REPORT_GAP = 0.4
GOAL_RATIO = 1.1
MARKER = "冬季防火基准通知"


@dataclass
class Watch:
    """Arrival time of every bot message, taken as the fake server records it."""

    acks: dict[tuple[int, int], float] = field(default_factory=dict)
    broadcast: list[float] = field(default_factory=list)
    round: int = 0

    def __call__(self, event: dict[str, Any]) -> None:
        if event.get("type") != "message" or event.get("origin") != "bot":
            return
        now = time.perf_counter()
        chat, message = event["chat_id"], event["message"]
        reply = message.get("reply_to_message")
        if chat < 0 and reply is not None:
            self.acks.setdefault((chat, reply["message_id"]), now)
        elif chat < 0 and f"{MARKER}{self.round}" in (message.get("text") or ""):
            self.broadcast.append(now)


@dataclass
class Phase:
    name: str
    seconds: float | None = None
    delivered: int = 0
    count_429: int = 0
    latencies: list[float] = field(default_factory=list)


def reporter_groups(groups: int, offset: int) -> list[int]:
    """One group per officer, so officer messages never queue behind each other."""
    officers = groups // GRIDS_PER_OFFICER
    return [
        (k % officers) * GRIDS_PER_OFFICER + (k // officers + offset) % GRIDS_PER_OFFICER
        for k in range(REPORTERS)
    ]


async def reports(fake: FakeBotAPI, watch: Watch, groups: list[int], tag: str) -> list[float]:
    sent: list[tuple[tuple[int, int], float]] = []
    for n, g in enumerate(groups):
        start = time.perf_counter()
        ref = await fake.user_sends(resident(g), group_id(g), f"#报事 {tag}{n}号楼门禁坏了")
        sent.append(((group_id(g), ref.message_id), start))
        await asyncio.sleep(REPORT_GAP)
    await fake.wait_until(lambda: all(k in watch.acks for k, _ in sent) or None, timeout=90)
    return [(watch.acks[k] - t) * 1000 for k, t in sent]


async def broadcast(fake: FakeBotAPI, watch: Watch, groups: int, phase: Phase) -> None:
    watch.round += 1
    watch.broadcast = []
    since = len(fake.bot_messages)
    await fake.user_sends(CHIEF, CHIEF, f"/broadcast {MARKER}{watch.round}:请各户检查电器线路")
    confirm = await fake.wait_for_message(
        lambda m: m.chat_id == CHIEF and any("bc1:" in d for row in m.buttons for _, d in row),
        since=since,
        timeout=30,
    )
    data = next(d for row in confirm.buttons for _, d in row if d.endswith(":y"))
    before_429 = fake.count_429
    pressed = time.perf_counter()
    await fake.user_presses(CHIEF, CHIEF, confirm.message_id, data)
    await fake.wait_until(lambda: len(watch.broadcast) >= groups or None, timeout=120)
    phase.seconds = watch.broadcast[groups - 1] - pressed
    phase.delivered = len(watch.broadcast)
    phase.count_429 = fake.count_429 - before_429


async def scenario(
    fake: FakeBotAPI, bot: BotProcess, groups: int, *, quiet_phase: bool = True
) -> list[Phase]:
    watch = Watch()
    fake.subscribe(watch)
    await bot.start(fake)
    try:
        # The first report pays for loading the classifier's dictionary: not measured.
        await reports(fake, watch, [groups - 1], "W")
        quiet = Phase("A: reports, no broadcast")
        if quiet_phase:
            before = fake.count_429
            quiet.latencies = await reports(fake, watch, reporter_groups(groups, 0), "A")
            quiet.count_429 = fake.count_429 - before
        alone = Phase("B: broadcast alone")
        await broadcast(fake, watch, groups, alone)
        busy = Phase("C: broadcast + reports")
        task = asyncio.create_task(broadcast(fake, watch, groups, busy))
        await asyncio.sleep(0.5)
        busy.latencies = await reports(fake, watch, reporter_groups(groups, 5), "C")
        await task
        return [quiet, alone, busy]
    finally:
        await bot.stop()


async def run(
    framework: str, database_url: str, station: Path, groups: int, *, quiet_phase: bool = True
) -> tuple[list[Phase], int]:
    async with FakeBotAPI([TOKEN], enforce_limits=True) as fake:
        populate(fake, groups, residents_per_group=1)
        bot = gridbot_process(fake, framework, database_url, station, send_limits=None)
        phases = await scenario(fake, bot, groups, quiet_phase=quiet_phase)
        return phases, bot.peak_rss


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--groups", type=int, default=300)
    parser.add_argument("--quick", action="store_true", help="90 groups, aiogram only")
    parser.add_argument("--framework", default="aiogram,ptb")
    parser.add_argument("--db", default="sqlite")
    args = parser.parse_args()
    groups = 90 if args.quick else args.groups
    frameworks = ["aiogram"] if args.quick else args.framework.split(",")
    floor = groups / 30
    rows, lat_rows, rss_rows = [], [], []
    ok = {"B": True, "C": True}
    with tempfile.TemporaryDirectory(prefix="bench-broadcast-") as tmp:
        station = Path(tmp) / "station.toml"
        station.write_text(station_toml(groups), encoding="utf-8")
        for db in args.db.split(","):
            for framework in frameworks:
                with scratch_database(db, f"broadcast_{framework}") as url:
                    phases, rss = asyncio.run(run(framework, url, station, groups))
                print(f"  {framework}/{db}: done", flush=True)
                rss_rows.append([framework, db, mb(rss)])
                for p in phases:
                    if p.seconds is not None:
                        ratio = p.seconds / floor
                        ok[p.name[0]] &= ratio <= GOAL_RATIO and p.count_429 == 0
                        rows.append(
                            [
                                framework,
                                db,
                                p.name,
                                f"{p.delivered}/{groups}",
                                f"{p.seconds:.2f} s",
                                f"{floor:.1f} s",
                                f"{ratio:.2f}",
                                p.count_429,
                            ]
                        )
                    if p.latencies:
                        lat_rows.append(
                            [
                                framework,
                                db,
                                p.name,
                                len(p.latencies),
                                f"{percentile(p.latencies, 50):.0f} ms",
                                f"{percentile(p.latencies, 99):.0f} ms",
                                f"{max(p.latencies):.0f} ms",
                                p.count_429,
                            ]
                        )
    print()
    print(f"code: {revision()}")
    print(
        f"broadcast to {groups} groups, limits enforced by the fake server, default limits "
        "in the bot; time from the confirm press to the last group's message"
    )
    print(table(["framework", "db", "phase", "delivered", "time", "floor", "ratio", "429s"], rows))
    print()
    print(
        f"acknowledgement latency, {REPORTERS} reports {REPORT_GAP} s apart "
        "(report sent -> ack in the group)"
    )
    print(table(["framework", "db", "phase", "reports", "p50", "p99", "max", "429s"], lat_rows))
    print()
    print(table(["framework", "db", "bot peak RSS (VmHWM)"], rss_rows))
    print(f"\ngoal: broadcast alone <= {GOAL_RATIO} x floor and zero 429s: {verdict(ok['B'])}")
    print(f"      (with reports during it, which share the 30/s: {verdict(ok['C'])})")


if __name__ == "__main__":
    main()
