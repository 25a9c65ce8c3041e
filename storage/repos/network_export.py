"""The contact network read back out of storage in one transaction: every row an export writes,
with the id → code maps it needs, and the grouped counts staff check after an import."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    CongressSession,
    ContactLink,
    ContactTier,
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    Person,
    PersonRole,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
    Unit,
    UnitOfficer,
)
from storage.repos.calendar import CalendarRepo
from storage.repos.station_officers import StationOfficerRepo
from storage.repos.stations import StationRepo
from storage.repos.units import UnitRepo


@dataclass
class StoredNetwork:
    """The rows an export writes out, read in one transaction, with the id → code maps it needs."""

    stations: Sequence[Station]
    committees: Sequence[SpecialCommittee]
    groups: Sequence[DeputyGroup]
    people: Sequence[Person]
    station_code: dict[int, str]
    person_code: dict[int, str | None]
    committee_members: dict[int, list[int]]
    deputy_stations: dict[int, list[str]]
    deputy_groups: dict[int, list[str]]
    contacts: dict[str, list[str]]
    units: Sequence[Unit]
    unit_code: dict[int, str]
    unit_categories: dict[int, list[str]]
    unit_officers: dict[int, list[str]]  # unit id → officers' person codes, head first
    unit_leads: dict[int, list[str]]  # unit id → the categories it is marked to lead
    sessions: Sequence[CongressSession]  # the calendar, earliest first
    # station id → (its head's person code, its liaison officers' codes) (#24)
    station_officers: dict[int, tuple[str | None, list[str]]] = field(default_factory=dict)
    station_inspectors: dict[int, list[str]] = field(default_factory=dict)  # station id → inspectors' codes


async def read_stored(session: AsyncSession) -> StoredNetwork:
    """Every row of the network in id order (people without a code, walk-in writers, left out)."""
    stations = (await session.scalars(select(Station).order_by(Station.id))).all()
    station_code = {s.id: s.code for s in stations}
    committees = (await session.scalars(select(SpecialCommittee).order_by(SpecialCommittee.id))).all()
    committee_code = {c.id: c.code for c in committees}
    committee_members: dict[int, list[int]] = defaultdict(list)
    for committee_id, person_id in await session.execute(
        select(SpecialCommitteeMember.committee_id, SpecialCommitteeMember.person_id).order_by(
            SpecialCommitteeMember.id
        )
    ):
        committee_members[committee_id].append(person_id)
    groups = (await session.scalars(select(DeputyGroup).order_by(DeputyGroup.id))).all()
    group_code = {g.id: g.code for g in groups}
    people = (await session.scalars(select(Person).where(Person.code.is_not(None)).order_by(Person.id))).all()
    person_code = {p.id: p.code for p in people}
    deputy_stations: dict[int, list[str]] = defaultdict(list)
    for deputy_id, station_id in await session.execute(
        select(DeputyStation.deputy_id, DeputyStation.station_id).order_by(DeputyStation.id)
    ):
        deputy_stations[deputy_id].append(station_code[station_id])
    deputy_groups: dict[int, list[str]] = defaultdict(list)
    for deputy_id, group_id in await session.execute(
        select(GroupMembership.deputy_id, GroupMembership.group_id).order_by(GroupMembership.id)
    ):
        deputy_groups[deputy_id].append(group_code[group_id])
    contacts: dict[str, list[str]] = {}
    for from_person, from_committee, to_person in await session.execute(
        select(ContactLink.from_person_id, ContactLink.from_committee_id, ContactLink.to_person_id).order_by(
            ContactLink.id
        )
    ):
        source = (
            committee_code[from_committee] if from_committee is not None else person_code.get(from_person)
        )
        target = person_code.get(to_person)
        if source is not None and target is not None:
            contacts.setdefault(source, []).append(target)
    units = (await session.scalars(select(Unit).order_by(Unit.id))).all()
    return StoredNetwork(
        stations=stations,
        committees=committees,
        groups=groups,
        people=people,
        station_code=station_code,
        person_code=person_code,
        committee_members=committee_members,
        deputy_stations=deputy_stations,
        deputy_groups=deputy_groups,
        contacts=contacts,
        units=units,
        unit_code={u.id: u.code for u in units},
        unit_categories=await UnitRepo(session).categories(),
        unit_officers=await UnitRepo(session).officer_codes(),
        unit_leads=await UnitRepo(session).leads(),
        sessions=await CalendarRepo(session).sessions(),
        station_officers=await StationOfficerRepo(session).officer_codes(),
        station_inspectors=await StationRepo(session).inspector_codes(),
    )


@dataclass(frozen=True)
class NetworkCounts:
    """Rows per stored value: stations by kind, deputies by level, links by tier, people by role."""

    by_kind: dict[str, int]
    by_level: dict[str, int]
    by_tier: dict[str, int]
    by_role: dict[str, int]
    committees: int
    # People sitting on at least one special committee (a person on two is counted once).
    special_committee_people: int
    # People with at least one deputy → constituent link (the deputies who have constituents).
    contacting_constituents: int
    groups: int
    units: int
    # People who are an officer of at least one unit (a person in two units is counted once).
    unit_officers: int
    sessions: int


async def count_network(session: AsyncSession) -> NetworkCounts:
    async def grouped(column: Any) -> dict[str, int]:
        rows = await session.execute(select(column, func.count()).group_by(column))
        return {str(key): int(n) for key, n in rows}

    async def count(table: Any) -> int:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)

    async def distinct(column: Any, *where: Any) -> int:
        return int(await session.scalar(select(func.count(func.distinct(column))).where(*where)) or 0)

    return NetworkCounts(
        by_kind=await grouped(Station.kind),
        by_level=await grouped(Deputy.level),
        by_tier=await grouped(ContactLink.tier),
        by_role=await grouped(PersonRole.role),
        committees=await count(SpecialCommittee),
        special_committee_people=await distinct(SpecialCommitteeMember.person_id),
        contacting_constituents=await distinct(
            ContactLink.from_person_id, ContactLink.tier == ContactTier.DEPUTY_CONSTITUENT.value
        ),
        groups=await count(DeputyGroup),
        units=await count(Unit),
        unit_officers=await distinct(UnitOfficer.person_id),
        sessions=await count(CongressSession),
    )


async def station_deputies(session: AsyncSession) -> dict[str, list[tuple[str, str]]]:
    """Station code → (code, name) of each deputy with a code who belongs to it, by code."""
    rows = await session.execute(
        select(Station.code, Person.code, Person.name)
        .join(DeputyStation, DeputyStation.station_id == Station.id)
        .join(Deputy, Deputy.id == DeputyStation.deputy_id)
        .join(Person, Person.id == Deputy.person_id)
        .where(Person.code.is_not(None))
        .order_by(Station.code, Person.code)
    )
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for station, code, name in rows:
        out[station].append((code, name))
    return dict(out)
