"""Models of the opinion lifecycle: opinions, their attachments, timeline, followers, and the duty roster."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.core import Base, utcnow

__all__ = [
    "ACCEPT_CLOCK_STATES",
    "ANSWER_CLOCK_STATES",
    "FINAL_STATES",
    "LOAD_STATES",
    "AttachmentKind",
    "Duty",
    "Opinion",
    "OpinionAttachment",
    "OpinionEvent",
    "OpinionState",
    "OpinionSubscriber",
    "Satisfaction",
    "WarningColour",
]


class OpinionState(enum.StrEnum):
    """States of an opinion; the transitions between them are declared in bot.opinions.lifecycle."""

    SUBMITTED = "submitted"
    ROUTED = "routed"
    ACCEPTED = "accepted"
    AWAITING_INFO = "awaiting_info"
    ANSWERED = "answered"
    CLOSED = "closed"
    REOPENED = "reopened"
    TRANSFERRED = "transferred"
    ESCALATED = "escalated"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


# Storage needs these for its queries, so they live beside the enum rather than in the service.
FINAL_STATES = frozenset({OpinionState.CLOSED, OpinionState.REJECTED, OpinionState.DUPLICATE})
# What counts as a deputy's open load (routing's least_loaded); `answered` waits on the sender, not the deputy.
LOAD_STATES = frozenset(
    {
        OpinionState.ROUTED,
        OpinionState.TRANSFERRED,
        OpinionState.ACCEPTED,
        OpinionState.AWAITING_INFO,
        OpinionState.REOPENED,
        OpinionState.ESCALATED,
    }
)

# Which deadline runs in which state; the SLA sweeper and the overdue query read the same split.
# Escalated opinions follow the formal suggestion's clock, not these.
ACCEPT_CLOCK_STATES = frozenset({OpinionState.ROUTED, OpinionState.TRANSFERRED})
ANSWER_CLOCK_STATES = frozenset({OpinionState.ACCEPTED, OpinionState.AWAITING_INFO, OpinionState.REOPENED})


class AttachmentKind(enum.StrEnum):
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"


class Satisfaction(enum.StrEnum):
    SATISFIED = "satisfied"
    BASIC = "basic"  # 基本满意
    DISSATISFIED = "dissatisfied"


class WarningColour(enum.StrEnum):
    """三色预警."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Opinion(Base):
    """An opinion (意见) from a constituent, held by one deputy or by the staff triage queue."""

    __tablename__ = "opinion"
    __table_args__ = (
        Index("ix_opinion_holder_state", "holder_deputy_id", "state"),
        Index("ix_opinion_state_accept_deadline", "state", "accept_deadline"),
        Index("ix_opinion_state_answer_deadline", "state", "answer_deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    tracking_no: Mapped[str] = mapped_column(String(24), unique=True)
    sender_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    category: Mapped[str] = mapped_column(String(64), index=True)
    text: Mapped[str] = mapped_column(Text)
    anonymous: Mapped[bool] = mapped_column(default=False)
    # The sender let others see and follow it (the draft's switch); never together with anonymous.
    # Only a public opinion's text is quoted to a neighbour or shown to its followers.
    public: Mapped[bool] = mapped_column(default=False)
    # Telegram ids of the sender's messages that made it up: an edit of one becomes a note to the holder.
    message_ids: Mapped[list[int] | None] = mapped_column(JSON)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    state: Mapped[str] = mapped_column(String(16), default=OpinionState.SUBMITTED)
    # NULL means the staff triage queue holds it.
    holder_deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id", ondelete="SET NULL"))
    route_reason: Mapped[str | None] = mapped_column(String(64))
    supervisor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    accepted_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    accept_deadline: Mapped[datetime | None]
    answer_deadline: Mapped[datetime | None]
    answer_text: Mapped[str | None] = mapped_column(Text)
    satisfaction: Mapped[str | None] = mapped_column(String(16))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("opinion.id", ondelete="SET NULL"), index=True
    )
    # Milestones the statistics read from this row instead of the timeline, set by the service at the
    # transition that reaches them (bot/opinions/milestones.py): the first accept and the first answer
    # (`accepted_at` and `answered_at` are the latest), how often the sender reopened it
    # (confirm_dissatisfied), and the action that ended it (confirm_satisfied, confirm_basic, auto_close,
    # reject, mark_duplicate).
    first_accepted_at: Mapped[datetime | None]
    first_answered_at: Mapped[datetime | None]
    reopen_count: Mapped[int] = mapped_column(default=0, server_default="0")
    closing_action: Mapped[str | None] = mapped_column(String(32))
    last_warning: Mapped[str | None] = mapped_column(String(8))
    # When the reminder sweep looks at it again: the start of the next rung of the warning ladder above
    # `last_warning` on the running clock; None while no clock runs or every rung has been warned.
    # Set by the service on every transition and every warning; the sweep reads only rows it has reached.
    next_warning_at: Mapped[datetime | None] = mapped_column(index=True)
    # Where it came from when not typed by its sender: "station_reception" or "home_visit" (registered
    # in the reception diary, bot/receptions), with the deputy or staff member who recorded it.
    source: Mapped[str | None] = mapped_column(String(32))
    recorded_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # Written with a new opinion and read by the card that announces it, with no query between.
    # Never loaded implicitly ("raise"): an opinion read from the database has it unloaded, and
    # readers fall back to OpinionRepo.attachments.
    attachments: Mapped[list[OpinionAttachment]] = relationship(
        order_by="OpinionAttachment.id", lazy="raise", passive_deletes=True
    )


class OpinionAttachment(Base):
    """A photo, voice note or document sent with an opinion, kept as Telegram file ids."""

    __tablename__ = "opinion_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(String(256))
    file_unique_id: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OpinionEvent(Base):
    """One step of an opinion's timeline, written with the transition that causes it."""

    __tablename__ = "opinion_event"
    __table_args__ = (Index("ix_opinion_event_opinion_at", "opinion_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    # NULL actor: the system (routing, the SLA sweeper).
    # Indexed, as every foreign key a delete follows (a person or deputy removed by a network import).
    actor_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    from_holder_id: Mapped[int | None] = mapped_column(
        ForeignKey("deputy.id", ondelete="SET NULL"), index=True
    )
    to_holder_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class OpinionSubscriber(Base):
    """Someone who follows an opinion besides its sender (e.g. the sender of a duplicate joined to it)."""

    __tablename__ = "opinion_subscriber"
    __table_args__ = (UniqueConstraint("opinion_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    opinion_id: Mapped[int] = mapped_column(ForeignKey("opinion.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Duty(Base):
    """A deputy's scheduled reception at a station on one day (进站值班), the roster routing reads."""

    __tablename__ = "duty"
    __table_args__ = (
        UniqueConstraint("deputy_id", "station_id", "date"),
        Index("ix_duty_station_date", "station_id", "date"),
        Index("ix_duty_deputy_date", "deputy_id", "date"),
        Index("ix_duty_date_reminded", "date", "reminded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    date: Mapped[dt.date]
    # Rosters (#24, bot/duty): who put the day on the roster and how (chat, sheet, console), the evening-
    # before reminder once, and the check-in on the day — what counts as a duty visit (进站履职).
    source: Mapped[str | None] = mapped_column(String(16))
    added_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    added_at: Mapped[datetime | None] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]
    checked_in_at: Mapped[datetime | None]
    check_in_latitude: Mapped[float | None]
    check_in_longitude: Mapped[float | None]
    located_at: Mapped[datetime | None]
