"""What only the staff console reads of suggestions (代表建议): the filtered list, its counts per state and
its filter's choices, and one suggestion's 三见面 contacts, co-unit opinions and answers.

Read-only; the console's writes go through `bot.suggestions.assign.AssignmentService` like the chat's.
Searches match the number or the title, case-insensitively, with LIKE's wildcards taken literally.
Linked opinions are read as (id, tracking number) only: nothing of their senders leaves this module.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Select, func, or_, select

from storage.lists import among
from storage.models import Opinion, SpecialCommittee, Unit
from storage.models.suggestions import (
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionState,
    SuggestionUnitOpinion,
)
from storage.repos.base import Repo

__all__ = ["ConsoleSuggestionRepo", "SuggestionQuery"]

# A draft is the filer's unfinished form (a row only for the moment File is pressed): never listed.
HIDDEN_STATES = (SuggestionState.DRAFT.value,)


def _like(column: Any, text: str) -> Any:
    return func.lower(column).contains(text.lower(), autoescape=True)


@dataclass(frozen=True)
class SuggestionQuery:
    """Which suggestions a list shows; every field given narrows it (None: no condition)."""

    states_in: Collection[str] | None = None
    category: str | None = None
    lead_unit_id: int | None = None
    committee_id: int | None = None
    year: int | None = None  # the YYYY of S-YYYY-NNNN
    session: str | None = None  # the session code it was numbered under
    recess: bool = False  # numbered between sessions (闭会期间)
    text: str = ""  # in the number or the title


class ConsoleSuggestionRepo(Repo):
    """The console's suggestion queries (see the module docstring)."""

    def _suggestions(self, q: SuggestionQuery) -> Select[tuple[Suggestion]]:
        stmt = select(Suggestion).where(Suggestion.state.not_in(HIDDEN_STATES))
        if q.states_in is not None:
            stmt = stmt.where(Suggestion.state.in_(sorted(q.states_in)))
        if q.category is not None:
            stmt = stmt.where(Suggestion.category == q.category)
        if q.lead_unit_id is not None:
            stmt = stmt.where(Suggestion.lead_unit_id == q.lead_unit_id)
        if q.committee_id is not None:
            stmt = stmt.where(Suggestion.committee_id == q.committee_id)
        if q.year is not None:
            stmt = stmt.where(Suggestion.number.like(f"S-{q.year:04d}-%"))
        if q.recess:
            stmt = stmt.where(Suggestion.number.is_not(None), Suggestion.series_session.is_(None))
        elif q.session is not None:
            stmt = stmt.where(Suggestion.series_session == q.session)
        if q.text:
            stmt = stmt.where(or_(_like(Suggestion.number, q.text), _like(Suggestion.title, q.text)))
        return stmt

    async def find(self, q: SuggestionQuery, *, limit: int, offset: int = 0) -> Sequence[Suggestion]:
        """The matching suggestions, newest first."""
        stmt = self._suggestions(q).order_by(Suggestion.id.desc()).limit(limit).offset(offset)
        return (await self.session.scalars(stmt)).all()

    async def count(self, q: SuggestionQuery) -> int:
        found = self._suggestions(q).subquery()
        return int(await self.session.scalar(select(func.count()).select_from(found)) or 0)

    async def state_counts(self, q: SuggestionQuery) -> dict[str, int]:
        """State -> how many match every other condition of the query (its state condition left out)."""
        found = self._suggestions(replace(q, states_in=None)).subquery()
        rows = await self.session.execute(select(found.c.state, func.count()).group_by(found.c.state))
        return {str(state): int(n) for state, n in rows.all()}

    async def years(self) -> list[int]:
        """The years numbers were issued in, newest first."""
        rows = await self.session.scalars(
            select(func.substr(Suggestion.number, 3, 4)).where(Suggestion.number.is_not(None)).distinct()
        )
        return sorted({int(y) for y in rows.all() if y and str(y).isdigit()}, reverse=True)

    async def sessions(self) -> list[str]:
        """The session codes suggestions were numbered under."""
        rows = await self.session.scalars(
            select(Suggestion.series_session).where(Suggestion.series_session.is_not(None)).distinct()
        )
        return sorted(str(s) for s in rows.all())

    async def categories(self) -> list[str]:
        rows = await self.session.scalars(select(Suggestion.category).distinct())
        return sorted(str(c) for c in rows.all() if c)

    async def unit_choices(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every unit, by code."""
        rows = await self.session.execute(select(Unit.id, Unit.code, Unit.name).order_by(Unit.code))
        return [(int(i), str(c), str(n)) for i, c, n in rows.all()]

    async def committee_choices(self) -> list[tuple[int, str, str]]:
        """(id, code, name) of every special committee, by code."""
        rows = await self.session.execute(
            select(SpecialCommittee.id, SpecialCommittee.code, SpecialCommittee.name).order_by(
                SpecialCommittee.code
            )
        )
        return [(int(i), str(c), str(n)) for i, c, n in rows.all()]

    async def unit_names(self, unit_ids: Collection[int]) -> dict[int, str]:
        if not unit_ids:
            return {}
        rows = await self.session.execute(select(Unit.id, Unit.name).where(among(Unit.id, sorted(unit_ids))))
        return {int(i): str(n) for i, n in rows.all()}

    async def committee_names(self, committee_ids: Collection[int]) -> dict[int, str]:
        if not committee_ids:
            return {}
        rows = await self.session.execute(
            select(SpecialCommittee.id, SpecialCommittee.name).where(
                among(SpecialCommittee.id, sorted(committee_ids))
            )
        )
        return {int(i): str(n) for i, n in rows.all()}

    async def tracking_numbers(self, opinion_ids: Collection[int]) -> dict[int, str]:
        """Opinion id -> its tracking number, and nothing else of it."""
        if not opinion_ids:
            return {}
        rows = await self.session.execute(
            select(Opinion.id, Opinion.tracking_no).where(among(Opinion.id, sorted(opinion_ids)))
        )
        return {int(i): str(t) for i, t in rows.all()}

    async def contacts(self, suggestion_id: int) -> Sequence[SuggestionContact]:
        """三见面 records, in the order before / during / after, then by day."""
        order = {"before": 0, "during": 1, "after": 2}
        rows = (
            await self.session.scalars(
                select(SuggestionContact)
                .where(SuggestionContact.suggestion_id == suggestion_id)
                .order_by(SuggestionContact.held_on, SuggestionContact.id)
            )
        ).all()
        return sorted(rows, key=lambda c: order.get(c.stage, 3))

    async def unit_opinions(self, suggestion_id: int) -> Sequence[SuggestionUnitOpinion]:
        rows = await self.session.scalars(
            select(SuggestionUnitOpinion)
            .where(SuggestionUnitOpinion.suggestion_id == suggestion_id)
            .order_by(SuggestionUnitOpinion.at, SuggestionUnitOpinion.id)
        )
        return rows.all()

    async def answers(self, suggestion_id: int) -> Sequence[SuggestionAnswer]:
        rows = await self.session.scalars(
            select(SuggestionAnswer)
            .where(SuggestionAnswer.suggestion_id == suggestion_id)
            .order_by(SuggestionAnswer.round, SuggestionAnswer.id)
        )
        return rows.all()

    async def in_states(self, states: Collection[str], *, limit: int) -> Sequence[Suggestion]:
        """Suggestions in these states, oldest filed first (the 交办会's batch as publishing reads it)."""
        rows = await self.session.scalars(
            select(Suggestion)
            .where(Suggestion.state.in_(sorted(states)))
            .order_by(Suggestion.filed_at, Suggestion.id)
            .limit(limit)
        )
        return rows.all()
