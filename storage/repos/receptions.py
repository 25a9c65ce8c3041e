"""Receptions (a deputy's recorded reception at a station): the rows, their soft deletion, their sums."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from storage.models import Station
from storage.models.receptions import Reception
from storage.repos.base import Repo


class ReceptionRepo(Repo):
    async def get(self, reception_id: int) -> Reception | None:
        return await self.session.get(Reception, reception_id)

    async def by_dialog_key(self, key: str) -> Reception | None:
        """The reception a dialog already saved (its form's key), if any: a form saved twice is one row."""
        return await self.session.scalar(select(Reception).where(Reception.dialog_key == key))

    async def add(self, reception: Reception) -> Reception:
        self.session.add(reception)
        await self.session.flush()
        return reception

    async def recent(self, deputy_id: int, limit: int) -> list[tuple[Reception, Station]]:
        """The deputy's latest receptions (not deleted) with their stations, newest day first."""
        rows = await self.session.execute(
            select(Reception, Station)
            .join(Station, Station.id == Reception.station_id)
            .where(Reception.deputy_id == deputy_id, Reception.deleted_at.is_(None))
            .order_by(Reception.day.desc(), Reception.id.desc())
            .limit(limit)
        )
        return [(reception, station) for reception, station in rows.all()]

    async def sums(
        self, start: date | None, end: date | None
    ) -> tuple[dict[int, tuple[int, int, int]], dict[int, tuple[int, int, int]]]:
        """(receptions, people, opinions on paper) per deputy and per station, days start..end
        inclusive (None: open), deleted receptions left out."""
        out: list[dict[int, tuple[int, int, int]]] = []
        for column in (Reception.deputy_id, Reception.station_id):
            query = (
                select(
                    column,
                    func.count(Reception.id),
                    func.coalesce(func.sum(Reception.people), 0),
                    func.coalesce(func.sum(Reception.opinions_paper), 0),
                )
                .where(Reception.deleted_at.is_(None))
                .group_by(column)
            )
            if start is not None:
                query = query.where(Reception.day >= start)
            if end is not None:
                query = query.where(Reception.day <= end)
            rows = (await self.session.execute(query)).all()
            out.append({key: (int(n), int(people), int(paper)) for key, n, people, paper in rows})
        return out[0], out[1]
