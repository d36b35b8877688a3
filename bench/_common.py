"""Shared pieces of the benchmarks: a big station, the fake server, the bot as a subprocess."""

from __future__ import annotations

import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from bot.sandbox.fakeapi import FakeBotAPI

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(__file__).resolve().parent / ".cache"
TOKEN = "123456:BENCH-token"
PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/test"

CHIEF = 1001
SUPERIOR = 1002
OFFICER_BASE = 2000  # officer k: 2000 + k, one per GRIDS_PER_OFFICER grids
RESIDENT_BASE = 10_000
GRIDS_PER_OFFICER = 10


def group_id(i: int) -> int:
    return -1_000_100_000 - i


def officer_of(i: int) -> int:
    return OFFICER_BASE + i // GRIDS_PER_OFFICER


def station_toml(groups: int) -> str:
    """A station with `groups` grids, each bound to its own group, ten grids per officer."""
    officers = (groups + GRIDS_PER_OFFICER - 1) // GRIDS_PER_OFFICER
    parts = [
        "[station]",
        'name = "基准派出所"',
        'timezone = "Asia/Shanghai"',
        'language = "zh"',
        'intake = "suggest"',
        f"chiefs = [{CHIEF}]",
        f"superiors = [{SUPERIOR}]",
        "",
        "[sla]",
        'accept = "30m"',
        'resolve = "24h"',
        'urgent_accept = "5m"',
        'follow_up = "3d"',
        'sweep = "1m"',
        "",
    ]
    for k in range(officers):
        grids = ", ".join(
            f'"G-{i:03d}"'
            for i in range(k * GRIDS_PER_OFFICER, min(groups, (k + 1) * GRIDS_PER_OFFICER))
        )
        parts += [
            "[[officers]]",
            f"id = {OFFICER_BASE + k}",
            f'name = "民警{k:02d}"',
            f"grids = [{grids}]",
            "",
        ]
    for i in range(groups):
        parts += [
            "[[grids]]",
            f'code = "G-{i:03d}"',
            f'name = "第{i:03d}网格"',
            f"chat_id = {group_id(i)}",
            "",
        ]
    return "\n".join(parts)


def populate(fake: FakeBotAPI, groups: int, residents_per_group: int = 3) -> None:
    """The fake world matching station_toml(groups); privacy off as the README advises."""
    fake.set_privacy(False)
    fake.add_user(CHIEF, "周", last_name="所长", username="chief_zhou")
    fake.add_user(SUPERIOR, "分局", last_name="指挥中心")
    for k in range((groups + GRIDS_PER_OFFICER - 1) // GRIDS_PER_OFFICER):
        fake.add_user(OFFICER_BASE + k, f"民警{k:02d}")
    for i in range(groups):
        members = {resident(i, r): "member" for r in range(residents_per_group)}
        for r in range(residents_per_group):
            fake.add_user(resident(i, r), f"居民{i}-{r}")
        members[officer_of(i)] = "member"
        fake.add_group(
            group_id(i), f"第{i:03d}网格群", supergroup=True, members=members, bot_status="member"
        )


def resident(group: int, r: int = 0) -> int:
    return RESIDENT_BASE + group * 10 + r


# -- the bot under test as a subprocess ----------------------------------------------------------
@dataclass
class BotProcess:
    """`gridbot run` (or the bare echo bot) in its own process, its RSS sampled."""

    args: list[str]
    env: dict[str, str] = field(default_factory=dict)
    proc: subprocess.Popen[bytes] | None = None
    peak_rss: int = 0
    samples: list[int] = field(default_factory=list)
    _sampler: asyncio.Task[None] | None = None
    log_path: Path | None = None

    async def start(self, fake: FakeBotAPI, timeout: float = 60) -> None:
        since = len(fake.calls_of("getUpdates"))
        fd, name = tempfile.mkstemp(prefix="bench-bot-", suffix=".log")
        self.log_path = Path(name)
        self.proc = subprocess.Popen(  # noqa: ASYNC220 -- started once, then only polled
            [sys.executable, *self.args],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=fd,
            stderr=fd,
        )
        os.close(fd)
        self._sampler = asyncio.create_task(self._sample())
        deadline = time.monotonic() + timeout
        while len(fake.calls_of("getUpdates")) <= since:
            if self.proc.poll() is not None:
                raise RuntimeError(f"bot exited {self.proc.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"bot not polling after {timeout}s:\n{self.log_tail()}")
            await asyncio.sleep(0.05)

    def log_tail(self, n: int = 30) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])

    def rss(self) -> int:
        """Peak resident set (VmHWM) of the process so far, in bytes."""
        assert self.proc is not None
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
        with contextlib.suppress(psutil.Error):
            return int(psutil.Process(self.proc.pid).memory_info().rss)
        return 0

    async def _sample(self) -> None:
        while self.proc is not None and self.proc.poll() is None:
            value = self.rss()
            self.samples.append(value)
            self.peak_rss = max(self.peak_rss, value)
            await asyncio.sleep(0.1)

    async def stop(self, timeout: float = 30) -> None:
        if self.proc is None:
            return
        self.peak_rss = max(self.peak_rss, self.rss())
        if self.proc.poll() is None:
            self.proc.terminate()
            deadline = time.monotonic() + timeout
            while self.proc.poll() is None and time.monotonic() < deadline:  # noqa: ASYNC110
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
        if self._sampler is not None:
            self._sampler.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sampler
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                self.log_path.unlink()


def gridbot_process(
    fake: FakeBotAPI, framework: str, database_url: str, station: Path, *, send_limits: str | None
) -> BotProcess:
    args = [
        "-m",
        "bot",
        "run",
        "--token",
        TOKEN,
        "--api-url",
        fake.url,
        "--database-url",
        database_url,
        "--framework",
        framework,
        "--station",
        str(station),
        "--poll-timeout",
        "10",
        "--log-level",
        "warning",
    ]
    if send_limits is not None:
        args += ["--send-limits", send_limits]
    return BotProcess(args, env={"GRIDBOT_TOKEN": TOKEN})


def echo_process(fake: FakeBotAPI, framework: str) -> BotProcess:
    return BotProcess(
        ["-m", "bench._echo", "--framework", framework, "--token", TOKEN, "--api-url", fake.url]
    )


# -- databases -----------------------------------------------------------------------------------
@contextlib.contextmanager
def scratch_database(kind: str, name: str) -> Iterator[str]:
    """A fresh SQLite file or PostgreSQL database; removed afterwards."""
    if kind == "sqlite":
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            yield f"sqlite+aiosqlite:///{tmp}/{name}.db"
        return
    db = f"bench_{name}_{os.getpid()}"
    asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{db}"', f'CREATE DATABASE "{db}"'))
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}"
    finally:
        asyncio.run(_pg_exec(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)'))


async def _pg_exec(*statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_ADMIN)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


# -- waiting and figures ------------------------------------------------------------------------
async def wait_for(fn: Callable[[], bool], fake: FakeBotAPI, timeout: float) -> None:
    await fake.wait_until(lambda: True if fn() else None, timeout=timeout)


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(headers: list[str], rows: list[list[Any]]) -> str:
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(cells[0], widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = [
        "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"
        for r in cells[1:]
    ]
    return "\n".join([line, rule, *body])


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def mb(n: int) -> str:
    return f"{n / 1024 / 1024:.0f} MB"


def revision() -> str:
    """The commit measured (read-only `git rev-parse`), and whether the tree differs from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    return f"{head}{' + uncommitted changes' if dirty.strip() else ''}, {when}"
