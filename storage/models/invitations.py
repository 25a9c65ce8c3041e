"""One-time, expiring invitation links that give their opener a role (staff onboarding)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["Invitation"]


class Invitation(Base):
    """A link `?start=inv_<token>`; only the token's sha256 is stored, so a leaked table grants nothing."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(32))
    # The imported record the opener becomes (a deputy's, or a committee member's); None: any opener.
    target_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    target_code: Mapped[str | None] = mapped_column(String(32))
    created_by_person_id: Mapped[int | None] = mapped_column(
        ForeignKey("person.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by_person_id: Mapped[int | None] = mapped_column(ForeignKey("person.id", ondelete="SET NULL"))
    # A unit officer's invitation names the unit the opener joins.
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id", ondelete="SET NULL"))
    # ... and whether the opener becomes its head officer.
    unit_head: Mapped[bool] = mapped_column(default=False, server_default="0")
    # A station head's or liaison officer's invitation names the station (#24).
    station_id: Mapped[int | None] = mapped_column(ForeignKey("station.id", ondelete="SET NULL"))
