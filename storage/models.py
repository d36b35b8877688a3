"""SQLAlchemy models: station, grids, people, tickets, their audit trail and the outbox."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware in, timezone-aware (UTC) out, on SQLite as on PostgreSQL.

    SQLite keeps no zone, so values are stored as UTC; the fixed-width text form then
    sorts and compares like the instant it names.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, _dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


TZDateTime = UTCDateTime()


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Station(Base):
    __tablename__ = "station"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    language: Mapped[str] = mapped_column(String(8), default="zh")
    intake: Mapped[str] = mapped_column(String(16), default="suggest")
    sla: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    next_ticket_number: Mapped[int] = mapped_column(Integer, default=1)


class Grid(Base):
    __tablename__ = "grid"
    __table_args__ = (UniqueConstraint("station_id", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))


class GroupChat(Base):
    """A Telegram group the bot is in; bound to at most one grid."""

    __tablename__ = "group_chat"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id"))
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"), index=True)
    title: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default="active")
    status_reason: Mapped[str | None] = mapped_column(String(255))
    migrated_to: Mapped[int | None] = mapped_column(BigInteger)


class Person(Base):
    """A Telegram user seen by the bot or named in the station file."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(255), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    has_private_chat: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked: Mapped[bool] = mapped_column(Boolean, default=False)


class Role(Base):
    """officer, chief or superior of a station; officers carry their grids."""

    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("station_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OfficerGrid(Base):
    __tablename__ = "officer_grid"
    __table_args__ = (UniqueConstraint("grid_id", "person_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grid.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Department(Base):
    __tablename__ = "department"
    __table_args__ = (UniqueConstraint("station_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    name: Mapped[str] = mapped_column(String(200))
    chat_id: Mapped[int | None] = mapped_column(BigInteger)


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        UniqueConstraint("station_id", "number"),
        UniqueConstraint("source_chat_id", "source_message_id"),
        Index("ix_ticket_station_status", "station_id", "status"),
        Index("ix_ticket_station_created", "station_id", "created_at"),
        Index("ix_ticket_reporter_status", "reporter_id", "status"),
        Index("ix_ticket_officer_status", "officer_id", "status"),
        # Reports find old tickets resolved after a period without reading the whole table.
        Index("ix_ticket_station_resolved", "station_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    number: Mapped[int] = mapped_column(Integer)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grid.id"))
    source_chat_id: Mapped[int] = mapped_column(BigInteger)
    source_message_id: Mapped[int] = mapped_column(BigInteger)
    reporter_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="new")
    officer_id: Mapped[int | None] = mapped_column(BigInteger)
    department: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    taken_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    # When the current SLA clock started: creation, or the latest reopening.
    clock_started_at: Mapped[datetime] = mapped_column(TZDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    escalation_stage: Mapped[str | None] = mapped_column(String(32))
    # Indexed so an overdue sweep reads only due rows, never all open tickets.
    next_escalation_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    rating: Mapped[int | None] = mapped_column(Integer)
    rated_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    follow_up_at: Mapped[datetime | None] = mapped_column(TZDateTime, index=True)
    follow_up_answer: Mapped[str | None] = mapped_column(String(16))
    resolution: Mapped[str | None] = mapped_column(Text)


class TicketEvent(Base):
    """Audit row: who did what to a ticket, when, with the fields before and after."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(32))
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str | None] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(Boolean, default=False)
    at: Mapped[datetime] = mapped_column(TZDateTime, index=True)


class Escalation(Base):
    __tablename__ = "escalation"
    __table_args__ = (UniqueConstraint("ticket_id", "level", "cycle"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"))
    level: Mapped[str] = mapped_column(String(32))
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    at: Mapped[datetime] = mapped_column(TZDateTime)


class ProcessedUpdate(Base):
    """Telegram redelivers updates: an update id is handled once."""

    __tablename__ = "processed_update"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[datetime] = mapped_column(TZDateTime, index=True)


class InboundUpdate(Base):
    """A pushed update, stored before Telegram gets its 200 and deleted once handled.

    A chat's oldest row is its head; only a head without a live claim in its chat may be
    claimed, so one chat is handled one update at a time, by whichever worker holds it.
    """

    __tablename__ = "inbound_update"
    __table_args__ = (Index("ix_inbound_update_chat", "chat", "update_id"),)

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat: Mapped[str] = mapped_column(String(40))
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(TZDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    claimed_by: Mapped[str | None] = mapped_column(String(300))
    claimed_until: Mapped[datetime | None] = mapped_column(TZDateTime)


class OutboxMessage(Base):
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "status", "priority", "available_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(16), default="text")
    text: Mapped[str] = mapped_column(Text, default="")
    reply_to: Mapped[int | None] = mapped_column(BigInteger)
    buttons: Mapped[list[list[list[str]]]] = mapped_column(JSON, default=list)
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    filename: Mapped[str | None] = mapped_column(String(255))
    # Lower sends first: acknowledgements before broadcasts.
    priority: Mapped[int] = mapped_column(Integer, default=5)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    available_at: Mapped[datetime] = mapped_column(TZDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(TZDateTime)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    error: Mapped[str | None] = mapped_column(String(500))
    telegram_message_id: Mapped[int | None] = mapped_column(BigInteger)
    ticket_id: Mapped[int | None] = mapped_column(Integer)
    broadcast_id: Mapped[int | None] = mapped_column(Integer, index=True)
    station_id: Mapped[int | None] = mapped_column(Integer)


class Broadcast(Base):
    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id"))
    chief_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    total: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(TZDateTime)
    progress_at: Mapped[datetime | None] = mapped_column(TZDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(TZDateTime)


class IntakeSuggestion(Base):
    """An untagged message that looked like a report; a button may register it."""

    __tablename__ = "intake_suggestion"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    message_id: Mapped[int] = mapped_column(BigInteger)
    sender_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(TZDateTime)


class JobRun(Base):
    """One row per scheduled job and due time, so two processes run it once."""

    __tablename__ = "job_run"
    __table_args__ = (UniqueConstraint("job", "due_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    due_key: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(TZDateTime)
