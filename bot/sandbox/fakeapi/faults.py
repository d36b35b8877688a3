"""Fault injection: scripted failures and delays, consumed in the order they were added."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.fakeapi.records import ApiError

TOO_MANY = 429
_DEFAULT_TEXT = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: injected failure",
    404: "Not Found",
    409: "Conflict: injected failure",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


@dataclass
class Fault:
    """One scripted fault: an error answer (``status``) or a held response (``delay``)."""

    method: str  # lower-case method name or "*"
    times: int
    status: int | None = None
    retry_after: int | None = None
    description: str | None = None
    chat_id: int | None = None
    delay: float = 0.0

    def matches(self, method: str, chat_id: int | None) -> bool:
        if self.method not in ("*", method.lower()):
            return False
        return self.chat_id is None or self.chat_id == chat_id

    def error(self) -> ApiError:
        status = self.status or 500
        if status == TOO_MANY:
            retry = self.retry_after or 1
            text = self.description or f"Too Many Requests: retry after {retry}"
            return ApiError(429, text, {"retry_after": retry})
        text = self.description or _DEFAULT_TEXT.get(status, f"Error {status}")
        params = {"retry_after": self.retry_after} if self.retry_after else None
        return ApiError(status, text, params)


class FaultQueue:
    """Ordered faults; the first entry matching a call is used (and its ``times`` decremented)."""

    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        if fault.times > 0:
            self.pending.append(fault)

    def take(self, method: str, chat_id: int | None) -> Fault | None:
        for fault in self.pending:
            if fault.matches(method, chat_id):
                fault.times -= 1
                if fault.times <= 0:
                    self.pending.remove(fault)
                return fault
        return None

    def clear(self) -> None:
        self.pending.clear()
