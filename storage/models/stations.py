"""Station standards and inspection: a station's profile (address, opening hours, its rules 制度, the
"六有" checklist with evidence), the inspectors assigned to it (分片包抓), their inspections and the
rectification list (整改清单) each inspection leaves, tracked to done.

The rectification item's states live here, beside the table that stores them (storage may not import
bot/); their lifecycle is declared once in bot/stations/lifecycle.py.
"""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = [
    "FileKind",
    "InspectionKind",
    "Rectification",
    "RectificationEvent",
    "RectificationState",
    "StandardItem",
    "StationFile",
    "StationInspection",
    "StationInspector",
    "StationProfile",
    "StationRule",
    "StationStandard",
]


class StandardItem(enum.StrEnum):
    """The "六有" a station must have: 有场地、有人员、有制度、有活动、有经费、有设备."""

    VENUE = "venue"
    STAFF = "staff"
    RULES = "rules"
    ACTIVITIES = "activities"
    FUNDS = "funds"
    EQUIPMENT = "equipment"


class InspectionKind(enum.StrEnum):
    """How an inspection (分片包抓) looked at the station; one inspection may do several."""

    SPOT_CHECK = "spot_check"  # 随机抽查
    FILES = "files"  # 查阅档案
    VISITS = "visits"  # 走访群众
    SATISFACTION = "satisfaction"  # 满意度询问


class RectificationState(enum.StrEnum):
    OPEN = "open"
    REPORTED = "reported"  # the responsible person says it is done
    CONFIRMED = "confirmed"  # the inspector (or staff) confirmed it: final
    REOPENED = "reopened"  # the inspector found it not done


class FileKind(enum.StrEnum):
    PHOTO = "photo"
    DOCUMENT = "document"


class StationProfile(Base):
    """What a station shows of itself: address and opening hours (the map point is the station's own
    latitude/longitude, which the network file carries too)."""

    __tablename__ = "station_profile"

    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), primary_key=True)
    address: Mapped[str | None] = mapped_column(Text)
    # Weekday code ("mon" … "sun") -> the hours as typed ("9:00–12:00"); a missing day is closed.
    hours: Mapped[dict[str, Any]] = mapped_column(default=dict)
    hours_note: Mapped[str | None] = mapped_column(Text)  # free text ("每月 15 日代表接待日")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class StationRule(Base):
    """One of the station's rules (制度): a titled text, in the station's order."""

    __tablename__ = "station_rule"
    __table_args__ = (Index("ix_station_rule_station_position", "station_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class StationStandard(Base):
    """One item of the station's "六有" checklist: met or not, with a note (its evidence is in
    `station_file` rows naming the item)."""

    __tablename__ = "station_standard"
    __table_args__ = (UniqueConstraint("station_id", "item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    item: Mapped[str] = mapped_column(String(16))
    met: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class StationInspector(Base):
    """An inspector assigned to a station (分片包抓): staff or a committee member."""

    __tablename__ = "station_inspector"
    __table_args__ = (UniqueConstraint("station_id", "person_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))


class StationInspection(Base):
    """One inspection of a station on a local day: what was done, what was found."""

    __tablename__ = "station_inspection"
    __table_args__ = (Index("ix_station_inspection_station_day", "station_id", "held_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    inspector_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    held_on: Mapped[dt.date]
    kinds: Mapped[list[str]] = mapped_column(default=list)  # InspectionKind values
    findings: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(16), default="chat")  # chat | console
    recorded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The chat form that produced the row: a second Save of the same form never stores it twice.
    dialog_key: Mapped[str | None] = mapped_column(String(16), unique=True)


class Rectification(Base):
    """An item of an inspection's rectification list (整改清单): what must be fixed, by when, by whom."""

    __tablename__ = "station_rectification"
    __table_args__ = (
        Index("ix_station_rectification_station_state", "station_id", "state"),
        Index("ix_station_rectification_state_due", "state", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    inspection_id: Mapped[int] = mapped_column(
        ForeignKey("station_inspection.id", ondelete="CASCADE"), index=True
    )
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text)
    due_on: Mapped[dt.date]
    responsible_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(16), default=RectificationState.OPEN)
    reported_at: Mapped[datetime | None]
    report_note: Mapped[str | None] = mapped_column(Text)
    confirmed_at: Mapped[datetime | None]
    reopened_at: Mapped[datetime | None]
    reopen_reason: Mapped[str | None] = mapped_column(Text)
    # The due day the day-before reminder went out for (a changed due day is reminded again).
    reminded_for: Mapped[dt.date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RectificationEvent(Base):
    """One step of an item's history, written with the transition that causes it."""

    __tablename__ = "station_rectification_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    rectification_id: Mapped[int] = mapped_column(
        ForeignKey("station_rectification.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(default=utcnow)
    action: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str | None] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor_kind: Mapped[str] = mapped_column(String(16))
    actor_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(Text)


class StationFile(Base):
    """A photo or document kept for a station (影像留存): evidence of a "六有" item, or taken at an
    inspection, or sent with a rectification's report.

    Either a Telegram file id (sent in chat; fetched through the Bot API when the console shows it)
    or the bytes of a file uploaded in the console, never both. The bytes are loaded only when asked.
    """

    __tablename__ = "station_file"
    __table_args__ = (
        CheckConstraint("(telegram_file_id IS NULL) <> (data IS NULL)", name="one_source"),
        Index("ix_station_file_station_created", "station_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    standard_item: Mapped[str | None] = mapped_column(String(16))
    inspection_id: Mapped[int | None] = mapped_column(
        ForeignKey("station_inspection.id", ondelete="CASCADE"), index=True
    )
    rectification_id: Mapped[int | None] = mapped_column(
        ForeignKey("station_rectification.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    telegram_file_id: Mapped[str | None] = mapped_column(String(256))
    telegram_unique_id: Mapped[str | None] = mapped_column(String(64))
    file_name: Mapped[str | None] = mapped_column(String(255))
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    data: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    caption: Mapped[str | None] = mapped_column(Text)
    uploaded_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
