"""Fixtures: the fake Bot API server, a real database, and the bot on both runtimes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.fakeapi import FakeBotAPI
from tests.fakes.databases import database, postgres_available
from tests.fakes.harness import TOKEN, Gridbot
from tests.fakes.station import populate

RUNTIMES = ["aiogram", "ptb"]
DATABASES = ["sqlite", "postgresql"]


@pytest.fixture(params=DATABASES)
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "postgresql":
        reason = await postgres_available()
        if reason:
            pytest.skip(reason)
    async with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
async def fake_api() -> AsyncIterator[FakeBotAPI]:
    server = FakeBotAPI([TOKEN])
    await server.start()
    populate(server)
    yield server
    await server.stop()
    assert not server.unexpected_calls, f"unexpected Bot API calls: {server.unexpected_calls}"


@pytest.fixture(params=RUNTIMES)
async def gridbot(
    request: pytest.FixtureRequest, fake_api: FakeBotAPI, database_url: str
) -> AsyncIterator[Gridbot]:
    bot = Gridbot(fake_api, request.param, database_url)
    await bot.start()
    yield bot
    await bot.close()
