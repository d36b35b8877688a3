"""The `gridbot` command as operators run it: a real process, its exit status and stderr."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot.sandbox.fakeapi import FakeBotAPI
from tests.fakes.harness import TOKEN
from tests.fakes.station import GROUP, RESIDENT, populate, station_toml

GRIDBOT = Path(sys.executable).with_name("gridbot")
PYTHON_M_BOT = [sys.executable, "-m", "bot"]


def clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDBOT_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[2])
    return env


def gridbot(tmp_path: Path, *args: str, stdin: str | None = None,
            command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or PYTHON_M_BOT), *args], input=stdin, capture_output=True, text=True,
        cwd=tmp_path, env=clean_env(), timeout=30, check=False,
    )


def run_args(tmp_path: Path, *extra: str) -> list[str]:
    return ["run", "--token", TOKEN, "--database-url",
            f"sqlite+aiosqlite:///{tmp_path / 'x.db'}", *extra]


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    return [i for i, line in enumerate(text.splitlines(), 1) if needle in line][occurrence - 1]


# help ----------------------------------------------------------------------------------------

def test_operator_asks_for_help_gets_usage(tmp_path: Path) -> None:
    result = gridbot(tmp_path, "--help", command=[str(GRIDBOT)])
    assert result.returncode == 0
    assert "run" in result.stdout
    assert "sandbox" in result.stdout


def test_operator_asks_for_run_help_gets_every_setting(tmp_path: Path) -> None:
    result = gridbot(tmp_path, "run", "--help")
    assert result.returncode == 0
    for flag in ("--token", "--api-url", "--database-url", "--framework", "--station"):
        assert flag in result.stdout


# broken station files ------------------------------------------------------------------------

GOOD = station_toml()


@pytest.mark.parametrize(
    ("broken", "needle", "occurrence", "field"),
    [
        pytest.param(GOOD.replace('name = "李明"', 'name = "李明'), "李明", 1,
                     "TOML syntax error", id="toml-syntax"),
        pytest.param(GOOD.replace('grids = ["NH-03"]', 'grids = ["NH-09"]'), "NH-09", 1,
                     "officers[1].grids", id="unknown-grid"),
        pytest.param(GOOD.replace('code = "NH-03"', 'code = "NH-01"'), 'code = "NH-01"', 2,
                     "grids[2].code", id="duplicate-grid"),
        pytest.param(GOOD.replace("id = 2002", "id = 2001"), "id = 2001", 2,
                     "officers[1].id", id="duplicate-officer"),
        pytest.param(GOOD.replace('accept = "30m"', 'accept = "half an hour"'), "half an hour",
                     1, "sla.accept", id="bad-duration"),
    ],
)
def test_operator_starts_with_broken_station_file_gets_one_line_and_exit_2(
    tmp_path: Path, broken: str, needle: str, occurrence: int, field: str
) -> None:
    station = tmp_path / "station.toml"
    station.write_text(broken, "utf-8")
    result = gridbot(tmp_path, *run_args(tmp_path, "--station", str(station)))
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gridbot: {station}:{line_of(broken, needle, occurrence)}: "
                               f"{field}")
    assert not (tmp_path / "x.db").exists(), "the bot got as far as the database"


def test_operator_names_missing_station_file_gets_exit_2(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    result = gridbot(tmp_path, *run_args(tmp_path, "--station", str(missing)))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [f"gridbot: {missing}: cannot read: "
                                          "No such file or directory"]


# bad settings --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "setting"),
    [
        pytest.param(["--token", TOKEN, "--database-url", "mysql://root@db/gridbot"],
                     "--database-url", id="database-url"),
        pytest.param(["--token", TOKEN, "--framework", "django"], "--framework", id="framework"),
        pytest.param(["--token", "not-a-token"], "--token", id="token"),
        pytest.param(["--token", TOKEN, "--api-url", "api.telegram.org"], "--api-url",
                     id="api-url"),
    ],
)
def test_operator_gives_bad_setting_gets_one_line_naming_it_and_exit_2(
    tmp_path: Path, args: list[str], setting: str
) -> None:
    result = gridbot(tmp_path, "run", *args)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"gridbot: setting {setting} (GRIDBOT_")


def test_operator_gives_unopenable_database_gets_one_line_and_exit_2(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir' / 'x.db'}"
    # ptb: the runtime that imports fastest; the database is opened before any Bot API call.
    result = gridbot(tmp_path, "run", "--token", TOKEN, "--api-url", "http://127.0.0.1:9",
                     "--framework", "ptb", "--database-url", url)
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr[-300:]
    assert lines[0].startswith("gridbot: setting --database-url (GRIDBOT_DATABASE_URL)")


def test_operator_gives_bad_setting_in_environment_gets_it_named(tmp_path: Path) -> None:
    env = {**clean_env(), "GRIDBOT_TOKEN": TOKEN, "GRIDBOT_FRAMEWORK": "telethon"}
    result = subprocess.run([*PYTHON_M_BOT, "run"], capture_output=True, text=True,
                            cwd=tmp_path, env=env, timeout=30, check=False)
    assert result.returncode == 2
    assert result.stderr.splitlines()[0].startswith("gridbot: setting --framework")


def test_operator_without_token_is_pointed_to_the_sandbox(tmp_path: Path) -> None:
    result = gridbot(tmp_path, "run", command=[str(GRIDBOT)])
    assert result.returncode == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "--token" in lines[0]
    assert "gridbot sandbox" in lines[0]


# classify ------------------------------------------------------------------------------------

def test_analyst_classifies_json_lines_round_trip(tmp_path: Path) -> None:
    given = [{"id": 1, "text": "3栋楼道灯坏了，晚上很黑，麻烦尽快修一下"},
             {"id": 2, "text": "今天天气不错"}]
    result = gridbot(tmp_path, "classify",
                     stdin="".join(json.dumps(g, ensure_ascii=False) + "\n" for g in given))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [{k: o[k] for k in ("id", "text")} for o in out] == given
    assert [o["is_report"] for o in out] == [True, False]
    assert all(isinstance(o["category"], str) and isinstance(o["urgent"], bool) for o in out)


def test_analyst_classifies_bad_line_gets_its_number_and_exit_2(tmp_path: Path) -> None:
    result = gridbot(tmp_path, "classify", stdin='{"text": "楼道灯坏了"}\n{"txt": 1}\n')
    assert result.returncode == 2
    assert len(result.stdout.splitlines()) == 1
    assert result.stderr.startswith("line 2: ")


# a real run ----------------------------------------------------------------------------------

@pytest.mark.parametrize("framework", ["aiogram", "ptb"])
async def test_operator_runs_bot_resident_reports_then_sigterm_exits_0(
    tmp_path: Path, framework: str
) -> None:
    fake = FakeBotAPI([TOKEN])
    await fake.start()
    populate(fake)
    station = tmp_path / "station.toml"
    station.write_text(station_toml(), "utf-8")
    log = tmp_path / "stderr.log"
    with log.open("wb") as stderr:
        proc = await asyncio.create_subprocess_exec(
            str(GRIDBOT), "run", "--token", TOKEN, "--api-url", fake.url,
            "--database-url", f"sqlite+aiosqlite:///{tmp_path / 'x.db'}",
            "--station", str(station), "--framework", framework, "--poll-timeout", "5",
            cwd=tmp_path, env=clean_env(), stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
        )
    try:
        try:
            await fake.wait_until(lambda: fake.calls_of("getUpdates") or None, timeout=30)
        except TimeoutError:
            pytest.fail(f"bot never polled; stderr:\n{log.read_text('utf-8')}")
        said = await fake.user_sends(RESIDENT, GROUP, "#报事 3栋楼道灯坏了 电话13812345678")
        ack = await fake.wait_for_message(chat_id=GROUP, reply_to=said.message_id, timeout=20)
        assert "#1" in ack.body
        assert "王向阳" in ack.body

        proc.send_signal(signal.SIGTERM)
        returncode = await asyncio.wait_for(proc.wait(), timeout=10)
    finally:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
        await fake.stop()
    stderr_text = log.read_text("utf-8")
    assert returncode == 0, stderr_text[-2500:]
    assert "bot.stopped" in stderr_text  # the shutdown path ran, not a kill
    assert not fake.unexpected_calls, fake.unexpected_calls
