"""Standalone runner: ``python -m bot.sandbox.fakeapi --port 8081 --token 123456:TEST``.

Seed the world with ``--user 1001:王:chief`` and ``--group -100123:南湖一网格:super``
(``:super`` makes a supergroup; the bot is put in the group as a member).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

from bot.sandbox.fakeapi.server import FakeBotAPI


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bot.sandbox.fakeapi")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", action="append", default=[], help="repeatable")
    parser.add_argument("--bot-username", default="gridbot_test_bot")
    parser.add_argument("--no-limits", action="store_true", help="disable flood limits")
    parser.add_argument("--no-privacy", action="store_true", help="privacy mode off")
    parser.add_argument("--user", action="append", default=[], help="ID:FIRST_NAME[:USERNAME]")
    parser.add_argument("--group", action="append", default=[], help="ID:TITLE[:super]")
    return parser


def build(args: argparse.Namespace) -> FakeBotAPI:
    """A server seeded from command-line arguments."""
    server = FakeBotAPI(
        args.token or ["123456:TEST"],
        bot_username=args.bot_username,
        enforce_limits=not args.no_limits,
    )
    server.set_privacy(not args.no_privacy)
    for spec in args.user:
        user_id, name, *rest = spec.split(":")
        server.add_user(int(user_id), name, username=rest[0] if rest else None)
    for spec in args.group:
        chat_id, title, *rest = spec.split(":")
        server.add_group(
            int(chat_id), title, supergroup=rest[:1] == ["super"], bot_status="member"
        )
    return server


async def _serve(args: argparse.Namespace) -> None:
    server = build(args)
    url = await server.start(args.host, args.port)
    sys.stdout.write(f"fake Bot API listening on {url} (tokens: {', '.join(server.tokens)})\n")
    sys.stdout.flush()
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
