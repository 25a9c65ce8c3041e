"""The sessions calendar (届次/会议) as staff check it after an import: `liaison network show` prints it
under the figures. A suggestion filed on a day a session sits is numbered in that session's series;
between sessions, in its year's (bot.suggestions.numbering reads the same rows)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.unit_of_work import UnitOfWork

__all__ = ["render_calendar", "session_calendar"]


async def session_calendar(sessionmaker: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    """Every session, earliest first: code, name, and the days it opens and closes (ISO dates)."""
    async with UnitOfWork(sessionmaker) as uow:
        sessions = await uow.calendar.sessions()
        return [
            {"code": s.code, "name": s.name, "opens": s.opens.isoformat(), "closes": s.closes.isoformat()}
            for s in sessions
        ]


def render_calendar(calendar: list[dict[str, Any]]) -> str:
    """A plain-text table for the terminal, in English like the figures above it; each session's days."""
    if not calendar:
        return (
            "sessions calendar: empty; every suggestion is numbered in its year's series between sessions "
            "(闭会期间). Add a `sessions` section to the network file.\n"
        )
    rows = [
        (
            row["code"],
            row["opens"],
            row["closes"],
            str((date.fromisoformat(row["closes"]) - date.fromisoformat(row["opens"])).days + 1),
            row["name"],
        )
        for row in calendar
    ]
    header = ("session", "opens", "closes", "days", "name")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(4)]
    lines = [
        "sessions calendar (届次/会议): suggestions filed on these days are numbered in the session's series"
    ]
    for row in [header, *rows]:
        lines.append(
            f"{row[0]:<{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]:>{widths[3]}}  {row[4]}"
        )
    return "\n".join(lines) + "\n"
