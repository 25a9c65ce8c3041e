"""Typed SQLAlchemy 2 models of the contact network, inbox, outbox and audit log."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING",
    "AuditEntry",
    "Base",
    "ChatSession",
    "ContactLink",
    "ContactTier",
    "Counter",
    "Deputy",
    "DeputyGroup",
    "DeputyLevel",
    "DeputyStation",
    "GroupMembership",
    "InboxUpdate",
    "OutboxMessage",
    "OutboxStatus",
    "Person",
    "PersonRole",
    "Role",
    "SpecialCommittee",
    "SpecialCommitteeMember",
    "Station",
    "StationKind",
    "UTCDateTime",
    "utcnow",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware UTC datetimes on both SQLite (which drops the zone) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; store aware UTC datetimes")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[str]: JSON,
    }


class Role(enum.StrEnum):
    """What a person may do; one person can hold several."""

    CONSTITUENT = "constituent"
    DEPUTY = "deputy"
    COMMITTEE_MEMBER = "committee_member"
    PRESIDIUM = "presidium"
    STAFF = "staff"
    UNIT_OFFICER = "unit_officer"
    ADMIN = "admin"
    # Per station (#24): which stations is in `station_officer` (storage/models/duty.py).
    STATION_HEAD = "station_head"  # 站长: publishes the station's duty roster, approves swaps
    LIAISON = "liaison"  # 联络员: the station's liaison officer


class DeputyLevel(enum.StrEnum):
    """The five levels of people's congress (五级)."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    PREFECTURE = "prefecture"
    COUNTY = "county"
    TOWNSHIP = "township"


class StationKind(enum.StrEnum):
    HOME = "home"  # 代表之家 (county)
    TOWNSHIP = "township"  # 代表工作站
    VILLAGE = "village"  # 代表联络站
    PROFESSIONAL = "professional"  # 专业代表联络站


class ContactTier(enum.StrEnum):
    """The four kinds of contact link (四联系)."""

    PRESIDIUM_COMMITTEE = "presidium_committee"
    COMMITTEE_DEPUTY = "committee_deputy"
    SPECIAL_COMMITTEE_DEPUTY = "special_committee_deputy"
    DEPUTY_CONSTITUENT = "deputy_constituent"


class Person(Base):
    """Anyone the bot knows: a constituent, deputy, staff member or unit officer."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str | None] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32), index=True)
    telegram_id: Mapped[int | None] = mapped_column(BigInteger, unique=True)
    language: Mapped[str | None] = mapped_column(String(16))  # the person's own choice (/language)
    # Telegram's language_code as last seen, for messages sent when they are not writing to us.
    telegram_language: Mapped[str | None] = mapped_column(String(16))
    # True only when the person shared their phone with the bot themselves (consent to show it).
    phone_shared: Mapped[bool] = mapped_column(default=False, server_default="0")
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    roles: Mapped[list[PersonRole]] = relationship(
        back_populates="person", cascade="all, delete-orphan", lazy="selectin"
    )
    deputy: Mapped[Deputy | None] = relationship(back_populates="person", uselist=False, lazy="selectin")

    @property
    def role_set(self) -> set[Role]:
        return {Role(r.role) for r in self.roles}


class PersonRole(Base):
    __tablename__ = "person_role"
    __table_args__ = (UniqueConstraint("person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)

    person: Mapped[Person] = relationship(back_populates="roles")


class Station(Base):
    """A home, township work station, village liaison station or professional station."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]


class Deputy(Base):
    __tablename__ = "deputy"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), unique=True)
    level: Mapped[str] = mapped_column(String(16), index=True)
    fields: Mapped[list[str]] = mapped_column(default=list)

    person: Mapped[Person] = relationship(back_populates="deputy", lazy="joined")


class DeputyStation(Base):
    __tablename__ = "deputy_station"
    __table_args__ = (UniqueConstraint("deputy_id", "station_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"), index=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), index=True)


class SpecialCommittee(Base):
    """A special committee (专委会/工委) that supervises the categories of its field."""

    __tablename__ = "special_committee"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    categories: Mapped[list[str]] = mapped_column(default=list)


class SpecialCommitteeMember(Base):
    """A person on a special committee: whom the committee's copy of a red warning reaches."""

    __tablename__ = "special_committee_member"
    __table_args__ = (UniqueConstraint("committee_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    committee_id: Mapped[int] = mapped_column(
        ForeignKey("special_committee.id", ondelete="CASCADE"), index=True
    )
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)


class DeputyGroup(Base):
    __tablename__ = "deputy_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    field: Mapped[str | None] = mapped_column(String(64))
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id", ondelete="SET NULL"))


class GroupMembership(Base):
    __tablename__ = "group_membership"
    __table_args__ = (UniqueConstraint("group_id", "deputy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("deputy_group.id", ondelete="CASCADE"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"), index=True)


class ContactLink(Base):
    """A directed edge of the 四联系 network; the source is a person or a special committee."""

    __tablename__ = "contact_link"
    __table_args__ = (
        UniqueConstraint("from_person_id", "from_committee_id", "to_person_id", name="edge"),
        CheckConstraint("(from_person_id IS NULL) <> (from_committee_id IS NULL)", name="one_source"),
        Index("ix_contact_link_to_tier", "to_person_id", "tier"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tier: Mapped[str] = mapped_column(String(32), index=True)
    from_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="CASCADE"), index=True
    )
    from_committee_id: Mapped[int | None] = mapped_column(
        ForeignKey("special_committee.id", ondelete="CASCADE"), index=True
    )
    to_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))


class InboxUpdate(Base):
    """A raw update from Telegram, durable before Telegram is told it arrived."""

    __tablename__ = "inbox_update"
    __table_args__ = (Index("ix_inbox_pending", "processed_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    payload: Mapped[dict[str, Any]]
    chat_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class OutboxStatus(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    BLOCKED = "blocked"
    FAILED = "failed"
    CANCELLED = "cancelled"


class OutboxMessage(Base):
    """A Bot API call to a user, written in the transaction of the change that causes it."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "not_before", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    method: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.PENDING)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    result_message_id: Mapped[int | None] = mapped_column(BigInteger)
    # What this message stands for (e.g. "opinion:12:card"), so a later edit can find its message id.
    ref: Mapped[str | None] = mapped_column(String(64), index=True)
    broadcast_id: Mapped[int | None] = mapped_column(Integer, index=True)


class AuditEntry(Base):
    """Who did what to which object; refusals included."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_telegram_id: Mapped[int | None] = mapped_column(BigInteger)
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(32))
    object_id: Mapped[str | None] = mapped_column(String(64))
    allowed: Mapped[bool] = mapped_column(default=True)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ChatSession(Base):
    """Dialog state of one chat (draft, pending reply...), so a restart resumes the conversation."""

    __tablename__ = "chat_session"

    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    state: Mapped[str | None] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Counter(Base):
    """Named sequences (tracking numbers per year) that work the same on SQLite and PostgreSQL."""

    __tablename__ = "counter"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
