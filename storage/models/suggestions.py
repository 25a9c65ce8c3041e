"""Models of the suggestion loop (代表建议): suggestions, their ledger of events, their co-signers.

`SuggestionState` lives here (storage may not import bot/); the transitions between the states are
declared in bot.suggestions.lifecycle, which imports it back.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = [
    "ContactForm",
    "ContactStage",
    "ContactVerdict",
    "CosignerState",
    "Suggestion",
    "SuggestionAnswer",
    "SuggestionContact",
    "SuggestionCosigner",
    "SuggestionEvent",
    "SuggestionState",
    "SuggestionUnitOpinion",
]


class SuggestionState(enum.StrEnum):
    """States of a suggestion; the transitions between them are declared in bot.suggestions.lifecycle."""

    DRAFT = "draft"  # the filer (or staff, from paper) is writing it
    COSIGNING = "cosigning"  # invited co-signers (附议/联名) confirm or decline
    FILED = "filed"  # 提出: in the staff queue for review
    RETURNED = "returned"  # sent back to the filer with a reason; they revise and re-file, or withdraw
    PREPARED = "prepared"  # units chosen, not yet published: waits for the 交办会
    ASSIGNED = "assigned"  # 交办: published, the units have their cards; the lead unit has not signed for it
    HANDLING = "handling"  # 办理: the lead unit signed for it; the clock runs
    EXTENSION_REQUESTED = "extension_requested"  # the lead unit asked staff for more time
    REASSIGN_REQUESTED = "reassign_requested"  # the lead unit said "not ours"
    ANSWERED = "answered"  # the lead unit answered with a result class; the filer rates it
    REHANDLING = "rehandling"  # dissatisfied once: back to the unit, new deadline, committee copied
    REANSWERED = "reanswered"  # the re-handled answer; dissatisfied again goes to staff
    STAFF_REVIEW = "staff_review"  # dissatisfied twice: staff close with a reason or reassign
    CLOSED = "closed"  # 销号; A and B answers are re-checked later
    RECHECK = "recheck"  # 回头看: the filer confirms it stayed solved, or reopens it
    RECHECK_REOPENED = "recheck_reopened"  # the supervising committee follows the reopened entry up
    RECHECKED = "rechecked"  # 回头看 concluded
    MERGED = "merged"  # joined to another suggestion about the same matter
    WITHDRAWN = "withdrawn"  # the filer withdrew it before its assignment was published


class CosignerState(enum.StrEnum):
    """A co-signer's (附议/联名) answer to the filer's invitation; each answers once."""

    INVITED = "invited"
    CONFIRMED = "confirmed"
    DECLINED = "declined"
    # Did not answer within seven days, and the filer filed without them: not a refusal, so not declined.
    LAPSED = "lapsed"


class Suggestion(Base):
    """A deputy's formal suggestion (代表建议), filed in chat or by staff from paper."""

    __tablename__ = "suggestion"
    __table_args__ = (
        Index("ix_suggestion_filer_state", "filer_person_id", "state"),
        Index("ix_suggestion_filed_at", "filed_at"),  # a report's period
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # S-YYYY-NNNN, given when it is filed (a draft or one awaiting co-signers has none yet).
    number: Mapped[str | None] = mapped_column(String(24), unique=True)
    # The session code (届次/会议) it was numbered under; NULL: the recess year (闭会期间).
    series_session: Mapped[str | None] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64), index=True)
    filer_person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    state: Mapped[str] = mapped_column(String(24), default=SuggestionState.DRAFT)
    # Staff filed it from paper on the deputy's behalf; `recorded_by_person_id` is who typed it in.
    on_behalf_of_paper: Mapped[bool] = mapped_column(default=False)
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # Opinions it was made from (转为建议); their senders follow it.
    source_opinion_ids: Mapped[list[int] | None] = mapped_column(JSON)
    # Telegram file ids of photos and documents the filer attached (research notes, 调研).
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    filed_at: Mapped[datetime | None]
    # The chat dialog that produced the row: a second press of File can never store it twice.
    dialog_key: Mapped[str | None] = mapped_column(String(16), unique=True)
    # 交办 assignment: one lead unit (主办), any co-units (协办, unit ids), the term in months (over three
    # with its reason), when staff prepared it and when it was published (the term runs from then).
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    co_unit_ids: Mapped[list[int] | None] = mapped_column(JSON)
    term_months: Mapped[int | None]
    term_reason: Mapped[str | None] = mapped_column(Text)
    prepared_at: Mapped[datetime | None]
    assigned_at: Mapped[datetime | None]
    due_on: Mapped[date | None]  # the congress's local day it is due by
    # The special committee supervising it (对口督办), chosen from its category when it is assigned.
    committee_id: Mapped[int | None] = mapped_column(
        ForeignKey("special_committee.id", ondelete="SET NULL"), index=True
    )
    # 办理 handling: the lead unit signed for it (签收); the reminder ladder's last rung and next warning.
    signed_at: Mapped[datetime | None]
    warned_rung: Mapped[int] = mapped_column(default=0)
    next_warning_at: Mapped[datetime | None] = mapped_column(index=True)
    # The latest answer (its text is in suggestion_answer), and the first answer's time and punctuality.
    result_class: Mapped[str | None] = mapped_column(String(1), index=True)
    planned_on: Mapped[date | None]
    answered_at: Mapped[datetime | None]
    first_answered_at: Mapped[datetime | None]
    first_answer_on_time: Mapped[bool | None]
    rehandle_count: Mapped[int] = mapped_column(default=0)
    # 监督: the deputy's latest rating; 销号 by a rating or by staff with a reason.
    rating: Mapped[str | None] = mapped_column(String(16))
    rated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    closing_action: Mapped[str | None] = mapped_column(String(32))  # rate_satisfied, rate_basic or close
    closing_reason: Mapped[str | None] = mapped_column(Text)
    # 回头看: A after six months, B on its planned date (the local day); when and how it was concluded.
    recheck_due_on: Mapped[date | None] = mapped_column(index=True)
    rechecked_at: Mapped[datetime | None]
    recheck_outcome: Mapped[str | None] = mapped_column(String(16))  # confirmed, reopened, concluded
    # 合并: the suggestion a merged one joined (its filer and co-signers co-sign that one now).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("suggestion.id", ondelete="SET NULL"))
    # 专业小组联名: the deputy group that filed it jointly (its other members were invited to co-sign).
    group_id: Mapped[int | None] = mapped_column(ForeignKey("deputy_group.id", ondelete="SET NULL"))


class SuggestionEvent(Base):
    """One entry of a suggestion's ledger (立项—督办—销号): every transition and every ledger action."""

    __tablename__ = "suggestion_event"
    __table_args__ = (Index("ix_suggestion_event_suggestion_at", "suggestion_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(32))
    from_state: Mapped[str | None] = mapped_column(String(24))
    to_state: Mapped[str] = mapped_column(String(24))
    # The relation that authorised it (filer, cosigner, staff, …); NULL actor person: the system.
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


class SuggestionCosigner(Base):
    """A deputy the filer invited to co-sign (附议/联名), and their answer."""

    __tablename__ = "suggestion_cosigner"
    __table_args__ = (UniqueConstraint("suggestion_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=CosignerState.INVITED)
    invited_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    reminded_at: Mapped[datetime | None]  # the one reminder, three days after the invitation


class ContactStage(enum.StrEnum):
    """三见面: the lead unit meets the deputy before, during and after handling."""

    BEFORE = "before"  # 办前沟通
    DURING = "during"  # 办中协商
    AFTER = "after"  # 办后回访


class ContactForm(enum.StrEnum):
    PHONE = "phone"
    VISIT = "visit"
    MEETING = "meeting"
    OTHER = "other"


class ContactVerdict(enum.StrEnum):
    """The deputy's word on a recorded contact: only a confirmed one counts as done."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


class SuggestionContact(Base):
    """One 三见面 record by the lead unit's officer, which the deputy confirms or disputes in chat."""

    __tablename__ = "suggestion_contact"
    __table_args__ = (Index("ix_suggestion_contact_suggestion", "suggestion_id", "stage"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(8))
    held_on: Mapped[date]  # the local day of the contact, as the officer gives it
    form: Mapped[str] = mapped_column(String(8))
    summary: Mapped[str] = mapped_column(Text)
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    verdict: Mapped[str] = mapped_column(String(10), default=ContactVerdict.PENDING)
    verdict_reason: Mapped[str | None] = mapped_column(Text)
    verdict_at: Mapped[datetime | None]


class SuggestionUnitOpinion(Base):
    """A co-unit's (协办) opinion to the lead unit (主办), shown on the lead unit's card."""

    __tablename__ = "suggestion_unit_opinion"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class SuggestionAnswer(Base):
    """An answer of the lead unit (round 1; round 2 after a dissatisfied rating) and the deputy's rating of it.

    The suggestion row repeats the latest answer's class, planned date and rating, and the first answer's
    time and punctuality, so that figures read one table."""

    __tablename__ = "suggestion_answer"
    __table_args__ = (UniqueConstraint("suggestion_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestion.id", ondelete="CASCADE"))
    round: Mapped[int] = mapped_column(default=1)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    result_class: Mapped[str] = mapped_column(String(1))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)  # a C answer's reason
    planned_on: Mapped[date | None]  # a B answer's planned date
    attachments: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    answered_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_on: Mapped[date | None]  # the due day this answer was measured against
    on_time: Mapped[bool] = mapped_column(default=True)
    rating: Mapped[str | None] = mapped_column(String(16))
    rating_reason: Mapped[str | None] = mapped_column(Text)
    rated_at: Mapped[datetime | None]
