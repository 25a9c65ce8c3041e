"""Broadcasts (通知): one notice to an audience, delivered as one outbox row per recipient."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["Broadcast", "BroadcastAck", "BroadcastStatus", "Receipt"]


class BroadcastStatus(enum.StrEnum):
    SCHEDULED = "scheduled"
    SENDING = "sending"
    DONE = "done"
    CANCELLED = "cancelled"


class Receipt(enum.StrEnum):
    """A notice that asks for "received" (收到): where its acknowledgements stand (None: not asked)."""

    ASKED = "asked"  # recipients have a ✅ button; the sender may remind the silent ones once
    REMINDED = "reminded"  # the one reminder went out; presses still count


class Broadcast(Base):
    """A confirmed notice; its outbox rows carry `broadcast_id`, so progress is counted from them.

    A scheduled notice has no rows yet: its audience is resolved when it starts, so people who
    joined in the meantime get it too.
    """

    __tablename__ = "broadcast"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    # The sender's chat, where the progress message and the report go.
    chat_id: Mapped[int] = mapped_column(BigInteger)
    text: Mapped[str] = mapped_column(Text, default="")
    photo_file_id: Mapped[str | None] = mapped_column(String(256))
    document_file_id: Mapped[str | None] = mapped_column(String(256))
    # The audience as a key ("all", "deputies", "level:county", "station:V1"...), described on display.
    audience: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=BroadcastStatus.SENDING, index=True)
    # Telegram's paid tier (allow_paid_broadcast): chosen by staff for an urgent notice to many.
    paid: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    scheduled_for: Mapped[datetime | None] = mapped_column(index=True)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    # Totals as last counted from the outbox (the progress message is edited only when they change).
    total: Mapped[int] = mapped_column(Integer, default=0)
    sent: Mapped[int] = mapped_column(Integer, default=0)
    blocked: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    cancelled: Mapped[int] = mapped_column(Integer, default=0)
    # Asking for "received": None (not asked), or a Receipt; `acked` is the count last shown.
    receipt: Mapped[str | None] = mapped_column(String(16))
    acked: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reminded_at: Mapped[datetime | None]


class BroadcastAck(Base):
    """One recipient's "received" on a notice: at most one per recipient (the unique key)."""

    __tablename__ = "broadcast_ack"
    __table_args__ = (UniqueConstraint("broadcast_id", "telegram_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    broadcast_id: Mapped[int] = mapped_column(ForeignKey("broadcast.id", ondelete="CASCADE"), index=True)
    # The chat the notice went to (a private chat: the recipient's Telegram id).
    telegram_id: Mapped[int] = mapped_column(BigInteger)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    acked_at: Mapped[datetime] = mapped_column(default=utcnow)
