"""Telegram's sending limits, kept on our side so the server never has to say 429."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limits:
    per_second: int = 30
    group_per_minute: int = 20
    private_per_second: int = 1
    # Slack on the windows: our clock and the server's see a send at slightly different times.
    # The one-second windows need less of it, or 30/s becomes 27/s.
    margin: float = 0.1
    second_margin: float = 0.02


class Window:
    """At most `limit` events in any `period` seconds."""

    __slots__ = ("limit", "period", "times")

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.times: deque[float] = deque()

    def wait(self, now: float) -> float:
        while self.times and self.times[0] <= now - self.period:
            self.times.popleft()
        if len(self.times) < self.limit:
            return 0.0
        return self.times[0] + self.period - now

    def record(self, now: float) -> None:
        self.times.append(now)

    def move(self, old: float, new: float | None) -> None:
        """An event recorded at `old` happened at `new` instead, or not at all (None).

        Moving one later may leave `times` out of order; `wait` then keeps entries a little
        longer and waits a little longer than needed, never less.
        """
        try:
            i = self.times.index(old)
        except ValueError:
            return
        if new is None:
            del self.times[i]
        else:
            self.times[i] = new


class RateLimiter:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.overall = Window(limits.per_second, 1.0 + limits.second_margin)
        self.chats: dict[int, Window] = {}
        self.blocked_until: dict[int, float] = {}

    def _window(self, chat_id: int) -> Window:
        window = self.chats.get(chat_id)
        if window is None:
            lim = self.limits
            window = (
                Window(lim.group_per_minute, 60.0 + lim.margin)
                if chat_id < 0
                else Window(lim.private_per_second, 1.0 + lim.second_margin)
            )
            self.chats[chat_id] = window
        return window

    def chat_wait(self, chat_id: int, now: float) -> float:
        blocked = self.blocked_until.get(chat_id, 0.0) - now
        return max(blocked, self._window(chat_id).wait(now))

    def overall_wait(self, now: float) -> float:
        return self.overall.wait(now)

    def record(self, chat_id: int, now: float) -> None:
        self.overall.record(now)
        self._window(chat_id).record(now)

    def moved(self, chat_id: int, reserved: float, now: float | None) -> None:
        """A send reserved by `record(chat_id, reserved)` went out at `now` (None: never)."""
        self.overall.move(reserved, now)
        window = self.chats.get(chat_id)
        if window is not None:
            window.move(reserved, now)

    def block(self, chat_id: int, until: float) -> None:
        self.blocked_until[chat_id] = max(until, self.blocked_until.get(chat_id, 0.0))

    def forget_idle(self, now: float) -> None:
        """Drop windows of chats quiet for a minute, so 300 groups cost little memory."""
        for chat_id in [
            c
            for c, w in self.chats.items()
            if w.wait(now) == 0
            and (not w.times or w.times[-1] < now - 61)
            and self.blocked_until.get(c, 0.0) <= now
        ]:
            del self.chats[chat_id]
            self.blocked_until.pop(chat_id, None)
