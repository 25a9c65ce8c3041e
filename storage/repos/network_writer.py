"""Writing a checked network file into storage, by code, so that a re-import is a no-op.

The bot reads, parses and checks the file (bot/network: sources, schema, checks); this module loads
the stored rows the file may name (`load_known`) and writes the file's rows inside the caller's
transaction (`NetworkWriter`). It reads the parsed rows by their fields only (`ParsedNetwork`, `Edge`),
so storage depends on nothing of the bot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol, TypeVar

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.lists import among
from storage.models import (
    CongressSession,
    Deputy,
    DeputyGroup,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
    Unit,
)
from storage.models.core import utcnow
from storage.models.duty import StationOfficer, StationRole
from storage.models.stations import StationInspector
from storage.repos.network import NetworkRepo
from storage.repos.network_bulk import (
    PERSON_COLUMNS,
    PeopleWriter,
    Progress,
    Staging,
    known_people,
    known_roles,
)
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


class Holder(NamedTuple):
    """The stored person holding a telegram id the file gives (for the checks' messages)."""

    id: int
    code: str | None
    name: str


@dataclass
class Known:
    """Database rows the file may refer to or update, loaded once by code; people as their roles only
    (a province names a million: no object per person)."""

    stations: dict[str, Station]
    committees: dict[str, SpecialCommittee]
    groups: dict[str, DeputyGroup]
    # code → the roles held, `deputy` for a deputy record too: the stored people the file names outside
    # its people's rows, and those rows whose telegram id a person without a code holds (the other
    # rows' roles are the file's)
    people: dict[str, frozenset[Role]]
    by_telegram: dict[int, Holder]
    station_parent: dict[str, str | None]
    units: dict[str, Unit]
    unit_parent: dict[str, str | None]
    unit_leads: dict[str, str]  # category → the code of the unit marked to lead it
    sessions: dict[str, CongressSession]
    committee_members: set[str] = field(default_factory=set)  # named people on a special committee
    staging: Staging | None = None


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


def _people_rows(parsed: ParsedNetwork) -> Iterator[tuple[Any, ...]]:
    """The staged person rows (`network_bulk.PERSON_COLUMNS`), deputies first, in the file's order."""
    for pos, (_, d) in enumerate(parsed.deputies):
        first = d.stations[0] if d.stations else None
        fields = json.dumps(list(d.fields))
        yield (pos, d.code, d.name, d.phone, d.telegram_id, first, True, str(d.level), fields)
    offset = len(parsed.deputies)
    for pos, (_, c) in enumerate(parsed.constituents, start=offset):
        yield (pos, c.code, c.name, c.phone, c.telegram_id, c.station, False, None, None)


def _referenced(parsed: ParsedNetwork) -> list[tuple[str]]:
    """Person codes the file names outside its people's rows, but not the code of one of those rows
    (a province's links name a million such codes; the rows' own roles come from the file)."""
    rows = {row.code for _, row in parsed.deputies}
    rows.update(row.code for _, row in parsed.constituents)
    named = {code for (code,) in _named_by_sections(parsed)}
    for _, contact in parsed.contacts:
        named.add(contact.source)
        named.update(contact.to)
    return [(code,) for code in sorted(named - rows)]


def _named_by_sections(parsed: ParsedNetwork) -> Iterator[tuple[str]]:
    """Person codes the small sections name: leaders, members, station officers and inspectors, unit
    officers."""
    for _, group in parsed.groups:
        if group.leader:
            yield (group.leader,)
    for _, committee in parsed.committees:
        yield from ((code,) for code in committee.members)
    for _, station in parsed.stations:
        codes = [station.head, *station.liaisons, *getattr(station, "inspectors", ())]
        yield from ((code,) for code in codes if code)
    for _, unit in parsed.units:
        yield from ((code,) for code in unit.officers)


async def load_known(session: AsyncSession, parsed: ParsedNetwork, progress: Progress | None = None) -> Known:
    """The stored rows the file may name, loaded once: the small sections as objects, people as
    tuples through the staging tables (which the writer then reads)."""
    stations = {s.code: s for s in (await session.scalars(select(Station))).all()}
    by_id = {s.id: s.code for s in stations.values()}
    committees = {c.code: c for c in (await session.scalars(select(SpecialCommittee))).all()}
    groups = {g.code: g for g in (await session.scalars(select(DeputyGroup))).all()}
    staging = Staging(session, progress)
    await staging.create()
    total = len(parsed.deputies) + len(parsed.constituents)
    await staging.load("imp_person", PERSON_COLUMNS, _people_rows(parsed), total, "people")
    await staging.load("imp_code", ("code",), _referenced(parsed))
    held: dict[str, set[Role]] = {}
    async for code, deputy, role in known_roles(staging):
        roles = held.setdefault(code, set())
        if deputy:
            roles.add(Role.DEPUTY)
        if role is not None:
            roles.add(Role(role))
    shared: dict[frozenset[Role], frozenset[Role]] = {}  # a few role sets, shared by a million people
    people: dict[str, frozenset[Role]] = {}
    for code, roles in held.items():
        frozen = frozenset(roles)
        people[code] = shared.setdefault(frozen, frozen)
    del held
    holders, members = await known_people(staging)
    by_telegram = {telegram_id: Holder(pid, code, name) for telegram_id, pid, code, name in holders}
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
        set(members),
        staging,
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

    The small sections (stations, committees, groups, units, sessions) are objects of the session;
    people, deputies, roles, their stations and groups and the contact links are written in bulk by
    `network_bulk` from the staging tables `load_known` filled. Who else the small sections name
    (leaders, members, officers, inspectors) is looked up by code in one statement.
    """

    def __init__(
        self,
        session: AsyncSession,
        parsed: ParsedNetwork,
        known: Known,
        summary: ImportSummary,
        progress: Progress | None = None,
    ) -> None:
        assert known.staging is not None, "load_known stages the file's people"
        self.session = session
        self.repo = NetworkRepo(session)
        self.parsed = parsed
        self.known = known
        self.summary = summary
        self.progress = progress
        self.staging = known.staging
        self.bulk = PeopleWriter(self.staging, utcnow())
        self.ids: dict[str, tuple[int, int | None]] = {}  # person code → (person id, deputy id)
        # Committees are counted once their members are synced; stations once their officers and
        # inspectors are (#24).
        self.committee_state: dict[str, tuple[bool, bool]] = {}
        self.station_state: dict[str, tuple[bool, bool]] = {}

    def _count(self, section: str, created: bool, changed: bool, number: int = 1) -> None:
        bucket = (
            self.summary.created if created else self.summary.updated if changed else self.summary.unchanged
        )
        bucket[section] += number

    def _step(self, what: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(what, done, total)

    async def write(self, edges: Sequence[Edge]) -> None:
        """Write every section; the caller commits."""
        await self._stations()
        await self._committees()
        await self.session.flush()
        await self._stage(edges)
        await self.bulk.people()
        await self._lookup()
        await self._committee_members()
        await self._groups()
        self._step("writing stations and groups", 0, 2)
        await self.bulk.pairs("imp_station", "deputy_station", "station", "station_id")
        self._step("writing stations and groups", 1, 2)
        await self.bulk.pairs("imp_group", "group_membership", "deputy_group", "group_id")
        self._step("writing stations and groups", 2, 2)
        added, removed, retiered = await self.bulk.links()
        self.summary.links_added += added
        self.summary.links_removed += removed
        self.summary.links_retiered += retiered
        await self._units()
        await self._sessions()
        await self._station_officers()
        await self._station_inspectors()
        for created, changed in self.station_state.values():
            self._count("stations", created, changed)
        for created, changed in self.committee_state.values():
            self._count("committees", created, changed)
        for deputy, created, changed, number in await self.bulk.counts():
            self._count("deputies" if deputy else "constituents", created, changed, number)
        await self.staging.drop()

    async def _stage(self, edges: Sequence[Edge]) -> None:
        """Stage the rest of what the bulk steps read: roles, deputies' stations and groups, links."""
        parsed, load = self.parsed, self.staging.load
        roles = (
            (pos, row.code, role)
            for pos, (_, row) in enumerate(parsed.deputies)
            for role in sorted({Role.DEPUTY.value, *(str(r) for r in row.roles)})
        )
        await load("imp_role", ("pos", "code", "role"), _chain(roles, _constituent_roles(parsed)))
        stations = ((row.code, code) for _, row in parsed.deputies for code in dict.fromkeys(row.stations))
        await load("imp_station", ("pos", "code", "ref_code"), _numbered(stations))
        groups = ((row.code, code) for _, row in parsed.deputies for code in dict.fromkeys(row.groups))
        await load("imp_group", ("pos", "code", "ref_code"), _numbered(groups))
        links = (
            (pos, edge.source, edge.committee, edge.target, str(edge.tier.value))
            for pos, edge in enumerate(edges)
        )
        columns = ("pos", "source", "committee", "target", "tier")
        await load("imp_link", columns, links, len(edges), "contact links")
        committees = {code for code in self.known.committees}
        sources = [(row.code, True) for _, row in parsed.committees]
        people = {row.code for _, row in parsed.deputies}
        people.update(row.code for _, row in parsed.constituents)
        sources += [
            (code, code in committees)
            for code in dict.fromkeys(c.source for _, c in parsed.contacts)
            if code not in people
        ]
        await load("imp_source", ("code", "committee"), sources)

    async def _lookup(self) -> None:
        """(person id, deputy id) of the people the small sections name, by code, in one statement."""
        codes = {code for (code,) in _named_by_sections(self.parsed)}
        if not codes:
            return
        rows = await self.session.execute(
            select(Person.code, Person.id, Deputy.id)
            .outerjoin(Deputy, Deputy.person_id == Person.id)
            .where(among(Person.code, sorted(codes)))
        )
        self.ids = {str(code): (int(pid), did) for code, pid, did in rows}

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
        await self.session.flush()

    def _station_changed(self, code: str) -> None:
        created, _ = self.station_state[code]
        self.station_state[code] = (created, True)

    async def _station_officers(self) -> None:
        """The head and liaison officers each station row names, in a few statements for all stations: a
        given head replaces the one before, who keeps the role only while heading another station;
        liaison officers are added, never removed (they also join by invitation)."""
        rows = [
            (row.code, row.head, row.liaisons) for _, row in self.parsed.stations if row.head or row.liaisons
        ]
        if not rows:
            return
        station_ids = [self.known.stations[code].id for code, _, _ in rows]
        table = StationOfficer.__table__
        stored = await self.session.execute(
            select(table.c.station_id, table.c.person_id, table.c.role).where(
                among(table.c.station_id, station_ids)
            )
        )
        held: set[tuple[int, int, str]] = set()
        heads: dict[int, set[int]] = {}
        for sid, pid, role in stored:
            held.add((sid, pid, str(role)))
            if role == StationRole.HEAD:
                heads.setdefault(sid, set()).add(pid)
        replaced: list[int] = []  # stations whose head changes
        former: set[int] = set()  # heads replaced somewhere
        added: list[tuple[int, int, str]] = []
        grants: set[tuple[int, Role]] = set()
        for code, head, liaisons in rows:
            sid = self.known.stations[code].id
            wanted = [(head, StationRole.HEAD)] if head else []
            wanted += [(person, StationRole.LIAISON) for person in dict.fromkeys(liaisons)]
            for person, role in wanted:
                pid = self.ids[person][0]
                if (sid, pid, role.value) in held:
                    continue
                if role is StationRole.HEAD:
                    replaced.append(sid)
                    former |= heads.pop(sid, set())
                    held -= {key for key in held if key[0] == sid and key[2] == StationRole.HEAD.value}
                    heads[sid] = {pid}
                held.add((sid, pid, role.value))
                added.append((sid, pid, role.value))
                grants.add((pid, Role.STATION_HEAD if role is StationRole.HEAD else Role.LIAISON))
                self._station_changed(code)
        if replaced:
            await self.session.execute(
                delete(table).where(
                    among(table.c.station_id, replaced), table.c.role == StationRole.HEAD.value
                )
            )
        if added:
            now = utcnow()
            await self.session.execute(
                insert(table),
                [{"station_id": s, "person_id": p, "role": r, "granted_at": now} for s, p, r in added],
            )
        await self._grant(grants)
        if former:
            still = set(
                (
                    await self.session.scalars(
                        select(table.c.person_id)
                        .where(
                            among(table.c.person_id, sorted(former)), table.c.role == StationRole.HEAD.value
                        )
                        .distinct()
                    )
                ).all()
            )
            if gone := sorted(former - still):
                roles = PersonRole.__table__
                await self.session.execute(
                    delete(roles).where(
                        among(roles.c.person_id, gone), roles.c.role == Role.STATION_HEAD.value
                    )
                )

    async def _grant(self, grants: set[tuple[int, Role]]) -> bool:
        """Give these (person id, role) pairs the people lack, in one statement; True when any was new."""
        if not grants:
            return False
        roles = PersonRole.__table__
        have = await self.session.execute(
            select(roles.c.person_id, roles.c.role).where(
                among(roles.c.person_id, sorted({p for p, _ in grants}))
            )
        )
        held = {(pid, str(role)) for pid, role in have}
        new = sorted({(pid, role.value) for pid, role in grants} - held)
        if new:
            now = utcnow()
            await self.session.execute(
                insert(roles), [{"person_id": p, "role": r, "granted_at": now} for p, r in new]
            )
        return bool(new)

    async def _station_inspectors(self) -> None:
        """The inspectors (分片包抓) of each station whose row lists them, in a few statements: those with
        a person code the row leaves out go, the new ones join; a station whose inspectors changed
        counts as updated. Inspectors without a code (assigned in the console) stay."""
        rows = [row for _, row in self.parsed.stations if getattr(row, "inspectors_given", False)]
        if not rows:
            return
        table = StationInspector.__table__
        station_ids = [self.known.stations[row.code].id for row in rows]
        stored = await self.session.execute(
            select(table.c.id, table.c.station_id, table.c.person_id)
            .join(Person.__table__, Person.__table__.c.id == table.c.person_id)
            .where(among(table.c.station_id, station_ids), Person.__table__.c.code.is_not(None))
        )
        have: dict[int, dict[int, int]] = {}
        for row_id, sid, pid in stored:
            have.setdefault(sid, {})[pid] = row_id
        stale: list[int] = []
        added: list[tuple[int, int]] = []
        for row in rows:
            sid = self.known.stations[row.code].id
            wanted = [self.ids[code][0] for code in dict.fromkeys(row.inspectors)]
            had = have.get(sid, {})
            gone = [row_id for pid, row_id in had.items() if pid not in wanted]
            new = [(sid, pid) for pid in wanted if pid not in had]
            stale += gone
            added += new
            if gone or new:
                self._station_changed(row.code)
        if stale:
            await self.session.execute(delete(table).where(among(table.c.id, stale)))
        if added:
            now = utcnow()
            await self.session.execute(
                insert(table), [{"station_id": s, "person_id": p, "assigned_at": now} for s, p in added]
            )

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
            person_id = self.ids[code][0]
            changed = await self._grant({(person_id, Role.UNIT_OFFICER)}) or changed
            changed = await repo.add_officer(unit.id, person_id, head=index == 0) or changed
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
            self.known.committees[row.code].id: [self.ids[m][0] for m in dict.fromkeys(row.members)]
            for row in rows
        }
        touched = await self.repo.sync_pairs(SpecialCommitteeMember, "committee_id", "person_id", wanted)
        for row in rows:
            if self.known.committees[row.code].id in touched:
                created, _ = self.committee_state[row.code]
                self.committee_state[row.code] = (created, True)

    async def _groups(self) -> None:
        for _, row in self.parsed.groups:
            leader_id = self.ids[row.leader][1] if row.leader else None
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


def _numbered(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Each row after its position: new pair rows are inserted in the file's order (ids keep it)."""
    for pos, row in enumerate(rows):
        yield (pos, *row)


def _chain(*parts: Iterable[T]) -> Iterator[T]:
    for part in parts:
        yield from part


def _constituent_roles(parsed: ParsedNetwork) -> Iterator[tuple[int, str, str]]:
    offset = len(parsed.deputies)
    for pos, (_, row) in enumerate(parsed.constituents, start=offset):
        yield (pos, row.code, Role.CONSTITUENT.value)
