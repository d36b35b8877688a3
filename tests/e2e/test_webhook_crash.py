"""kill -9 of a webhook worker holding accepted, unhandled updates: none lost, none doubled.

Telegram forgets an update once it got a 200, so everything acknowledged must survive the
kill. The worker holds each update a moment before handling it (tests.fakes.slow_bot), so
at the kill some acknowledged updates are certainly not handled yet.
"""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from pathlib import Path

import pytest

from bot.sandbox.fakeapi import FakeBotAPI
from tests.conftest import RUNTIMES
from tests.fakes.burst import (
    assert_each_report_one_ticket,
    assert_in_order,
    burst_fake,
    burst_station,
    processed_count,
    send_burst,
    start_gridbot,
    stop_gridbot,
    tickets_by_group,
    until_all_delivered,
)
from tests.fakes.slow_bot import HOLD_ENV
from tests.fakes.webhooks import free_port, health

REPORTS = 120
GROUPS = 3  # few chats, so the held updates queue up behind each other
SECRET = "crash-Secret_9"


def accepted(fake: FakeBotAPI) -> set[int]:
    """Update ids the worker answered 200: Telegram would never send those again."""
    return {d.update_id for d in fake.bot().webhook.deliveries if d.status == 200}


async def until_healthy(fake: FakeBotAPI, base: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if await health(base) is not None and fake.bot().webhook.url:
            return
        await asyncio.sleep(0.1)
    raise TimeoutError(f"webhook worker at {base} not healthy after {timeout}s")


@pytest.mark.slow
@pytest.mark.parametrize("framework", RUNTIMES)
async def test_webhook_worker_killed_with_accepted_updates_loses_and_doubles_nothing(
    framework: str, database_url: str, tmp_path: Path
) -> None:
    # Like Telegram, the fake keeps pushing an unanswered update until the worker is back.
    fake = await burst_fake(webhook_retries=60)
    station, log = burst_station(tmp_path / "station.toml"), tmp_path / "bot.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    args = (
        *("--webhook-url", f"{base}/tg/hook", "--listen", f"127.0.0.1:{port}"),
        *("--webhook-secret", SECRET, "--log-level", "info"),
    )

    def start() -> subprocess.Popen[bytes]:
        return start_gridbot(
            fake,
            framework,
            database_url,
            station,
            log,
            *args,
            module="tests.fakes.slow_bot",
            env={HOLD_ENV: "0.1"},
        )

    proc = start()
    try:
        await until_healthy(fake, base)
        sent = await send_burst(fake, REPORTS, groups=GROUPS)
        await fake.wait_until(lambda: len(accepted(fake)) >= REPORTS // 3, timeout=60)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
        answered, handled = len(accepted(fake)), await processed_count(database_url)
        assert handled < answered, "all answered updates were handled: nothing was tested"
        proc = start()
        await until_all_delivered(fake, sent)
    finally:
        try:
            code = await stop_gridbot(proc)
        finally:
            await fake.stop()
    assert code == 0, log.read_text(encoding="utf-8")[-3000:]
    assert_each_report_one_ticket(fake, sent)
    assert_in_order(await tickets_by_group(database_url))
