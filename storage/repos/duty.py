"""Duty rosters (进站值班): the duty days routing reads (`duty`), their reminders and check-ins, and the
swaps between a station's deputies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from storage.lists import among
from storage.models import Deputy, DeputyStation, Person, Station
from storage.models.duty import DutySwap, SwapState
from storage.models.opinions import Duty
from storage.repos.base import Repo

OPEN_SWAP_STATES = (SwapState.REQUESTED, SwapState.ACCEPTED)


class DutyRepo(Repo):
    async def get(self, duty_id: int) -> Duty | None:
        return await self.session.get(Duty, duty_id)

    async def find(self, deputy_id: int, station_id: int, day: dt.date) -> Duty | None:
        return await self.session.scalar(
            select(Duty).where(Duty.deputy_id == deputy_id, Duty.station_id == station_id, Duty.date == day)
        )

    async def existing(
        self, station_ids: Iterable[int], start: dt.date, end: dt.date
    ) -> set[tuple[int, int, dt.date]]:
        """(deputy id, station id, day) already on the roster of these stations between the days."""
        ids = sorted(set(station_ids))
        if not ids:
            return set()
        rows = await self.session.execute(
            select(Duty.deputy_id, Duty.station_id, Duty.date).where(
                among(Duty.station_id, ids), Duty.date >= start, Duty.date <= end
            )
        )
        return {(int(d), int(s), day) for d, s, day in rows.all()}

    async def add(
        self, deputy_id: int, station_id: int, day: dt.date, *, source: str, by: int | None, at: dt.datetime
    ) -> Duty:
        row = Duty(
            deputy_id=deputy_id,
            station_id=station_id,
            date=day,
            source=source,
            added_by_person_id=by,
            added_at=at,
        )
        self.session.add(row)
        await self.session.flush()
        return row

    async def remove(self, duty: Duty) -> None:
        await self.session.delete(duty)
        await self.session.flush()

    async def of_station(self, station_id: int, start: dt.date, end: dt.date) -> list[tuple[Duty, str]]:
        """The station's duty days between the days (inclusive) with the deputy's name, by day and name."""
        rows = await self.session.execute(
            select(Duty, Person.name)
            .join(Deputy, Deputy.id == Duty.deputy_id)
            .join(Person, Person.id == Deputy.person_id)
            .where(Duty.station_id == station_id, Duty.date >= start, Duty.date <= end)
            .order_by(Duty.date, Person.name, Duty.id)
        )
        return [(duty, name) for duty, name in rows.all()]

    async def of_deputy(self, deputy_id: int, start: dt.date, end: dt.date) -> list[tuple[Duty, Station]]:
        """The deputy's duty days between the days (inclusive) with their stations, by day."""
        rows = await self.session.execute(
            select(Duty, Station)
            .join(Station, Station.id == Duty.station_id)
            .where(Duty.deputy_id == deputy_id, Duty.date >= start, Duty.date <= end)
            .order_by(Duty.date, Station.code)
        )
        return [(duty, station) for duty, station in rows.all()]

    async def due_reminders(self, day: dt.date, limit: int = 500) -> Sequence[Duty]:
        """Duty days on `day` not yet reminded (rows another sweep holds are skipped on PostgreSQL)."""
        query = (
            select(Duty)
            .where(Duty.date == day, Duty.reminded_at.is_(None))
            .order_by(Duty.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return (await self.session.scalars(query)).all()

    async def members(self, station_id: int) -> list[tuple[int, str, str | None]]:
        """(deputy id, name, person code) of the station's deputies, by name."""
        rows = await self.session.execute(
            select(Deputy.id, Person.name, Person.code)
            .join(DeputyStation, DeputyStation.deputy_id == Deputy.id)
            .join(Person, Person.id == Deputy.person_id)
            .where(DeputyStation.station_id == station_id)
            .order_by(Person.name, Deputy.id)
        )
        return [(int(did), name, code) for did, name, code in rows.all()]

    async def memberships(self, station_ids: Iterable[int]) -> dict[str, set[int]]:
        """Person code → the ids (among these) of the stations where that deputy serves."""
        ids = sorted(set(station_ids))
        if not ids:
            return {}
        rows = await self.session.execute(
            select(Person.code, DeputyStation.station_id)
            .join(Deputy, Deputy.person_id == Person.id)
            .join(DeputyStation, DeputyStation.deputy_id == Deputy.id)
            .where(among(DeputyStation.station_id, ids), Person.code.is_not(None))
        )
        out: dict[str, set[int]] = {}
        for code, sid in rows.all():
            out.setdefault(code, set()).add(int(sid))
        return out

    async def deputy_ids_by_code(self, codes: Iterable[str]) -> dict[str, int]:
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = await self.session.execute(
            select(Person.code, Deputy.id)
            .join(Deputy, Deputy.person_id == Person.id)
            .where(among(Person.code, wanted))
        )
        return {code: int(did) for code, did in rows.all()}

    async def is_member(self, deputy_id: int, station_id: int) -> bool:
        found = await self.session.scalar(
            select(DeputyStation.id).where(
                DeputyStation.deputy_id == deputy_id, DeputyStation.station_id == station_id
            )
        )
        return found is not None

    async def checked_in_days(
        self, start: dt.date | None, end: dt.date | None
    ) -> tuple[dict[int, int], dict[int, int]]:
        """Distinct checked-in days per deputy and per station, days start..end inclusive (None: open)."""
        out: list[dict[int, int]] = []
        for column in (Duty.deputy_id, Duty.station_id):
            query = (
                select(column, func.count(func.distinct(Duty.date)))
                .where(Duty.checked_in_at.is_not(None))
                .group_by(column)
            )
            if start is not None:
                query = query.where(Duty.date >= start)
            if end is not None:
                query = query.where(Duty.date <= end)
            out.append({key: int(n) for key, n in (await self.session.execute(query)).all()})
        return out[0], out[1]

    # -- swaps ----------------------------------------------------------------------------------------

    async def swap(self, swap_id: int) -> DutySwap | None:
        return await self.session.get(DutySwap, swap_id)

    async def add_swap(self, swap: DutySwap) -> DutySwap:
        self.session.add(swap)
        await self.session.flush()
        return swap

    async def open_swap(self, duty_id: int) -> DutySwap | None:
        """The duty day's swap still waiting for the partner or the head, if any."""
        return await self.session.scalar(
            select(DutySwap).where(DutySwap.duty_id == duty_id, DutySwap.state.in_(OPEN_SWAP_STATES)).limit(1)
        )

    async def open_swaps(self, duty_ids: Iterable[int]) -> dict[int, DutySwap]:
        ids = sorted(set(duty_ids))
        if not ids:
            return {}
        rows = await self.session.scalars(
            select(DutySwap).where(DutySwap.duty_id.in_(ids), DutySwap.state.in_(OPEN_SWAP_STATES))
        )
        return {swap.duty_id: swap for swap in rows.all()}

    async def lapsing_swaps(self, today: dt.date) -> Sequence[DutySwap]:
        """Open swaps whose day has gone by: they can no longer be decided."""
        return (
            await self.session.scalars(
                select(DutySwap)
                .where(DutySwap.state.in_(OPEN_SWAP_STATES), DutySwap.day < today)
                .order_by(DutySwap.id)
            )
        ).all()
