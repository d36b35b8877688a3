"""The station file (TOML): parsed, validated; errors as one line `file:line: field: what`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class StationFileError(Exception):
    """A broken station file; str() is the one line printed before exit 2."""


def parse_duration(value: str) -> int:
    """'45s', '30m', '2h', '3d' -> seconds."""
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"bad duration {value!r} (use e.g. 45s, 30m, 2h, 3d)")
    return int(match.group(1)) * UNIT_SECONDS[match.group(2)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StationSection(_Model):
    name: str = Field(min_length=1)
    timezone: str = "Asia/Shanghai"
    language: Literal["zh", "en"] = "zh"
    intake: Literal["off", "suggest", "auto"] = "suggest"
    chiefs: list[int] = Field(default_factory=list)
    superiors: list[int] = Field(default_factory=list)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown timezone {value!r}") from exc
        return value


class SlaSection(_Model):
    accept: int = 1800
    resolve: int = 86400
    urgent_accept: int = 300
    follow_up: int = 3 * 86400
    sweep: int = 60
    rating_change: int = 600

    @field_validator("*", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> int:
        return parse_duration(value)


class OfficerEntry(_Model):
    id: int
    name: str = Field(min_length=1)
    grids: list[str] = Field(default_factory=list)


class GridEntry(_Model):
    code: str = Field(min_length=1)
    name: str = ""
    chat_id: int | None = None


class DepartmentEntry(_Model):
    name: str = Field(min_length=1)
    chat_id: int | None = None


class StationSpec(_Model):
    station: StationSection
    sla: SlaSection = Field(default_factory=SlaSection)
    officers: list[OfficerEntry] = Field(default_factory=list)
    grids: list[GridEntry] = Field(default_factory=list)
    departments: list[DepartmentEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> StationSpec:
        codes = [g.code for g in self.grids]
        for i, code in enumerate(codes):
            if code in codes[:i]:
                raise _FieldError(("grids", i, "code"), f"duplicate grid code {code!r}")
        ids = [o.id for o in self.officers]
        for i, officer_id in enumerate(ids):
            if officer_id in ids[:i]:
                raise _FieldError(("officers", i, "id"), f"duplicate officer id {officer_id}")
        for i, officer in enumerate(self.officers):
            for code in officer.grids:
                if code not in codes:
                    raise _FieldError(("officers", i, "grids"), f"unknown grid {code!r}")
        chats = [g.chat_id for g in self.grids]
        for i, grid in enumerate(self.grids):
            if grid.chat_id is not None and grid.chat_id in chats[:i]:
                raise _FieldError(("grids", i, "chat_id"), f"chat {grid.chat_id} bound twice")
        return self


class _FieldError(ValueError):
    def __init__(self, loc: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.loc = loc
        self.message = message


def load_station_file(path: str | Path) -> StationSpec:
    """Read and validate a station file, or raise StationFileError with one line."""
    path = Path(path)
    try:
        raw_text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise StationFileError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise StationFileError(f"{path}: not UTF-8 text") from exc
    return parse_station(raw_text, str(path))


def parse_station(text: str, name: str = "station.toml") -> StationSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = getattr(exc, "lineno", None) or _line_from_message(str(exc), text)
        msg = getattr(exc, "msg", None) or re.sub(r"\s*\(at line.*\)$", "", str(exc))
        raise StationFileError(f"{name}:{line}: TOML syntax error: {msg}") from exc
    try:
        return StationSpec.model_validate(data)
    except _FieldError as exc:
        raise StationFileError(_format(name, text, exc.loc, exc.message)) from exc
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        inner = err.get("ctx", {}).get("error")
        if isinstance(inner, _FieldError):
            raise StationFileError(_format(name, text, inner.loc, inner.message)) from exc
        message = str(err["msg"]).removeprefix("Value error, ")
        if err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "extra_forbidden":
            message = "unknown field"
        raise StationFileError(_format(name, text, loc, message)) from exc


def _line_from_message(message: str, text: str) -> int:
    match = re.search(r"line (\d+)", message)
    # "(at end of document)": the error is on the last line.
    return int(match.group(1)) if match else max(1, len(text.splitlines()))


def _format(name: str, text: str, loc: tuple[Any, ...], message: str) -> str:
    field = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
    return f"{name}:{locate(text, loc)}: {field}: {message}"


def locate(text: str, loc: tuple[Any, ...]) -> int:
    """Best line number for a field path like ('officers', 1, 'grids') in TOML text."""
    table: list[str] = []
    counters: dict[str, int] = {}
    best = 1
    want_table = [p for p in loc if isinstance(p, str)][:1]
    want_index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    want_key = next((p for p in reversed(loc) if isinstance(p, str)), None)
    for lineno, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.match(r"^\[\[\s*([\w.-]+)\s*\]\]", stripped) or re.match(
            r"^\[\s*([\w.-]+)\s*\]", stripped
        )
        if header:
            table = [header.group(1)]
            if stripped.startswith("[["):
                counters[table[0]] = counters.get(table[0], -1) + 1
            if table == want_table and (
                want_index is None or counters.get(table[0]) == want_index
            ):
                best = lineno
            continue
        in_target = table == want_table and (
            want_index is None or counters.get(table[0] if table else "", -1) == want_index
        )
        key = re.match(r"^([\w-]+)\s*=", stripped)
        if key and in_target and key.group(1) == want_key:
            return lineno
    return best
