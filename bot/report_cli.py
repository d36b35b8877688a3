"""`gridbot report`: one report written to a file (.xlsx, .png or .txt)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.settings import SettingError, load_settings
from handlers.clock import SystemClock
from handlers.report_chart import render_chart
from handlers.report_period import Period, PeriodKind, containing, previous
from handlers.report_text import render_text
from handlers.report_workbook import render_workbook
from handlers.texts import catalogue
from storage.db import create_engine, session_factory
from storage.models import Station
from storage.reports import Report, build_report

SUFFIXES = (".xlsx", ".png", ".txt")


class ReportError(Exception):
    """One line for stderr, then exit 2."""


def main(args: argparse.Namespace) -> int:
    try:
        out = Path(args.out)
        if out.suffix.lower() not in SUFFIXES:
            raise ReportError(f"--out {args.out}: unknown extension (use .xlsx, .png or .txt)")
        if args.date is not None:
            _period(args.period, args.date, "UTC")  # a bad date fails before opening the database
        database_url = _database_url(args.database_url)
        report, period, language = asyncio.run(_load(args, database_url))
        _write(out, report, period, language)
    except (ReportError, SettingError) as exc:
        sys.stderr.write(f"gridbot: {exc}\n")
        return 2
    return 0


def _period(kind: PeriodKind, text: str | None, zone: str) -> Period:
    if text is None:
        return previous(kind, SystemClock().now(), zone)
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ReportError(f"--date {text!r} is not a date (expected YYYY-MM-DD)") from None
    return containing(kind, day, zone)


def _database_url(flag: str | None) -> str:
    """--database-url, GRIDBOT_DATABASE_URL or the default; an SQLite file must exist."""
    database_url = load_settings({"database_url": flag}).database_url
    url = make_url(database_url)
    # SQLite would quietly create an empty file where the database was expected.
    if (
        url.get_backend_name() == "sqlite"
        and url.database not in (None, "", ":memory:")
        and not Path(url.database).exists()
    ):
        raise ReportError(f"database file {url.database} does not exist")
    return database_url


async def _load(args: argparse.Namespace, database_url: str) -> tuple[Report, Period, str]:
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            stmt = select(Station).order_by(Station.id).limit(1)
            if args.station_name:
                stmt = select(Station).where(Station.name == args.station_name)
            station = await session.scalar(stmt)
            if station is None:
                which = f" named {args.station_name!r}" if args.station_name else ""
                raise ReportError(f"no station{which} in {_safe(database_url)}")
            period = _period(args.period, args.date, station.timezone)
            report = await build_report(session, station, period.start, period.end)
    except (DBAPIError, SQLAlchemyError, OSError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ReportError(f"database {_safe(database_url)}: {first}") from exc
    finally:
        await engine.dispose()
    return report, period, station.language


def _write(out: Path, report: Report, period: Period, language: str) -> None:
    t = catalogue(language)
    suffix = out.suffix.lower()
    try:
        if suffix == ".txt":
            out.write_text(render_text(report, period, t) + "\n", encoding="utf-8")
        elif suffix == ".png":
            out.write_bytes(render_chart(report, period, t))
        else:
            out.write_bytes(render_workbook(report, period, t))
    except OSError as exc:
        raise ReportError(f"--out {out}: {exc.strerror or exc}") from exc


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    head, at, tail = url.rpartition("@")
    if not at:
        return url
    scheme, _, credentials = head.partition("://")
    return f"{scheme}://{credentials.split(':')[0]}@{tail}"
