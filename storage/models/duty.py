"""Stations at work (#24): who runs a station (its head 站长 and liaison officers 联络员) and the swaps of
duty days between its deputies. The duty days themselves are `Duty` (storage/models/opinions.py), the
roster routing has always read; the rules are in bot/duty."""

from __future__ import annotations

import datetime as dt
import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["DutySwap", "StationOfficer", "StationRole", "SwapState"]


class StationRole(enum.StrEnum):
    """A person's role at one station (the person also holds the matching `Role` for their menu)."""

    HEAD = "head"  # 站长
    LIAISON = "liaison"  # 联络员


class StationOfficer(Base):
    """A station's head or liaison officer: from the network file (`stations.head`, `liaisons`) or an
    invitation (`/invite station_head CODE`). One head per station, held by the service; liaison
    officers may be several."""

    __tablename__ = "station_officer"
    __table_args__ = (UniqueConstraint("station_id", "person_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class SwapState(enum.StrEnum):
    """States of a swap; the transitions are declared in bot.duty.lifecycle."""

    REQUESTED = "requested"  # the requester asked the partner to take the day
    ACCEPTED = "accepted"  # the partner agreed; the head (or staff) decides
    APPROVED = "approved"  # the day is the partner's now
    DECLINED = "declined"  # by the partner
    REJECTED = "rejected"  # by the head (or staff)
    CANCELLED = "cancelled"  # by the requester
    LAPSED = "lapsed"  # the day came before it was decided


class DutySwap(Base):
    """A deputy's request that another deputy of the station take one of their duty days (换班)."""

    __tablename__ = "duty_swap"
    __table_args__ = (Index("ix_duty_swap_duty_state", "duty_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    duty_id: Mapped[int] = mapped_column(ForeignKey("duty.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"), index=True)
    day: Mapped[dt.date]
    requester_deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"), index=True)
    partner_deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=SwapState.REQUESTED)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]  # the partner's accept or decline
    decided_at: Mapped[datetime | None]  # approve, reject, cancel or lapse
    decided_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
