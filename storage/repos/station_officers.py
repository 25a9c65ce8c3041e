"""Who runs a station: its head (站长) and liaison officers (联络员), by station and by person."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, select

from storage.models import Person, Station
from storage.models.duty import StationOfficer, StationRole
from storage.repos.base import Repo


class StationOfficerRepo(Repo):
    async def head_of(self, station_id: int) -> Person | None:
        """The station's head, or None when it has none."""
        return await self.session.scalar(
            select(Person)
            .join(StationOfficer, StationOfficer.person_id == Person.id)
            .where(StationOfficer.station_id == station_id, StationOfficer.role == StationRole.HEAD)
            .order_by(StationOfficer.id)
            .limit(1)
        )

    async def officers(self, station_id: int) -> list[tuple[str, Person]]:
        """(role, person) of everyone running the station, the head first."""
        rows = await self.session.execute(
            select(StationOfficer.role, Person)
            .join(Person, Person.id == StationOfficer.person_id)
            .where(StationOfficer.station_id == station_id)
            .order_by(StationOfficer.role, StationOfficer.id)
        )
        return [(role, person) for role, person in rows.all()]

    async def stations_of(self, person_id: int, role: StationRole) -> Sequence[Station]:
        """The stations where this person holds `role`, by code."""
        return (
            await self.session.scalars(
                select(Station)
                .join(StationOfficer, StationOfficer.station_id == Station.id)
                .where(StationOfficer.person_id == person_id, StationOfficer.role == role)
                .order_by(Station.code)
            )
        ).all()

    async def holds(self, station_id: int, person_id: int, role: StationRole) -> bool:
        found = await self.session.scalar(
            select(StationOfficer.id).where(
                StationOfficer.station_id == station_id,
                StationOfficer.person_id == person_id,
                StationOfficer.role == role,
            )
        )
        return found is not None

    async def add(self, station_id: int, person_id: int, role: StationRole) -> bool:
        """Record the person in `role` at the station; a head replaces the one before. True when it changed."""
        if await self.holds(station_id, person_id, role):
            return False
        if role is StationRole.HEAD:
            await self.session.execute(
                delete(StationOfficer).where(
                    StationOfficer.station_id == station_id, StationOfficer.role == StationRole.HEAD
                )
            )
        self.session.add(StationOfficer(station_id=station_id, person_id=person_id, role=role.value))
        await self.session.flush()
        return True

    async def officer_codes(self) -> dict[int, tuple[str | None, list[str]]]:
        """Station id → (its head's person code, its liaison officers' codes); people without a code
        (joined by invitation) are left out: the network file names people by code."""
        rows = await self.session.execute(
            select(StationOfficer.station_id, StationOfficer.role, Person.code)
            .join(Person, Person.id == StationOfficer.person_id)
            .where(Person.code.is_not(None))
            .order_by(StationOfficer.station_id, StationOfficer.id)
        )
        heads: dict[int, str | None] = {}
        liaisons: dict[int, list[str]] = defaultdict(list)
        for station_id, role, code in rows:
            if role == StationRole.HEAD:
                heads[station_id] = code
            else:
                liaisons[station_id].append(code)
        return {sid: (heads.get(sid), liaisons.get(sid, [])) for sid in {*heads, *liaisons}}
