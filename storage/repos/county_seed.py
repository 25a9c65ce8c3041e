"""What a seeded county of stations at work reads of the network and how it is written: in bulk, straight
through the models' tables (one executemany per table), as the seeded suggestion year is
(storage/repos/suggestion_seed.py). Three years — 4,668 duty days, 4,547 diary entries, 11,046 visitors,
1,209 opinions with 7,954 timeline entries — are planned and written in about a second on SQLite and
1.5 s on PostgreSQL; the visitors go without RETURNING (with it, SQLite took several seconds for them)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, insert, select, update

from storage.lists import among
from storage.models import ContactLink, Counter, Deputy, DeputyStation, Person, PersonRole, Role, Station
from storage.models.core import ContactTier
from storage.models.opinions import Duty, Opinion, OpinionEvent, OpinionSubscriber
from storage.models.receptions import Reception, ReceptionMatter, ReceptionVisitor, VisitorLink
from storage.repos.base import Repo

__all__ = ["CountyNetwork", "CountySeedRepo", "SeedDeputy", "SeedStation"]


@dataclass(frozen=True)
class SeedStation:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass(frozen=True)
class SeedDeputy:
    id: int
    person_id: int
    fields: tuple[str, ...]
    station_ids: tuple[int, ...]  # the stations where they serve, by station code
    supervisor_person_id: int | None  # the committee member who contacts them (lowest person id)


@dataclass(frozen=True)
class CountyNetwork:
    """The stations, deputies and constituents a seeded county draws on, each in a stable order."""

    stations: tuple[SeedStation, ...]  # by code
    deputies: tuple[SeedDeputy, ...]  # by person code, then id
    staff_person_id: int | None  # who rejects and marks duplicates (the first staff member), if any
    telegram_base: int  # the first Telegram user id above every one the database knows (for new people)


# Telegram user ids of the people a seeded county adds start here (above any the example network uses).
TELEGRAM_BASE = 7_100_000_000

# The tables a seeded county writes, by name.
TABLES: Mapping[str, Any] = {
    "duty": Duty,
    "person": Person,
    "role": PersonRole,
    "link": VisitorLink,
    "reception": Reception,
    "visitor": ReceptionVisitor,
    "matter": ReceptionMatter,
    "opinion": Opinion,
    "event": OpinionEvent,
    "subscriber": OpinionSubscriber,
}


class CountySeedRepo(Repo):
    async def anything_before(self, moment: datetime, day: date) -> bool:
        """Whether any opinion was received before `moment`, or any duty day or diary entry is dated
        before `day` (a seeded county is only for a database without a past of its own)."""
        for query in (
            select(Opinion.id).where(Opinion.created_at < moment).limit(1),
            select(Duty.id).where(Duty.date < day).limit(1),
            select(Reception.id).where(Reception.day < day).limit(1),
        ):
            if await self.session.scalar(query) is not None:
                return True
        return False

    async def network(self) -> CountyNetwork:
        stations = [
            SeedStation(int(i), code, name, kind, parent)
            for i, code, name, kind, parent in await self.session.execute(
                select(Station.id, Station.code, Station.name, Station.kind, Station.parent_id).order_by(
                    Station.code
                )
            )
        ]
        order = {s.id: n for n, s in enumerate(stations)}
        serving: dict[int, list[int]] = defaultdict(list)
        for deputy_id, station_id in await self.session.execute(
            select(DeputyStation.deputy_id, DeputyStation.station_id)
        ):
            serving[int(deputy_id)].append(int(station_id))
        supervisors: dict[int, int] = {}
        for person_id, supervisor in await self.session.execute(
            select(ContactLink.to_person_id, func.min(ContactLink.from_person_id))
            .where(
                ContactLink.tier == ContactTier.COMMITTEE_DEPUTY.value,
                ContactLink.from_person_id.is_not(None),
            )
            .group_by(ContactLink.to_person_id)
        ):
            supervisors[int(person_id)] = int(supervisor)
        deputies = [
            SeedDeputy(
                int(deputy_id),
                int(person_id),
                tuple(fields or ()),
                tuple(sorted(serving.get(int(deputy_id), ()), key=lambda s: order.get(s, 0))),
                supervisors.get(int(person_id)),
            )
            for deputy_id, person_id, fields in await self.session.execute(
                select(Deputy.id, Deputy.person_id, Deputy.fields)
                .join(Person, Person.id == Deputy.person_id)
                .order_by(Person.code, Deputy.id)
            )
        ]
        staff = await self.session.scalar(
            select(func.min(PersonRole.person_id)).where(PersonRole.role == Role.STAFF.value)
        )
        highest = await self.session.scalar(select(func.max(Person.telegram_id)))
        return CountyNetwork(
            stations=tuple(stations),
            deputies=tuple(deputies),
            staff_person_id=int(staff) if staff is not None else None,
            telegram_base=max(int(highest or 0) + 1, TELEGRAM_BASE),
        )

    async def add(self, table: str, rows: Sequence[Mapping[str, Any]], *, ids: bool = False) -> list[int]:
        """Insert rows into one of `TABLES`; with `ids`, their new ids in the order given."""
        if not rows:
            return []
        model = TABLES[table]
        if not ids:  # the table's own INSERT, one executemany: no ORM bookkeeping per row
            await self.session.execute(insert(model.__table__), [dict(r) for r in rows])
            return []
        table_ = model.__table__
        statement = insert(table_).returning(table_.c.id, sort_by_parameter_order=True)
        return list((await self.session.scalars(statement, [dict(r) for r in rows])).all())

    async def visitor_ids(self, reception_ids: Sequence[int]) -> dict[tuple[int, int], int]:
        """(entry id, visitor number) → visitor id, for the visitors of these entries."""
        if not reception_ids:
            return {}
        rows = await self.session.execute(
            select(ReceptionVisitor.reception_id, ReceptionVisitor.number, ReceptionVisitor.id).where(
                among(ReceptionVisitor.reception_id, reception_ids)
            )
        )
        return {(int(r), int(n)): int(i) for r, n, i in rows.all()}

    async def mark_duplicates(self, pairs: Sequence[tuple[int, int]]) -> None:
        """Point each (opinion id, the opinion it duplicates) at its original."""
        if pairs:
            await self.session.execute(
                update(Opinion), [{"id": oid, "duplicate_of_id": target} for oid, target in pairs]
            )

    async def raise_counters(self, values: Mapping[str, int]) -> None:
        """Set each named counter to at least the value (the tracking numbers a seed took)."""
        for name, value in sorted(values.items()):
            current = await self.session.get(Counter, name)
            if current is None:
                self.session.add(Counter(name=name, value=value))
            elif current.value < value:
                current.value = value
        await self.session.flush()
