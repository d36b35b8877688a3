"""The sandbox chat page in a real browser: report, take, resolve and rate a ticket."""

from __future__ import annotations

import base64
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.sandbox import demo
from bot.sandbox.fakeapi.params import Params, Upload
from bot.sandbox.runner import Sandbox
from storage.db import create_engine, session_factory
from storage.models import Ticket

pytest.importorskip("playwright.async_api")
from playwright.async_api import Browser, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
RESIDENT = "3002"  # 王芳, NH-01
OFFICER = "2001"  # 王向阳, NH-01
GROUP = demo.GRIDS[0].chat_id
STEP_MS = 20_000
PNG_2X2 = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEElEQVR4nGMwnvAGiBggFAAsTga9"
    "SeHo8wAAAABJRU5ErkJggg=="
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium: apt-get install -y chromium fonts-noto-cjk",
    ),
]


@pytest.fixture(params=["aiogram", "ptb"])
async def sandbox(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(tmp_path / "sandbox-data", port=0, framework=request.param)
    await box.start()
    assert box.history is not None
    await box.history
    yield box
    await box.stop()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
        )
        yield launched
        await launched.close()


async def act_as(page: Page, person: str) -> None:
    await page.select_option("#person", person)
    await expect(page.locator(".chat-item.active")).to_contain_text("南湖社区一网格群")


async def say(page: Page, text: str) -> None:
    await page.fill("#input", text)
    await page.press("#input", "Enter")
    await expect(page.locator("#input")).to_have_value("")


async def rating_of(sandbox: Sandbox, number: int) -> int | None:
    engine = create_engine(sandbox.database_url)
    try:
        async with session_factory(engine)() as session:
            ticket = await session.scalar(select(Ticket).where(Ticket.number == number))
            assert ticket is not None
            return ticket.rating
    finally:
        await engine.dispose()


async def test_resident_and_officer_handle_a_ticket_on_the_page(
    sandbox: Sandbox, browser: Browser
) -> None:
    expect.set_options(timeout=STEP_MS)
    page = await browser.new_page(viewport={"width": 1280, "height": 820})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    await page.goto(sandbox.url)
    await expect(page.locator("body")).to_have_attribute("data-ready", "1")
    messages = page.locator("#messages")

    await act_as(page, RESIDENT)
    await say(page, "#报事 小区东门的路灯坏了三盏，晚上很黑，有事请打 13912345678")
    ack = messages.locator(".row.in").filter(has_text="已登记工单").filter(has_text="小区东门")
    await expect(ack).to_be_visible()
    await expect(ack.locator(".quote")).to_contain_text("小区东门的路灯")
    found = re.search(r"已登记工单 #(\d+)", await ack.inner_text())
    assert found is not None
    number = int(found.group(1))

    await act_as(page, OFFICER)
    await say(page, f"/take {number}")
    await expect(messages).to_contain_text(f"工单 #{number} 已由 王向阳 受理")
    await say(page, f"/resolve {number} 已通知物业，路灯今晚修好。")
    await expect(messages).to_contain_text(f"工单 #{number} 已办结（王向阳）")

    await act_as(page, RESIDENT)
    prompt = messages.locator(".row", has_text=f"工单 #{number} 已办结。请 王芳")
    await expect(prompt).to_be_visible()
    await prompt.get_by_role("button", name="满意", exact=True).click()
    await expect(page.locator("#toast")).to_contain_text(f"#{number}")
    assert await rating_of(sandbox, number) == 1

    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=ARTIFACTS / f"sandbox-walkthrough-{sandbox.framework}.png")
    if sandbox.framework == "aiogram":
        await page.screenshot(path=ARTIFACTS / "sandbox-walkthrough.png")

    await bot_sends_files(sandbox)
    await expect(messages.locator("img.photo")).to_be_visible()
    width = await messages.locator("img.photo").evaluate("img => img.naturalWidth")
    assert width == 2
    await expect(messages.locator("a.doc")).to_contain_text("日报.csv")
    assert not errors, errors


async def bot_sends_files(sandbox: Sandbox) -> None:
    uploads = {
        "photo": Upload(PNG_2X2, "chart.png", "image/png"),
        "document": Upload(b"grid,count\n", "日报.csv", "text/csv"),
    }
    for method in ("sendPhoto", "sendDocument"):
        body, status = await sandbox.fake.execute(
            sandbox.fake.bot(), method, Params({"chat_id": GROUP}, uploads)
        )
        assert status == 200, body
