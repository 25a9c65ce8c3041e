"""Suggestions put into 办理 states for the supervision tests, by writing the rows 办理 would write.

Filing and the 交办会 go through the real services (`AssignmentService`); what handling does (sign for,
answer with a class, the deputy's rating, re-handling) is built elsewhere, so these helpers write its rows
directly, consistent with migration 0015: the suggestion's columns (signed_at, result_class, planned_on,
answered_at, first_answered_at, first_answer_on_time, rehandle_count, rating, rated_at, closed_at,
closing_action, recheck_due_on), a `suggestion_answer` per round and a `suggestion_event` per step.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select

from bot.suggestions.assign import AssignmentService
from bot.suggestions.deadlines import DeadlinePolicy, rehandle_deadline
from bot.suggestions.numbering import local_day
from bot.suggestions.results import RecheckPolicy, recheck_due
from bot.suggestions.service import Draft
from storage.models import (
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Unit,
    UnitCategory,
)
from storage.models.suggestions import (
    ContactVerdict,
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionEvent,
    SuggestionState,
)
from storage.unit_of_work import UnitOfWork

ZONE = "Asia/Shanghai"


async def committee(
    u: UnitOfWork, code: str, name: str, categories: Sequence[str], members: Sequence[int]
) -> int:
    """A special committee with these members (person ids)."""
    row = SpecialCommittee(code=code, name=name, categories=list(categories))
    u.session.add(row)
    await u.flush()
    u.session.add_all([SpecialCommitteeMember(committee_id=row.id, person_id=p) for p in members])
    await u.flush()
    return row.id


async def unit(u: UnitOfWork, code: str, name: str, officer_id: int, categories: Sequence[str] = ()) -> int:
    """A handling unit, with one officer (who gets the unit officer role) and its 归口 categories."""
    row = Unit(code=code, name=name, kind="government")
    u.session.add(row)
    await u.flush()
    u.session.add_all([UnitCategory(unit_id=row.id, category=c) for c in categories])
    officer = await u.people.get(officer_id)
    assert officer is not None
    if Role.UNIT_OFFICER not in officer.role_set:
        u.session.add(PersonRole(person_id=officer_id, role=Role.UNIT_OFFICER.value))
    await u.units.add_officer(row.id, officer_id)
    await u.flush()
    return row.id


async def person(u: UnitOfWork, name: str, telegram_id: int | None = None) -> int:
    row = Person(name=name, telegram_id=telegram_id)
    u.session.add(row)
    await u.flush()
    return row.id


async def published(
    u: UnitOfWork,
    filer_id: int,
    staff_id: int,
    lead_id: int,
    now: datetime,
    *,
    title: str = "修缮村道",
    category: str = "transport",
    co_ids: Sequence[int] = (),
    opinion_ids: Sequence[int] = (),
) -> Suggestion:
    """Filed by the deputy, prepared and published at the 交办会 by staff (the real services)."""
    service = AssignmentService(u, zone=ZONE)
    draft = Draft(title, f"{title}：详情", category, source_opinion_ids=tuple(opinion_ids))
    filed = await service.file(filer_id, draft, now)
    assert filed.suggestion is not None, filed.refusal
    prepared = await service.prepare(filed.suggestion.id, staff_id, lead_id, list(co_ids), now)
    assert prepared.ok, prepared.refusal
    outcomes = await service.publish(staff_id, now)
    assert any(o.suggestion is filed.suggestion for o in outcomes)
    assert filed.suggestion.state == SuggestionState.ASSIGNED
    return filed.suggestion


def _event(
    s: Suggestion, at: datetime, action: str, source: str, kind: str, person_id: int | None
) -> SuggestionEvent:
    return SuggestionEvent(
        suggestion_id=s.id,
        at=at,
        action=action,
        from_state=source,
        to_state=s.state,
        actor_kind=kind,
        actor_person_id=person_id,
    )


async def signed(u: UnitOfWork, s: Suggestion, officer_id: int, at: datetime) -> Suggestion:
    """签收: assigned → handling."""
    source, s.state, s.signed_at = s.state, SuggestionState.HANDLING.value, at
    u.session.add(_event(s, at, "sign_for", source, "lead_officer", officer_id))
    await u.flush()
    return s


async def contact(u: UnitOfWork, s: Suggestion, officer_id: int, at: datetime, *, confirmed: bool) -> None:
    """A 三见面 record, confirmed (or left pending) by the deputy."""
    verdict = ContactVerdict.CONFIRMED if confirmed else ContactVerdict.PENDING
    u.session.add(
        SuggestionContact(
            suggestion_id=s.id,
            unit_id=s.lead_unit_id,
            stage="before",
            held_on=local_day(at, ZONE),
            form="phone",
            summary="电话沟通",
            recorded_by_person_id=officer_id,
            verdict=verdict.value,
        )
    )
    u.session.add(_event(s, at, "record_contact", s.state, "lead_officer", officer_id))
    await u.flush()


async def answered(
    u: UnitOfWork,
    s: Suggestion,
    officer_id: int,
    klass: str,
    at: datetime,
    *,
    planned_on: date | None = None,
    reason: str | None = None,
) -> Suggestion:
    """The lead unit's answer with its class: handling → answered (rehandling → reanswered, round 2)."""
    again = s.state == SuggestionState.REHANDLING
    on_time = s.due_on is None or local_day(at, ZONE) <= s.due_on
    u.session.add(
        SuggestionAnswer(
            suggestion_id=s.id,
            round=2 if again else 1,
            unit_id=s.lead_unit_id,
            result_class=klass,
            text="已安排修缮",
            reason=reason,
            planned_on=planned_on,
            answered_by_person_id=officer_id,
            answered_at=at,
            due_on=s.due_on,
            on_time=on_time,
        )
    )
    source = s.state
    s.state = (SuggestionState.REANSWERED if again else SuggestionState.ANSWERED).value
    s.result_class, s.planned_on, s.answered_at = klass, planned_on, at
    if s.first_answered_at is None:
        s.first_answered_at, s.first_answer_on_time = at, on_time
    u.session.add(_event(s, at, "answer", source, "lead_officer", officer_id))
    await u.flush()
    return s


async def rated(
    u: UnitOfWork, s: Suggestion, rating: str, at: datetime, *, policy: RecheckPolicy | None = None
) -> Suggestion:
    """The deputy's rating: satisfied or basic closes it (销号, its 回头看 day set); dissatisfied sends it
    back once (rehandling, a new term) and then to staff (staff_review)."""
    source = s.state
    answer = await u.session.get(SuggestionAnswer, await _answer_id(u, s))
    assert answer is not None
    answer.rating, answer.rated_at = rating, at
    s.rating, s.rated_at = rating, at
    if rating in ("satisfied", "basic"):
        action = "rate_satisfied" if rating == "satisfied" else "rate_basic"
        s.state, s.closed_at, s.closing_action = SuggestionState.CLOSED.value, at, action
        day = recheck_due(s.result_class or "C", local_day(at, ZONE), s.planned_on, policy)
        s.recheck_due_on = day
    elif source == SuggestionState.ANSWERED:
        action = "rate_dissatisfied"
        s.state, s.rehandle_count = SuggestionState.REHANDLING.value, s.rehandle_count + 1
        s.due_on = rehandle_deadline(at, DeadlinePolicy(zone=ZONE)).due_on
    else:
        action = "rate_dissatisfied"
        s.state = SuggestionState.STAFF_REVIEW.value
    u.session.add(_event(s, at, action, source, "filer", s.filer_person_id))
    await u.flush()
    return s


async def _answer_id(u: UnitOfWork, s: Suggestion) -> int:
    found = await u.session.scalar(
        select(SuggestionAnswer.id)
        .where(SuggestionAnswer.suggestion_id == s.id)
        .order_by(SuggestionAnswer.round.desc())
        .limit(1)
    )
    assert found is not None
    return int(found)
