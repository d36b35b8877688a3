"""Per-bot state: identity, memberships, privacy, commands, update queue, webhook, limits."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.sandbox.fakeapi.limits import RateLimiter
from bot.sandbox.fakeapi.records import JSON
from bot.sandbox.fakeapi.tgjson import bot_user_json
from bot.sandbox.fakeapi.updates import UpdateQueue
from bot.sandbox.fakeapi.webhook import WebhookConfig, WebhookPusher


@dataclass
class BotState:
    """One bot account as the fake server knows it."""

    id: int
    username: str
    first_name: str
    queue: UpdateQueue
    limiter: RateLimiter
    privacy: bool = True
    status: dict[int, str] = field(default_factory=dict)  # chat id -> my status
    blocked_by: set[int] = field(default_factory=set)
    not_started: set[int] = field(default_factory=set)
    commands: dict[str, list[JSON]] = field(default_factory=dict)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    pusher: WebhookPusher | None = None
    logged_out: bool = False

    def user_json(self) -> JSON:
        """The bot as ``from`` of its messages."""
        return bot_user_json(self.id, self.first_name, self.username)

    def me_json(self) -> JSON:
        """getMe result."""
        out = self.user_json()
        out.update(
            can_join_groups=True,
            can_read_all_group_messages=not self.privacy,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return out

    def status_in(self, chat_id: int) -> str:
        """member/administrator/left/kicked; private chats count as member."""
        if chat_id > 0:
            return "kicked" if chat_id in self.blocked_by else "member"
        return self.status.get(chat_id, "left")

    def sees_all(self, chat_id: int) -> bool:
        """Whether privacy mode lets every group message through."""
        return not self.privacy or self.status_in(chat_id) == "administrator"
