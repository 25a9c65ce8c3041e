"""Performance points (履职积分, #24): the yearly rule table, the lines computed from recorded work, staff
adjustments, and the meetings and trainings deputies attended (the one source typed in by staff).

The rules are in bot/points; every computed line names its source record and the rule (and its revision)
that priced it, so a line can always be traced back and a year recomputed to the same lines."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = [
    "ActivityKind",
    "ActivityRecord",
    "Attendance",
    "PointAdjustment",
    "PointKind",
    "PointLine",
    "PointRule",
    "PointYear",
]


class PointKind(enum.StrEnum):
    """What earns (or costs) points; the prices are each year's `PointRule` rows."""

    DUTY_CHECK_IN = "duty_check_in"  # 进站履职: a duty day checked in
    VISITOR = "visitor"  # each constituent received at a reception
    OPINION_ON_TIME = "opinion_on_time"  # an opinion answered before its answer deadline
    OPINION_SATISFIED = "opinion_satisfied"  # the sender's ✅ satisfied verdict
    SUGGESTION_FILED = "suggestion_filed"  # a suggestion filed and numbered
    MEETING = "meeting"  # a meeting attended
    TRAINING = "training"  # a training attended
    DUTY_MISSED = "duty_missed"  # deduction: a rostered day gone by without check-in (nor swap)
    OPINION_RED = "opinion_red"  # deduction: an opinion that went red while the deputy held it


class ActivityKind(enum.StrEnum):
    MEETING = "meeting"
    TRAINING = "training"


class PointRule(Base):
    """One year's price of one kind: points per unit (negative for a deduction), an optional cap on the
    kind's points in the year, active or not. `revision` counts its edits (each audited); lines keep the
    revision they were priced with."""

    __tablename__ = "point_rule"
    __table_args__ = (
        UniqueConstraint("year", "kind"),
        CheckConstraint("cap IS NULL OR cap > 0", name="cap_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    points: Mapped[int] = mapped_column(Integer)
    cap: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(default=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )


class PointYear(Base):
    """A year of points: when all its lines were last computed. Its row is locked while the year's rules
    are seeded or its lines recomputed, so two recomputes never interleave their deletes and inserts."""

    __tablename__ = "point_year"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    computed_at: Mapped[datetime | None]


class PointLine(Base):
    """One computed line: a deputy's points for one source record (a duty day, a reception, an opinion,
    a suggestion, an attendance), priced by one rule revision. Never typed: recomputed from the records."""

    __tablename__ = "point_line"
    __table_args__ = (
        UniqueConstraint("year", "kind", "source_type", "source_id", "deputy_id"),
        # A deputy's year; and a deputy's deletion finds their lines by it (the unique key serves a year's).
        Index("ix_point_line_deputy_year", "deputy_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # The record behind the line: "duty", "reception" (its visitors), "opinion", "suggestion", "attendance".
    source_type: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[int] = mapped_column(Integer)
    day: Mapped[dt.date]  # the congress's local day of the source
    quantity: Mapped[int] = mapped_column(Integer, default=1)  # visitors received; 1 for the others
    points: Mapped[int] = mapped_column(Integer)
    capped: Mapped[bool] = mapped_column(default=False)  # the year's cap cut it (to 0 or part)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"), index=True)
    # What the source is called where it is shown: a station, a tracking number, a suggestion's number,
    # a meeting's title — read from the record when the line was computed.
    ref: Mapped[str | None] = mapped_column(String(200))
    rule_id: Mapped[int] = mapped_column(ForeignKey("point_rule.id", ondelete="CASCADE"), index=True)
    rule_revision: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)


class PointAdjustment(Base):
    """Points staff add or take off by hand, with the reason (the only typed points; audited)."""

    __tablename__ = "point_adjustment"
    __table_args__ = (
        CheckConstraint("points <> 0", name="points_not_zero"),
        Index("ix_point_adjustment_deputy_year", "deputy_id", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    points: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )


class ActivityRecord(Base):
    """A meeting or training held on a day (recorded by staff in the console), whose attendees earn points."""

    __tablename__ = "activity_record"
    __table_args__ = (Index("ix_activity_record_day", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date]
    title: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )


class Attendance(Base):
    """A deputy at a meeting or training: the source record of its point line."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("activity_id", "deputy_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity_record.id", ondelete="CASCADE"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"), index=True)
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    recorded_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
