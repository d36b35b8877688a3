"""Bot API update JSON -> Incoming, the one translator both runtimes share."""

from __future__ import annotations

from typing import Any

from bot.translate import incoming_from_update
from handlers.events import ChatRef, EventKind, Incoming, UserRef

BOT_ID = 123456
GROUP = {"id": -1001001, "type": "supergroup", "title": "南湖一网格群"}
RESIDENT = {"id": 3001, "is_bot": False, "first_name": "张", "last_name": "三",
            "username": "zhangsan"}
BOT = {"id": BOT_ID, "is_bot": True, "first_name": "GridBot", "username": "gridbot_test_bot"}


def message(text: str = "#报事 楼道灯坏了", **extra: Any) -> dict[str, Any]:
    return {"message_id": 42, "date": 0, "chat": GROUP, "from": RESIDENT, "text": text, **extra}


def translate(update: dict[str, Any], **kw: Any) -> Incoming | None:
    return incoming_from_update(update, BOT_ID, **kw)


def test_group_message_becomes_message_event() -> None:
    incoming = translate({"update_id": 7, "message": message()})
    assert incoming == Incoming(
        update_id=7, kind=EventKind.MESSAGE,
        chat=ChatRef(id=-1001001, kind="group", title="南湖一网格群"),
        sender=UserRef(id=3001, name="张 三", username="zhangsan"),
        text="#报事 楼道灯坏了", message_id=42, reply_to_bot=False,
    )


def test_private_message_has_private_chat_titled_by_name() -> None:
    chat = {"id": 3001, "type": "private", "first_name": "张", "last_name": "三"}
    incoming = translate({"update_id": 1, "message": message(chat=chat)})
    assert incoming is not None
    assert incoming.chat == ChatRef(id=3001, kind="private", title="张 三")


def test_reply_to_the_bot_is_flagged() -> None:
    reply = {"message_id": 41, "date": 0, "chat": GROUP, "from": BOT, "text": "已登记"}
    incoming = translate({"update_id": 1, "message": message("还没修", reply_to_message=reply)})
    assert incoming is not None
    assert incoming.reply_to_bot


def test_reply_to_another_user_is_not_a_reply_to_the_bot() -> None:
    reply = {"message_id": 41, "date": 0, "chat": GROUP, "from": RESIDENT, "text": "x"}
    incoming = translate({"update_id": 1, "message": message("同意", reply_to_message=reply)})
    assert incoming is not None
    assert not incoming.reply_to_bot


def test_photo_caption_is_the_text() -> None:
    msg = message()
    del msg["text"]
    msg["caption"], msg["photo"] = "#报事 井盖丢了", [{"file_id": "f", "width": 1, "height": 1}]
    incoming = translate({"update_id": 1, "message": msg})
    assert incoming is not None
    assert incoming.text == "#报事 井盖丢了"


def test_edited_message_becomes_edited_event() -> None:
    incoming = translate({"update_id": 2, "edited_message": message("#报事 改过的")})
    assert incoming is not None
    assert incoming.kind is EventKind.EDITED
    assert incoming.text == "#报事 改过的"


def test_user_without_name_is_named_by_username_or_id() -> None:
    anon = translate({"update_id": 1, "message": message(**{"from": {"id": 5, "is_bot": False,
                                                                       "first_name": ""}})})
    assert anon is not None
    assert anon.sender.name == "5"


def test_group_migration_carries_the_new_chat_id() -> None:
    incoming = translate({"update_id": 3, "message": message(migrate_to_chat_id=-100999)})
    assert incoming is not None
    assert incoming.kind is EventKind.MIGRATED
    assert incoming.migrate_to_chat_id == -100999


def test_button_press_becomes_callback_event() -> None:
    update = {"update_id": 4, "callback_query": {
        "id": "cb1", "from": RESIDENT, "data": "rate1:12:1", "chat_instance": "x",
        "message": {"message_id": 50, "date": 0, "chat": GROUP, "from": BOT, "text": "评价"}}}
    incoming = translate(update)
    assert incoming is not None
    assert (incoming.kind, incoming.callback_data, incoming.callback_id, incoming.message_id) == (
        EventKind.CALLBACK, "rate1:12:1", "cb1", 50)
    assert incoming.sender.id == 3001


def test_button_press_on_inaccessible_message_is_ignored() -> None:
    update = {"update_id": 4, "callback_query": {"id": "cb1", "from": RESIDENT, "data": "x",
                                                 "chat_instance": "x"}}
    assert translate(update) is None


def member_update(old: str, new: str, chat: dict[str, Any] = GROUP) -> dict[str, Any]:
    return {"update_id": 9, "my_chat_member": {
        "chat": chat, "from": RESIDENT, "date": 0,
        "old_chat_member": {"status": old, "user": BOT},
        "new_chat_member": {"status": new, "user": BOT}}}


def test_bot_added_as_member_joins_without_reading_all() -> None:
    incoming = translate(member_update("left", "member"))
    assert incoming is not None
    assert incoming.kind is EventKind.BOT_JOINED
    assert incoming.can_read_all is False


def test_bot_added_as_member_with_privacy_off_reads_all() -> None:
    incoming = translate(member_update("left", "member"), bot_reads_all=True)
    assert incoming is not None
    assert incoming.can_read_all is True


def test_bot_added_as_admin_reads_all() -> None:
    incoming = translate(member_update("kicked", "administrator"))
    assert incoming is not None
    assert (incoming.kind, incoming.can_read_all) == (EventKind.BOT_JOINED, True)


def test_bot_removed_from_group_becomes_bot_left() -> None:
    incoming = translate(member_update("member", "kicked"))
    assert incoming is not None
    assert incoming.kind is EventKind.BOT_LEFT


def test_bot_promoted_in_place_is_ignored() -> None:
    assert translate(member_update("member", "administrator")) is None


def test_private_chat_member_changes_are_ignored() -> None:
    private = {"id": 3001, "type": "private", "first_name": "张"}
    assert translate(member_update("member", "kicked", chat=private)) is None


def test_unhandled_update_types_are_ignored() -> None:
    post = {"message_id": 1, "date": 0, "chat": {"id": -100, "type": "channel"}, "text": "x"}
    assert translate({"update_id": 5, "channel_post": post}) is None
    assert translate({"update_id": 6, "poll": {"id": "p"}}) is None
