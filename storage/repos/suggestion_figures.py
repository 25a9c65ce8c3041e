"""Suggestion figures counted in SQL: one GROUP BY per breakdown, each figure a CASE count.

Every figure is a sum of a CASE over the suggestion rows (the FILTER idea, written so that SQLite and
PostgreSQL read it alike), with the 三见面 contacts joined as one row of stage flags per suggestion, so a
breakdown is a single statement whatever the number of suggestions: no row is loaded, no id list is
sent back. Units and committees are joined for their codes and names. What each figure means is
written once, in bot/suggestions/figures.py, which turns these counts into shares.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, literal_column, null, or_, select, true

from storage.models.core import SpecialCommittee
from storage.models.suggestions import (
    ContactStage,
    ContactVerdict,
    Suggestion,
    SuggestionContact,
    SuggestionState,
)
from storage.models.units import Unit
from storage.repos.base import Repo

__all__ = ["COUNT_FIELDS", "Breakdown", "CountRow", "SuggestionFiguresRepo", "UnitSuggestionRow"]


class Breakdown(enum.StrEnum):
    """What a row of figures is about."""

    TOTAL = "total"
    SERIES = "series"  # the session code, or the recess year
    UNIT = "unit"  # the lead unit (主办)
    COMMITTEE = "committee"  # the supervising special committee (对口督办)
    CATEGORY = "category"


@dataclass(frozen=True)
class CountRow:
    """One row of counts: its key (None: without a unit / committee), code and name where it has them."""

    key: Any
    code: str | None
    name: str | None
    counts: dict[str, int]


@dataclass(frozen=True)
class UnitSuggestionRow:
    """One suggestion as a unit's or committee's yearly report lists it (no person in it)."""

    number: str
    title: str
    category: str
    state: str
    unit_name: str | None
    committee_name: str | None
    assigned_at: datetime | None
    due_on: date | None
    first_answered_at: datetime | None
    first_answer_on_time: bool | None
    result_class: str | None
    rating: str | None
    rehandle_count: int
    closed_at: datetime | None
    contacts: tuple[bool, bool, bool]  # a confirmed 三见面 contact before, during, after


_S = Suggestion
_STAGES = (ContactStage.BEFORE, ContactStage.DURING, ContactStage.AFTER)


def _flag(stage: ContactStage) -> str:
    return f"at_{stage.value}"


def _contacts() -> Any:
    """Per suggestion, 1 or 0 for each stage with a contact the deputy confirmed."""
    c = SuggestionContact
    flags = [func.max(case((c.stage == stage.value, 1), else_=0)).label(_flag(stage)) for stage in _STAGES]
    return (
        select(c.suggestion_id.label("suggestion_id"), *flags)
        .where(c.verdict == ContactVerdict.CONFIRMED.value)
        .group_by(c.suggestion_id)
        .subquery("confirmed_contacts")
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows of the group meet the condition (0, never NULL, for an empty group)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _measures(contacts: Any) -> dict[str, ColumnElement[int]]:
    answered = _S.first_answered_at.is_not(None)
    before, during, after = (contacts.c[_flag(stage)] == 1 for stage in _STAGES)
    return {
        "filed": func.count(_S.id),
        "assigned": _count(_S.assigned_at.is_not(None)),
        "answered": _count(answered),
        "class_a": _count(and_(answered, _S.result_class == "A")),
        "class_b": _count(and_(answered, _S.result_class == "B")),
        "class_c": _count(and_(answered, _S.result_class == "C")),
        "on_time": _count(and_(answered, _S.first_answer_on_time == true())),
        "rated": _count(_S.rating.is_not(None)),
        "satisfied": _count(_S.rating == "satisfied"),
        "basic": _count(_S.rating == "basic"),
        "dissatisfied": _count(_S.rating == "dissatisfied"),
        "ever_dissatisfied": _count(or_(_S.rating == "dissatisfied", _S.rehandle_count > 0)),
        "rehandled": _count(_S.rehandle_count > 0),
        "closed": _count(_S.closed_at.is_not(None)),
        "contact_before": _count(and_(answered, before)),
        "contact_during": _count(and_(answered, during)),
        "contact_after": _count(and_(answered, after)),
        "contact_all": _count(and_(answered, before, during, after)),
        "merged": _count(_S.state == SuggestionState.MERGED.value),
        "withdrawn": _count(_S.state == SuggestionState.WITHDRAWN.value),
    }


COUNT_FIELDS: tuple[str, ...] = tuple(_measures(_contacts()))


def series_key() -> ColumnElement[str]:
    """The series a number belongs to: the session's code, else the recess year (`S-YYYY-…` → YYYY)."""
    # Literal positions, not bound parameters: PostgreSQL matches the GROUP BY to the SELECT by its text.
    return func.coalesce(_S.series_session, func.substr(_S.number, literal_column("3"), literal_column("4")))


def _scope(
    query: Select[Any],
    since: datetime | None,
    until: datetime | None,
    year: int | None,
    unit_id: int | None = None,
    committee_id: int | None = None,
) -> Select[Any]:
    """Filed suggestions only; filed in [since, until), numbered in the year's series, led by the unit,
    supervised by the committee (each only when given)."""
    query = query.where(_S.number.is_not(None), _S.filed_at.is_not(None))
    if unit_id is not None:
        query = query.where(_S.lead_unit_id == unit_id)
    if committee_id is not None:
        query = query.where(_S.committee_id == committee_id)
    if since is not None:
        query = query.where(_S.filed_at >= since)
    if until is not None:
        query = query.where(_S.filed_at < until)
    if year is not None:
        query = query.where(_S.number.like(f"S-{year:04d}-%"))
    return query


class SuggestionFiguresRepo(Repo):
    async def counts(
        self,
        breakdown: Breakdown,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        year: int | None = None,
        unit_id: int | None = None,
        committee_id: int | None = None,
    ) -> list[CountRow]:
        """The counts of filed suggestions, in one row or one row per key of the breakdown.

        Args:
            since, until: filed in [since, until) (UTC; None: open).
            year: only numbers of the year's series (`S-YYYY-`): a session opened that year, or its recess.
            unit_id, committee_id: only those led by the unit / supervised by the committee.
        """
        contacts = _contacts()
        measures = [m.label(k) for k, m in _measures(contacts).items()]
        key: ColumnElement[Any]
        code: ColumnElement[Any]
        name: ColumnElement[Any]
        joins: list[tuple[Any, ColumnElement[bool]]] = []
        if breakdown is Breakdown.UNIT:
            key, code, name = _S.lead_unit_id, Unit.code, Unit.name
            joins.append((Unit, Unit.id == _S.lead_unit_id))
        elif breakdown is Breakdown.COMMITTEE:
            key, code, name = _S.committee_id, SpecialCommittee.code, SpecialCommittee.name
            joins.append((SpecialCommittee, SpecialCommittee.id == _S.committee_id))
        elif breakdown is Breakdown.SERIES:
            key, code, name = series_key(), null(), null()
        elif breakdown is Breakdown.CATEGORY:
            key, code, name = _S.category, null(), null()
        else:
            key = code = name = null()
        query = select(key.label("key"), code.label("code"), name.label("name"), *measures).select_from(_S)
        query = query.outerjoin(contacts, contacts.c.suggestion_id == _S.id)
        for table, on in joins:
            query = query.outerjoin(table, on)
        query = _scope(query, since, until, year, unit_id, committee_id)
        if breakdown is not Breakdown.TOTAL:
            grouped = [key] if breakdown in (Breakdown.SERIES, Breakdown.CATEGORY) else [key, code, name]
            query = query.group_by(*grouped)
        rows = (await self.session.execute(query)).mappings().all()
        return [
            CountRow(
                key=row["key"],
                code=row["code"],
                name=row["name"],
                counts={k: int(row[k] or 0) for k in COUNT_FIELDS},
            )
            for row in rows
        ]

    async def of_year(
        self,
        year: int,
        *,
        unit_id: int | None = None,
        committee_id: int | None = None,
        limit: int = 5000,
    ) -> Sequence[UnitSuggestionRow]:
        """The year's filed suggestions led by one unit or supervised by one committee, by number."""
        contacts = _contacts()
        query = (
            select(
                _S.number,
                _S.title,
                _S.category,
                _S.state,
                Unit.name.label("unit_name"),
                SpecialCommittee.name.label("committee_name"),
                _S.assigned_at,
                _S.due_on,
                _S.first_answered_at,
                _S.first_answer_on_time,
                _S.result_class,
                _S.rating,
                _S.rehandle_count,
                _S.closed_at,
                *(contacts.c[_flag(stage)] for stage in _STAGES),
            )
            .select_from(_S)
            .outerjoin(contacts, contacts.c.suggestion_id == _S.id)
            .outerjoin(Unit, Unit.id == _S.lead_unit_id)
            .outerjoin(SpecialCommittee, SpecialCommittee.id == _S.committee_id)
        )
        query = _scope(query, None, None, year, unit_id, committee_id)
        query = query.order_by(func.length(_S.number), _S.number).limit(limit)
        rows = (await self.session.execute(query)).mappings().all()
        return [
            UnitSuggestionRow(
                number=r["number"],
                title=r["title"],
                category=r["category"],
                state=r["state"],
                unit_name=r["unit_name"],
                committee_name=r["committee_name"],
                assigned_at=r["assigned_at"],
                due_on=r["due_on"],
                first_answered_at=r["first_answered_at"],
                first_answer_on_time=r["first_answer_on_time"],
                result_class=r["result_class"],
                rating=r["rating"],
                rehandle_count=int(r["rehandle_count"] or 0),
                closed_at=r["closed_at"],
                contacts=tuple(bool(r[_flag(stage)]) for stage in _STAGES),  # type: ignore[arg-type]
            )
            for r in rows
        ]

    async def unit(self, code: str) -> Unit | None:
        return await self.session.scalar(select(Unit).where(Unit.code == code))

    async def committee(self, code: str) -> SpecialCommittee | None:
        return await self.session.scalar(select(SpecialCommittee).where(SpecialCommittee.code == code))

    async def years(self) -> list[int]:
        """The years that have numbered suggestions, newest first (for the report's year picker)."""
        year = func.substr(_S.number, literal_column("3"), literal_column("4"))
        rows = await self.session.scalars(select(year).where(_S.number.is_not(None)).distinct())
        return sorted((int(y) for y in rows if y and y.isdigit()), reverse=True)
