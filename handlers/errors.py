"""Domain outcomes raised in the core and turned into catalogue replies in one place."""

from __future__ import annotations

from typing import Any


class Reply(Exception):
    """Stop the use case, roll back, and answer the sender with a catalogue entry."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values


class NotAllowed(Reply):
    pass


class TicketNotFound(Reply):
    def __init__(self, number: int | str) -> None:
        super().__init__("ticket_not_found", number=number)


class Alert(Exception):
    """For button presses: answer with an alert, change nothing."""

    def __init__(self, key: str, **values: Any) -> None:
        super().__init__(key)
        self.key = key
        self.values = values
