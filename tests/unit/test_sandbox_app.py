"""`gridbot sandbox`: --reset, a port in use, a clean stop on SIGTERM, state across restarts."""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox import app, demo
from bot.sandbox.persist import WORLD_FILE
from bot.sandbox.runner import DB_FILE, Sandbox

ROOT = Path(__file__).resolve().parents[2]


def args(data_dir: Path, *, port: int = 0, reset: bool = False) -> argparse.Namespace:
    return argparse.Namespace(
        port=port, host="127.0.0.1", framework="aiogram", data_dir=str(data_dir), reset=reset
    )


def test_reset_deletes_the_data_dir(tmp_path: Path) -> None:
    data_dir = tmp_path / "sandbox-data"
    data_dir.mkdir()
    (data_dir / WORLD_FILE).write_text("{}")
    (data_dir / DB_FILE).write_bytes(b"")
    app.reset(data_dir)
    assert not data_dir.exists()
    app.reset(data_dir)  # nothing to delete is fine


def test_reset_refuses_a_dir_with_other_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "thesis.docx").write_text("keep me")
    assert app.main(args(tmp_path, reset=True)) == 2
    assert (tmp_path / "thesis.docx").exists()
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "thesis.docx" in err


def test_port_in_use_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "configure_logging", lambda level: None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert app.main(args(tmp_path / "data", port=port)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert f"port {port}" in err
    assert "already in use" in err


def test_sigterm_stops_cleanly_and_saves_the_world(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "sandbox", "--port", "0", "--data-dir", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("gridbot sandbox: open http://127.0.0.1:")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert (data_dir / WORLD_FILE).exists()
    assert (data_dir / DB_FILE).exists()


async def test_second_start_restores_history_and_numbers(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = Sandbox(data_dir)
    await first.start()
    assert first.history is not None
    await first.history
    grid = demo.GRIDS[0]
    count = len(first.fake.world.history(grid.chat_id))
    await first.stop()

    second = Sandbox(data_dir)
    await second.start()
    try:
        assert second.history is None
        assert len(second.fake.world.history(grid.chat_id)) == count
        sent = await second.fake.user_sends(
            demo.RESIDENTS[2].id, grid.chat_id, "#报事 小区门口井盖松了"
        )
        ack = await second.fake.wait_for_message(
            chat_id=grid.chat_id, reply_to=sent.message_id, timeout=20
        )
        assert demo.ticket_number(ack.body) == 4
    finally:
        await second.stop()


async def test_clock_button_leads_to_an_escalation(tmp_path: Path) -> None:
    sandbox = Sandbox(tmp_path / "data", sweep_seconds=0.2)
    await sandbox.start()
    try:
        assert sandbox.history is not None
        await sandbox.history
        since = len(sandbox.fake.bot_messages)
        sandbox.page.clock.advance(3600)
        chief = await sandbox.fake.wait_for_message(
            chat_id=demo.CHIEF.id, contains="#3", since=since, timeout=20
        )
        assert "督办" in chief.body
    finally:
        await sandbox.stop()


def test_broken_world_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "configure_logging", lambda level: None)
    (tmp_path / WORLD_FILE).write_text("{not json")
    assert app.main(args(tmp_path)) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "--reset" in err
