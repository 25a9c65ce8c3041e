"""Broadcasts (通知): one notice to an audience, delivered as one outbox row per recipient."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["Broadcast", "BroadcastStatus"]


class BroadcastStatus(enum.StrEnum):
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Broadcast(Base):
    """A confirmed notice; its outbox rows carry `broadcast_id`, so progress is counted from them."""

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # The sender's chat, where the progress message and the report go.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    # The audience as a key ("all", "deputies", "level:county", "station:V1"...), described on display.
    audience: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    # Totals as last counted from the outbox (the progress message is edited only when they change).
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
