"""Settings: flag > environment > .env > default; one-line errors naming the setting."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.settings import SettingError, Settings, load_settings

TOKEN = "123456:ABC-def_9"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GRIDBOT_* variables and no .env from the developer's shell or checkout."""
    for name in list(os.environ):
        if name.startswith("GRIDBOT_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_settings_defaults_match_the_contract() -> None:
    settings = load_settings({})
    assert settings.token is None
    assert settings.api_url == "https://api.telegram.org"
    assert settings.database_url == "sqlite+aiosqlite:///gridbot.db"
    assert settings.framework == "aiogram"
    assert settings.station is None


def test_environment_sets_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_FRAMEWORK", "ptb")
    monkeypatch.setenv("GRIDBOT_TOKEN", TOKEN)
    settings = load_settings({})
    assert settings.framework == "ptb"
    assert settings.token_value == TOKEN


def test_flag_wins_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_FRAMEWORK", "ptb")
    assert load_settings({"framework": "aiogram"}).framework == "aiogram"


def test_unset_flag_leaves_environment_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDBOT_FRAMEWORK", "ptb")
    assert load_settings({"framework": None}).framework == "ptb"


def test_dotenv_file_sets_a_setting(clean_environment: Path) -> None:
    (clean_environment / ".env").write_text(
        "GRIDBOT_DATABASE_URL=postgresql+asyncpg://u@h/db\n", "utf-8")
    assert load_settings({}).database_url == "postgresql+asyncpg://u@h/db"


def test_environment_wins_over_dotenv_file(
    clean_environment: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (clean_environment / ".env").write_text("GRIDBOT_FRAMEWORK=ptb\n", "utf-8")
    monkeypatch.setenv("GRIDBOT_FRAMEWORK", "aiogram")
    assert load_settings({}).framework == "aiogram"


def test_api_url_trailing_slash_is_dropped() -> None:
    assert load_settings({"api_url": "http://127.0.0.1:8081/"}).api_url == "http://127.0.0.1:8081"


def test_token_is_not_shown_in_repr() -> None:
    settings = load_settings({"token": TOKEN})
    assert TOKEN not in repr(settings)
    assert TOKEN not in str(settings)


@pytest.mark.parametrize(
    ("flags", "named"),
    [
        ({"token": "not-a-token"}, "setting --token (GRIDBOT_TOKEN): "),
        ({"token": "123456:"}, "setting --token (GRIDBOT_TOKEN): "),
        ({"api_url": "ftp://example.org"}, "setting --api-url (GRIDBOT_API_URL): "),
        ({"database_url": "mysql://x/y"}, "setting --database-url (GRIDBOT_DATABASE_URL): "),
        ({"database_url": "sqlite:///x.db"}, "setting --database-url (GRIDBOT_DATABASE_URL): "),
        ({"framework": "django"}, "setting --framework (GRIDBOT_FRAMEWORK): "),
        ({"poll_timeout": "99"}, "setting --poll-timeout (GRIDBOT_POLL_TIMEOUT): "),
        ({"listen": "8081"}, "setting --listen (GRIDBOT_LISTEN): "),
        ({"log_level": "loud"}, "setting --log-level (GRIDBOT_LOG_LEVEL): "),
    ],
)
def test_bad_setting_raises_one_line_naming_flag_and_variable(
    flags: dict[str, str], named: str
) -> None:
    with pytest.raises(SettingError) as caught:
        load_settings(flags)
    message = str(caught.value)
    assert message.startswith(named)
    assert len(message) > len(named)
    assert "\n" not in message


def test_bad_environment_value_is_reported_as_that_setting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("GRIDBOT_DATABASE_URL", "oracle://x")
    with pytest.raises(SettingError, match=r"^setting --database-url \(GRIDBOT_DATABASE_URL\)"):
        load_settings({})


def test_bad_token_error_does_not_echo_the_token() -> None:
    secret = "123456:abc def-ghi"
    with pytest.raises(SettingError) as caught:
        load_settings({"token": secret})
    assert "abc def" not in str(caught.value)


def test_settings_accept_postgresql_and_sqlite_urls() -> None:
    for url in ("postgresql+asyncpg://postgres@127.0.0.1/test", "sqlite+aiosqlite:///:memory:"):
        assert Settings(database_url=url).database_url == url
