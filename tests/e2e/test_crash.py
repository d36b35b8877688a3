"""kill -9 in the middle of a burst of reports: every report is one ticket, every ack arrives."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

import pytest

from tests.fakes.burst import (
    assert_each_report_one_ticket,
    burst_fake,
    burst_station,
    group_acks,
    send_burst,
    start_gridbot,
    stop_gridbot,
    until_all_delivered,
)

REPORTS = 500
POLLING = ("--poll-timeout", "1", "--log-level", "warning")


@pytest.mark.slow
@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_kill_9_mid_burst_loses_and_doubles_nothing(
    framework: str, database_url: str, tmp_path: Path
) -> None:
    fake = await burst_fake()
    station, log = burst_station(tmp_path / "station.toml"), tmp_path / "bot.log"
    proc = start_gridbot(fake, framework, database_url, station, log, *POLLING)
    try:
        await fake.wait_until(lambda: fake.calls_of("getUpdates"), timeout=30)
        sent = await send_burst(fake, REPORTS)

        def acked() -> int:
            return sum(group_acks(fake).values())

        await fake.wait_until(lambda: acked() >= REPORTS // 5, timeout=60)
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
        killed_at = acked()
        assert killed_at < REPORTS, "the burst finished before the kill: nothing was tested"
        proc = start_gridbot(fake, framework, database_url, station, log, *POLLING)
        await until_all_delivered(fake, sent)
    finally:
        try:
            code = await stop_gridbot(proc)
        finally:
            await fake.stop()
    assert code == 0, log.read_text(encoding="utf-8")[-2000:]
    assert_each_report_one_ticket(fake, sent)
