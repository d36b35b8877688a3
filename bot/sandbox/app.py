"""`gridbot sandbox`: the demo station in a browser, until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import signal
import sys
from asyncio import FIRST_COMPLETED
from pathlib import Path

from bot.app import configure_logging
from bot.sandbox.persist import WORLD_FILE
from bot.sandbox.runner import DB_FILE, Sandbox, SandboxError

OWN_FILES = {
    WORLD_FILE,
    f"{WORLD_FILE}.tmp",
    "world.tmp",
    DB_FILE,
    f"{DB_FILE}-wal",
    f"{DB_FILE}-shm",
    f"{DB_FILE}-journal",
}


class ResetRefused(Exception):
    """--reset would delete files the sandbox did not make."""


def main(args: argparse.Namespace) -> int:
    """Run the sandbox; 0 after a clean stop, 2 when it cannot start."""
    data_dir = Path(args.data_dir)
    try:
        if args.reset:
            reset(data_dir)
        configure_logging("warning")
        return asyncio.run(_serve(data_dir, args.host, args.port, args.framework))
    except (SandboxError, ResetRefused) as exc:
        sys.stderr.write(f"gridbot sandbox: {exc}\n")
        return 2


def reset(data_dir: Path) -> None:
    """Delete the data dir, if it holds nothing but the sandbox's own files."""
    if not data_dir.exists():
        return
    if not data_dir.is_dir():
        raise ResetRefused(f"--reset: {data_dir} is not a directory")
    strangers = sorted(p.name for p in data_dir.iterdir() if p.name not in OWN_FILES)
    if strangers:
        raise ResetRefused(
            f"--reset: {data_dir} holds files the sandbox did not make "
            f"({', '.join(strangers[:3])}); delete it yourself"
        )
    shutil.rmtree(data_dir)


async def _serve(data_dir: Path, host: str, port: int, framework: str) -> int:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sandbox = Sandbox(data_dir, host=host, port=port, framework=framework)
    url = await sandbox.start()
    sys.stdout.write(f"gridbot sandbox: open {url}  (Ctrl+C to stop; data in {data_dir})\n")
    sys.stdout.flush()
    try:
        stopping = asyncio.ensure_future(stop.wait())
        bot = sandbox.bot_task
        await asyncio.wait({stopping, *([bot] if bot else [])}, return_when=FIRST_COMPLETED)
        stopping.cancel()
        crashed = bot is not None and bot.done() and not stop.is_set()
    finally:
        await sandbox.stop()
    if crashed:
        sys.stderr.write("gridbot sandbox: the bot stopped unexpectedly (see the log above)\n")
        return 1
    return 0
