"""Membership events: adding/removing the bot, blocking, group -> supergroup migration."""

from __future__ import annotations

from bot.sandbox.fakeapi.actions import UserActions
from bot.sandbox.fakeapi.bots import BotState
from bot.sandbox.fakeapi.records import JSON, Chat, SentRef
from bot.sandbox.fakeapi.tgjson import ANONYMOUS_GROUP_BOT, member_json, now, user_json


class ChatActions(UserActions):
    """Things that change who is in which chat."""

    def _actor(self, user_id: int | None) -> JSON:
        return ANONYMOUS_GROUP_BOT if user_id is None else user_json(self.world.user(user_id))

    def _my_member(self, bot: BotState, chat: Chat, actor: JSON, old: str, new: str) -> int | None:
        me = bot.user_json()
        payload: JSON = {
            "chat": self.world.chat_json(chat),
            "from": actor,
            "date": now(),
            "old_chat_member": member_json(me, old, is_bot=True),
            "new_chat_member": member_json(me, new, is_bot=True),
        }
        bot.status[chat.id] = new
        update_id = self.enqueue(bot, "my_chat_member", payload)
        self.hub.publish(
            "member", bot_id=bot.id, chat_id=chat.id, old_status=old, new_status=new, actor=actor
        )
        self.observer.changed()
        return update_id

    def _group(self, chat_id: int) -> Chat:
        chat = self.world.chat(chat_id)
        if chat.type == "private":
            raise ValueError(f"chat {chat_id} is not a group")
        return chat

    def _service(self, chat: Chat, actor: JSON, fields: JSON) -> SentRef:
        """A service message; delivered to member bots regardless of privacy mode."""
        stored = self.world.new_message(chat, actor, fields)
        update_id, got = self.deliver(chat, "message", stored, text=None)
        self.publish_message("user", stored, got)
        return SentRef(stored.message_id, update_id)

    async def add_bot_to_group(
        self, chat_id: int, by_user_id: int, *, as_admin: bool = False, bot_id: int | None = None
    ) -> SentRef:
        """my_chat_member (left -> member/administrator) + new_chat_members message.

        Returns the service message id and the my_chat_member update id.
        """
        chat = self._group(chat_id)
        bot = self.bot(bot_id)
        actor = self._actor(by_user_id)
        chat.members.setdefault(by_user_id, "member")
        new = "administrator" if as_admin else "member"
        update_id = self._my_member(bot, chat, actor, bot.status_in(chat.id), new)
        service = self._service(chat, actor, {"new_chat_members": [bot.user_json()]})
        return SentRef(service.message_id, update_id)

    async def promote_bot(
        self, chat_id: int, by_user_id: int, *, admin: bool = True, bot_id: int | None = None
    ) -> int | None:
        """Make the bot administrator (or demote it to member); my_chat_member update id."""
        chat = self._group(chat_id)
        bot = self.bot(bot_id)
        new = "administrator" if admin else "member"
        return self._my_member(bot, chat, self._actor(by_user_id), bot.status_in(chat.id), new)

    async def remove_bot_from_group(
        self, chat_id: int, by_user_id: int | None = None, *, bot_id: int | None = None
    ) -> int | None:
        """Kick the bot: my_chat_member (-> kicked); later sends get 403. Returns update id."""
        chat = self._group(chat_id)
        bot = self.bot(bot_id)
        actor = self._actor(by_user_id)
        update_id = self._my_member(bot, chat, actor, bot.status_in(chat.id), "kicked")
        service = self.world.new_message(chat, actor, {"left_chat_member": bot.user_json()})
        self.publish_message("user", service, [])
        return update_id

    async def user_blocks_bot(self, user_id: int, *, bot_id: int | None = None) -> int | None:
        """my_chat_member in the private chat (member -> kicked); sends then get 403."""
        bot = self.bot(bot_id)
        chat = self.world.chat(user_id)
        update_id = self._my_member(bot, chat, self._actor(user_id), "member", "kicked")
        bot.blocked_by.add(user_id)
        return update_id

    async def user_unblocks_bot(self, user_id: int, *, bot_id: int | None = None) -> int | None:
        """my_chat_member (kicked -> member)."""
        bot = self.bot(bot_id)
        bot.blocked_by.discard(user_id)
        chat = self.world.chat(user_id)
        return self._my_member(bot, chat, self._actor(user_id), "kicked", "member")

    async def migrate_group(
        self, chat_id: int, new_chat_id: int, *, by_user_id: int | None = None
    ) -> tuple[SentRef, SentRef]:
        """Upgrade a group to a supergroup.

        The old chat gets a ``migrate_to_chat_id`` message, the new supergroup a
        ``migrate_from_chat_id`` one; bots keep their status; sends to the old id then fail
        with 400 and ``parameters.migrate_to_chat_id``.
        """
        old = self._group(chat_id)
        if old.type != "group" or old.migrated_to is not None:
            raise ValueError(f"chat {chat_id} is not a basic group")
        new = Chat(new_chat_id, "supergroup", old.title, members=dict(old.members))
        self.world.add_chat(new)
        for bot in self.bots.values():
            if bot.status_in(chat_id) in ("member", "administrator"):
                bot.status[new_chat_id] = bot.status_in(chat_id)
        actor = self._actor(by_user_id)
        first = self._service(old, actor, {"migrate_to_chat_id": new_chat_id})
        old.migrated_to = new_chat_id
        second = self._service(new, actor, {"migrate_from_chat_id": chat_id})
        return first, second
