"""The database drops its connections mid-burst: no report is lost or doubled."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from tests.fakes.harness import Gridbot, said
from tests.fakes.station import GROUP, RESIDENT

REPORTS = 30


async def cut_connections(database_url: str, stop: asyncio.Event) -> int:
    """Terminate every other session of the test database, over and over, until `stop`."""
    url = make_url(database_url)
    admin = await asyncpg.connect(
        host=url.host, port=url.port, user=url.username, database=url.database
    )
    cut = 0
    try:
        while not stop.is_set():
            cut += await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.05)
    finally:
        await admin.close()
    return cut


async def test_reports_survive_dropped_database_connections(
    gridbot: Gridbot, database_url: str
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("terminating sessions is PostgreSQL's; SQLite has no server to lose")
    fake = gridbot.fake
    await fake.user_sends(RESIDENT, GROUP, "#报事 预热：路灯不亮")
    await said(fake, GROUP, "#1")
    stop = asyncio.Event()
    cutter = asyncio.create_task(cut_connections(database_url, stop))
    sent = []
    for i in range(REPORTS):
        sent.append(await fake.user_sends(RESIDENT, GROUP, f"#报事 第{i}号楼下水道堵了"))
        await asyncio.sleep(0.03)
    await asyncio.sleep(0.5)
    stop.set()
    assert await cutter > 0, "no connection was cut: nothing was tested"
    for msg in sent:
        await said(fake, GROUP, "#", reply_to=msg.message_id, timeout=60)
    await gridbot.idle(timeout=60)
    tickets = await gridbot.tickets()
    texts = sorted(t.text for t in tickets if "下水道" in t.text)
    assert texts == sorted(f"第{i}号楼下水道堵了" for i in range(REPORTS))
