"""The suggestion lifecycle (提出—交办—办理—监督), declared once: which action moves which state, who may
ask for it, whom it tells, and which guard must hold.

As for opinions (`bot/opinions/lifecycle.py`), a button press or console form is only a request:
`decide` checks it against the suggestion's state, the presser's relations to it (a deputy is `filer`
only of their own suggestion, an officer `lead_officer` only for the unit it was assigned to) and the
guards of the row, and returns either a `Transition` or a `Refusal` with a reason code. The guards are
the rules of the loop that depend on more than the state:

- closing (销号) only with the deputy's rating or a staff decision with a reason — no automatic close;
- dissatisfied sends it back for re-handling once (`answered` → `rehandling`); dissatisfied again
  (`reanswered` → `staff_review`) goes to staff. The "once" is in the states, so it shows in the diagram;
- a unit may ask for an extension or for reassignment ("not ours", with a reason) once each (`Facts`);
- an answer carries its class; B a planned date, C a reason (`results.answer_problem`);
- a term over three months needs a reason, and no term exceeds six (`deadlines.term_problem`);
- a duplicate is merged (合并) only into a filed-or-later suggestion other than itself that is not
  returned, merged or withdrawn (`MERGE_TARGETS`; `Facts.merge_target_state`);
- the filer may file without co-signers silent for seven days (`Facts.cosigners_overdue`): they lapse,
  which is not declining, and a lapsed co-signer is not pending (NO_PENDING_COSIGNERS counts the invited).

`mermaid()` draws `TRANSITIONS`; bot/suggestions/README.md holds the output and a test keeps it current.
The states (`SuggestionState`) live in storage/models beside the table that stores them (storage may not
import bot/) and are imported here, as `bot/opinions/lifecycle.py` does with `OpinionState`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.kit.i18n import N_
from bot.kit.rules import index_rules, who_by_action
from bot.suggestions.deadlines import DEFAULT_TERM_MONTHS, extension_problem, term_problem
from bot.suggestions.results import ResultClass, answer_problem
from storage.models.suggestions import SuggestionState

__all__ = [
    "FINAL_STATES",
    "MERGE_TARGETS",
    "STATE_LABELS",
    "TRANSITIONS",
    "Action",
    "ActorKind",
    "Audience",
    "Details",
    "Facts",
    "Guard",
    "Notice",
    "Refusal",
    "RefusalReason",
    "Rule",
    "SuggestionState",
    "Transition",
    "allowed_actions",
    "decide",
    "ledger_actions",
    "mermaid",
    "rule_for",
]


STATE_LABELS: dict[SuggestionState, str] = {
    SuggestionState.DRAFT: N_("suggestion: draft"),
    SuggestionState.COSIGNING: N_("suggestion: awaiting co-signers"),
    SuggestionState.FILED: N_("suggestion: filed, awaiting review"),
    SuggestionState.RETURNED: N_("suggestion: returned to the filer"),
    SuggestionState.PREPARED: N_("suggestion: assignment prepared"),
    SuggestionState.ASSIGNED: N_("suggestion: assigned to the units"),
    SuggestionState.HANDLING: N_("suggestion: being handled"),
    SuggestionState.EXTENSION_REQUESTED: N_("suggestion: extension requested"),
    SuggestionState.REASSIGN_REQUESTED: N_("suggestion: reassignment requested"),
    SuggestionState.ANSWERED: N_("suggestion: answered"),
    SuggestionState.REHANDLING: N_("suggestion: being handled again"),
    SuggestionState.REANSWERED: N_("suggestion: answered again"),
    SuggestionState.STAFF_REVIEW: N_("suggestion: with the congress office"),
    SuggestionState.CLOSED: N_("suggestion: closed"),
    SuggestionState.RECHECK: N_("suggestion: re-check"),
    SuggestionState.RECHECK_REOPENED: N_("suggestion: re-check reopened"),
    SuggestionState.RECHECKED: N_("suggestion: re-checked"),
    SuggestionState.MERGED: N_("suggestion: merged"),
    SuggestionState.WITHDRAWN: N_("suggestion: withdrawn"),
}


S = SuggestionState
# A closed C answer is not re-checked, so `closed` is final for it by the RECHECKABLE guard, not here.
FINAL_STATES: frozenset[SuggestionState] = frozenset({S.RECHECKED, S.MERGED, S.WITHDRAWN})
# What a duplicate may be merged into: a suggestion filed or later, not merged or withdrawn itself, and
# not one that went back to its filer (who may withdraw it or file it again changed).
MERGE_TARGETS: frozenset[SuggestionState] = frozenset(
    set(SuggestionState) - {S.DRAFT, S.COSIGNING, S.RETURNED, S.MERGED, S.WITHDRAWN}
)


class Action(enum.StrEnum):
    INVITE_COSIGNERS = "invite_cosigners"
    COSIGN = "cosign"
    DECLINE_COSIGN = "decline_cosign"
    FILE = "file"
    RETURN = "return"
    REFILE = "refile"
    WITHDRAW = "withdraw"
    MERGE = "merge"
    PREPARE = "prepare"
    PUBLISH = "publish"
    ASSIGN = "assign"  # choose the units and publish at once (no 交办会 waiting)
    SIGN_FOR = "sign_for"  # 签收
    REQUEST_EXTENSION = "request_extension"
    GRANT_EXTENSION = "grant_extension"
    DENY_EXTENSION = "deny_extension"
    REQUEST_REASSIGN = "request_reassign"
    REASSIGN = "reassign"
    DENY_REASSIGN = "deny_reassign"
    CO_OPINION = "co_opinion"  # a co-unit's opinion to the lead unit
    RECORD_CONTACT = "record_contact"  # 三见面: before, during or after handling
    CONFIRM_CONTACT = "confirm_contact"
    DISPUTE_CONTACT = "dispute_contact"
    COMMENT = "comment"  # 督办: the supervising committee to the unit
    REMIND = "remind"
    ASK_ESCALATION = "ask_escalation"  # a committee member asks staff to step in
    ANSWER = "answer"
    RATE_SATISFIED = "rate_satisfied"
    RATE_BASIC = "rate_basic"
    RATE_DISSATISFIED = "rate_dissatisfied"
    CLOSE = "close"  # 销号 by staff decision, with a reason
    START_RECHECK = "start_recheck"
    RECHECK_CONFIRM = "recheck_confirm"
    RECHECK_REOPEN = "recheck_reopen"
    CONCLUDE_RECHECK = "conclude_recheck"
    REMIND_COSIGNERS = "remind_cosigners"  # once, three days after the invitation (the scheduler)
    LAPSE_COSIGNERS = "lapse_cosigners"  # the filer files without those silent for seven days


class ActorKind(enum.StrEnum):
    """The presser's relation to one suggestion (not a global role)."""

    FILER = "filer"  # the deputy who filed it (or on whose behalf staff filed it)
    COSIGNER = "cosigner"  # a deputy invited to co-sign it
    STAFF = "staff"
    LEAD_OFFICER = "lead_officer"  # an officer of the lead unit (主办)
    CO_OFFICER = "co_officer"  # an officer of a co-unit (协办)
    COMMITTEE = "committee"  # a member of the special committee supervising its category (对口督办)
    SYSTEM = "system"  # the scheduler: the 交办会 date, the 回头看 date; never derived from a person


class Audience(enum.StrEnum):
    """Who a notice goes to, resolved to people by the service after the transition."""

    FILER = "filer"
    COSIGNERS = "cosigners"  # the co-signers who confirmed (while cosigning: those invited)
    FOLLOWERS = "followers"  # senders of the opinions it was made from
    STAFF = "staff"
    LEAD_UNIT = "lead_unit"  # the lead unit's officers (after a reassignment: the new unit's)
    CO_UNITS = "co_units"
    PREVIOUS_UNIT = "previous_unit"  # the lead unit before a reassignment
    COMMITTEE = "committee"  # the supervising special committee's members
    MERGE_TARGET = "merge_target"  # the filer of the suggestion this one joins


@dataclass(frozen=True)
class Notice:
    audience: Audience
    key: str
    urgent: bool = False  # urgent notices ignore quiet hours


class Guard(enum.StrEnum):
    """A condition a row needs beyond state and actor; each failing guard is its own refusal reason."""

    REASON = "reason"  # a non-blank reason
    MERGE_TARGET = "merge_target"  # the suggestion it joins
    UNITS = "units"  # a lead unit, not also a co-unit
    TERM = "term"  # 1–6 months, over 3 with a reason
    LONGER_TERM = "longer_term"  # an extension lengthens the term, within six months
    NO_PENDING_COSIGNERS = "no_pending_cosigners"
    COSIGNER_UNANSWERED = "cosigner_unanswered"  # each co-signer answers once
    EXTENSION_UNUSED = "extension_unused"  # the unit asks for more time once
    REASSIGN_UNUSED = "reassign_unused"  # the unit says "not ours" once
    ANSWER = "answer"  # result class; B a planned date; C a reason
    RECHECKABLE = "recheckable"  # an A or B answer not yet re-checked
    COSIGNERS_OVERDUE = "cosigners_overdue"  # every co-signer still silent was invited seven days ago


@dataclass(frozen=True)
class Facts:
    """What the guards read about the suggestion's history, looked up by the service."""

    cosigners_pending: int = 0
    actor_has_cosign_answer: bool = False  # the presser (a co-signer) has confirmed or declined already
    extension_asked: bool = False  # the lead unit has asked for an extension before
    reassign_asked: bool = False  # the lead unit has said "not ours" before
    term_months: int = DEFAULT_TERM_MONTHS  # the current term, counted from assignment
    # Merging (合并): the state of the suggestion it would join (None: no such suggestion), and whether
    # that is the suggestion itself.
    merge_target_state: SuggestionState | str | None = None
    merge_target_is_self: bool = False
    cosigners_overdue: bool = False  # someone is still silent, and every silent one was invited 7 days ago
    result_class: ResultClass | None = None  # of the last answer
    rechecked: bool = False
    answered_on: date | None = None  # local day of the answer being given (for a B planned date)


@dataclass(frozen=True)
class Details:
    """What the request itself carries: the presser's input, unvalidated until a guard checks it."""

    reason: str = ""
    merge_into: str | None = None  # number of the suggestion it joins
    lead_unit: str | None = None
    co_units: tuple[str, ...] = ()
    term_months: int | None = None
    result_class: ResultClass | str | None = None
    planned_on: date | None = None


@dataclass(frozen=True)
class Rule:
    """One declared row: `action` moves any of `sources` to `target` when asked by one of `who`."""

    action: Action
    sources: frozenset[SuggestionState]
    target: SuggestionState | None  # None: stays where it is (a ledger entry, not a move)
    who: frozenset[ActorKind]
    notifies: tuple[Notice, ...]
    guards: tuple[Guard, ...] = ()
    note: str = ""


def _rule(
    action: Action,
    sources: Iterable[SuggestionState],
    target: SuggestionState | None,
    who: Iterable[ActorKind],
    *notifies: Notice,
    guards: Iterable[Guard] = (),
    note: str = "",
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(who), tuple(notifies), tuple(guards), note)


def _n(audience: Audience, key: str, *, urgent: bool = False) -> Notice:
    return Notice(audience, f"suggestion.{key}", urgent)


K, A, G = ActorKind, Audience, Guard
FI, CS, ST, LO, CO, CM, SY = K.FILER, K.COSIGNER, K.STAFF, K.LEAD_OFFICER, K.CO_OFFICER, K.COMMITTEE, K.SYSTEM
_UNIT_WORK = (S.HANDLING, S.EXTENSION_REQUESTED, S.REHANDLING)  # the unit is working on it
_SUPERVISED = (S.ASSIGNED, *_UNIT_WORK, S.REASSIGN_REQUESTED)
_RATEABLE = (S.ANSWERED, S.REANSWERED)

# fmt: off
TRANSITIONS: tuple[Rule, ...] = (
    # 提出 filing
    _rule(Action.INVITE_COSIGNERS, [S.DRAFT], S.COSIGNING, [FI],
          _n(A.COSIGNERS, "cosign_invited", urgent=True)),
    _rule(Action.COSIGN, [S.COSIGNING], None, [CS],
          _n(A.FILER, "cosigned"), guards=[G.COSIGNER_UNANSWERED]),
    _rule(Action.DECLINE_COSIGN, [S.COSIGNING], None, [CS],
          _n(A.FILER, "cosign_declined"), guards=[G.COSIGNER_UNANSWERED]),
    _rule(Action.FILE, [S.DRAFT, S.COSIGNING], S.FILED, [FI, ST],
          _n(A.FILER, "filed", urgent=True), _n(A.COSIGNERS, "filed"), _n(A.FOLLOWERS, "filed_from_opinion"),
          _n(A.STAFF, "queued"),
          guards=[G.NO_PENDING_COSIGNERS], note="staff file from paper on the deputy's behalf"),
    _rule(Action.WITHDRAW, [S.DRAFT, S.COSIGNING, S.FILED, S.RETURNED, S.PREPARED], S.WITHDRAWN, [FI],
          _n(A.COSIGNERS, "withdrawn"), _n(A.FOLLOWERS, "withdrawn"), _n(A.STAFF, "withdrawn")),
    _rule(Action.REMIND_COSIGNERS, [S.COSIGNING], None, [SY],
          _n(A.COSIGNERS, "cosign_reminder"), _n(A.FILER, "cosign_reminded"),
          note="once, three days after the invitation"),
    _rule(Action.LAPSE_COSIGNERS, [S.COSIGNING], None, [FI],
          _n(A.COSIGNERS, "cosign_lapsed"), guards=[G.COSIGNERS_OVERDUE],
          note="seven days after the invitation; recorded as lapsed, not declined; then filed"),
    # 交办 assignment
    _rule(Action.RETURN, [S.FILED, S.PREPARED], S.RETURNED, [ST],
          _n(A.FILER, "returned", urgent=True), _n(A.COSIGNERS, "returned"), guards=[G.REASON]),
    _rule(Action.REFILE, [S.RETURNED], S.FILED, [FI],
          _n(A.STAFF, "refiled"), _n(A.FILER, "filed")),
    _rule(Action.MERGE, [S.FILED, S.PREPARED, S.RETURNED], S.MERGED, [ST],
          _n(A.FILER, "merged"), _n(A.COSIGNERS, "merged"), _n(A.FOLLOWERS, "merged"),
          _n(A.MERGE_TARGET, "merged_into_yours"),
          guards=[G.MERGE_TARGET], note="its filers and followers follow the one it joins"),
    _rule(Action.PREPARE, [S.FILED, S.PREPARED], S.PREPARED, [ST],
          _n(A.FILER, "prepared"), guards=[G.UNITS, G.TERM], note="published together at the 交办会"),
    _rule(Action.PUBLISH, [S.PREPARED], S.ASSIGNED, [ST, SY],
          _n(A.LEAD_UNIT, "assigned_lead", urgent=True), _n(A.CO_UNITS, "assigned_co", urgent=True),
          _n(A.FILER, "assigned"), _n(A.FOLLOWERS, "assigned"), _n(A.COMMITTEE, "assigned_committee"),
          note="the term starts on publication"),
    _rule(Action.ASSIGN, [S.FILED], S.ASSIGNED, [ST],
          _n(A.LEAD_UNIT, "assigned_lead", urgent=True), _n(A.CO_UNITS, "assigned_co", urgent=True),
          _n(A.FILER, "assigned"), _n(A.FOLLOWERS, "assigned"), _n(A.COMMITTEE, "assigned_committee"),
          guards=[G.UNITS, G.TERM]),
    # 办理 handling
    _rule(Action.SIGN_FOR, [S.ASSIGNED], S.HANDLING, [LO],
          _n(A.FILER, "signed_for")),
    _rule(Action.REQUEST_REASSIGN, [S.ASSIGNED, S.HANDLING], S.REASSIGN_REQUESTED, [LO],
          _n(A.STAFF, "reassign_requested", urgent=True), guards=[G.REASON, G.REASSIGN_UNUSED],
          note="not ours: once per unit"),
    _rule(Action.REASSIGN, [S.REASSIGN_REQUESTED, S.STAFF_REVIEW], S.ASSIGNED, [ST],
          _n(A.LEAD_UNIT, "assigned_lead", urgent=True), _n(A.CO_UNITS, "assigned_co"),
          _n(A.PREVIOUS_UNIT, "reassigned_away"), _n(A.FILER, "reassigned"), _n(A.COMMITTEE, "reassigned"),
          guards=[G.UNITS, G.TERM], note="a new term from the new assignment"),
    _rule(Action.DENY_REASSIGN, [S.REASSIGN_REQUESTED], S.HANDLING, [ST],
          _n(A.LEAD_UNIT, "reassign_denied", urgent=True), guards=[G.REASON]),
    _rule(Action.REQUEST_EXTENSION, [S.HANDLING], S.EXTENSION_REQUESTED, [LO],
          _n(A.STAFF, "extension_requested"), guards=[G.REASON, G.EXTENSION_UNUSED],
          note="once per unit"),
    _rule(Action.GRANT_EXTENSION, [S.EXTENSION_REQUESTED], S.HANDLING, [ST],
          _n(A.LEAD_UNIT, "extension_granted"), _n(A.FILER, "extended"), _n(A.COMMITTEE, "extended"),
          guards=[G.REASON, G.LONGER_TERM]),
    _rule(Action.DENY_EXTENSION, [S.EXTENSION_REQUESTED], S.HANDLING, [ST],
          _n(A.LEAD_UNIT, "extension_denied"), guards=[G.REASON]),
    _rule(Action.CO_OPINION, _UNIT_WORK, None, [CO],
          _n(A.LEAD_UNIT, "co_opinion")),
    _rule(Action.RECORD_CONTACT, _UNIT_WORK, None, [LO],
          _n(A.FILER, "contact_recorded"), note="三见面: the deputy confirms or disputes it"),
    _rule(Action.CONFIRM_CONTACT, [*_UNIT_WORK, *_RATEABLE], None, [FI],
          _n(A.LEAD_UNIT, "contact_confirmed")),
    _rule(Action.DISPUTE_CONTACT, [*_UNIT_WORK, *_RATEABLE], None, [FI],
          _n(A.LEAD_UNIT, "contact_disputed"), _n(A.COMMITTEE, "contact_disputed"), guards=[G.REASON]),
    _rule(Action.ANSWER, [S.HANDLING, S.EXTENSION_REQUESTED], S.ANSWERED, [LO],
          _n(A.FILER, "answered", urgent=True), _n(A.COSIGNERS, "answered"), _n(A.FOLLOWERS, "answered"),
          _n(A.COMMITTEE, "answered_committee"), guards=[G.ANSWER]),
    _rule(Action.ANSWER, [S.REHANDLING], S.REANSWERED, [LO],
          _n(A.FILER, "answered", urgent=True), _n(A.COSIGNERS, "answered"), _n(A.FOLLOWERS, "answered"),
          _n(A.COMMITTEE, "answered_committee"), guards=[G.ANSWER]),
    # 监督 supervision
    _rule(Action.COMMENT, _SUPERVISED, None, [CM, ST],
          _n(A.LEAD_UNIT, "comment")),
    _rule(Action.REMIND, _SUPERVISED, None, [CM, ST],
          _n(A.LEAD_UNIT, "reminded", urgent=True)),
    _rule(Action.ASK_ESCALATION, [*_SUPERVISED, S.RECHECK_REOPENED], None, [CM],
          _n(A.STAFF, "escalation_asked", urgent=True), guards=[G.REASON]),
    _rule(Action.RATE_SATISFIED, _RATEABLE, S.CLOSED, [FI],
          _n(A.LEAD_UNIT, "rated_satisfied"), _n(A.FOLLOWERS, "closed"), _n(A.COMMITTEE, "closed")),
    _rule(Action.RATE_BASIC, _RATEABLE, S.CLOSED, [FI],
          _n(A.LEAD_UNIT, "rated_basic"), _n(A.FOLLOWERS, "closed"), _n(A.COMMITTEE, "closed")),
    _rule(Action.RATE_DISSATISFIED, [S.ANSWERED], S.REHANDLING, [FI],
          _n(A.LEAD_UNIT, "rehandle", urgent=True), _n(A.COMMITTEE, "rehandle_committee"),
          _n(A.FOLLOWERS, "rehandle"), guards=[G.REASON], note="once: a new deadline, the committee copied"),
    _rule(Action.RATE_DISSATISFIED, [S.REANSWERED], S.STAFF_REVIEW, [FI],
          _n(A.STAFF, "dissatisfied_again", urgent=True), _n(A.COMMITTEE, "rehandle_committee"),
          _n(A.LEAD_UNIT, "dissatisfied_again"), guards=[G.REASON]),
    _rule(Action.CLOSE, [*_RATEABLE, S.STAFF_REVIEW], S.CLOSED, [ST],
          _n(A.FILER, "closed_by_staff"), _n(A.LEAD_UNIT, "closed_by_staff"), _n(A.FOLLOWERS, "closed"),
          _n(A.COMMITTEE, "closed"), guards=[G.REASON], note="销号 without a rating needs a reason"),
    # 回头看 re-check
    _rule(Action.START_RECHECK, [S.CLOSED], S.RECHECK, [SY, ST],
          _n(A.FILER, "recheck", urgent=True), guards=[G.RECHECKABLE],
          note="A after six months, B on its planned date"),
    _rule(Action.RECHECK_CONFIRM, [S.RECHECK], S.RECHECKED, [FI],
          _n(A.COMMITTEE, "recheck_confirmed"), _n(A.LEAD_UNIT, "recheck_confirmed")),
    _rule(Action.RECHECK_REOPEN, [S.RECHECK], S.RECHECK_REOPENED, [FI],
          _n(A.COMMITTEE, "recheck_reopened", urgent=True), _n(A.STAFF, "recheck_reopened"),
          _n(A.LEAD_UNIT, "recheck_reopened"), guards=[G.REASON]),
    _rule(Action.CONCLUDE_RECHECK, [S.RECHECK, S.RECHECK_REOPENED], S.RECHECKED, [CM, ST],
          _n(A.FILER, "recheck_concluded"), _n(A.LEAD_UNIT, "recheck_concluded"), guards=[G.REASON]),
)
# fmt: on


_BY_SOURCE: dict[tuple[SuggestionState, Action], Rule] = index_rules(TRANSITIONS, FINAL_STATES)
_WHO_BY_ACTION: dict[Action, frozenset[ActorKind]] = who_by_action(TRANSITIONS)


class RefusalReason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    NO_RELATION = "no_relation"  # the presser has nothing to do with this suggestion
    NOT_PERMITTED = "not_permitted"  # forged: this relation may never do this here
    FINAL = "final"  # stale: merged, withdrawn or re-checked
    STALE_STATE = "stale_state"  # stale: the action does not apply in the current state
    # One per guard, so the refusal says what is missing:
    REASON_REQUIRED = "reason_required"
    MERGE_TARGET_REQUIRED = "merge_target_required"
    UNITS_INVALID = "units_invalid"
    TERM_INVALID = "term_invalid"
    COSIGNERS_PENDING = "cosigners_pending"
    ALREADY_ANSWERED = "already_answered"
    ALREADY_ASKED = "already_asked"
    ANSWER_INVALID = "answer_invalid"
    NOT_RECHECKABLE = "not_recheckable"
    MERGE_TARGET_INVALID = "merge_target_invalid"  # itself, unknown, not yet filed, merged or withdrawn
    COSIGNERS_NOT_OVERDUE = "cosigners_not_overdue"  # too early to file without the silent co-signers
    DRAFT_INVALID = "draft_invalid"  # a revised text that cannot be filed (empty, too long, no category)
    INVALID_ARGUMENT = "invalid_argument"  # the request's own input: a date, a length, an attachment


@dataclass(frozen=True)
class Transition:
    action: Action
    source: SuggestionState
    target: SuggestionState  # equal to `source` for a ledger entry that does not move
    actor: ActorKind  # the relation that authorised it
    notifies: tuple[Notice, ...]

    @property
    def moves(self) -> bool:
        return self.source is not self.target


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


Actor = ActorKind | Iterable[ActorKind]
# Several relations (staff who also filed it): the first the rule allows is recorded.
_PREFERENCE = (FI, CS, LO, CO, CM, ST, SY)


def _kinds(actor: Actor) -> frozenset[ActorKind]:
    if isinstance(actor, ActorKind):
        return frozenset({actor})
    return frozenset(ActorKind(a) for a in actor)


def _guard_refusal(guard: Guard, facts: Facts, details: Details) -> Refusal | None:
    """The refusal a failing guard gives, or None when it holds."""
    R = RefusalReason
    if guard is G.REASON:
        return None if details.reason.strip() else Refusal(R.REASON_REQUIRED)
    if guard is G.MERGE_TARGET:
        return _merge_target_refusal(facts, details)
    if guard is G.UNITS:
        ok = bool(details.lead_unit) and details.lead_unit not in details.co_units
        ok = ok and len(set(details.co_units)) == len(details.co_units)
        return None if ok else Refusal(R.UNITS_INVALID)
    if guard is G.TERM:
        months = DEFAULT_TERM_MONTHS if details.term_months is None else details.term_months
        problem = term_problem(months, details.reason)
        return None if problem is None else Refusal(R.TERM_INVALID, problem)
    if guard is G.LONGER_TERM:
        if details.term_months is None:
            return Refusal(R.TERM_INVALID, "no new term")
        # Whether the unit may ask at all was the request's guard; granting judges the term and reason.
        problem = extension_problem(
            facts.term_months, details.term_months, details.reason, asked_before=False
        )
        return None if problem is None else Refusal(R.TERM_INVALID, problem)
    if guard is G.NO_PENDING_COSIGNERS:
        return None if facts.cosigners_pending == 0 else Refusal(R.COSIGNERS_PENDING)
    if guard is G.COSIGNER_UNANSWERED:
        return Refusal(R.ALREADY_ANSWERED) if facts.actor_has_cosign_answer else None
    if guard is G.EXTENSION_UNUSED:
        return Refusal(R.ALREADY_ASKED, "extension") if facts.extension_asked else None
    if guard is G.REASSIGN_UNUSED:
        return Refusal(R.ALREADY_ASKED, "reassign") if facts.reassign_asked else None
    if guard is G.ANSWER:
        problem = answer_problem(details.result_class, details.planned_on, details.reason, facts.answered_on)
        return None if problem is None else Refusal(R.ANSWER_INVALID, problem)
    if guard is G.RECHECKABLE:
        ok = facts.result_class in (ResultClass.A, ResultClass.B) and not facts.rechecked
        return None if ok else Refusal(R.NOT_RECHECKABLE)
    if guard is G.COSIGNERS_OVERDUE:
        return None if facts.cosigners_overdue else Refusal(R.COSIGNERS_NOT_OVERDUE)
    raise AssertionError(guard)  # pragma: no cover - every Guard is handled above


def _merge_target_refusal(facts: Facts, details: Details) -> Refusal | None:
    """A merge joins a filed-or-later suggestion other than itself that is still open to join."""
    R = RefusalReason
    if not (details.merge_into or "").strip():
        return Refusal(R.MERGE_TARGET_REQUIRED)
    if facts.merge_target_is_self:
        return Refusal(R.MERGE_TARGET_INVALID, "itself")
    if facts.merge_target_state is None:
        return Refusal(R.MERGE_TARGET_INVALID, "unknown")
    target = SuggestionState(facts.merge_target_state)
    return None if target in MERGE_TARGETS else Refusal(R.MERGE_TARGET_INVALID, target.value)


def decide(
    state: SuggestionState | str,
    action: Action | str,
    actor: Actor,
    *,
    facts: Facts | None = None,
    details: Details | None = None,
) -> Transition | Refusal:
    """Check a requested action against the state, the presser's relations and the row's guards.

    Args:
        state: the suggestion's current state, as stored.
        action: what was asked for (unvalidated: it may come from forged callback data).
        actor: the presser's relation(s) to this suggestion; empty when they have none.
        facts: its history the guards read (counts, the last answer's class).
        details: what the request carries (reason, units, term, result class, planned date).
    """
    try:
        act = Action(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current = SuggestionState(state)
    kinds = _kinds(actor)
    if not kinds:
        return Refusal(RefusalReason.NO_RELATION)
    if not kinds & _WHO_BY_ACTION[act]:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{act} not for {'/'.join(sorted(kinds))}")
    rule = _BY_SOURCE.get((current, act))
    if rule is None:
        reason = RefusalReason.FINAL if current in FINAL_STATES else RefusalReason.STALE_STATE
        return Refusal(reason, f"{act} not from {current}")
    allowed = kinds & rule.who
    if not allowed:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{act} from {current} not for {'/'.join(sorted(kinds))}")
    for guard in rule.guards:
        refusal = _guard_refusal(guard, facts or Facts(), details or Details())
        if refusal is not None:
            return refusal
    by = next(k for k in _PREFERENCE if k in allowed)
    return Transition(act, current, rule.target or current, by, rule.notifies)


def rule_for(state: SuggestionState | str, action: Action | str) -> Rule | None:
    return _BY_SOURCE.get((SuggestionState(state), Action(action)))


def allowed_actions(state: SuggestionState | str, actor: Actor) -> list[Action]:
    """The actions this presser may ask for now, in table order (guards not yet checked): a keyboard."""
    current, kinds = SuggestionState(state), _kinds(actor)
    return [rule.action for rule in TRANSITIONS if current in rule.sources and kinds & rule.who]


def mermaid() -> str:
    """A Mermaid state diagram generated from `TRANSITIONS`; ledger entries that do not move are left out."""
    order = list(SuggestionState)
    lines = ["stateDiagram-v2", f"    [*] --> {S.DRAFT}"]
    for rule in TRANSITIONS:
        if rule.target is None:
            continue
        who = ",".join(k for k in _PREFERENCE if k in rule.who)
        guards = f" if {'+'.join(rule.guards)}" if rule.guards else ""
        for source in sorted(rule.sources, key=order.index):
            lines.append(f"    {source} --> {rule.target}: {rule.action} ({who}){guards}")
    lines.extend(f"    {state} --> [*]" for state in order if state in FINAL_STATES)
    return "\n".join(lines) + "\n"


def ledger_actions() -> list[Action]:
    """Actions that record an entry without moving the state (三见面, 督办 comments and reminders)."""
    return [rule.action for rule in TRANSITIONS if rule.target is None]


if __name__ == "__main__":  # regenerate the README diagram: python -m bot.suggestions.lifecycle
    print(mermaid(), end="")
