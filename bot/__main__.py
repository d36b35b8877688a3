"""The `gridbot` command: run, sandbox, classify, report."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Sequence

from bot.settings import SettingError, Settings, load_settings
from storage.station_file import StationFileError, StationSpec, load_station_file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gridbot", description="Grid-group ticket desk bot.")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="start the bot (long polling by default)")
    run.add_argument("--token", help="Bot API token (GRIDBOT_TOKEN)")
    run.add_argument("--api-url", help="Bot API server (GRIDBOT_API_URL)")
    run.add_argument("--database-url", help="SQLAlchemy async URL (GRIDBOT_DATABASE_URL)")
    run.add_argument("--framework", help="aiogram or ptb (GRIDBOT_FRAMEWORK)")
    run.add_argument(
        "--station",
        action="append",
        help="station file or folder; may be repeated (GRIDBOT_STATION)",
    )
    run.add_argument("--webhook-url", help="serve a webhook instead of polling")
    run.add_argument("--listen", help="host:port of the webhook server (default 127.0.0.1:8081)")
    run.add_argument("--webhook-secret", help="secret token Telegram must send")
    run.add_argument("--poll-timeout", help="long-polling timeout in seconds (default 25)")
    run.add_argument("--log-level", help="debug, info, warning or error")
    run.add_argument(
        "--send-limits",
        help="overall/s,group/min,private/s (default 30,20,1); 'off' only for a test server",
    )

    sandbox = sub.add_parser("sandbox", help="try gridbot in a browser, without Telegram")
    sandbox.add_argument("--port", type=int, default=8080)
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--framework", choices=["aiogram", "ptb"], default="aiogram")
    sandbox.add_argument("--data-dir", default="sandbox-data")
    sandbox.add_argument("--reset", action="store_true", help="start over with a fresh demo")

    sub.add_parser("classify", help="JSON lines with a text field in, labelled lines out")

    report = sub.add_parser("report", help="write a daily, weekly or monthly report")
    report.add_argument("--period", choices=["day", "week", "month"], default="day")
    report.add_argument(
        "--date", help="a day inside the period (YYYY-MM-DD); default: the last complete period"
    )
    report.add_argument("--out", required=True, help="FILE.xlsx, FILE.png or FILE.txt")
    report.add_argument("--database-url", help="SQLAlchemy async URL (GRIDBOT_DATABASE_URL)")
    report.add_argument("--station-name", help="which station (default: the first)")
    return parser


def fail(message: str) -> int:
    sys.stderr.write(f"gridbot: {message}\n")
    return 2


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "run":
        return _run(args)
    if args.command == "sandbox":
        from bot.sandbox.app import main as sandbox_main

        return sandbox_main(args)
    if args.command == "classify":
        from handlers.classifier.cli import classify_stream

        return classify_stream(sys.stdin, sys.stdout)
    if args.command == "report":
        from bot.report_cli import main as report_main

        return report_main(args)
    return 2


def _run(args: argparse.Namespace) -> int:
    from bot.app import configure_logging, station_files

    flags = {
        k: getattr(args, k)
        for k in (
            "token",
            "api_url",
            "database_url",
            "framework",
            "webhook_url",
            "listen",
            "webhook_secret",
            "poll_timeout",
            "log_level",
            "send_limits",
        )
    }
    try:
        settings = load_settings(flags)
    except SettingError as exc:
        return fail(str(exc))
    if settings.token is None:
        return fail(
            "setting --token (GRIDBOT_TOKEN) is required; to try gridbot without "
            "Telegram run `gridbot sandbox`"
        )
    try:
        specs = [load_station_file(p) for p in station_files(settings.station, args.station)]
    except StationFileError as exc:
        return fail(str(exc))
    configure_logging(settings.log_level)
    return asyncio.run(_serve(settings, specs))


async def _serve(settings: Settings, specs: list[StationSpec]) -> int:
    from bot.app import run_bot
    from bot.startup import StartupError

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await run_bot(settings, stop, stations=specs)
    except StationFileError as exc:
        return fail(str(exc))
    except StartupError as exc:
        return fail(str(exc))
    return 0


if __name__ == "__main__":
    sys.exit(main())
