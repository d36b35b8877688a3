"""Issue 9: 1, 2 and 4 webhook workers behind nginx on one PostgreSQL.

The fake Bot API pushes every update through nginx (as Telegram would). Two phases per
worker count, after a warm-up message in every group:
- burst: BURST reports enqueued at once; updates/s = BURST / (last handled - first pushed),
  then the time until every message they caused (ack, officer notice, ...) was sent;
- paced: PACED_RATE reports/s for PACED_SECONDS; p50/p95 of push -> acknowledgement sent,
  which is what a resident waits (handling + outbox + the leader's sender).

Run from the repo root: ``python -m bench.workers [--workers 1 2 4] [--burst 600]``.
Needs nginx and PostgreSQL; the figures depend on the host's cores (see the header line).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
from pathlib import Path

import asyncpg

from bench._common import group_id, percentile, populate, resident, station_toml, table
from bot.sandbox.fakeapi import FakeBotAPI
from storage.locks import asyncpg_dsn
from tests.fakes.cluster import Cluster, nginx_missing
from tests.fakes.databases import database, postgres_available
from tests.fakes.harness import TOKEN

GROUPS = 40
PACED_RATE = 20.0
PACED_SECONDS = 10.0
TEXT = "#报事 {i}号楼下有人乱停车，堵住了消防通道"


async def processed(conn: asyncpg.Connection) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM processed_update"))


async def until_processed(conn: asyncpg.Connection, target: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while (await processed(conn)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await processed(conn)} of {target} handled")
        await asyncio.sleep(0.01)
    return time.time()


async def until_outbox_empty(conn: asyncpg.Connection, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    sql = "SELECT count(*) FROM outbox_message WHERE status IN ('pending', 'sending')"
    while int(await conn.fetchval(sql)):
        if time.monotonic() > deadline:
            raise TimeoutError("outbox not drained")
        await asyncio.sleep(0.02)
    return time.time()


Sent = tuple[int, int, float, int]  # chat, message id, pushed at, update id


async def send(fake: FakeBotAPI, i: int) -> Sent:
    g = i % GROUPS
    at = time.time()
    msg = await fake.user_sends(resident(g), group_id(g), TEXT.format(i=i))
    return group_id(g), msg.message_id, at, int(msg.update_id or 0)


async def start_latencies(conn: asyncpg.Connection, sent: list[Sent]) -> list[float]:
    """Pushed -> handling started (the processed-update mark, written as handling begins)."""
    rows = await conn.fetch("SELECT update_id, at FROM processed_update")
    started = {int(r["update_id"]): r["at"].timestamp() for r in rows}
    return [started[u] - at for _, _, at, u in sent if u in started]


async def ack_latencies(fake: FakeBotAPI, sent: list[Sent], timeout: float) -> list[float]:
    deadline = time.monotonic() + timeout
    while True:
        acks = {
            (m.chat_id, m.reply_to_message_id): m.time
            for m in fake.bot_messages
            if m.reply_to_message_id is not None
        }
        got = [acks.get((chat, mid)) for chat, mid, _, _ in sent]
        if all(t is not None for t in got) or time.monotonic() > deadline:
            return [t - s[2] for t, s in zip(got, sent, strict=True) if t is not None]
        await asyncio.sleep(0.05)


async def measure(workers: int, burst: int, tmp: Path) -> dict[str, float]:
    fake = FakeBotAPI([TOKEN], enforce_limits=False)
    await fake.start()
    populate(fake, GROUPS)
    async with database("postgresql", tmp) as url:
        cluster = Cluster(
            tmp, fake, url, station_toml(GROUPS), workers=workers, frameworks=("aiogram",)
        )
        conn = await asyncpg.connect(asyncpg_dsn(url))
        try:
            await cluster.start()
            warm = [await send(fake, i) for i in range(GROUPS)]
            await until_processed(conn, GROUPS, 60)
            await ack_latencies(fake, warm, 60)
            t0 = time.time()
            for i in range(burst):
                await send(fake, GROUPS + i)
            done = await until_processed(conn, GROUPS + burst, 300)
            rate = burst / (done - t0)
            drained = await until_outbox_empty(conn, 600)
            paced: list[Sent] = []
            start = time.monotonic()
            for k in range(int(PACED_RATE * PACED_SECONDS)):
                await asyncio.sleep(max(0.0, start + k / PACED_RATE - time.monotonic()))
                paced.append(await send(fake, GROUPS + burst + k))
            lat = await ack_latencies(fake, paced, 120)
            begun = await start_latencies(conn, paced)
        finally:
            await conn.close()
            await cluster.stop()
            await fake.stop()
    return {
        "rate": rate,
        "drain": drained - t0,
        "p50": percentile(lat, 50) * 1000,
        "p95": percentile(lat, 95) * 1000,
        "start95": percentile(begun, 95) * 1000,
        "lost": len(paced) - len(lat),
    }


async def main_async(counts: list[int], burst: int) -> None:
    reason = nginx_missing() or await postgres_available()
    if reason:
        print(f"SKIP: {reason}")
        return
    rows = []
    base = 0.0
    for n in counts:
        with tempfile.TemporaryDirectory(prefix=f"bench-workers-{n}-") as tmp:
            figures = await measure(n, burst, Path(tmp))
        base = base or figures["rate"]
        rows.append(
            [
                n,
                f"{figures['rate']:.0f}",
                f"{figures['rate'] / base:.2f}x",
                f"{figures['drain']:.1f} s",
                f"{figures['start95']:.0f} ms",
                f"{figures['p50']:.0f} ms",
                f"{figures['p95']:.0f} ms",
                int(figures["lost"]),
            ]
        )
        print(f"workers={n} done", flush=True)
    print(
        f"host: {os.cpu_count()} CPUs; burst {burst} reports over {GROUPS} groups; paced "
        f"{PACED_RATE:.0f}/s for {PACED_SECONDS:.0f} s; aiogram workers behind nginx"
    )
    print(
        table(
            [
                "workers",
                "updates/s (burst)",
                "vs 1",
                "burst all sent",
                "handling start p95",
                "ack p50 (paced)",
                "ack p95 (paced)",
                "missing acks",
            ],
            rows,
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.workers")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--burst", type=int, default=600)
    args = parser.parse_args()
    asyncio.run(main_async(args.workers, args.burst))


if __name__ == "__main__":
    main()
