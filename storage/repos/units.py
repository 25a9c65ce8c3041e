"""Handling units: the units, their 归口 categories and their officers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import delete, func, insert, select, update

from storage.lists import among
from storage.models import Person, Unit, UnitCategory, UnitOfficer
from storage.repos.base import Repo


class UnitRepo(Repo):
    async def get(self, unit_id: int) -> Unit | None:
        return await self.session.get(Unit, unit_id)

    async def by_code(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def all(self) -> Sequence[Unit]:
        """Every unit, by code (the order staff see them in a picker)."""
        return (await self.session.scalars(select(Unit).order_by(Unit.code))).all()

    async def categories(self) -> dict[int, list[str]]:
        """Unit id → the categories it handles, in the order the file gave them."""
        out: dict[int, list[str]] = defaultdict(list)
        rows = await self.session.execute(
            select(UnitCategory.unit_id, UnitCategory.category).order_by(UnitCategory.id)
        )
        for unit_id, category in rows:
            out[unit_id].append(category)
        return dict(out)

    async def leads(self) -> dict[int, list[str]]:
        """Unit id → the categories it is marked to lead (主办), in the order the file gave them."""
        out: dict[int, list[str]] = defaultdict(list)
        rows = await self.session.execute(
            select(UnitCategory.unit_id, UnitCategory.category)
            .where(UnitCategory.lead.is_(True))
            .order_by(UnitCategory.id)
        )
        for unit_id, category in rows:
            out[unit_id].append(category)
        return dict(out)

    async def for_category(self, category: str) -> Sequence[Unit]:
        """The units whose 归口 includes this category (an indexed lookup): the one marked lead first,
        then by code (without a marked lead, simply by code)."""
        query = (
            select(Unit)
            .join(UnitCategory, UnitCategory.unit_id == Unit.id)
            .where(UnitCategory.category == category)
            .order_by(UnitCategory.lead.desc(), Unit.code)
        )
        return (await self.session.scalars(query)).all()

    async def sync_categories(
        self, wanted: dict[int, list[str]], leads: dict[int, set[str]] | None = None
    ) -> set[int]:
        """Make each unit's categories exactly `wanted[unit_id]`, marked lead where `leads[unit_id]` has
        them (every other row of these units unmarked); returns the units touched."""
        if not wanted:
            return set()
        leads = leads or {}
        rows = await self.session.execute(
            select(UnitCategory.id, UnitCategory.unit_id, UnitCategory.category, UnitCategory.lead).where(
                among(UnitCategory.unit_id, sorted(wanted))
            )
        )
        existing = {(unit_id, category): (row_id, bool(lead)) for row_id, unit_id, category, lead in rows}
        want = {(unit_id, c) for unit_id, cats in wanted.items() for c in cats}

        def leads_it(key: tuple[int, str]) -> bool:
            return key[1] in leads.get(key[0], set())

        gone = [row_id for key, (row_id, _) in existing.items() if key not in want]
        flipped = [
            (key[0], row_id, leads_it(key))
            for key, (row_id, lead) in existing.items()
            if key in want and lead != leads_it(key)
        ]
        new = [
            key
            for unit_id, cats in wanted.items()
            for key in ((unit_id, c) for c in cats)
            if key not in existing
        ]
        if gone:
            await self.session.execute(delete(UnitCategory).where(among(UnitCategory.id, gone)))
        for lead in (True, False):
            ids = [row_id for _, row_id, marked in flipped if marked is lead]
            if ids:
                await self.session.execute(
                    update(UnitCategory).where(among(UnitCategory.id, ids)).values(lead=lead)
                )
        if new:
            await self.session.execute(
                insert(UnitCategory),
                [{"unit_id": u, "category": c, "lead": leads_it((u, c))} for u, c in new],
            )
        return (
            {key[0] for key in existing if key not in want}
            | {unit_id for unit_id, _ in new}
            | {unit_id for unit_id, _, _ in flipped}
        )

    async def officer(self, unit_id: int, person_id: int) -> UnitOfficer | None:
        return await self.session.scalar(
            select(UnitOfficer).where(UnitOfficer.unit_id == unit_id, UnitOfficer.person_id == person_id)
        )

    async def add_officer(self, unit_id: int, person_id: int, *, head: bool = False) -> bool:
        """Record a person as an officer of a unit (made head when `head`); False when nothing changed."""
        held = await self.officer(unit_id, person_id)
        if held is not None:
            if head and not held.head:
                held.head = True
                await self.session.flush()
                return True
            return False
        self.session.add(UnitOfficer(unit_id=unit_id, person_id=person_id, head=head))
        await self.session.flush()
        return True

    async def units_of(self, person_id: int) -> Sequence[Unit]:
        """The units this person is an officer of, by code."""
        query = (
            select(Unit)
            .join(UnitOfficer, UnitOfficer.unit_id == Unit.id)
            .where(UnitOfficer.person_id == person_id)
            .order_by(Unit.code)
        )
        return (await self.session.scalars(query)).all()

    async def officers(self, unit_id: int) -> Sequence[UnitOfficer]:
        """The unit's officers, heads first."""
        query = (
            select(UnitOfficer)
            .where(UnitOfficer.unit_id == unit_id)
            .order_by(UnitOfficer.head.desc(), UnitOfficer.id)
        )
        return (await self.session.scalars(query)).all()

    async def officer_codes(self) -> dict[int, list[str]]:
        """Unit id → its officers' person codes, heads first (officers without a code are left out:
        the network file names people by code)."""
        rows = await self.session.execute(
            select(UnitOfficer.unit_id, Person.code)
            .join(Person, Person.id == UnitOfficer.person_id)
            .where(Person.code.is_not(None))
            .order_by(UnitOfficer.unit_id, UnitOfficer.head.desc(), UnitOfficer.id)
        )
        out: dict[int, list[str]] = defaultdict(list)
        for unit_id, code in rows:
            out[unit_id].append(code)
        return dict(out)

    async def counts(self) -> tuple[int, int]:
        """(units, people who are an officer of at least one unit)."""
        units = int(await self.session.scalar(select(func.count()).select_from(Unit)) or 0)
        officers = int(
            await self.session.scalar(select(func.count(func.distinct(UnitOfficer.person_id)))) or 0
        )
        return units, officers
