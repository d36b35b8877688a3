"""What the core is handed: ports, never globals."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from handlers.clock import Clock
from storage.uow import UowFactory


class Classified(Protocol):
    @property
    def is_report(self) -> bool: ...
    @property
    def category(self) -> str: ...
    @property
    def urgent(self) -> bool: ...


class MessageClassifier(Protocol):
    def classify(self, text: str) -> Classified: ...

    def classify_report(self, text: str) -> Classified:
        """For a message known to be a report: its best category and urgency."""


@dataclass(frozen=True, slots=True)
class BotIdentity:
    id: int
    username: str


def _nothing() -> None:
    return None


@dataclass(frozen=True, slots=True)
class Deps:
    uow: UowFactory
    clock: Clock
    classifier: MessageClassifier
    bot: BotIdentity
    # Called after each commit that wrote outbox rows, so the sender wakes at once.
    wake_sender: Callable[[], None] = field(default=_nothing)
