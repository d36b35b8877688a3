"""Request parameter parsing: JSON body, query string, urlencoded and multipart forms."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from bot.sandbox.fakeapi.records import JSON, bad_request


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    data: bytes
    filename: str | None
    content_type: str | None


class Params:
    """Typed access to Bot API parameters (form values arrive as strings, JSON typed)."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload] | None = None) -> None:
        self.values = values
        self.uploads = uploads or {}

    def has(self, key: str) -> bool:
        return self.values.get(key) is not None or key in self.uploads

    def raw(self, key: str) -> Any:
        return self.values.get(key)

    def string(self, key: str, default: str | None = None) -> str | None:
        value = self.values.get(key)
        if value is None:
            return default
        return value if isinstance(value, str) else json.dumps(value)

    def require_str(self, key: str) -> str:
        value = self.string(key)
        if value is None:
            raise bad_request(f"{key} is empty")
        return value

    def integer(self, key: str, default: int | None = None) -> int | None:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            raise bad_request(f'field "{key}" must be a number')
        try:
            return int(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{key}" must be a number') from None

    def require_int(self, key: str) -> int:
        value = self.integer(key)
        if value is None:
            raise bad_request(f"{key} is empty")
        return value

    def number(self, key: str, default: float) -> float:
        value = self.values.get(key)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f'field "{key}" must be a number') from None

    def flag(self, key: str, default: bool = False) -> bool:
        value = self.values.get(key)
        if value is None:
            return default
        if isinstance(value, str):
            return value.strip().lower() in {"true", "1", "yes", "on"}
        return bool(value)

    def obj(self, key: str) -> Any:
        """Nested object: decoded when it arrived JSON-encoded in a form."""
        value = self.values.get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(f"can't parse {key} JSON object") from None
        return value

    def summary(self) -> JSON:
        """Parameters for the call log: values as received, uploads as ``<file name N bytes>``."""
        out = dict(self.values)
        for key, up in self.uploads.items():
            out[key] = f"<file {up.filename or '?'} {len(up.data)} bytes>"
        return out


async def parse_request(request: web.Request) -> Params:
    """Read parameters the way the Bot API accepts them."""
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method != "POST" or not request.can_read_body:
        return Params(values)
    ctype = request.content_type
    if ctype == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON body") from None
        if isinstance(body, dict):
            values.update(body)
        return Params(values)
    if ctype in {"application/x-www-form-urlencoded", "multipart/form-data"}:
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                uploads[key] = Upload(value.file.read(), value.filename, value.content_type)
            else:
                values[key] = value if isinstance(value, str) else bytes(value).decode()
    return Params(values, uploads)
