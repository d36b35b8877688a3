"""Webhook mode in-process on both runtimes (SQLite): pushed updates, secret check, shutdown."""

from __future__ import annotations

import asyncio
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.sandbox.fakeapi import FakeBotAPI
from bot.settings import Settings
from storage.models import ProcessedUpdate
from storage.uow import UnitOfWork
from tests.conftest import RUNTIMES
from tests.fakes.harness import TOKEN, Gridbot, said
from tests.fakes.station import GROUP, OFFICER, RESIDENT
from tests.fakes.webhooks import free_port, push, report_update, settled

SECRET = "s3cret-Hook_1"
ROOT = Path(__file__).resolve().parents[2]


class WebhookGridbot(Gridbot):
    """The harness bot, serving a webhook instead of polling."""

    def __init__(self, fake: FakeBotAPI, framework: str, database_url: str) -> None:
        super().__init__(fake, framework, database_url)
        port = free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.url = f"{self.base}/tg/hook"

    def settings(self) -> Settings:
        return Settings.model_validate(
            {
                "token": TOKEN,
                "api_url": self.fake.url,
                "database_url": self.database_url,
                "framework": self.framework,
                "webhook_url": self.url,
                "listen": self.base.removeprefix("http://"),
                "webhook_secret": SECRET,
            }
        )

    async def processed_count(self) -> int:
        async def count(uow: UnitOfWork) -> int:
            stmt = select(func.count()).select_from(ProcessedUpdate)
            return int(await uow.session.scalar(stmt) or 0)

        return await self.query(count)


@pytest.fixture(params=RUNTIMES)
async def hooked(
    request: pytest.FixtureRequest, fake_api: FakeBotAPI, tmp_path: Path
) -> AsyncIterator[WebhookGridbot]:
    bot = WebhookGridbot(fake_api, request.param, f"sqlite+aiosqlite:///{tmp_path / 'wh.db'}")
    await bot.start()
    yield bot
    await bot.close()


async def test_bot_registers_webhook_with_secret_at_start(hooked: WebhookGridbot) -> None:
    hook = hooked.fake.bot().webhook
    assert hook.url == hooked.url
    assert hook.secret_token == SECRET
    assert not hooked.fake.calls_of("getUpdates")


async def test_resident_report_pushed_by_webhook_makes_one_ticket_and_one_ack(
    hooked: WebhookGridbot,
) -> None:
    fake = hooked.fake
    msg = await fake.user_sends(RESIDENT, GROUP, "#报事 5栋楼道灯坏了一个星期了")
    await said(fake, GROUP, "#1", reply_to=msg.message_id)
    await said(fake, OFFICER, "#1")
    await hooked.idle()
    before = len(fake.bot_messages)
    assert msg.update_id is not None
    await fake.redeliver(msg.update_id)
    await fake.redeliver(msg.update_id, to_url=hooked.url)
    await settled(fake, [hooked.base])
    await hooked.idle()
    assert await hooked.ticket_count() == 1
    acks = [m for m in fake.messages_in(GROUP) if m.reply_to_message_id == msg.message_id]
    assert len(acks) == 1
    assert len(fake.bot_messages) == before


async def test_push_with_bad_or_missing_secret_gets_401_and_stores_nothing(
    hooked: WebhookGridbot,
) -> None:
    assert await push(hooked.url, report_update(777001), "wrong-secret") == 401
    assert await push(hooked.url, report_update(777002), None) == 401
    await settled(hooked.fake, [hooked.base])
    assert await hooked.processed_count() == 0
    assert await hooked.ticket_count() == 0


async def test_push_with_right_secret_is_handled(hooked: WebhookGridbot) -> None:
    assert await push(hooked.url, report_update(777003), SECRET) == 200
    await said(hooked.fake, GROUP, "#1")
    assert await hooked.processed_count() == 1


async def test_messages_of_one_chat_are_handled_in_order(hooked: WebhookGridbot) -> None:
    fake = hooked.fake
    sent = [
        await fake.user_sends(RESIDENT, GROUP, f"#报事 第{i}件事：路灯坏了") for i in range(1, 6)
    ]
    await settled(fake, [hooked.base])
    await hooked.idle()
    by_message = {t.source_message_id: t.number for t in await hooked.tickets()}
    assert [by_message[m.message_id] for m in sent] == [1, 2, 3, 4, 5]


async def test_shutdown_leaves_the_webhook_registered(hooked: WebhookGridbot) -> None:
    await hooked.stop()
    assert hooked.fake.bot().webhook.url == hooked.url
    assert not hooked.fake.calls_of("deleteWebhook")


# start-up failures: one line naming the setting, exit 2 -----------------------------------------
async def run_gridbot(tmp_path: Path, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    env["PYTHONPATH"] = str(ROOT)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "run",
        "--token",
        TOKEN,
        "--database-url",
        f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}",
        *args,
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 60)
    return int(proc.returncode or 0), err.decode()


async def test_operator_gives_malformed_webhook_secret_gets_exit_2(tmp_path: Path) -> None:
    code, err = await run_gridbot(
        tmp_path, "--webhook-url", "https://h.example/tg", "--webhook-secret", "has spaces!"
    )
    assert code == 2
    assert "--webhook-secret" in err and len(err.strip().splitlines()) == 1


async def test_operator_listens_on_a_busy_port_gets_exit_2(
    tmp_path: Path, fake_api: FakeBotAPI
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, err = await run_gridbot(
            tmp_path,
            "--api-url",
            fake_api.url,
            "--webhook-url",
            "http://127.0.0.1/tg",
            "--listen",
            f"127.0.0.1:{port}",
        )
    assert code == 2
    assert "--listen" in err.strip().splitlines()[-1]
