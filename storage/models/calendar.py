"""The congress's sessions calendar (届次/会议): when each sitting opens and closes.

A suggestion filed on a day a session sits is numbered in that session's series, otherwise in its
year's recess series (闭会期间; `bot.suggestions.numbering`). The rows come from the network file's
`sessions` section; the import refuses sessions that share a day, so a day has one series.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.core import Base

__all__ = ["CongressSession"]


class CongressSession(Base):
    """One sitting, e.g. code `16-3`, 第十六届人民代表大会第三次会议, from `opens` to `closes` inclusive
    (the congress's local days). Not to be confused with `ChatSession` (a chat's dialog state)."""

    __tablename__ = "congress_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    opens: Mapped[date] = mapped_column(Date, index=True)
    closes: Mapped[date] = mapped_column(Date)
