"""Writing a checked network file into storage, by code, so that a re-import is a no-op.

The bot reads, parses and checks the file (bot/network: sources, schema, checks); this module loads
the stored rows the file may name (`load_known`) and writes the file's rows inside the caller's
transaction (`NetworkWriter`). It reads the parsed rows by their fields only (`ParsedNetwork`, `Edge`),
so storage depends on nothing of the bot.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    CongressSession,
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
    Unit,
)
from storage.models.duty import StationRole
from storage.repos.network import LinkKey, NetworkRepo
from storage.repos.station_officers import StationOfficerRepo
from storage.repos.stations import StationRepo
from storage.repos.units import UnitRepo


class ParsedNetwork(Protocol):
    """A parsed file: per section, (line, row) pairs whose rows carry the fields the writer reads."""

    stations: Sequence[tuple[int, Any]]
    committees: Sequence[tuple[int, Any]]
    deputies: Sequence[tuple[int, Any]]
    groups: Sequence[tuple[int, Any]]
    constituents: Sequence[tuple[int, Any]]
    contacts: Sequence[tuple[int, Any]]
    units: Sequence[tuple[int, Any]]
    sessions: Sequence[tuple[int, Any]]


class Edge(Protocol):
    """One contact link the checks derived: from a person (or a committee) to a person, at a tier."""

    source: str
    target: str
    committee: bool
    tier: Any


@dataclass
class Known:
    """Database rows the file may refer to or update, loaded once by code."""

    stations: dict[str, Station]
    committees: dict[str, SpecialCommittee]
    groups: dict[str, DeputyGroup]
    people: dict[str, Person]
    by_telegram: dict[int, Person]
    station_parent: dict[str, str | None]
    units: dict[str, Unit]
    unit_parent: dict[str, str | None]
    unit_leads: dict[str, str]  # category → the code of the unit marked to lead it
    sessions: dict[str, CongressSession]
    committee_members: set[str] = field(default_factory=set)  # named people on a special committee


# Roles an import owns for the people it names; staff, admin and unit-officer roles are left alone.
MANAGED_ROLES = frozenset({Role.CONSTITUENT, Role.DEPUTY, Role.COMMITTEE_MEMBER, Role.PRESIDIUM})
# SQLite allows 32,766 bound parameters, asyncpg 32,767: stay well below both.
CHUNK = 5000

T = TypeVar("T")


@dataclass
class ImportSummary:
    """What an import did, per section; a re-import of the same file reports only `unchanged`."""

    source: str
    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    updated: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(_ROW_SECTIONS, 0))
    links_added: int = 0
    links_removed: int = 0
    links_retiered: int = 0

    @property
    def changed(self) -> bool:
        return bool(
            sum(self.created.values()) + sum(self.updated.values())
            or self.links_added + self.links_removed + self.links_retiered
        )

    def __str__(self) -> str:
        parts = [
            f"{name}: {self.created[name]} new, {self.updated[name]} updated, {self.unchanged[name]} unchanged"
            for name in _ROW_SECTIONS
        ]
        parts.append(
            f"contact links: {self.links_added} added, {self.links_removed} removed, "
            f"{self.links_retiered} re-tiered"
        )
        return f"{self.source}: " + "; ".join(parts)


_ROW_SECTIONS = ("stations", "committees", "deputies", "groups", "constituents", "units", "sessions")


def _chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def load_known(session: AsyncSession, parsed: ParsedNetwork) -> Known:
    """The stored rows the file may name, loaded once (people by code and telegram id, in chunks)."""
    stations = {s.code: s for s in (await session.scalars(select(Station))).all()}
    by_id = {s.id: s.code for s in stations.values()}
    committees = {c.code: c for c in (await session.scalars(select(SpecialCommittee))).all()}
    groups = {g.code: g for g in (await session.scalars(select(DeputyGroup))).all()}
    codes: set[str] = {row.code for _, row in parsed.deputies} | {row.code for _, row in parsed.constituents}
    codes |= {row.leader for _, row in parsed.groups if row.leader}
    codes |= {code for _, row in parsed.committees for code in row.members}
    codes |= {code for _, row in parsed.stations for code in [row.head, *row.liaisons] if code}
    for _, contact in parsed.contacts:
        codes.add(contact.source)
        codes.update(contact.to)
    codes |= {code for _, row in parsed.stations for code in getattr(row, "inspectors", ())}
    people: dict[str, Person] = {}
    for chunk in _chunks(sorted(codes)):
        for person in (await session.scalars(select(Person).where(Person.code.in_(chunk)))).all():
            people[person.code or ""] = person
    telegram_ids = sorted(
        {
            row.telegram_id
            for _, row in [*parsed.deputies, *parsed.constituents]
            if row.telegram_id is not None
        }
    )
    by_telegram: dict[int, Person] = {}
    for chunk in _chunks(telegram_ids):
        for person in (await session.scalars(select(Person).where(Person.telegram_id.in_(chunk)))).all():
            by_telegram[person.telegram_id or 0] = person
    parent = {s.code: (by_id.get(s.parent_id) if s.parent_id else None) for s in stations.values()}
    units = {u.code: u for u in (await session.scalars(select(Unit))).all()}
    unit_code = {u.id: u.code for u in units.values()}
    unit_parent = {u.code: (unit_code.get(u.parent_id) if u.parent_id else None) for u in units.values()}
    unit_leads = {
        category: unit_code[unit_id]
        for unit_id, categories in (await UnitRepo(session).leads()).items()
        for category in categories
    }
    sessions = {s.code: s for s in (await session.scalars(select(CongressSession))).all()}
    # Named people on a special committee (who may inspect stations): every member, matched in Python
    # (one list of committee members, not a parameter per person).
    members = set((await session.scalars(select(SpecialCommitteeMember.person_id).distinct())).all())
    on_committee = {p.code or "" for p in people.values() if p.id in members}
    return Known(
        stations,
        committees,
        groups,
        people,
        by_telegram,
        parent,
        units,
        unit_parent,
        unit_leads,
        sessions,
        on_committee,
    )


def _assign(obj: Any, **values: Any) -> bool:
    """Set the attributes that differ; True when something changed (so re-imports stay no-ops)."""
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


class NetworkWriter:
    """Applies a checked file inside one unit of work; callers commit.

    New rows are added to the session (their ids are needed at once); the pair tables and contact
    links are synced in bulk by `NetworkRepo`.
    """

    def __init__(
        self, session: AsyncSession, parsed: ParsedNetwork, known: Known, summary: ImportSummary
    ) -> None:
        self.session = session
        self.repo = NetworkRepo(session)
        self.parsed = parsed
        self.known = known
        self.summary = summary
        # Deputies are counted last: a changed station or group list is an update of the deputy too.
        self.deputy_state: dict[str, tuple[bool, bool]] = {}
        # Committees likewise, once their members are synced; stations once their inspectors are.
        self.committee_state: dict[str, tuple[bool, bool]] = {}
        # Stations likewise, once their head and liaison officers are recorded (#24).
        self.station_state: dict[str, tuple[bool, bool]] = {}

    def _count(self, section: str, created: bool, changed: bool) -> None:
        bucket = (
            self.summary.created if created else self.summary.updated if changed else self.summary.unchanged
        )
        bucket[section] += 1

    async def write(self, edges: Sequence[Edge]) -> None:
        """Write every section; the caller commits."""
        await self._stations()
        await self._committees()
        await self._people()
        await self._committee_members()
        await self._groups()
        await self._deputy_stations()
        await self._memberships()
        await self._links(edges)
        await self._units()
        await self._sessions()
        await self._station_officers()
        await self._station_inspectors()
        for created, changed in self.station_state.values():
            self._count("stations", created, changed)
        for created, changed in self.committee_state.values():
            self._count("committees", created, changed)
        for created, changed in self.deputy_state.values():
            self._count("deputies", created, changed)

    async def _stations(self) -> None:
        stations = self.known.stations
        fresh: set[str] = set()
        for _, row in self.parsed.stations:
            if row.code not in stations:
                stations[row.code] = Station(code=row.code, name=row.name, kind=row.kind.value)
                self.session.add(stations[row.code])
                fresh.add(row.code)
        await self.session.flush()
        for _, row in self.parsed.stations:
            parent_id = stations[row.parent].id if row.parent else None
            changed = _assign(
                stations[row.code],
                name=row.name,
                kind=row.kind.value,
                parent_id=parent_id,
                latitude=row.latitude,
                longitude=row.longitude,
            )
            self.station_state[row.code] = (row.code in fresh, changed)

    async def _station_officers(self) -> None:
        """The head and liaison officers each station row names (people are written by now): a given head
        replaces the one before, who keeps the role only while heading another station; liaison
        officers are added, never removed (they also join by invitation)."""
        repo = StationOfficerRepo(self.session)
        for _, row in self.parsed.stations:
            station = self.known.stations[row.code]
            wanted = [(row.head, StationRole.HEAD)] if row.head else []
            wanted += [(code, StationRole.LIAISON) for code in dict.fromkeys(row.liaisons)]
            changed = False
            for code, role in wanted:
                person = self.known.people[code]
                before = await repo.head_of(station.id) if role is StationRole.HEAD else None
                if not await repo.add(station.id, person.id, role):
                    continue
                changed = True
                self._grant(person, Role.STATION_HEAD if role is StationRole.HEAD else Role.LIAISON)
                if before is not None and not await repo.stations_of(before.id, StationRole.HEAD):
                    before.roles[:] = [r for r in before.roles if r.role != Role.STATION_HEAD]
            if changed:
                created, _ = self.station_state[row.code]
                self.station_state[row.code] = (created, True)
        await self.session.flush()

    @staticmethod
    def _grant(person: Person, role: Role) -> None:
        if role not in person.role_set:
            person.roles.append(PersonRole(role=role.value))

    async def _station_inspectors(self) -> None:
        """The inspectors (分片包抓) of each station whose row lists them (people are written by now);
        a station whose inspectors changed counts as updated."""
        repo = StationRepo(self.session)
        for _, row in self.parsed.stations:
            if not getattr(row, "inspectors_given", False):
                continue
            station = self.known.stations[row.code]
            wanted = [self.known.people[code].id for code in dict.fromkeys(row.inspectors)]
            if await repo.set_inspectors(station.id, wanted):
                created, _ = self.station_state[row.code]
                self.station_state[row.code] = (created, True)

    async def _units(self) -> None:
        """Units by code, then their parents (all rows exist by then), then their 归口 categories."""
        units = self.known.units
        fresh: set[str] = set()
        for _, row in self.parsed.units:
            if row.code not in units:
                units[row.code] = Unit(code=row.code, name=row.name, kind=row.kind.value)
                self.session.add(units[row.code])
                fresh.add(row.code)
        await self.session.flush()
        changed: dict[str, bool] = {}
        for _, row in self.parsed.units:
            parent_id = units[row.parent].id if row.parent else None
            changed[row.code] = _assign(
                units[row.code], name=row.name, kind=row.kind.value, parent_id=parent_id
            )
        wanted = {units[row.code].id: row.handled for _, row in self.parsed.units}
        leads = {units[row.code].id: set(row.leads) for _, row in self.parsed.units}
        repo = UnitRepo(self.session)
        touched = await repo.sync_categories(wanted, leads)
        for _, row in self.parsed.units:
            staffed = await self._unit_officers(repo, units[row.code], row.officers)
            self._count(
                "units", row.code in fresh, changed[row.code] or units[row.code].id in touched or staffed
            )

    async def _sessions(self) -> None:
        """The sessions calendar by code; sessions the file does not name stay."""
        stored = self.known.sessions
        for _, row in self.parsed.sessions:
            session = stored.get(row.code)
            if session is None:
                stored[row.code] = CongressSession(
                    code=row.code, name=row.name, opens=row.opens, closes=row.closes
                )
                self.session.add(stored[row.code])
                self._count("sessions", True, False)
            else:
                changed = _assign(session, name=row.name, opens=row.opens, closes=row.closes)
                self._count("sessions", False, changed)
        await self.session.flush()

    async def _unit_officers(self, repo: UnitRepo, unit: Unit, codes: Sequence[str]) -> bool:
        """Make the named people officers of the unit (the first its head); True when that changed
        anything. Officers the file does not name are kept: they may have joined by invitation."""
        changed = False
        for index, code in enumerate(dict.fromkeys(codes)):
            person = self.known.people[code]
            if Role.UNIT_OFFICER not in person.role_set:
                person.roles.append(PersonRole(role=Role.UNIT_OFFICER.value))
                changed = True
            await self.session.flush()
            changed = await repo.add_officer(unit.id, person.id, head=index == 0) or changed
        return changed

    async def _committees(self) -> None:
        for _, row in self.parsed.committees:
            committee = self.known.committees.get(row.code)
            if committee is None:
                committee = SpecialCommittee(code=row.code, name=row.name, categories=list(row.categories))
                self.known.committees[row.code] = committee
                self.session.add(committee)
                self.committee_state[row.code] = (True, False)
            else:
                changed = _assign(committee, name=row.name, categories=list(row.categories))
                self.committee_state[row.code] = (False, changed)

    async def _committee_members(self) -> None:
        """Set the members of each committee whose row lists them (people are written by now)."""
        rows = [row for _, row in self.parsed.committees if row.members_given]
        wanted = {
            self.known.committees[row.code].id: [self.known.people[m].id for m in dict.fromkeys(row.members)]
            for row in rows
        }
        touched = await self.repo.sync_pairs(SpecialCommitteeMember, "committee_id", "person_id", wanted)
        for row in rows:
            if self.known.committees[row.code].id in touched:
                created, _ = self.committee_state[row.code]
                self.committee_state[row.code] = (created, True)

    async def _people(self) -> None:
        moving = await self._free_moving_ids()
        self._deputies(moving)
        self._constituents(moving)
        await self.session.flush()

    async def _free_moving_ids(self) -> list[Person]:
        """Free telegram ids that move between people of this file before any is given out again."""
        people = self.known.people
        file_rows = [*self.parsed.deputies, *self.parsed.constituents]
        moving = [
            people[row.code]
            for _, row in file_rows
            if row.code in people
            and people[row.code].telegram_id is not None
            and people[row.code].telegram_id != row.telegram_id
        ]
        for person in moving:
            person.telegram_id = None
        if moving:
            await self.session.flush()
        return moving

    def _deputies(self, moving: list[Person]) -> None:
        for _, deputy in self.parsed.deputies:
            person, created = self._person(deputy.code, deputy.telegram_id)
            first_station = self.known.stations[deputy.stations[0]].id if deputy.stations else None
            changed = person in moving
            changed |= _assign(
                person,
                name=deputy.name,
                phone=deputy.phone,
                telegram_id=deputy.telegram_id,
                station_id=first_station,
            )
            changed |= self._set_roles(person, {Role.DEPUTY, *(Role(r) for r in deputy.roles)})
            if created or person.deputy is None:
                person.deputy = Deputy(level=deputy.level.value, fields=list(deputy.fields))
                changed = True
            else:
                changed |= _assign(person.deputy, level=deputy.level.value, fields=list(deputy.fields))
            self.deputy_state[deputy.code] = (created, changed)

    def _constituents(self, moving: list[Person]) -> None:
        for _, constituent in self.parsed.constituents:
            person, created = self._person(constituent.code, constituent.telegram_id)
            station_id = self.known.stations[constituent.station].id if constituent.station else None
            changed = person in moving
            changed |= _assign(
                person,
                name=constituent.name,
                phone=constituent.phone,
                telegram_id=constituent.telegram_id,
                station_id=station_id,
            )
            changed |= self._set_roles(person, {Role.CONSTITUENT})
            self._count("constituents", created, changed)

    def _person(self, code: str, telegram_id: int | None) -> tuple[Person, bool]:
        person = self.known.people.get(code)
        if person is not None:
            return person, False
        holder = self.known.by_telegram.get(telegram_id) if telegram_id is not None else None
        if holder is not None and holder.code is None:
            holder.code = code  # adopt the account that wrote to the bot before the roster named it
            self.known.people[code] = holder
            return holder, False
        person = Person(code=code, name="")
        person.roles = []
        self.session.add(person)
        self.known.people[code] = person
        return person, True

    @staticmethod
    def _set_roles(person: Person, wanted: set[Role]) -> bool:
        changed = False
        for held in list(person.roles):
            if Role(held.role) in MANAGED_ROLES and Role(held.role) not in wanted:
                person.roles.remove(held)
                changed = True
        have = person.role_set
        for role in sorted(wanted - have):
            person.roles.append(PersonRole(role=role.value))
            changed = True
        return changed

    async def _groups(self) -> None:
        for _, row in self.parsed.groups:
            leader = self.known.people[row.leader].deputy if row.leader else None
            leader_id = leader.id if leader is not None else None
            group = self.known.groups.get(row.code)
            if group is None:
                group = DeputyGroup(code=row.code, name=row.name, field=row.field, leader_id=leader_id)
                self.known.groups[row.code] = group
                self.session.add(group)
                self._count("groups", True, False)
            else:
                self._count(
                    "groups", False, _assign(group, name=row.name, field=row.field, leader_id=leader_id)
                )
        await self.session.flush()

    def _deputy_ids(self) -> dict[str, int]:
        out = {}
        for _, row in self.parsed.deputies:
            deputy = self.known.people[row.code].deputy
            assert deputy is not None  # written by _people
            out[row.code] = deputy.id
        return out

    def _mark_changed(self, deputy_ids: set[int]) -> None:
        for code, deputy_id in self._deputy_ids().items():
            if deputy_id in deputy_ids:
                self.deputy_state[code] = (self.deputy_state[code][0], True)

    async def _deputy_stations(self) -> None:
        ids = self._deputy_ids()
        wanted = {
            ids[row.code]: [self.known.stations[s].id for s in row.stations]
            for _, row in self.parsed.deputies
        }
        self._mark_changed(await self.repo.sync_pairs(DeputyStation, "deputy_id", "station_id", wanted))

    async def _memberships(self) -> None:
        ids = self._deputy_ids()
        wanted = {
            ids[row.code]: [self.known.groups[g].id for g in row.groups] for _, row in self.parsed.deputies
        }
        self._mark_changed(await self.repo.sync_pairs(GroupMembership, "deputy_id", "group_id", wanted))

    async def _links(self, edges: Sequence[Edge]) -> None:
        """Make the links from every person and committee the file names exactly the file's edges."""
        people = self.known.people
        committees = self.known.committees
        source_people = {people[r.code].id for _, r in [*self.parsed.deputies, *self.parsed.constituents]}
        source_committees = {committees[r.code].id for _, r in self.parsed.committees}
        for _, contact in self.parsed.contacts:
            if contact.source in committees:
                source_committees.add(committees[contact.source].id)
            else:
                source_people.add(people[contact.source].id)
        added, removed, retiered = await self.repo.sync_links(
            source_people, source_committees, self._wanted_links(edges)
        )
        self.summary.links_added += added
        self.summary.links_removed += removed
        self.summary.links_retiered += retiered

    def _wanted_links(self, edges: Sequence[Edge]) -> dict[LinkKey, str]:
        people = self.known.people
        committees = self.known.committees
        wanted: dict[LinkKey, str] = {}
        for edge in edges:
            source = committees[edge.source].id if edge.committee else people[edge.source].id
            key = (
                (None, source, people[edge.target].id)
                if edge.committee
                else (source, None, people[edge.target].id)
            )
            wanted[key] = edge.tier.value
        return wanted
