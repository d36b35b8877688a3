"""Settings: flag > environment (GRIDBOT_*) > .env file > default; validated once."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.ratelimit import Limits

MAX_PORT = 65535
TOKEN = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")

FLAGS = {
    "token": "--token",
    "api_url": "--api-url",
    "database_url": "--database-url",
    "framework": "--framework",
    "station": "--station",
    "webhook_url": "--webhook-url",
    "listen": "--listen",
    "webhook_secret": "--webhook-secret",
    "poll_timeout": "--poll-timeout",
    "log_level": "--log-level",
    "send_limits": "--send-limits",
}


class SettingError(Exception):
    """A bad setting; str() is the one line printed before exit 2."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="GRIDBOT_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    token: SecretStr | None = None
    api_url: str = "https://api.telegram.org"
    database_url: str = "sqlite+aiosqlite:///gridbot.db"
    framework: Literal["aiogram", "ptb"] = "aiogram"
    station: str | None = None
    webhook_url: str | None = None
    listen: str = "127.0.0.1:8081"
    webhook_secret: SecretStr | None = None
    poll_timeout: int = Field(default=25, ge=0, le=50)
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    # Telegram's limits: overall per second, per group per minute, per private chat per second.
    send_limits: str = "30,20,1"

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not TOKEN.match(value.get_secret_value()):
            raise ValueError("not a Bot API token (expected digits:letters, e.g. 123456:ABC-def)")
        return value

    @field_validator("api_url", "webhook_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError("must be an http(s) URL")
        return value.rstrip("/") if value else value

    @field_validator("webhook_secret")
    @classmethod
    def _secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token; checked here so a typo fails at once, not at start.
        if value is not None and not SECRET.match(value.get_secret_value()):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("database_url")
    @classmethod
    def _database(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value

    @field_validator("listen")
    @classmethod
    def _listen(cls, value: str) -> str:
        host, _, port = value.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) <= MAX_PORT:
            raise ValueError("must be host:port, e.g. 127.0.0.1:8081")
        return value

    @field_validator("send_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        if value != "off" and not re.match(r"^\d+(\.\d+)?,\d+(\.\d+)?,\d+(\.\d+)?$", value):
            raise ValueError("must be 'overall/s,group/min,private/s' like 30,20,1, or 'off'")
        return value

    def limits(self) -> Limits:
        if self.send_limits == "off":
            return Limits(
                per_second=1_000_000, group_per_minute=1_000_000, private_per_second=1_000_000
            )
        overall, group, private = (float(x) for x in self.send_limits.split(","))
        return Limits(
            per_second=int(overall), group_per_minute=int(group), private_per_second=int(private)
        )

    @property
    def token_value(self) -> str:
        return self.token.get_secret_value() if self.token else ""


def load_settings(flags: dict[str, Any]) -> Settings:
    """Build settings with the given flag values on top; raise SettingError with one line."""
    given = {k: v for k, v in flags.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else "settings"
        message = str(err["msg"]).removeprefix("Value error, ")
        raise SettingError(
            f"setting {FLAGS.get(name, name)} (GRIDBOT_{name.upper()}): {message}"
        ) from exc
