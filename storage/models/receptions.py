"""The reception diary (民情日记): a day's reception at a station or a home visit (走访), the visitors
registered there and the matters each raised, and the one-time links that let a visitor follow theirs."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = [
    "DiaryKind",
    "DiaryState",
    "MatterOutcome",
    "Reception",
    "ReceptionMatter",
    "ReceptionVisitor",
    "VisitorLink",
]


class DiaryKind(enum.StrEnum):
    STATION = "station"  # 接待: at a liaison station
    HOME_VISIT = "home_visit"  # 走访: at a place (a village, a household), no station


class DiaryState(enum.StrEnum):
    """States of a diary entry; the transitions are declared in bot.receptions.lifecycle."""

    OPEN = "open"
    CLOSED = "closed"


class MatterOutcome(enum.StrEnum):
    RESOLVED = "resolved"  # answered on the spot (resolved at reception)
    ROUTED = "routed"  # became an opinion on the visitor's behalf


class Reception(Base):
    """One diary entry: a deputy's (or staff's) reception at a station, or a home visit, on one local day.

    Its figures are derived from its visitors and matters. Rows from before registration existed
    (`legacy`) keep the counts that were typed: `people` and `opinions_paper`. Deleting only stamps
    `deleted_at`, so the audit trail keeps its figures.
    """

    __tablename__ = "reception"
    __table_args__ = (
        # Upper bounds are policy (bot.receptions); the database guards only what can never be right.
        CheckConstraint("people >= 1", name="people_positive"),
        CheckConstraint("opinions_paper >= 0", name="opinions_paper_not_negative"),
        CheckConstraint("kind <> 'station' OR station_id IS NOT NULL", name="station_has_station"),
        CheckConstraint("kind <> 'home_visit' OR place IS NOT NULL", name="home_visit_has_place"),
        Index("ix_reception_deputy_day", "deputy_id", "day"),
        Index("ix_reception_station_day", "station_id", "day"),
        Index("ix_reception_keeper_state", "recorded_by_person_id", "state"),
        Index("ix_reception_day", "day"),  # a report's period (a month reads a month's entries)
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The deputy who received (NULL: a diary staff keep at a station on their own).
    deputy_id: Mapped[int | None] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default=DiaryKind.STATION, server_default="station")
    # NULL for a home visit, which has a place instead.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    place: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    # The local calendar day of the reception in the congress's zone.
    day: Mapped[dt.date]
    # Typed counts, legacy rows only (a diary with registrations derives them).
    people: Mapped[int | None] = mapped_column(Integer)
    opinions_paper: Mapped[int] = mapped_column(Integer, default=0)
    legacy: Mapped[bool] = mapped_column(default=False, server_default="0")
    note: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default=DiaryState.OPEN, server_default="open")
    # Who opened the diary (its keeper): the deputy, or a staff member.
    recorded_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    closed_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    deleted_at: Mapped[datetime | None]
    deleted_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # The chat dialog that produced a legacy row (a second Save of the same form stored nothing twice).
    dialog_key: Mapped[str | None] = mapped_column(String(16), unique=True)


class ReceptionVisitor(Base):
    """A visitor registered in a diary: by name or anonymous, a phone only with their consent."""

    __tablename__ = "reception_visitor"
    __table_args__ = (
        UniqueConstraint("reception_id", "number"),
        CheckConstraint("NOT anonymous OR (name IS NULL AND phone IS NULL)", name="anonymous_unnamed"),
        CheckConstraint("phone IS NULL OR phone_consent", name="phone_with_consent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("reception.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the order of the day
    anonymous: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str | None] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))  # E.164
    phone_consent: Mapped[bool] = mapped_column(default=False)
    phone_consent_at: Mapped[datetime | None]
    # Whom their opinions are filed for: a constituent bound in Telegram (matched by the phone), or a
    # stand-in person made for this visitor (`stand_in`) until they open their link.
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"), index=True)
    stand_in: Mapped[bool] = mapped_column(default=False)
    registered_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReceptionMatter(Base):
    """A matter a visitor raised: answered on the spot, or sent on as an opinion on their behalf."""

    __tablename__ = "reception_matter"
    __table_args__ = (
        CheckConstraint("outcome IN ('resolved', 'routed')", name="known_outcome"),
        CheckConstraint("outcome <> 'resolved' OR answer IS NOT NULL", name="resolved_has_answer"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reception_id: Mapped[int] = mapped_column(ForeignKey("reception.id", ondelete="CASCADE"), index=True)
    visitor_id: Mapped[int] = mapped_column(
        ForeignKey("reception_visitor.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)  # what was answered on the spot
    opinion_id: Mapped[int | None] = mapped_column(ForeignKey("opinion.id", ondelete="SET NULL"), index=True)
    registered_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class VisitorLink(Base):
    """A one-time link `?start=vis_<token>` handed to a visitor not bound in Telegram: its opener
    becomes the sender of the visitor's opinions. Only the token's sha256 is stored."""

    __tablename__ = "reception_visitor_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    visitor_id: Mapped[int] = mapped_column(
        ForeignKey("reception_visitor.id", ondelete="CASCADE"), index=True
    )
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
