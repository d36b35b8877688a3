"""`gridbot report`: files by extension, one-line errors with exit status 2."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.report_cli import main
from storage.db import create_engine, session_factory
from storage.migrate import upgrade
from tests.storage.test_reports import HISTORY, load


def args(
    out: Path | str,
    *,
    date: str | None = "2026-03-10",
    period: str = "day",
    database_url: str | None = None,
    station_name: str | None = None,
) -> argparse.Namespace:
    return argparse.Namespace(
        period=period,
        date=date,
        out=str(out),
        database_url=database_url,
        station_name=station_name,
    )


async def seed(url: str) -> None:
    engine = create_engine(url)
    await upgrade(engine)
    async with session_factory(engine)() as session:
        await load(session, HISTORY)
    await engine.dispose()


@pytest.fixture(scope="module")
def database(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('cli') / 'gridbot.db'}"
    asyncio.run(seed(url))
    return url


def test_txt_report_for_an_explicit_day(database: str, tmp_path: Path) -> None:
    out = tmp_path / "r.txt"
    assert main(args(out, database_url=database)) == 0
    text = out.read_text("utf-8")
    assert text.startswith("新城派出所 日报（2026-03-10 至 2026-03-10）")
    assert "新增 7 · 受理 7 · 办结 6 · 重开 1" in text


def test_xlsx_and_png_reports(database: str, tmp_path: Path) -> None:
    assert main(args(tmp_path / "r.xlsx", period="month", database_url=database)) == 0
    book = load_workbook(tmp_path / "r.xlsx")
    assert book.sheetnames == ["汇总", "按网格", "按民警", "红黑榜"]
    assert main(args(tmp_path / "r.png", period="week", database_url=database)) == 0
    assert (tmp_path / "r.png").read_bytes().startswith(b"\x89PNG")


def test_database_url_from_environment(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDBOT_DATABASE_URL", database)
    assert main(args(tmp_path / "r.txt", date=None)) == 0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"date": "2026-13-01"}, "gridbot: --date '2026-13-01' is not a date"),
        ({"out": "r.pdf"}, "gridbot: --out r.pdf: unknown extension"),
        ({"station_name": "旧城派出所"}, "gridbot: no station named '旧城派出所'"),
        ({"database_url": "mysql://x"}, "gridbot: setting --database-url"),
        (
            {"database_url": "sqlite+aiosqlite:////nonexistent/gridbot.db"},
            "gridbot: database file /nonexistent/gridbot.db does not exist",
        ),
        (
            {"database_url": "postgresql+asyncpg://postgres@127.0.0.1:1/x"},
            "gridbot: database postgresql+asyncpg://postgres@127.0.0.1:1/x: ",
        ),
    ],
)
def test_errors_are_one_line_and_exit_2(
    database: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    kwargs: dict[str, str],
    message: str,
) -> None:
    given = {"out": tmp_path / "r.txt", "database_url": database, **kwargs}
    out = given.pop("out")
    assert main(args(out, **given)) == 2  # type: ignore[arg-type]
    err = capsys.readouterr().err
    assert err.startswith(message)
    assert err.count("\n") == 1
