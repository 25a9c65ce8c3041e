"""The 立项—督办—销号 ledger: every numbered suggestion's row and its list of events, for staff (/ledger).

One row per suggestion: number, title, filer, category, units, the supervising committee, state, the days
it was filed, assigned, due, answered and closed, the answer's class, the deputy's rating, the 三见面
contacts the deputy confirmed, how many 督办 actions it had, and how it was closed (by the rating, or by
staff with the reason). Its events are the ledger entries (`suggestion_event`) in order, each with its
stage (提出, 交办, 办理, 督办, 销号, 回头看) and who acted.

Private by default: only deputies, staff and units are named. A unit officer acts for the unit, so the
unit's name stands for them; the senders of the opinions a suggestion was made from never appear.
`sheets` turns the ledger into two tables in the reader's language (suggestions, events), which the chat
writes as XLSX with the console's writer (`bot.console.export.to_xlsx`: text cells never formulas).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.kit.i18n import N_, Translator
from bot.kit.times import when
from bot.network.categories import CATEGORIES
from bot.suggestions.lifecycle import STATE_LABELS, Action, ActorKind
from bot.suggestions.merge import JOINED
from bot.suggestions.results import RATING_LABELS, Rating
from bot.suggestions.service import CREATE
from bot.suggestions.supervise import SUPERVISION_ACTIONS
from bot.suggestions.sweep import WARN
from storage.models.suggestions import Suggestion, SuggestionEvent, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = [
    "ACTION_LABELS",
    "STAGES",
    "Ledger",
    "LedgerEvent",
    "LedgerRow",
    "Sheet",
    "Stage",
    "build",
    "sheets",
]

A = Action


# Every entry the ledger holds: the lifecycle's actions, the draft written, a merge target's entry and
# the reminder sweep's warnings (a test keeps it complete).
ACTION_LABELS: dict[str, str] = {
    CREATE: N_("ledger: drafted"),
    Action.INVITE_COSIGNERS: N_("ledger: co-signers invited"),
    Action.COSIGN: N_("ledger: co-signed"),
    Action.DECLINE_COSIGN: N_("ledger: co-signing declined"),
    Action.FILE: N_("ledger: filed"),
    Action.RETURN: N_("ledger: returned to the filer"),
    Action.REFILE: N_("ledger: filed again"),
    Action.WITHDRAW: N_("ledger: withdrawn"),
    Action.MERGE: N_("ledger: merged into another"),
    Action.PREPARE: N_("ledger: assignment prepared"),
    Action.PUBLISH: N_("ledger: published at the 交办会"),
    Action.ASSIGN: N_("ledger: assigned"),
    Action.SIGN_FOR: N_("ledger: signed for by the lead unit"),
    Action.REQUEST_EXTENSION: N_("ledger: extension requested"),
    Action.GRANT_EXTENSION: N_("ledger: extension granted"),
    Action.DENY_EXTENSION: N_("ledger: extension refused"),
    Action.REQUEST_REASSIGN: N_("ledger: reassignment requested"),
    Action.REASSIGN: N_("ledger: reassigned"),
    Action.DENY_REASSIGN: N_("ledger: reassignment refused"),
    Action.CO_OPINION: N_("ledger: co-unit opinion"),
    Action.RECORD_CONTACT: N_("ledger: 三见面 contact recorded"),
    Action.CONFIRM_CONTACT: N_("ledger: contact confirmed by the deputy"),
    Action.DISPUTE_CONTACT: N_("ledger: contact disputed by the deputy"),
    Action.COMMENT: N_("ledger: supervision comment"),
    Action.REMIND: N_("ledger: reminder"),
    Action.ASK_ESCALATION: N_("ledger: escalation asked"),
    Action.ANSWER: N_("ledger: answered"),
    Action.RATE_SATISFIED: N_("ledger: rated satisfied"),
    Action.RATE_BASIC: N_("ledger: rated basically satisfied"),
    Action.RATE_DISSATISFIED: N_("ledger: rated dissatisfied"),
    Action.CLOSE: N_("ledger: closed by the congress office"),
    Action.START_RECHECK: N_("ledger: re-check started"),
    Action.RECHECK_CONFIRM: N_("ledger: re-check, stayed solved"),
    Action.RECHECK_REOPEN: N_("ledger: re-check, reopened"),
    Action.CONCLUDE_RECHECK: N_("ledger: re-check concluded"),
    Action.REMIND_COSIGNERS: N_("ledger: silent co-signers reminded"),
    Action.LAPSE_COSIGNERS: N_("ledger: filed without the silent co-signers"),
    JOINED: N_("ledger: a duplicate merged into it"),
    WARN: N_("ledger: deadline warning"),
}


class Stage(enum.StrEnum):
    FILING = "filing"  # 提出
    ASSIGNMENT = "assignment"  # 交办
    HANDLING = "handling"  # 办理
    SUPERVISION = "supervision"  # 督办
    CLOSING = "closing"  # 销号
    RECHECK = "recheck"  # 回头看
    OTHER = "other"


STAGES: dict[str, Stage] = {
    "create": Stage.FILING,
    **{a.value: Stage.FILING for a in (A.INVITE_COSIGNERS, A.COSIGN, A.DECLINE_COSIGN, A.FILE, A.REFILE)},
    **{a.value: Stage.FILING for a in (A.REMIND_COSIGNERS, A.LAPSE_COSIGNERS)},
    JOINED: Stage.ASSIGNMENT,  # the merge target's entry: a duplicate joined it
    WARN: Stage.SUPERVISION,  # the reminder sweep's warning: a 督办 action too
    A.WITHDRAW.value: Stage.FILING,
    **{
        a.value: Stage.ASSIGNMENT
        for a in (
            A.RETURN,
            A.MERGE,
            A.PREPARE,
            A.PUBLISH,
            A.ASSIGN,
            A.REQUEST_REASSIGN,
            A.REASSIGN,
            A.DENY_REASSIGN,
            A.REQUEST_EXTENSION,
            A.GRANT_EXTENSION,
            A.DENY_EXTENSION,
        )
    },
    **{
        a.value: Stage.HANDLING
        for a in (
            A.SIGN_FOR,
            A.CO_OPINION,
            A.RECORD_CONTACT,
            A.CONFIRM_CONTACT,
            A.DISPUTE_CONTACT,
            A.ANSWER,
            A.RATE_DISSATISFIED,
        )
    },
    **{a.value: Stage.SUPERVISION for a in SUPERVISION_ACTIONS},
    **{a.value: Stage.CLOSING for a in (A.RATE_SATISFIED, A.RATE_BASIC, A.CLOSE)},
    **{
        a.value: Stage.RECHECK
        for a in (A.START_RECHECK, A.RECHECK_CONFIRM, A.RECHECK_REOPEN, A.CONCLUDE_RECHECK)
    },
}

STAGE_LABELS: dict[Stage, str] = {
    Stage.FILING: N_("Filing (提出)"),
    Stage.ASSIGNMENT: N_("Assignment (交办)"),
    Stage.HANDLING: N_("Handling (办理)"),
    Stage.SUPERVISION: N_("Supervision (督办)"),
    Stage.CLOSING: N_("Closing (销号)"),
    Stage.RECHECK: N_("Re-check (回头看)"),
    Stage.OTHER: N_("Other"),
}
CLOSING_LABELS: dict[str, str] = {
    A.RATE_SATISFIED.value: N_("the deputy's rating: satisfied"),
    A.RATE_BASIC.value: N_("the deputy's rating: basically satisfied"),
    A.CLOSE.value: N_("the congress office's decision"),
}
SYSTEM = N_("the system")
OFFICER = N_("a unit officer")


@dataclass(frozen=True)
class LedgerEvent:
    at: datetime
    action: str
    stage: Stage
    from_state: str | None
    to_state: str
    actor_kind: str  # the relation that acted (filer, staff, lead_officer, committee, system…)
    actor: str  # a deputy's, committee member's or staff member's name, or the officer's unit; "" unknown
    note: str


@dataclass(frozen=True)
class LedgerRow:
    number: str
    title: str
    filer: str
    category: str
    lead_unit: str
    co_units: tuple[str, ...]
    committee: str
    state: str
    filed_at: datetime | None
    assigned_at: datetime | None
    due_on: date | None
    answered_at: datetime | None
    closed_at: datetime | None
    result_class: str | None
    rating: str | None
    contacts_confirmed: int
    supervision_actions: int
    closing_action: str | None
    closing_reason: str | None
    events: tuple[LedgerEvent, ...] = field(default=())


@dataclass(frozen=True)
class Ledger:
    rows: tuple[LedgerRow, ...]


@dataclass
class _Names:
    """Names read once for the whole ledger."""

    uow: UnitOfWork
    units: dict[int, str]
    committees: dict[int, str]
    people: dict[int, str] = field(default_factory=dict)
    officer_units: dict[int, set[int]] = field(default_factory=dict)

    async def person(self, person_id: int | None) -> str:
        if person_id is None:
            return ""
        if person_id not in self.people:
            person = await self.uow.people.get(person_id)
            self.people[person_id] = person.name if person is not None else "—"
        return self.people[person_id]

    async def unit_of_officer(self, person_id: int | None, suggestion: Suggestion) -> str:
        """The unit an officer acted for on this suggestion: one of its units they work for."""
        if person_id is None:
            return ""
        if person_id not in self.officer_units:
            self.officer_units[person_id] = {u.id for u in await self.uow.units.units_of(person_id)}
        theirs = self.officer_units[person_id]
        for unit_id in (suggestion.lead_unit_id, *(suggestion.co_unit_ids or ())):
            if unit_id is not None and unit_id in theirs:
                return self.units.get(unit_id, "—")
        return ""


async def build(uow: UnitOfWork, series: str | None = None) -> Ledger:
    """The ledger of every numbered suggestion, or of one series (`S-2026-`)."""
    suggestions = await uow.suggestions.for_ledger(series)
    names = _Names(
        uow,
        {u.id: u.name for u in await uow.units.all()},
        {c.id: c.name for c in await uow.network.special_committees()},
    )
    contacts = await uow.suggestions.confirmed_contacts(series)
    by_suggestion: dict[int, list[SuggestionEvent]] = {}
    for event in await uow.suggestions.ledger_events(series):
        by_suggestion.setdefault(event.suggestion_id, []).append(event)
    rows = []
    for s in suggestions:
        events = by_suggestion.get(s.id, [])
        rows.append(
            LedgerRow(
                number=s.number or "",
                title=s.title,
                filer=await names.person(s.filer_person_id),
                category=s.category,
                lead_unit=names.units.get(s.lead_unit_id, "") if s.lead_unit_id is not None else "",
                co_units=tuple(names.units.get(u, "—") for u in s.co_unit_ids or ()),
                committee=names.committees.get(s.committee_id, "") if s.committee_id is not None else "",
                state=s.state,
                filed_at=s.filed_at,
                assigned_at=s.assigned_at,
                due_on=s.due_on,
                answered_at=s.answered_at,
                closed_at=s.closed_at,
                result_class=s.result_class,
                rating=s.rating,
                contacts_confirmed=contacts.get(s.id, 0),
                supervision_actions=sum(1 for e in events if STAGES.get(e.action) is Stage.SUPERVISION),
                closing_action=s.closing_action,
                closing_reason=s.closing_reason,
                events=tuple([await _event(e, s, names) for e in events]),
            )
        )
    return Ledger(tuple(rows))


async def _event(event: SuggestionEvent, s: Suggestion, names: _Names) -> LedgerEvent:
    kind = event.actor_kind
    if kind == ActorKind.SYSTEM.value or event.actor_person_id is None:
        actor = ""
    elif kind in (ActorKind.LEAD_OFFICER.value, ActorKind.CO_OFFICER.value):
        actor = await names.unit_of_officer(event.actor_person_id, s)  # the unit, never the officer
    else:
        actor = await names.person(event.actor_person_id)  # deputies, committee members, staff
    return LedgerEvent(
        at=event.at,
        action=event.action,
        stage=STAGES.get(event.action, Stage.OTHER),
        from_state=event.from_state,
        to_state=event.to_state,
        actor_kind=kind,
        actor=actor,
        note=event.note or "",
    )


# -- the two sheets ------------------------------------------------------------------------------------

Cell = str | int | float | None


@dataclass(frozen=True)
class Sheet:
    """One table of the export, in the reader's words (the console's `Table` takes the same fields)."""

    title: str
    headers: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def _state(tr: Translator, state: str | None) -> str:
    if state is None:
        return ""
    try:
        return tr(STATE_LABELS[SuggestionState(state)])
    except ValueError:
        return state


def _rating(tr: Translator, rating: str | None) -> str:
    try:
        return tr(RATING_LABELS[Rating(rating)]) if rating else ""
    except ValueError:
        return rating or ""


def _actor(tr: Translator, event: LedgerEvent) -> str:
    if event.actor:
        return event.actor
    if event.actor_kind == ActorKind.SYSTEM.value:
        return tr(SYSTEM)
    officer = event.actor_kind in (ActorKind.LEAD_OFFICER.value, ActorKind.CO_OFFICER.value)
    return tr(OFFICER) if officer else "—"


def sheets(tr: Translator, ledger: Ledger, zone: ZoneInfo) -> list[Sheet]:
    """The suggestions sheet and the events sheet, headed and labelled in `tr`'s language."""

    def day(value: datetime | None) -> str:
        return when(value, zone) if value is not None else ""

    suggestions = Sheet(
        tr("Suggestions"),
        [
            tr("Suggestion number"),
            tr("Title"),
            tr("Deputy"),
            tr("Category"),
            tr("Lead unit"),
            tr("Co-units"),
            tr("Supervising committee"),
            tr("State"),
            tr("Filed at"),
            tr("Assigned at"),
            tr("Due on"),
            tr("Answered at"),
            tr("Closed at"),
            tr("Result class"),
            tr("Rating"),
            tr("三见面 confirmed"),
            tr("督办 actions"),
            tr("Closed by"),
            tr("Closing reason"),
        ],
        [
            [
                r.number,
                r.title,
                r.filer,
                tr(CATEGORIES[r.category]) if r.category in CATEGORIES else r.category,
                r.lead_unit,
                "、".join(r.co_units),
                r.committee,
                _state(tr, r.state),
                day(r.filed_at),
                day(r.assigned_at),
                r.due_on.isoformat() if r.due_on else "",
                day(r.answered_at),
                day(r.closed_at),
                r.result_class or "",
                _rating(tr, r.rating),
                r.contacts_confirmed,
                r.supervision_actions,
                tr(CLOSING_LABELS[r.closing_action]) if r.closing_action in CLOSING_LABELS else "",
                r.closing_reason or "",
            ]
            for r in ledger.rows
        ],
    )
    events = Sheet(
        tr("Ledger events"),
        [
            tr("Suggestion number"),
            tr("Time"),
            tr("Stage"),
            tr("Action"),
            tr("From state"),
            tr("To state"),
            tr("By"),
            tr("Note"),
        ],
        [
            [
                r.number,
                day(e.at),
                tr(STAGE_LABELS[e.stage]),
                tr(ACTION_LABELS[e.action]) if e.action in ACTION_LABELS else e.action,
                _state(tr, e.from_state),
                _state(tr, e.to_state),
                _actor(tr, e),
                e.note,
            ]
            for r in ledger.rows
            for e in r.events
        ],
    )
    return [suggestions, events]
