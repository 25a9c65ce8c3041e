"""What a seeded year of suggestions reads of the network and how it is written: in bulk, straight
through the models' tables (one executemany per table), so a year of 549 suggestions with their
ledgers is written in about a second on SQLite and on PostgreSQL alike."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select

from storage.models.core import Deputy, Person, SpecialCommittee, SpecialCommitteeMember
from storage.models.suggestions import (
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionCosigner,
    SuggestionEvent,
    SuggestionUnitOpinion,
)
from storage.models.units import Unit, UnitCategory, UnitOfficer
from storage.repos.base import Repo

__all__ = ["SeedNetwork", "SuggestionSeedRepo"]


@dataclass(frozen=True)
class SeedNetwork:
    """The people and bodies a seeded year draws on, each list in a stable order (codes, then ids)."""

    deputies: tuple[int, ...]  # person ids of deputies, by code
    units: tuple[int, ...]  # unit ids, by code
    units_by_category: Mapping[str, tuple[int, ...]]  # the 归口 table, each by unit code
    committees_by_category: Mapping[str, tuple[int, ...]]  # special committee ids, by id
    committee_members: Mapping[int, tuple[int, ...]]  # committee id → member person ids
    officers: Mapping[int, tuple[int, ...]]  # unit id → officer person ids (head first)


# The tables a seeded suggestion's rows go to, besides the suggestion itself.
CHILD_TABLES = {
    "events": SuggestionEvent,
    "contacts": SuggestionContact,
    "answers": SuggestionAnswer,
    "cosigners": SuggestionCosigner,
    "unit_opinions": SuggestionUnitOpinion,
}


class SuggestionSeedRepo(Repo):
    async def any_filed_before(self, moment: datetime) -> bool:
        """Whether any suggestion was filed before `moment` (a seeded year is only for a fresh database)."""
        found = await self.session.scalar(select(Suggestion.id).where(Suggestion.filed_at < moment).limit(1))
        return found is not None

    async def network(self) -> SeedNetwork:
        deputies = await self.session.scalars(
            select(Person.id).join(Deputy, Deputy.person_id == Person.id).order_by(Person.code, Person.id)
        )
        units = await self.session.scalars(select(Unit.id).order_by(Unit.code))
        by_category: dict[str, list[int]] = defaultdict(list)
        for unit_id, category in await self.session.execute(
            select(UnitCategory.unit_id, UnitCategory.category)
            .join(Unit, Unit.id == UnitCategory.unit_id)
            .order_by(Unit.code)
        ):
            by_category[category].append(unit_id)
        committees: dict[str, list[int]] = defaultdict(list)
        for committee in await self.session.scalars(select(SpecialCommittee).order_by(SpecialCommittee.id)):
            for category in committee.categories or []:
                committees[category].append(committee.id)
        members: dict[int, list[int]] = defaultdict(list)
        for committee_id, person_id in await self.session.execute(
            select(SpecialCommitteeMember.committee_id, SpecialCommitteeMember.person_id).order_by(
                SpecialCommitteeMember.id
            )
        ):
            members[committee_id].append(person_id)
        officers: dict[int, list[int]] = defaultdict(list)
        for unit_id, person_id in await self.session.execute(
            select(UnitOfficer.unit_id, UnitOfficer.person_id).order_by(
                UnitOfficer.head.desc(), UnitOfficer.id
            )
        ):
            officers[unit_id].append(person_id)
        return SeedNetwork(
            deputies=tuple(deputies.all()),
            units=tuple(units.all()),
            units_by_category={k: tuple(v) for k, v in by_category.items()},
            committees_by_category={k: tuple(v) for k, v in committees.items()},
            committee_members={k: tuple(v) for k, v in members.items()},
            officers={k: tuple(v) for k, v in officers.items()},
        )

    async def add_suggestions(self, rows: Sequence[Mapping[str, Any]]) -> list[int]:
        """Insert the suggestions; their ids in the order given."""
        if not rows:
            return []
        statement = insert(Suggestion).returning(Suggestion.id, sort_by_parameter_order=True)
        return list((await self.session.scalars(statement, [dict(r) for r in rows])).all())

    async def add_rows(self, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert rows of one of `CHILD_TABLES` (each names its `suggestion_id`)."""
        if rows:
            await self.session.execute(insert(CHILD_TABLES[table]), [dict(r) for r in rows])
