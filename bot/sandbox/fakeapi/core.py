"""Shared state of the fake server and the helpers used by methods and user actions."""

from __future__ import annotations

from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.events import EventHub
from bot.sandbox.fakeapi.faults import FaultQueue
from bot.sandbox.fakeapi.limits import LimitConfig, RateLimiter
from bot.sandbox.fakeapi.observe import Observer
from bot.sandbox.fakeapi.records import (
    JSON,
    ApiError,
    BotMessage,
    Chat,
    StoredFile,
    StoredMessage,
    bad_request,
    forbidden,
)
from bot.sandbox.fakeapi.tgjson import inline_buttons
from bot.sandbox.fakeapi.updates import UpdateQueue
from bot.sandbox.fakeapi.world import World, stamp


class Core:
    """World + bots + observers; no HTTP here."""

    def __init__(
        self,
        tokens: list[str],
        *,
        bot_username: str = "gridbot_test_bot",
        bot_name: str = "GridBot Test",
        enforce_limits: bool = True,
        limits: LimitConfig | None = None,
    ) -> None:
        if not tokens:
            raise ValueError("at least one token is required")
        self.world = World()
        self.hub = EventHub()
        self.observer = Observer()
        self.faults = FaultQueue()
        self.limits = limits or LimitConfig()
        self.limits.enabled = self.limits.enabled and enforce_limits
        self.tokens: dict[str, int] = {}
        self.bots: dict[int, BotState] = {}
        for index, token in enumerate(tokens):
            bot_id = int(token.split(":", 1)[0])
            self.tokens[token] = bot_id
            if bot_id not in self.bots:
                username = bot_username if index == 0 else f"{bot_username}{len(self.bots) + 1}"
                queue = UpdateQueue(on_change=self.observer.changed)
                limiter = RateLimiter(self.limits)
                self.bots[bot_id] = BotState(bot_id, username, bot_name, queue, limiter)
        self.primary_id = next(iter(self.bots))
        self.pending_callbacks: dict[str, JSON] = {}

    # -- bots ------------------------------------------------------------------------------
    def bot(self, bot_id: int | None = None) -> BotState:
        """A bot by id (default: the first token's bot)."""
        return self.bots[self.primary_id if bot_id is None else bot_id]

    def enqueue(
        self, bot: BotState, kind: str, payload: JSON, push_to: str | None = None
    ) -> int | None:
        """Create an update for ``bot``; its update_id, None if ``allowed_updates`` drops it."""
        update_id = bot.queue.new_id()
        queued = bot.queue.put({"update_id": update_id, kind: payload}, push_to)
        return update_id if queued else None

    def check_can_send(self, bot: BotState, chat: Chat) -> None:
        """Raise the error Telegram gives when ``bot`` may not post in ``chat``."""
        if chat.migrated_to is not None:
            raise bad_request(
                "group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.type == "private":
            if chat.id in bot.blocked_by:
                raise forbidden("bot was blocked by the user")
            if chat.id in bot.not_started:
                raise forbidden("bot can't initiate conversation with a user")
            return
        status = bot.status_in(chat.id)
        if status == "kicked":
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        if status not in ("member", "administrator", "creator"):
            raise forbidden(f"bot is not a member of the {chat.type} chat")

    def check_flood(self, bot: BotState, chat: Chat) -> None:
        """Apply flood limits to a message-creating call."""
        retry = bot.limiter.check(chat.id)
        if retry is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})

    # -- recording bot output --------------------------------------------------------------
    def record_bot_message(
        self, bot: BotState, stored: StoredMessage, kind: str, file: StoredFile | None = None
    ) -> BotMessage:
        """Remember what the bot sent and publish it."""
        body = stored.json
        reply = body.get("reply_to_message")
        record = BotMessage(
            bot_id=bot.id,
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            kind=kind,
            text=body.get("text"),
            reply_to_message_id=reply["message_id"] if reply else None,
            buttons=inline_buttons(body.get("reply_markup")),
            file=file.data if file else None,
            filename=file.filename if file else None,
            caption=body.get("caption"),
            time=stamp(),
        )
        self.observer.bot_messages.append(record)
        self.publish_message("bot", stored, [])
        return record

    def find_bot_message(self, chat_id: int, message_id: int) -> BotMessage | None:
        for record in self.observer.bot_messages:
            if record.chat_id == chat_id and record.message_id == message_id:
                return record
        return None

    def publish_message(self, origin: str, stored: StoredMessage, delivered_to: list[int]) -> None:
        """Event ``message``: a new message by a user (``origin="user"``) or a bot."""
        self.hub.publish(
            "message",
            origin=origin,
            bot_id=stored.bot_id,
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            message=stored.json,
            delivered_to=delivered_to,
        )
        self.observer.changed()

    def publish_edit(self, origin: str, stored: StoredMessage, delivered_to: list[int]) -> None:
        """Event ``edit``: a message's text or keyboard changed."""
        self.hub.publish(
            "edit",
            origin=origin,
            bot_id=stored.bot_id,
            chat_id=stored.chat_id,
            message_id=stored.message_id,
            message=stored.json,
            delivered_to=delivered_to,
        )
        self.observer.changed()
