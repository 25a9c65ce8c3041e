"""The sessions calendar (届次/会议): the sittings suggestions are numbered by."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from storage.models import CongressSession
from storage.repos.base import Repo


class CalendarRepo(Repo):
    async def sessions(self) -> Sequence[CongressSession]:
        """Every session, earliest first (a handful a year: read whole when a suggestion is numbered)."""
        query = select(CongressSession).order_by(CongressSession.opens, CongressSession.code)
        return (await self.session.scalars(query)).all()

    async def names(self, codes: Sequence[str]) -> dict[str, str]:
        """Session code → name, for the codes the calendar still has."""
        if not codes:
            return {}
        rows = await self.session.execute(
            select(CongressSession.code, CongressSession.name).where(CongressSession.code.in_(sorted(codes)))
        )
        return {str(code): str(name) for code, name in rows.all()}
