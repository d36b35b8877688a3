"""Acting as users: sending, editing and pressing buttons (creates updates for bots)."""

from __future__ import annotations

import itertools
import secrets

from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.core import Core
from bot.sandbox.fakeapi.records import JSON, Chat, PressRef, SentRef, StoredMessage, User
from bot.sandbox.fakeapi.tgjson import detect_entities, leading_command, mentions, now, user_json
from bot.sandbox.fakeapi.world import drop_none


class UserActions(Core):
    """World set-up and the things a human can do."""

    _callback_seq = itertools.count(1)

    # -- set-up ----------------------------------------------------------------------------
    def add_user(
        self,
        user_id: int,
        first_name: str,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        started: bool = True,
    ) -> User:
        """Create a user and their private chat (``started=False``: never pressed /start)."""
        user = self.world.add_user(User(user_id, first_name, last_name, username, language_code))
        for bot in self.bots.values():
            if started:
                bot.not_started.discard(user_id)
            else:
                bot.not_started.add(user_id)
        return user

    def add_group(
        self,
        chat_id: int,
        title: str,
        *,
        supergroup: bool = False,
        username: str | None = None,
        members: dict[int, str] | None = None,
        bot_status: str | None = None,
    ) -> Chat:
        """Create a group; ``bot_status`` ("member"/"administrator") puts the bot in silently."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = Chat(chat_id, "supergroup" if supergroup else "group", title, username)
        chat.members.update(members or {})
        self.world.add_chat(chat)
        if bot_status is not None:
            for bot in self.bots.values():
                bot.status[chat_id] = bot_status
        return chat

    def set_member_status(self, chat_id: int, user_id: int, status: str) -> None:
        """creator / administrator / member / left / kicked for a human in a group."""
        self.world.chat(chat_id).members[user_id] = status

    def set_privacy(self, enabled: bool, *, bot_id: int | None = None) -> None:
        """BotFather's privacy mode (default on)."""
        self.bot(bot_id).privacy = enabled

    # -- delivery --------------------------------------------------------------------------
    def _passes_privacy(
        self, bot: BotState, chat: Chat, text: str, reply: StoredMessage | None
    ) -> bool:
        if chat.type == "private" or bot.sees_all(chat.id):
            return True
        if reply is not None and reply.bot_id == bot.id:
            return True
        command = leading_command(text)
        if command is not None:
            target = command[1]
            return target is None or target.lower() == bot.username.lower()
        return bot.username.lower() in mentions(text)

    def _recipients(
        self, chat: Chat, bot_id: int | None, text: str | None, reply: StoredMessage | None
    ) -> list[BotState]:
        """Bots that get an update; ``text=None`` marks a service message (no privacy)."""
        if chat.type == "private":
            return [self.bot(bot_id)]
        return [
            bot
            for bot in self.bots.values()
            if bot.status_in(chat.id) in ("member", "administrator")
            and (text is None or self._passes_privacy(bot, chat, text, reply))
        ]

    def deliver(
        self,
        chat: Chat,
        kind: str,
        stored: StoredMessage,
        *,
        text: str | None,
        reply: StoredMessage | None = None,
        bot_id: int | None = None,
        push_to: str | None = None,
    ) -> tuple[int | None, list[int]]:
        """Queue ``kind`` updates for the recipients; returns (update id for ``bot_id``, ids)."""
        wanted = self.bot(bot_id).id
        mine: int | None = None
        got: list[int] = []
        for bot in self._recipients(chat, bot_id, text, reply):
            update_id = self.enqueue(bot, kind, stored.json, push_to)
            if update_id is None:
                continue
            got.append(bot.id)
            if bot.id == wanted:
                mine = update_id
        return mine, got

    def _speaker(self, user_id: int, chat_id: int) -> tuple[User, Chat]:
        user = self.world.user(user_id)
        chat = self.world.chat(chat_id)
        if chat.type == "private" and chat.id != user_id:
            raise ValueError(f"user {user_id} cannot write in private chat {chat_id}")
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}")
        if chat.type != "private":
            chat.members.setdefault(user_id, "member")
        return user, chat

    # -- user actions ----------------------------------------------------------------------
    async def user_sends(
        self,
        user_id: int,
        chat_id: int,
        text: str,
        *,
        reply_to: int | None = None,
        bot_id: int | None = None,
        push_to: str | None = None,
    ) -> SentRef:
        """A user posts ``text`` (``reply_to``: message id in the same chat)."""
        user, chat = self._speaker(user_id, chat_id)
        reply = None
        if reply_to is not None:
            reply = self.world.message(chat.id, reply_to)
            if reply is None:
                raise KeyError(f"no message {reply_to} in chat {chat_id}")
        if chat.type == "private":
            bot = self.bot(bot_id)
            if user_id in bot.blocked_by:
                raise ValueError(f"user {user_id} blocked the bot; call user_unblocks_bot()")
            bot.not_started.discard(user_id)
        fields = drop_none(
            {
                "text": text,
                "entities": detect_entities(text) or None,
                "reply_to_message": self.world.nested(reply) if reply else None,
            }
        )
        stored = self.world.new_message(chat, user_json(user), fields)
        update_id, got = self.deliver(
            chat, "message", stored, text=text, reply=reply, bot_id=bot_id, push_to=push_to
        )
        self.publish_message("user", stored, got)
        return SentRef(stored.message_id, update_id)

    async def user_edits(
        self, user_id: int, chat_id: int, message_id: int, text: str, *, bot_id: int | None = None
    ) -> SentRef:
        """The author edits their message -> ``edited_message`` update."""
        _, chat = self._speaker(user_id, chat_id)
        stored = self.world.message(chat.id, message_id)
        if stored is None or stored.json["from"]["id"] != user_id:
            raise KeyError(f"user {user_id} has no message {message_id} in chat {chat_id}")
        body = {k: v for k, v in stored.json.items() if k != "entities"}
        body.update(drop_none({"text": text, "entities": detect_entities(text) or None}))
        body["edit_date"] = now()
        stored.json = body
        reply_id = body.get("reply_to_message", {}).get("message_id")
        reply = self.world.message(chat.id, reply_id) if reply_id else None
        update_id, got = self.deliver(
            chat, "edited_message", stored, text=text, reply=reply, bot_id=bot_id
        )
        self.publish_edit("user", stored, got)
        return SentRef(message_id, update_id)

    async def user_presses(
        self,
        user_id: int,
        chat_id: int,
        message_id: int,
        data: str,
        *,
        push_to: str | None = None,
        check_button: bool = True,
    ) -> PressRef:
        """A user presses an inline button -> ``callback_query`` update to the message's bot."""
        user = self.world.user(user_id)
        stored = self.world.message(chat_id, message_id)
        if stored is None:
            raise KeyError(f"no message {message_id} in chat {chat_id}")
        bot = self.bot(stored.bot_id)
        if check_button and data not in _callback_data(stored.json):
            raise ValueError(f"message {message_id} has no button with callback_data {data!r}")
        query_id = f"{next(self._callback_seq)}{secrets.randbelow(10**9):09d}"
        payload: JSON = {
            "id": query_id,
            "from": user_json(user),
            "message": stored.json,
            "chat_instance": str(abs(chat_id) * 7919 + bot.id),
            "data": data,
        }
        self.pending_callbacks[query_id] = {
            "bot_id": bot.id, "user_id": user_id, "chat_id": chat_id, "message_id": message_id,
        }  # fmt: skip
        update_id = self.enqueue(bot, "callback_query", payload, push_to)
        self.hub.publish(
            "callback_query",
            bot_id=bot.id,
            callback_query_id=query_id,
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            data=data,
        )
        self.observer.changed()
        return PressRef(query_id, update_id)

    async def redeliver(
        self, update_id: int, to_url: str | None = None, *, bot_id: int | None = None
    ) -> None:
        """Queue an already created update again (same update_id); ``to_url`` pushes it there."""
        bot = self.bot(bot_id)
        update = bot.queue.history.get(update_id)
        if update is None:
            raise KeyError(f"bot {bot.id} never had update {update_id}")
        bot.queue.put(update, to_url)


def _callback_data(message: JSON) -> set[str]:
    rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
    return {str(b["callback_data"]) for row in rows for b in row if "callback_data" in b}
