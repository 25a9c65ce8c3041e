"""办理 (handling) and the deputy's rating: the lead unit signs for a suggestion, records 三见面 contacts the
deputy confirms or disputes, co-units send their opinions, the lead unit answers with a result class,
the deputy rates the answer; staff decide the unit's requests (more time, "not ours") and reassign.

Every request is asked of `lifecycle.decide` with the presser's relations to the suggestion (`kinds`:
the filer, an officer of the lead unit or of a co-unit, staff), written to the ledger and audited; a
refusal is audited and changes nothing. What the rules need beyond the lifecycle's guards is checked
here and refused as `INVALID_ARGUMENT` (a date in the future, a text too long, a malformed attachment)
or `ALREADY_ANSWERED` (a contact the deputy has judged, an answer rated already).

The row is kept as figures read it (storage/models/suggestions.py): `signed_at`; an answer's round,
due day and punctuality, the latest class and planned date, the first answer's time; the rating, 销号
(`closed_at`, `closing_action`) and the 回头看 day; and the reminder clock (`warned_rung`,
`next_warning_at`) armed whenever a term starts (assignment, extension, re-handling, reassignment) and
cleared when the unit answers — `bot/suggestions/sweep.py` reads it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.kit.text_limits import utf16_len
from bot.opinions.sla import SlaPolicy
from bot.suggestions.assign import AssignmentService
from bot.suggestions.deadlines import (
    DEFAULT_TERM_MONTHS,
    Deadline,
    DeadlinePolicy,
    WarningColour,
    deadline,
    due_at,
    next_warning_at,
    rehandle_deadline,
    suggestion_colour,
)
from bot.suggestions.lifecycle import (
    Action,
    ActorKind,
    Audience,
    Details,
    Facts,
    Refusal,
    RefusalReason,
    Transition,
    decide,
)
from bot.suggestions.numbering import Session
from bot.suggestions.results import Rating, RecheckPolicy, ResultClass, recheck_due
from bot.suggestions.service import MAX_ATTACHMENTS, MAX_TEXT, Outcome
from storage.models.suggestions import (
    ContactForm,
    ContactStage,
    ContactVerdict,
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionState,
    SuggestionUnitOpinion,
)
from storage.unit_of_work import UnitOfWork

__all__ = [
    "CLOCK_STATES",
    "MAX_REASON",
    "MAX_SUMMARY",
    "UNIT_STATES",
    "AnswerInput",
    "ContactForm",
    "ContactInput",
    "ContactStage",
    "ContactVerdict",
    "HandlingService",
    "Rating",
    "TaskCard",
    "answer_input_problem",
    "contact_problem",
    "policy_for",
    "term_of",
    "text_problem",
]

MAX_SUMMARY = 1000  # UTF-16 units: a contact's summary
MAX_REASON = 500  # a reason (dispute, dissatisfied, C answer, staff decision)
ATTACHMENT_KINDS = frozenset({"photo", "document"})

S = SuggestionState
# The unit's clock runs: the sweep reminds up the ladder in these states only.
CLOCK_STATES: tuple[SuggestionState, ...] = (
    S.ASSIGNED,
    S.HANDLING,
    S.EXTENSION_REQUESTED,
    S.REASSIGN_REQUESTED,
    S.REHANDLING,
)
# What an officer's /suggestions lists: the unit's work, and its answers waiting for a rating.
UNIT_STATES: tuple[SuggestionState, ...] = (*CLOCK_STATES, S.ANSWERED, S.REANSWERED, S.STAFF_REVIEW)
RATING_ACTIONS: dict[Rating, Action] = {
    Rating.SATISFIED: Action.RATE_SATISFIED,
    Rating.BASIC: Action.RATE_BASIC,
    Rating.DISSATISFIED: Action.RATE_DISSATISFIED,
}
# Refusals of what the request will carry (a reason, an answer, a term): a dialog may open despite them.
_JUDGED_LATER = frozenset(
    {
        RefusalReason.REASON_REQUIRED,
        RefusalReason.ANSWER_INVALID,
        RefusalReason.TERM_INVALID,
        RefusalReason.UNITS_INVALID,
    }
)


@dataclass(frozen=True)
class ContactInput:
    """One 三见面 record as the officer gave it: stage, local day, form, summary (checked here again)."""

    stage: str
    form: str
    held_on: date
    summary: str


@dataclass(frozen=True)
class AnswerInput:
    """The lead unit's answer: class, text, attachments; B its planned date, C its reason."""

    result_class: str
    text: str
    planned_on: date | None = None
    reason: str = ""
    attachments: tuple[Mapping[str, str], ...] = ()


def text_problem(text: str, limit: int) -> str | None:
    """Why a typed text cannot be taken, or None: blank, or over `limit` UTF-16 units."""
    if not text.strip():
        return "empty"
    return "too_long" if utf16_len(text.strip()) > limit else None


def attachments_problem(attachments: Sequence[Mapping[str, str]]) -> str | None:
    if len(attachments) > MAX_ATTACHMENTS:
        return "attachments"
    for item in attachments:
        if item.get("kind") not in ATTACHMENT_KINDS or not str(item.get("file_id") or "").strip():
            return "attachment"
    return None


def contact_problem(contact: ContactInput, today: date, earliest: date | None) -> str | None:
    """Why a contact record is malformed, or None: a known stage and form, a day not in the future nor
    before the suggestion was filed, a summary of at most `MAX_SUMMARY`."""
    if contact.stage not in set(ContactStage) or contact.form not in set(ContactForm):
        return "stage_or_form"
    if contact.held_on > today or (earliest is not None and contact.held_on < earliest):
        return "date"
    return text_problem(contact.summary, MAX_SUMMARY)


def answer_input_problem(answer: AnswerInput) -> str | None:
    """What the lifecycle's ANSWER guard does not judge: the text, the reason's length, the attachments."""
    problem = text_problem(answer.text, MAX_TEXT)
    if problem is None and utf16_len(answer.reason.strip()) > MAX_REASON:
        problem = "too_long"
    return problem or attachments_problem(answer.attachments)


def policy_for(sla: SlaPolicy) -> DeadlinePolicy:
    """The suggestion clocks in the congress's zone, with the opinions' quiet hours."""
    return DeadlinePolicy(zone=sla.zone, quiet_start=sla.quiet_start, quiet_end=sla.quiet_end)


def term_of(suggestion: Suggestion, policy: DeadlinePolicy) -> Deadline | None:
    """The term the clock runs on: from assignment (an extension keeps its start), or from the
    dissatisfied rating while re-handled; None before assignment."""
    if suggestion.due_on is None or suggestion.assigned_at is None:
        return None
    start = suggestion.assigned_at
    rehandled = suggestion.state == S.REHANDLING and suggestion.rated_at is not None
    if rehandled and suggestion.rated_at is not None and suggestion.rated_at > start:
        start = suggestion.rated_at
    return Deadline(start, suggestion.due_on, due_at(suggestion.due_on, policy))


@dataclass(frozen=True)
class TaskCard:
    """What an officer's task card shows, read once (names unescaped: the view escapes)."""

    suggestion: Suggestion
    filer: str
    lead: str
    co: tuple[str, ...]
    colour: WarningColour | None
    contacts: tuple[SuggestionContact, ...]
    opinions: tuple[tuple[str, SuggestionUnitOpinion], ...]  # (co-unit's name, its opinion)
    answers: tuple[SuggestionAnswer, ...]
    kinds: frozenset[ActorKind]  # the reader's relations: which buttons the card carries


class HandlingService(AssignmentService):
    """办理 and rating inside the caller's unit of work (the service flushes, the caller commits).

    Args:
        uow: an entered unit of work.
        zone: the congress's time zone (local days: due dates, contact days, punctuality).
        policy: the suggestion clocks (terms, re-handling term, the reminder ladder).
        recheck: when A answers are re-checked (回头看).
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        zone: str = "Asia/Shanghai",
        sessions: Sequence[Session] = (),
        policy: DeadlinePolicy | None = None,
        recheck: RecheckPolicy | None = None,
    ) -> None:
        super().__init__(uow, zone=zone, sessions=sessions)
        self.policy = policy or DeadlinePolicy(zone=zone)
        self.recheck = recheck or RecheckPolicy()
        self._previous_unit: int | None = None  # the lead unit before a reassignment (PREVIOUS_UNIT)

    @classmethod
    def of(cls, uow: UnitOfWork, sla: SlaPolicy) -> HandlingService:
        """The service on the runtime's clocks (its zone and quiet hours)."""
        return cls(uow, zone=sla.zone, policy=policy_for(sla))

    # -- who the presser is to this suggestion -----------------------------------------------------

    async def kinds(self, suggestion: Suggestion, person_id: int) -> set[ActorKind]:
        """The presser's relations: the filer, an officer of the lead unit or of a co-unit, staff."""
        kinds: set[ActorKind] = set()
        if suggestion.filer_person_id == person_id:
            kinds.add(ActorKind.FILER)
        if await self.is_staff(person_id):
            kinds.add(ActorKind.STAFF)
        units = {unit.id for unit in await self.uow.units.units_of(person_id)}
        if suggestion.lead_unit_id in units:
            kinds.add(ActorKind.LEAD_OFFICER)
        if units & set(suggestion.co_unit_ids or ()):
            kinds.add(ActorKind.CO_OFFICER)
        return kinds

    def today(self, now: datetime) -> date:
        return now.astimezone(ZoneInfo(self.zone)).date()

    async def _facts(self, suggestion: Suggestion, action: Action, now: datetime) -> Facts:
        asked = action in (Action.REQUEST_EXTENSION, Action.REQUEST_REASSIGN) and (
            await self._asked_since_assignment(suggestion, action)
        )
        return Facts(
            extension_asked=asked and action is Action.REQUEST_EXTENSION,
            reassign_asked=asked and action is Action.REQUEST_REASSIGN,
            term_months=suggestion.term_months or DEFAULT_TERM_MONTHS,
            result_class=ResultClass(suggestion.result_class) if suggestion.result_class else None,
            answered_on=self.today(now),
        )

    async def check(
        self, suggestion_id: int, person_id: int, action: Action, now: datetime
    ) -> Suggestion | Outcome:
        """Before a dialog opens (a contact, an answer, a reason): the relation and the state allow it.

        What the request will carry (reason, answer, term) is judged when it is complete."""
        suggestion = await self.get(suggestion_id)
        if suggestion is None:
            return await self._refuse(None, action, person_id, _not_found(), suggestion_id)
        decided = decide(
            suggestion.state,
            action,
            await self.kinds(suggestion, person_id),
            facts=await self._facts(suggestion, action, now),
        )
        if isinstance(decided, Refusal) and decided.reason not in _JUDGED_LATER:
            return await self._refuse(suggestion, action, person_id, decided)
        return suggestion

    async def _decided(
        self,
        suggestion_id: int,
        person_id: int,
        action: Action,
        now: datetime,
        details: Details | None = None,
    ) -> tuple[Suggestion, Transition] | Outcome:
        """The suggestion locked and the lifecycle's answer, or the refusal (audited)."""
        suggestion = await self._locked(suggestion_id, action, person_id)
        if isinstance(suggestion, Outcome):
            return suggestion
        decided = decide(
            suggestion.state,
            action,
            await self.kinds(suggestion, person_id),
            facts=await self._facts(suggestion, action, now),
            details=details or Details(),
        )
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, action, person_id, decided)
        return suggestion, decided

    async def _done(
        self,
        suggestion: Suggestion,
        decided: Transition,
        person_id: int,
        now: datetime,
        *,
        note: str = "",
        params: Mapping[str, Any] | None = None,
        followers: Mapping[str, Any] | None = None,
    ) -> Outcome:
        """Apply the transition (ledger, audit, notices), note it on the ledger and give every notice
        `params` — the followers (constituents) only `followers`: never the deputy's words or names."""
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        if note:
            await self._note_last(suggestion, note)
        extra, public = dict(params or {}), dict(followers or {})
        outcome.notices = [
            dataclasses.replace(n, params={**n.params, **(public if "tracking_no" in n.params else extra)})
            for n in outcome.notices
        ]
        return outcome

    async def _audience(self, suggestion: Suggestion, audience: Audience) -> list[tuple[int, dict[str, Any]]]:
        if audience is Audience.PREVIOUS_UNIT:
            previous = self._previous_unit
            return await self._officers([previous]) if previous is not None else []
        return await super()._audience(suggestion, audience)

    def _arm(self, suggestion: Suggestion) -> None:
        """A term started: the reminder ladder begins again from its first rung."""
        term = term_of(suggestion, self.policy)
        suggestion.warned_rung = 0
        suggestion.next_warning_at = next_warning_at(term, 0, self.policy) if term is not None else None

    async def _invalid(self, suggestion: Suggestion, action: Action, person_id: int, problem: str) -> Outcome:
        refusal = Refusal(RefusalReason.INVALID_ARGUMENT, problem)
        return await self._refuse(suggestion, action, person_id, refusal)

    # -- 签收, 三见面, co-unit opinions --------------------------------------------------------------

    async def sign_for(self, suggestion_id: int, person_id: int, now: datetime) -> Outcome:
        """签收: an officer of the lead unit takes it on (assigned → handling); the filer is told."""
        got = await self._decided(suggestion_id, person_id, Action.SIGN_FOR, now)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        suggestion.signed_at = now
        return await self._done(suggestion, decided, person_id, now)

    async def record_contact(
        self, suggestion_id: int, person_id: int, contact: ContactInput, now: datetime
    ) -> Outcome:
        """三见面: the lead unit's officer records a contact; the filer confirms or disputes it."""
        got = await self._decided(suggestion_id, person_id, Action.RECORD_CONTACT, now)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        filed = self.today(suggestion.filed_at) if suggestion.filed_at is not None else None
        problem = contact_problem(contact, self.today(now), filed)
        if problem is not None:
            return await self._invalid(suggestion, Action.RECORD_CONTACT, person_id, problem)
        row = await self.uow.suggestions.add_contact(
            SuggestionContact(
                suggestion_id=suggestion.id,
                unit_id=suggestion.lead_unit_id,
                stage=contact.stage,
                held_on=contact.held_on,
                form=contact.form,
                summary=contact.summary.strip(),
                recorded_by_person_id=person_id,
                recorded_at=now,
                verdict=ContactVerdict.PENDING.value,
            )
        )
        params = {
            "contact_id": row.id,
            "stage": row.stage,
            "form": row.form,
            "held_on": row.held_on.isoformat(),
            "summary": row.summary,
        }
        note = f"contact {row.id}: {row.stage} {row.form} {row.held_on.isoformat()}"
        return await self._done(suggestion, decided, person_id, now, note=note, params=params)

    async def judge_contact(
        self, contact_id: int, person_id: int, confirm: bool, now: datetime, reason: str = ""
    ) -> Outcome:
        """The filer confirms a contact, or disputes it with a reason (the committee is copied); once."""
        action = Action.CONFIRM_CONTACT if confirm else Action.DISPUTE_CONTACT
        contact = await self.uow.suggestions.contact(contact_id)
        if contact is None:
            return await self._refuse(None, action, person_id, _not_found())
        got = await self._decided(contact.suggestion_id, person_id, action, now, Details(reason=reason))
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        if contact.verdict != ContactVerdict.PENDING:
            refusal = Refusal(RefusalReason.ALREADY_ANSWERED, "verdict")
            return await self._refuse(suggestion, action, person_id, refusal)
        if utf16_len(reason.strip()) > MAX_REASON:
            return await self._invalid(suggestion, action, person_id, "too_long")
        contact.verdict = (ContactVerdict.CONFIRMED if confirm else ContactVerdict.DISPUTED).value
        contact.verdict_reason = reason.strip() or None
        contact.verdict_at = now
        params = {
            "contact_id": contact.id,
            "stage": contact.stage,
            "held_on": contact.held_on.isoformat(),
            "reason": reason.strip(),
        }
        note = f"contact {contact.id}" + (f": {reason.strip()}" if reason.strip() else "")
        return await self._done(suggestion, decided, person_id, now, note=note, params=params)

    async def check_contact(
        self, contact_id: int, person_id: int, now: datetime
    ) -> SuggestionContact | Outcome:
        """Before the dispute's reason is asked: the filer, a state that takes it, a contact not judged."""
        contact = await self.uow.suggestions.contact(contact_id)
        if contact is None:
            return await self._refuse(None, Action.DISPUTE_CONTACT, person_id, _not_found())
        checked = await self.check(contact.suggestion_id, person_id, Action.DISPUTE_CONTACT, now)
        if isinstance(checked, Outcome):
            return checked
        if contact.verdict != ContactVerdict.PENDING:
            refusal = Refusal(RefusalReason.ALREADY_ANSWERED, "verdict")
            return await self._refuse(checked, Action.DISPUTE_CONTACT, person_id, refusal)
        return contact

    async def co_opinion(
        self,
        suggestion_id: int,
        person_id: int,
        text: str,
        now: datetime,
        attachments: Sequence[Mapping[str, str]] = (),
    ) -> Outcome:
        """A co-unit's officer sends the unit's opinion to the lead unit, which sees it on its card."""
        got = await self._decided(suggestion_id, person_id, Action.CO_OPINION, now)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        problem = text_problem(text, MAX_TEXT) or attachments_problem(attachments)
        if problem is not None:
            return await self._invalid(suggestion, Action.CO_OPINION, person_id, problem)
        mine = [u for u in await self.uow.units.units_of(person_id) if u.id in (suggestion.co_unit_ids or ())]
        row = await self.uow.suggestions.add_unit_opinion(
            SuggestionUnitOpinion(
                suggestion_id=suggestion.id,
                unit_id=mine[0].id,
                person_id=person_id,
                text=text.strip(),
                attachments=[dict(a) for a in attachments] or None,
                at=now,
            )
        )
        params = {
            "opinion_id": row.id,
            "unit_name": mine[0].name,
            "text": row.text,
            "attachments": list(row.attachments or ()),
        }
        note = f"co-unit opinion {row.id} ({mine[0].code})"
        return await self._done(suggestion, decided, person_id, now, note=note, params=params)

    # -- the answer and its rating -----------------------------------------------------------------

    async def answer(self, suggestion_id: int, person_id: int, answer: AnswerInput, now: datetime) -> Outcome:
        """The lead unit answers with a result class (B its planned date, C its reason): round 1, or the
        next round after re-handling or reassignment; the filer rates it."""
        details = Details(
            reason=answer.reason, result_class=answer.result_class, planned_on=answer.planned_on
        )
        got = await self._decided(suggestion_id, person_id, Action.ANSWER, now, details)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        problem = answer_input_problem(answer)
        if problem is not None:
            return await self._invalid(suggestion, Action.ANSWER, person_id, problem)
        klass = ResultClass(answer.result_class)
        planned = answer.planned_on if klass is ResultClass.B else None
        on_time = suggestion.due_on is None or self.today(now) <= suggestion.due_on
        rows = await self.uow.suggestions.answers(suggestion.id)
        row = await self.uow.suggestions.add_answer(
            SuggestionAnswer(
                suggestion_id=suggestion.id,
                round=(rows[-1].round if rows else 0) + 1,
                unit_id=suggestion.lead_unit_id,
                result_class=klass.value,
                text=answer.text.strip(),
                reason=answer.reason.strip() if klass is ResultClass.C else None,
                planned_on=planned,
                attachments=[dict(a) for a in answer.attachments] or None,
                answered_by_person_id=person_id,
                answered_at=now,
                due_on=suggestion.due_on,
                on_time=on_time,
            )
        )
        suggestion.result_class, suggestion.planned_on, suggestion.answered_at = klass.value, planned, now
        if suggestion.first_answered_at is None:
            suggestion.first_answered_at, suggestion.first_answer_on_time = now, on_time
        suggestion.next_warning_at = None  # answered: the unit's clock stops
        public = {"result_class": klass.value, "planned_on": planned.isoformat() if planned else ""}
        params = {
            **public,
            "answer_id": row.id,
            "round": row.round,
            "text": row.text,
            "reason": row.reason or "",
            "attachments": list(row.attachments or ()),
        }
        note = f"answer {row.id}: round {row.round}, class {klass.value}"
        return await self._done(
            suggestion, decided, person_id, now, note=note, params=params, followers=public
        )

    async def rate(
        self, answer_id: int, person_id: int, rating: Rating, now: datetime, reason: str = ""
    ) -> Outcome:
        """The filer rates the latest answer, once: satisfied or basically satisfied closes it (销号);
        dissatisfied (with a reason) sends it back for re-handling once, then to staff."""
        action = RATING_ACTIONS[rating]
        row = await self.uow.suggestions.answer(answer_id)
        if row is None:
            return await self._refuse(None, action, person_id, _not_found())
        got = await self._decided(row.suggestion_id, person_id, action, now, Details(reason=reason))
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        refusal = await self._rating_refusal(suggestion, row, reason)
        if refusal is not None:
            return await self._refuse(suggestion, action, person_id, refusal)
        row.rating, row.rating_reason, row.rated_at = rating.value, reason.strip() or None, now
        suggestion.rating, suggestion.rated_at = rating.value, now
        if rating.closes:
            suggestion.closed_at, suggestion.closing_action = now, action.value
            if row.result_class in (ResultClass.A, ResultClass.B):
                suggestion.recheck_due_on = recheck_due(
                    row.result_class, self.today(now), row.planned_on, self.recheck
                )
        elif decided.target is S.REHANDLING:
            suggestion.due_on = rehandle_deadline(now, self.policy).due_on
            suggestion.rehandle_count = (suggestion.rehandle_count or 0) + 1
        suggestion.state = decided.target.value  # for term_of: the re-handling term starts now
        if decided.target is S.REHANDLING:
            self._arm(suggestion)
        params = {"reason": reason.strip(), "rating": rating.value, "due": _day(suggestion.due_on)}
        public = {"due": _day(suggestion.due_on)}
        return await self._done(
            suggestion, decided, person_id, now, note=reason.strip(), params=params, followers=public
        )

    async def _rating_refusal(
        self, suggestion: Suggestion, row: SuggestionAnswer, reason: str
    ) -> Refusal | None:
        """A rating of an answer that is not the latest (an old card) or was rated, or a reason too long."""
        rows = await self.uow.suggestions.answers(suggestion.id)
        if not rows or rows[-1].id != row.id:
            return Refusal(RefusalReason.STALE_STATE, "old_answer")
        if row.rating is not None:
            return Refusal(RefusalReason.ALREADY_ANSWERED, "rated")
        if utf16_len(reason.strip()) > MAX_REASON:
            return Refusal(RefusalReason.INVALID_ARGUMENT, "too_long")
        return None

    async def check_rating(self, answer_id: int, person_id: int, now: datetime) -> SuggestionAnswer | Outcome:
        """Before the dissatisfied reason is asked: the filer, a rateable state, the latest answer."""
        row = await self.uow.suggestions.answer(answer_id)
        if row is None:
            return await self._refuse(None, Action.RATE_DISSATISFIED, person_id, _not_found())
        checked = await self.check(row.suggestion_id, person_id, Action.RATE_DISSATISFIED, now)
        if isinstance(checked, Outcome):
            return checked
        refusal = await self._rating_refusal(checked, row, "")
        if refusal is not None:
            return await self._refuse(checked, Action.RATE_DISSATISFIED, person_id, refusal)
        return row

    # -- staff decisions on the unit's requests ---------------------------------------------------

    async def grant_extension(
        self, suggestion_id: int, person_id: int, months: int, reason: str, now: datetime
    ) -> Outcome:
        """Staff grant more time: a longer term counted from assignment (six months at most), a reason."""
        details = Details(reason=reason, term_months=months)
        got = await self._decided(suggestion_id, person_id, Action.GRANT_EXTENSION, now, details)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        if utf16_len(reason.strip()) > MAX_REASON:
            return await self._invalid(suggestion, Action.GRANT_EXTENSION, person_id, "too_long")
        assert suggestion.assigned_at is not None  # extension_requested comes after assignment
        suggestion.term_months, suggestion.term_reason = months, reason.strip()
        suggestion.due_on = deadline(suggestion.assigned_at, months, self.policy).due_on
        self._arm(suggestion)
        params = {"reason": reason.strip(), "months": months, "due": _day(suggestion.due_on)}
        note = f"{months} months: {reason.strip()}"
        return await self._done(suggestion, decided, person_id, now, note=note, params=params)

    async def deny(
        self, suggestion_id: int, person_id: int, action: Action, reason: str, now: datetime
    ) -> Outcome:
        """Staff deny the unit's request (DENY_EXTENSION or DENY_REASSIGN) with a reason; handling goes on."""
        if action not in (Action.DENY_EXTENSION, Action.DENY_REASSIGN):
            raise ValueError(action)
        got = await self._decided(suggestion_id, person_id, action, now, Details(reason=reason))
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        if utf16_len(reason.strip()) > MAX_REASON:
            return await self._invalid(suggestion, action, person_id, "too_long")
        params = {"reason": reason.strip(), "due": _day(suggestion.due_on)}
        return await self._done(suggestion, decided, person_id, now, note=reason.strip(), params=params)

    async def reassign(
        self,
        suggestion_id: int,
        person_id: int,
        lead_unit_id: int | None,
        co_unit_ids: Sequence[int],
        now: datetime,
        *,
        months: int = DEFAULT_TERM_MONTHS,
        reason: str = "",
    ) -> Outcome:
        """Staff give it to another lead unit ("not ours", or after staff review): a new term from now;
        the new units get their cards, the previous lead unit, the filer and the committee are told."""
        details = Details(
            reason=reason,
            lead_unit=str(lead_unit_id) if lead_unit_id is not None else None,
            co_units=tuple(str(u) for u in co_unit_ids),
            term_months=months,
        )
        got = await self._decided(suggestion_id, person_id, Action.REASSIGN, now, details)
        if isinstance(got, Outcome):
            return got
        suggestion, decided = got
        for unit_id in (lead_unit_id, *co_unit_ids):
            if unit_id is None or await self.uow.units.get(unit_id) is None:
                return await self._invalid(suggestion, Action.REASSIGN, person_id, "unknown_unit")
        if lead_unit_id == suggestion.lead_unit_id:
            return await self._invalid(suggestion, Action.REASSIGN, person_id, "same_lead")
        if utf16_len(reason.strip()) > MAX_REASON:
            return await self._invalid(suggestion, Action.REASSIGN, person_id, "too_long")
        self._previous_unit = suggestion.lead_unit_id
        suggestion.lead_unit_id, suggestion.co_unit_ids = lead_unit_id, list(co_unit_ids)
        suggestion.term_months, suggestion.term_reason = months, reason.strip() or None
        suggestion.assigned_at, suggestion.signed_at = now, None
        suggestion.due_on = deadline(now, months, self.policy).due_on
        self._arm(suggestion)
        params = {"reason": reason.strip(), "due": _day(suggestion.due_on)}
        return await self._done(suggestion, decided, person_id, now, note=reason.strip(), params=params)

    # -- reading -----------------------------------------------------------------------------------

    async def unit_tasks(self, person_id: int, limit: int = 30) -> Sequence[Suggestion]:
        """The suggestions the officer's units lead or co-handle, still with the units or awaiting a rating."""
        units = [unit.id for unit in await self.uow.units.units_of(person_id)]
        return await self.uow.suggestions.of_units(units, UNIT_STATES, limit)

    async def is_officer(self, person_id: int) -> bool:
        return bool(await self.uow.units.units_of(person_id))

    async def card(self, suggestion_id: int, person_id: int, now: datetime) -> TaskCard | None:
        """The task card for an officer of its lead unit or a co-unit (None for anyone else: the caller
        refuses and audits)."""
        suggestion = await self.get(suggestion_id)
        if suggestion is None:
            return None
        kinds = await self.kinds(suggestion, person_id) & {ActorKind.LEAD_OFFICER, ActorKind.CO_OFFICER}
        if not kinds:
            return None
        names = await self.unit_names(
            [u for u in (suggestion.lead_unit_id, *(suggestion.co_unit_ids or ())) if u]
        )
        term = term_of(suggestion, self.policy)
        running = term is not None and suggestion.state in CLOCK_STATES
        opinions = await self.uow.suggestions.unit_opinions(suggestion.id)
        return TaskCard(
            suggestion,
            await self.person_name(suggestion.filer_person_id),
            names.get(suggestion.lead_unit_id or 0, "—"),
            tuple(names.get(u, "—") for u in suggestion.co_unit_ids or ()),
            suggestion_colour(term, now, self.policy) if running and term is not None else None,
            tuple(
                c
                for c in await self.uow.suggestions.contacts(suggestion.id)
                if c.unit_id == suggestion.lead_unit_id
            ),
            tuple((names.get(o.unit_id or 0, "—"), o) for o in opinions),
            tuple(await self.uow.suggestions.answers(suggestion.id)),
            frozenset(kinds),
        )


def _not_found() -> Refusal:
    return Refusal(RefusalReason.NO_RELATION, "not_found")


def _day(day: date | None) -> str:
    return day.isoformat() if day is not None else ""
