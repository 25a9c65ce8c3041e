"""The staff web console's one-time login links and server-side sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base, utcnow

__all__ = ["ConsoleLogin", "ConsoleSession"]


class ConsoleLogin(Base):
    """A link `<base>/console/login/<token>` sent by /console; only the token's sha256 is stored."""

    __tablename__ = "console_login"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ConsoleSession(Base):
    """A browser's session: the cookie holds a random id, the table its sha256 (a leaked table opens nothing)."""

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    # Echoed in every form and compared on every POST.
    csrf_token: Mapped[str] = mapped_column(String(64))
    # The language chosen in the console; None follows the person's language.
    locale: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The hard limit, however active the session is; idle sessions end earlier.
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
