"""The reception diary (民情日记): a deputy's record of receiving constituents at a station on one day."""

from __future__ import annotations

import datetime as dt
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["Reception"]


class Reception(Base):
    """One reception (接待群众); deleting it only stamps `deleted_at`, so the audit trail keeps its figures."""

    __tablename__ = "reception"
    __table_args__ = (
        # Upper bounds are policy (bot.receptions.service); the database guards only what can never be right.
        CheckConstraint("people >= 1", name="people_positive"),
        CheckConstraint("opinions_paper >= 0", name="opinions_paper_not_negative"),
        Index("ix_reception_deputy_day", "deputy_id", "day"),
        Index("ix_reception_station_day", "station_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(ForeignKey("station.id", ondelete="CASCADE"))
    # The local calendar day of the reception in the congress's zone.
    day: Mapped[dt.date]
    people: Mapped[int] = mapped_column(Integer)
    # Opinions collected on paper at the reception (those sent through the bot are opinions of their own).
    opinions_paper: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # The chat dialog that produced the row: a second Save of the same form can never store it twice.
    dialog_key: Mapped[str | None] = mapped_column(String(16), unique=True)
