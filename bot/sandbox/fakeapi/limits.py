"""Telegram flood limits as token buckets.

Rule (per bot), checked for every message-creating call (sendMessage, sendPhoto,
sendDocument) that is otherwise valid:

* global: bucket of capacity ``global_per_sec + burst``, refilled at ``global_per_sec``/s;
* group/supergroup chat (id < 0): capacity ``group_per_min + burst``, refilled at
  ``group_per_min``/60 s;
* private chat (id > 0): capacity ``private_per_sec + burst``, refilled at
  ``private_per_sec``/s.

Each accepted send takes one token from the global bucket and from its chat's bucket.
A send is refused with 429 when any of its buckets holds less than one token once
``tolerance`` seconds of extra refill are granted (absorbs timer/network jitter).
``retry_after`` is ``ceil`` of the time until every bucket holds a token (at least 1).
A client that keeps to "N per window" with a sliding window or a leaky bucket never
exceeds these buckets, so it never sees a false 429.  Refused sends take no tokens.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

_EPSILON = 1e-9


@dataclass
class LimitConfig:
    """Flood-limit settings; ``enabled=False`` switches every check off."""

    enabled: bool = True
    global_per_sec: float = 30.0
    group_per_min: float = 20.0
    private_per_sec: float = 1.0
    burst: int = 0
    tolerance: float = 0.1


@dataclass
class _Bucket:
    capacity: float
    rate: float  # tokens per second
    level: float
    stamp: float

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.stamp) * self.rate)
        self.stamp = now

    def wait_time(self, tolerance: float) -> float:
        missing = 1.0 - (self.level + tolerance * self.rate)
        return 0.0 if missing <= _EPSILON else missing / self.rate


@dataclass
class RateLimiter:
    """Per-bot flood control."""

    config: LimitConfig = field(default_factory=LimitConfig)
    _buckets: dict[str, _Bucket] = field(default_factory=dict)

    def _bucket(self, key: str, per_window: float, window: float, now: float) -> _Bucket:
        bucket = self._buckets.get(key)
        capacity = per_window + self.config.burst
        if bucket is None:
            bucket = _Bucket(capacity, per_window / window, capacity, now)
            self._buckets[key] = bucket
        bucket.refill(now)
        return bucket

    def check(self, chat_id: int, now: float | None = None) -> int | None:
        """Take tokens for a send to ``chat_id``; return ``retry_after`` seconds if refused."""
        cfg = self.config
        if not cfg.enabled:
            return None
        stamp = time.monotonic() if now is None else now
        buckets = [self._bucket("global", cfg.global_per_sec, 1.0, stamp)]
        if chat_id < 0:
            buckets.append(self._bucket(f"chat:{chat_id}", cfg.group_per_min, 60.0, stamp))
        else:
            buckets.append(self._bucket(f"chat:{chat_id}", cfg.private_per_sec, 1.0, stamp))
        wait = max(b.wait_time(cfg.tolerance) for b in buckets)
        if wait > 0:
            return max(1, math.ceil(wait))
        for bucket in buckets:
            bucket.level = max(0.0, bucket.level - 1.0)
        return None

    def reset(self) -> None:
        """Forget all history (full buckets)."""
        self._buckets.clear()
