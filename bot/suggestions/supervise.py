"""监督 (supervision): the supervising committee's view, 督办 comments, reminders and escalation asks, staff
销号 with a reason, and 回头看 (re-check) of A and B answers.

Every request is asked of `lifecycle.decide` with the presser's relations to the suggestion: `committee`
only for a member of the special committee that supervises it (`Suggestion.committee_id`, chosen at the
交办会; for an older row without one, the first committee whose field covers its category, as the
notices' audience does), `staff` for the congress office, `filer` for the deputy who filed it, `system`
for the daily 回头看 job. A forged press (a constituent, a deputy, a member of another committee, an
officer) is refused like a stale one (a reminder to a closed suggestion, a second reopen), audited, and
changes nothing. Each accepted step is a ledger entry (`suggestion_event`, the typed text on its note)
and an audit entry, and returns whom to tell.

The row keeps what figures read: 销号 fills `closed_at`, `closing_action` ("close"), `closing_reason` and
`recheck_due_on` (`results.recheck_due`: A after `RecheckPolicy.a_after_months`, B on its planned date,
C never); 回头看 fills `recheck_outcome` (confirmed, reopened, concluded) and `rechecked_at` once it is
over (confirmed by the deputy, or concluded by the committee or staff).
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.kit.dialogs import at
from bot.kit.text_limits import utf16_len
from bot.suggestions.assign import AssignmentService
from bot.suggestions.deadlines import Deadline, DeadlinePolicy, WarningColour, suggestion_colour
from bot.suggestions.lifecycle import (
    Action,
    ActorKind,
    Details,
    Facts,
    Refusal,
    RefusalReason,
    decide,
)
from bot.suggestions.numbering import local_day
from bot.suggestions.results import RecheckPolicy, ResultClass, recheck_due
from bot.suggestions.service import Outcome
from storage.models.suggestions import Suggestion, SuggestionState
from storage.unit_of_work import UnitOfWork

__all__ = [
    "BOARD_ACTIONS",
    "CLOSABLE_STATES",
    "MAX_NOTE",
    "RECHECK_STATES",
    "REMIND_GAP",
    "SUPERVISED_STATES",
    "SUPERVISION_ACTIONS",
    "Board",
    "RecheckOutcome",
    "SuperviseDialog",
    "Supervised",
    "SupervisionService",
    "end_note",
    "note_problem",
    "open_note",
    "pending_action",
]

S = SuggestionState
# The unit is working on it: the committee comments, reminds and asks the office to step in.
SUPERVISED_STATES = (S.ASSIGNED, S.HANDLING, S.EXTENSION_REQUESTED, S.REASSIGN_REQUESTED, S.REHANDLING)
RECHECK_STATES = (S.RECHECK, S.RECHECK_REOPENED)  # 回头看 entries the committee or staff conclude
CLOSABLE_STATES = (S.ANSWERED, S.REANSWERED, S.STAFF_REVIEW)  # staff may close (销号) with a reason
# What the /supervise view offers, in button order; each item shows those the viewer may ask for there.
BOARD_ACTIONS = (Action.COMMENT, Action.REMIND, Action.ASK_ESCALATION, Action.CLOSE, Action.CONCLUDE_RECHECK)
# The 督办 actions the ledger counts.
SUPERVISION_ACTIONS = frozenset({Action.COMMENT, Action.REMIND, Action.ASK_ESCALATION})
MAX_NOTE = 1000  # UTF-16 units of a comment or reason: quoted whole in a notice within 4096
# A unit is reminded (urgent: through quiet hours) at most once in this long, whoever presses.
REMIND_GAP = timedelta(hours=12)
BOARD_LIMIT = 300  # items read for one /supervise view, the earliest due first
RECHECK_BATCH = 200  # 回头看 started by one run of the daily job (the rest the next day)
ASKED = "(asked next)"  # the reason a dialog will ask for, when a press is checked before it opens


class SuperviseDialog(enum.StrEnum):
    NOTE = "sgsv"  # the next message is the text of action <arg 2> on suggestion <arg 1> (card: <arg 3>)


class RecheckOutcome(enum.StrEnum):
    CONFIRMED = "confirmed"  # the deputy confirms it stayed solved
    REOPENED = "reopened"  # the deputy reopened it; the committee follows it up
    CONCLUDED = "concluded"  # the committee or staff concluded it, with a reason


@dataclass(frozen=True)
class Supervised:
    """One item of the /supervise view."""

    suggestion: Suggestion
    lead_unit: str  # the lead unit's name (unescaped), "—" when none
    due_at: datetime | None  # the end of the due day (UTC), None without a running term
    colour: WarningColour | None  # 三色预警 of the running term; None for answered and re-check entries
    actions: tuple[Action, ...]  # what the viewer may ask for here, from `BOARD_ACTIONS`


@dataclass(frozen=True)
class Board:
    """The /supervise view: red, yellow, green, then re-check entries and (for staff) those to close."""

    items: tuple[Supervised, ...]
    staff: bool
    cut: bool  # more than `BOARD_LIMIT` in some section: the earliest due are shown


def note_problem(text: str) -> str | None:
    """Why a typed comment or reason cannot be recorded: "empty", "too_long", or None."""
    if not text.strip():
        return "empty"
    return "too_long" if utf16_len(text.strip()) > MAX_NOTE else None


def facts_of(suggestion: Suggestion) -> Facts:
    """What the re-check guard reads from the row."""
    try:
        klass = ResultClass(suggestion.result_class) if suggestion.result_class else None
    except ValueError:
        klass = None
    return Facts(result_class=klass, rechecked=suggestion.rechecked_at is not None)


# What a step does to the row before it moves (given the typed text); a Refusal stops it.
Effect = Callable[[Suggestion, datetime, str], Awaitable[Refusal | None]]


class SupervisionService(AssignmentService):
    """监督 and 回头看 inside the caller's unit of work (the service flushes, the caller commits).

    Args:
        uow: an entered unit of work.
        zone: the congress's time zone (due days, the 回头看 day).
        recheck: when A answers are re-checked (the RECHECK_A_AFTER_MONTHS setting).
        deadlines: the colours' policy.
    """

    def __init__(
        self,
        uow: UnitOfWork,
        *,
        zone: str = "Asia/Shanghai",
        recheck: RecheckPolicy | None = None,
        deadlines: DeadlinePolicy | None = None,
    ) -> None:
        super().__init__(uow, zone=zone)
        self.recheck = recheck or RecheckPolicy()
        self.deadlines = deadlines or DeadlinePolicy(zone=zone)

    # -- who the presser is to a suggestion ----------------------------------------------------------

    async def committees_of(self, person_id: int) -> list[int]:
        return await self.uow.network.committees_of_person(person_id)

    async def supervising(self, suggestion: Suggestion) -> int | None:
        """The committee supervising it: the one chosen at the 交办会, else the first of its category."""
        if suggestion.committee_id is not None:
            return suggestion.committee_id
        return await self.supervising_committee(suggestion.category)

    async def kinds(
        self,
        suggestion: Suggestion,
        person_id: int,
        *,
        staff: bool | None = None,
        committees: Sequence[int] | None = None,
    ) -> set[ActorKind]:
        """Every relation the person has to it that supervision asks about (`staff` and `committees`:
        the person's, when the caller read them already)."""
        kinds: set[ActorKind] = set()
        if await self.is_staff(person_id) if staff is None else staff:
            kinds.add(ActorKind.STAFF)
        if suggestion.filer_person_id == person_id:
            kinds.add(ActorKind.FILER)
        committee = await self.supervising(suggestion)
        mine = await self.committees_of(person_id) if committees is None else committees
        if committee is not None and committee in mine:
            kinds.add(ActorKind.COMMITTEE)
        return kinds

    async def relation(self, suggestion: Suggestion, person_id: int, action: Action) -> set[ActorKind]:
        if action in (Action.REQUEST_REASSIGN, Action.REQUEST_EXTENSION):
            return await super().relation(suggestion, person_id, action)
        return await self.kinds(suggestion, person_id)

    async def check(self, suggestion_id: int, person_id: int, action: Action) -> Suggestion | Outcome:
        """Before a dialog asks for the text (comment, reason): the presser's relation and the state, as
        `decide` judges them with the text assumed; a refusal is audited."""
        suggestion = await self.get(suggestion_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refuse(None, action, person_id, refusal, suggestion_id)
        kinds = await self.relation(suggestion, person_id, action)
        decided = decide(
            suggestion.state, action, kinds, facts=facts_of(suggestion), details=Details(reason=ASKED)
        )
        if isinstance(decided, Refusal):
            return await self._refuse(suggestion, action, person_id, decided)
        return suggestion

    # -- the committee's view ------------------------------------------------------------------------

    async def board(self, person_id: int, now: datetime) -> Board | None:
        """The suggestions this person supervises, overdue first; None when they supervise none.

        A committee member sees their committees' suggestions: those with the units, then the re-check
        entries. Staff see every committee's, and the answered ones they may close (销号)."""
        staff = await self.is_staff(person_id)
        committees = await self.committees_of(person_id)
        if not staff and not committees:
            return None
        sections = [SUPERVISED_STATES, RECHECK_STATES] + ([CLOSABLE_STATES] if staff else [])
        seen = _Seen(person_id, staff, committees, {})
        items: list[Supervised] = []
        cut = False
        for states in sections:
            wanted = [state.value for state in states]
            rows = await self.uow.suggestions.supervised(wanted, None if staff else committees, BOARD_LIMIT)
            cut = cut or len(rows) >= BOARD_LIMIT
            section = [await self._item(row, seen, now) for row in rows]
            if states is SUPERVISED_STATES:
                section.sort(key=_urgency)
            items += section
        return Board(tuple(items), staff, cut)

    async def _item(self, s: Suggestion, seen: _Seen, now: datetime) -> Supervised:
        units = seen.units
        if s.lead_unit_id is not None and s.lead_unit_id not in units:
            units.update(await self.unit_names([s.lead_unit_id]))
        lead = units.get(s.lead_unit_id, "—") if s.lead_unit_id is not None else "—"
        term = self.term(s)
        colour = suggestion_colour(term, now, self.deadlines) if term is not None else None
        kinds = await self.kinds(s, seen.person_id, staff=seen.staff, committees=seen.committees)
        actions = tuple(
            a
            for a in BOARD_ACTIONS
            if not isinstance(
                decide(s.state, a, kinds, facts=facts_of(s), details=Details(reason=ASKED)), Refusal
            )
        )
        return Supervised(s, lead, term.due_at if term else None, colour, actions)

    def term(self, s: Suggestion) -> Deadline | None:
        """The running term of a suggestion with the units: from its assignment (or, re-handled, from the
        rating that sent it back) to the end of its due day."""
        if s.state not in {x.value for x in SUPERVISED_STATES} or s.due_on is None or s.assigned_at is None:
            return None
        start = s.rated_at if s.state == S.REHANDLING and s.rated_at is not None else s.assigned_at
        tz = self.deadlines.tz
        end = datetime.combine(s.due_on + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
        return Deadline(start, s.due_on, end)

    # -- 督办: comment, remind, ask the office --------------------------------------------------------

    async def comment(self, suggestion_id: int, person_id: int, text: str, now: datetime) -> Outcome:
        """A committee member or staff comment to the lead unit (督办), recorded in the ledger."""
        return await self._act(suggestion_id, person_id, Action.COMMENT, now, text=text, param="text")

    async def remind(self, suggestion_id: int, person_id: int, now: datetime) -> Outcome:
        """An urgent reminder to the lead unit's officers; at most one in `REMIND_GAP`."""
        return await self._act(suggestion_id, person_id, Action.REMIND, now, effect=self._not_just_reminded)

    async def ask_escalation(self, suggestion_id: int, person_id: int, reason: str, now: datetime) -> Outcome:
        """A committee member asks the congress office to step in, with a reason."""
        return await self._act(suggestion_id, person_id, Action.ASK_ESCALATION, now, text=reason)

    async def _not_just_reminded(self, s: Suggestion, now: datetime, _text: str) -> Refusal | None:
        last = await self.uow.suggestions.last_event_of(s.id, Action.REMIND.value)
        if last is not None and now - last.at < REMIND_GAP:
            return Refusal(RefusalReason.ALREADY_ASKED, "reminded_recently")
        return None

    # -- 销号 by staff ---------------------------------------------------------------------------------

    async def close(self, suggestion_id: int, person_id: int, reason: str, now: datetime) -> Outcome:
        """Staff close (销号) an answered one, or one dissatisfied twice, with a reason; its 回头看 day is
        set from the answer's class."""
        return await self._act(suggestion_id, person_id, Action.CLOSE, now, text=reason, effect=self._closed)

    async def _closed(self, s: Suggestion, now: datetime, reason: str) -> Refusal | None:
        s.closed_at = now
        s.closing_action = Action.CLOSE.value
        s.closing_reason = reason
        s.recheck_due_on = self.recheck_day(s, now)
        return None

    def recheck_day(self, s: Suggestion, closed_at: datetime) -> date | None:
        """The 回头看 day of a suggestion closed at `closed_at`: A after the policy's months, B on its
        planned date, C (or no class) never."""
        if s.result_class not in {c.value for c in ResultClass}:
            return None
        return recheck_due(s.result_class, local_day(closed_at, self.zone), s.planned_on, self.recheck)

    # -- 回头看 ------------------------------------------------------------------------------------------

    async def start_due_rechecks(self, now: datetime, limit: int = RECHECK_BATCH) -> list[Outcome]:
        """The daily job: every closed suggestion whose 回头看 day has come (on the congress's calendar)
        and was never re-checked goes to its filer."""
        due = await self.uow.suggestions.rechecks_due(local_day(now, self.zone), limit)
        return [await self._act(sid, None, Action.START_RECHECK, now) for sid in due]

    async def recheck_confirm(self, suggestion_id: int, person_id: int, now: datetime) -> Outcome:
        """The filer confirms the matter stayed solved: the 回头看 is over."""
        return await self._act(
            suggestion_id, person_id, Action.RECHECK_CONFIRM, now, effect=_outcome(RecheckOutcome.CONFIRMED)
        )

    async def recheck_reopen(self, suggestion_id: int, person_id: int, reason: str, now: datetime) -> Outcome:
        """The filer reopens it, with a reason: the committee, staff and the unit are told."""
        return await self._act(
            suggestion_id,
            person_id,
            Action.RECHECK_REOPEN,
            now,
            text=reason,
            effect=_outcome(RecheckOutcome.REOPENED, over=False),
        )

    async def conclude_recheck(
        self, suggestion_id: int, person_id: int, reason: str, now: datetime
    ) -> Outcome:
        """The committee or staff conclude a re-check entry (reopened, or never answered), with a reason."""
        return await self._act(
            suggestion_id,
            person_id,
            Action.CONCLUDE_RECHECK,
            now,
            text=reason,
            effect=_outcome(RecheckOutcome.CONCLUDED),
        )

    async def with_text(
        self, action: Action, suggestion_id: int, person_id: int, text: str, now: datetime
    ) -> Outcome:
        """The step a typed comment or reason completes (what the chat's dialog waited for)."""
        steps = {
            Action.COMMENT: self.comment,
            Action.ASK_ESCALATION: self.ask_escalation,
            Action.CLOSE: self.close,
            Action.RECHECK_REOPEN: self.recheck_reopen,
            Action.CONCLUDE_RECHECK: self.conclude_recheck,
        }
        step = steps.get(action)
        if step is None:
            refusal = Refusal(RefusalReason.UNKNOWN_ACTION, action.value)
            return await self._refused(None, action, person_id, refusal, suggestion_id)
        return await step(suggestion_id, person_id, text, now)

    # -- reading for others ----------------------------------------------------------------------------

    async def made_from_opinion(self, opinion_id: int) -> Suggestion | None:
        """The numbered suggestion an opinion became (转为建议), for its sender's /my."""
        found = await self._linking(opinion_id)
        return found if found is not None and found.number is not None else None

    async def _linking(self, opinion_id: int) -> Suggestion | None:
        """The holder's suggestion linking it, else the one its escalation names (the holder may have
        changed since)."""
        opinion = await self.uow.opinions.get(opinion_id)
        if opinion is None:
            return None
        if opinion.holder_deputy_id is not None:
            deputy = await self.uow.people.deputy(opinion.holder_deputy_id)
            if deputy is not None:
                found = await self.uow.suggestions.linking_opinion(deputy.person_id, opinion_id)
                if found is not None:
                    return found
        escalated = await self.uow.opinions.last_event(opinion_id, "escalate")
        if escalated is not None and escalated.note:
            found = await self.uow.suggestions.by_number(escalated.note)
            if found is not None and opinion_id in (found.source_opinion_ids or ()):
                return found
        return None

    # -- one step ----------------------------------------------------------------------------------------

    async def _act(
        self,
        suggestion_id: int,
        person_id: int | None,
        action: Action,
        now: datetime,
        *,
        text: str | None = None,
        param: str = "reason",
        effect: Effect | None = None,
    ) -> Outcome:
        """Lock the row, ask `decide`, check the typed text, apply the effect, move, record, and say whom
        to tell (with the text as `param`). `person_id` None: the system (the 回头看 job)."""
        suggestion = await self.uow.suggestions.get_for_update(suggestion_id)
        if suggestion is None:
            refusal = Refusal(RefusalReason.NO_RELATION, "not_found")
            return await self._refused(None, action, person_id, refusal, suggestion_id)
        kinds = (
            {ActorKind.SYSTEM} if person_id is None else await self.relation(suggestion, person_id, action)
        )
        details = Details(reason=text or "")
        decided = decide(suggestion.state, action, kinds, facts=facts_of(suggestion), details=details)
        if isinstance(decided, Refusal):
            return await self._refused(suggestion, action, person_id, decided)
        typed = (text or "").strip()
        problem = note_problem(typed) if text is not None else None
        if problem is not None:
            refusal = Refusal(RefusalReason.REASON_REQUIRED, problem)
            return await self._refused(suggestion, action, person_id, refusal)
        refused = await effect(suggestion, now, typed) if effect is not None else None
        if refused is not None:
            return await self._refused(suggestion, action, person_id, refused)
        outcome = Outcome(suggestion)
        await self._apply(outcome, decided, person_id, now)
        if typed:
            await self._note_last(suggestion, typed)
            outcome.notices = [
                dataclasses.replace(n, params={**n.params, param: typed}) for n in outcome.notices
            ]
        return outcome

    async def _refused(
        self,
        suggestion: Suggestion | None,
        action: Action,
        person_id: int | None,
        refusal: Refusal,
        suggestion_id: int | None = None,
    ) -> Outcome:
        """Audit a refusal (the system's too: its person is None) and change nothing."""
        await self._audit(
            suggestion.id if suggestion is not None else suggestion_id,
            action,
            person_id,
            allowed=False,
            reason=refusal.reason.value,
            detail=refusal.detail,
            state=suggestion.state if suggestion is not None else None,
        )
        return Outcome(suggestion, refusal=refusal)


@dataclass
class _Seen:
    """What one /supervise view reads once: the viewer's standing and the units' names."""

    person_id: int
    staff: bool
    committees: Sequence[int]
    units: dict[int, str]


def _urgency(item: Supervised) -> tuple[int, datetime]:
    """Red, then yellow, then green; the earliest due first within each."""
    rank = {WarningColour.RED: 0, WarningColour.YELLOW: 1, WarningColour.GREEN: 2}
    far = datetime.max.replace(tzinfo=UTC)
    return (rank.get(item.colour, 3) if item.colour else 3, item.due_at or far)


def _outcome(outcome: RecheckOutcome, *, over: bool = True) -> Effect:
    """The effect of a 回头看 step on the row: its outcome, and when it was over."""

    async def effect(s: Suggestion, now: datetime, _text: str) -> Refusal | None:
        s.recheck_outcome = outcome.value
        if over:
            s.rechecked_at = now
        return None

    return effect


async def open_note(
    uow: UnitOfWork, chat_id: int, suggestion_id: int, action: Action, card_id: int = 0
) -> None:
    """The next message in this chat is the text of `action` (a comment, a reason) on `suggestion_id`;
    `card_id`: the message whose buttons go once it is recorded (0: none)."""
    await uow.chats.set(chat_id, at(SuperviseDialog.NOTE, suggestion_id, action.value, card_id), {})


async def end_note(uow: UnitOfWork, chat_id: int) -> None:
    await uow.chats.set(chat_id, None, None)


def pending_action(args: Sequence[str]) -> Action | None:
    """The action a NOTE dialog waits for (its second argument), or None when forged or old."""
    try:
        return Action(args[1]) if len(args) > 1 else None
    except ValueError:
        return None
