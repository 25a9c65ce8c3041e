"""The opinion lifecycle, declared once: which action moves which state, who may press it, whom it tells.

A button press is only a request: `decide` checks it against the opinion's current state *and* the
presser's relation to the opinion, so a forged callback (wrong person) or a stale one (the card was
already acted on) is refused with a reason code instead of changing anything. Everything else — the
service, the handlers' keyboards, the README diagram — reads `TRANSITIONS`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.kit.rules import index_rules, who_by_action
from storage.models.opinions import FINAL_STATES, OpinionState

__all__ = [
    "TRANSITIONS",
    "Action",
    "ActorKind",
    "Audience",
    "Notice",
    "Refusal",
    "RefusalReason",
    "Rule",
    "Transition",
    "allowed_actions",
    "decide",
    "mermaid",
    "rule_for",
]

S = OpinionState


class Action(enum.StrEnum):
    ROUTE = "route"
    ACCEPT = "accept"
    ASK = "ask"
    INFO_RECEIVED = "info_received"
    TRANSFER = "transfer"
    ESCALATE = "escalate"
    ANSWER = "answer"
    CONFIRM_SATISFIED = "confirm_satisfied"
    CONFIRM_BASIC = "confirm_basic"
    CONFIRM_DISSATISFIED = "confirm_dissatisfied"
    AUTO_CLOSE = "auto_close"
    REJECT = "reject"
    MARK_DUPLICATE = "mark_duplicate"


class ActorKind(enum.StrEnum):
    """The presser's relation to one opinion (not a global role: a deputy is `holder` only of their own)."""

    HOLDER = "holder"  # the deputy currently holding the opinion
    SENDER = "sender"  # the constituent who sent it
    STAFF = "staff"
    SYSTEM = "system"  # routing at submission, the SLA sweeper; never derived from a person


class Audience(enum.StrEnum):
    """Who a notice goes to, resolved to person ids by the service after the transition."""

    SENDER = "sender"  # the sender and everyone following the opinion
    HOLDER = "holder"  # the holder after the transition (staff when it sits in triage)
    PREVIOUS_HOLDER = "previous_holder"
    SUPERVISOR = "supervisor"  # the committee member who contacts the holder


@dataclass(frozen=True)
class Notice:
    audience: Audience
    key: str
    # Urgent notices ignore quiet hours; the rest wait for the morning.
    urgent: bool = False


@dataclass(frozen=True)
class Rule:
    """One declared row: `action` moves any of `sources` to `target` when pressed by one of `who`."""

    action: Action
    sources: frozenset[OpinionState]
    target: OpinionState
    who: frozenset[ActorKind]
    notifies: tuple[Notice, ...]
    note: str = ""


def _rule(
    action: Action,
    sources: Iterable[OpinionState],
    target: OpinionState,
    who: Iterable[ActorKind],
    *notifies: Notice,
    note: str = "",
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(who), tuple(notifies), note)


H, SE, ST, SY = ActorKind.HOLDER, ActorKind.SENDER, ActorKind.STAFF, ActorKind.SYSTEM
_HANDLING = (S.ACCEPTED, S.AWAITING_INFO, S.REOPENED)
_WAITING_ACCEPT = (S.ROUTED, S.TRANSFERRED)

# Transfer is modelled as its own state: the new holder sees a transferred card and must accept it,
# so the accept clock restarts and the sender is told it changed hands. Staff use transfer to take an
# opinion out of the triage queue (holder NULL) and give it to a deputy.
# fmt: off
TRANSITIONS: tuple[Rule, ...] = (
    _rule(
        Action.ROUTE, [S.SUBMITTED], S.ROUTED, [SY, ST],
        # Urgent: it answers the sender's own Submit, so it must not wait for the morning.
        Notice(Audience.SENDER, "opinion.routed", urgent=True),
        Notice(Audience.HOLDER, "opinion.assigned", urgent=True),
        note="holder from routing; NULL holder = staff triage",
    ),
    _rule(
        Action.ACCEPT, [*_WAITING_ACCEPT, S.REOPENED], S.ACCEPTED, [H],
        Notice(Audience.SENDER, "opinion.accepted"),
        note="starts the answer clock (kept on reopen)",
    ),
    _rule(
        Action.ASK, _HANDLING, S.AWAITING_INFO, [H],
        Notice(Audience.SENDER, "opinion.info_requested", urgent=True),
    ),
    _rule(
        Action.INFO_RECEIVED, [S.AWAITING_INFO], S.ACCEPTED, [SE],
        Notice(Audience.HOLDER, "opinion.info_received"),
        note="answer clock extended by the time spent waiting",
    ),
    _rule(
        Action.TRANSFER, [*_WAITING_ACCEPT, *_HANDLING, S.ESCALATED], S.TRANSFERRED, [H, ST],
        Notice(Audience.SENDER, "opinion.transferred"),
        Notice(Audience.HOLDER, "opinion.assigned", urgent=True),
        Notice(Audience.PREVIOUS_HOLDER, "opinion.transferred_away"),
        note="to another deputy; restarts the accept clock",
    ),
    _rule(
        Action.ESCALATE, _HANDLING, S.ESCALATED, [H, ST],
        Notice(Audience.SENDER, "opinion.escalated"),
        Notice(Audience.SUPERVISOR, "opinion.escalated_supervisor"),
        note="taken up as a formal deputy suggestion",
    ),
    _rule(
        Action.ANSWER, [*_HANDLING, S.ESCALATED], S.ANSWERED, [H],
        Notice(Audience.SENDER, "opinion.answered", urgent=True),
    ),
    _rule(
        Action.CONFIRM_SATISFIED, [S.ANSWERED], S.CLOSED, [SE],
        Notice(Audience.HOLDER, "opinion.closed_satisfied"),
    ),
    _rule(
        Action.CONFIRM_BASIC, [S.ANSWERED], S.CLOSED, [SE],
        Notice(Audience.HOLDER, "opinion.closed_basic"),
    ),
    _rule(
        Action.CONFIRM_DISSATISFIED, [S.ANSWERED], S.REOPENED, [SE],
        Notice(Audience.HOLDER, "opinion.reopened", urgent=True),
        Notice(Audience.SUPERVISOR, "opinion.reopened_supervisor"),
        Notice(Audience.SENDER, "opinion.reopened_ack"),
        note="same deputy, new answer deadline, supervisor copied",
    ),
    _rule(
        Action.AUTO_CLOSE, [S.ANSWERED], S.CLOSED, [SY],
        Notice(Audience.SENDER, "opinion.auto_closed"),
        Notice(Audience.HOLDER, "opinion.auto_closed"),
        note="14 days after the answer without confirmation",
    ),
    _rule(
        Action.REJECT, [S.SUBMITTED, *_WAITING_ACCEPT, *_HANDLING], S.REJECTED, [ST],
        Notice(Audience.SENDER, "opinion.rejected"),
        Notice(Audience.HOLDER, "opinion.withdrawn"),
    ),
    _rule(
        Action.MARK_DUPLICATE, [S.SUBMITTED, *_WAITING_ACCEPT, *_HANDLING], S.DUPLICATE, [ST, SY],
        Notice(Audience.SENDER, "opinion.duplicate"),
        Notice(Audience.HOLDER, "opinion.withdrawn"),
        note="joins another opinion; its sender follows that one",
    ),
)
# fmt: on


_BY_SOURCE: dict[tuple[OpinionState, Action], Rule] = index_rules(TRANSITIONS, FINAL_STATES)
_WHO_BY_ACTION: dict[Action, frozenset[ActorKind]] = who_by_action(TRANSITIONS)


class RefusalReason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    NO_RELATION = "no_relation"  # the presser has nothing to do with this opinion
    NOT_PERMITTED = "not_permitted"  # forged: this kind of actor may never do this action
    FINAL = "final"  # stale: the opinion is already closed, rejected or a duplicate
    STALE_STATE = "stale_state"  # stale: the action does not apply in the current state
    # Raised by the service, after `decide`, on the arguments and the clock:
    NOT_FOUND = "not_found"
    INVALID_ARGUMENT = "invalid_argument"
    NOT_DUE = "not_due"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: OpinionState
    target: OpinionState
    actor: ActorKind  # the relation that authorised it
    notifies: tuple[Notice, ...]


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


Actor = ActorKind | Iterable[ActorKind]

# When a person has several relations (a staff member who also sent the opinion), the first one that
# the rule allows is recorded; the order prefers the most specific relation.
_PREFERENCE = (ActorKind.HOLDER, ActorKind.SENDER, ActorKind.STAFF, ActorKind.SYSTEM)


def _kinds(actor: Actor) -> frozenset[ActorKind]:
    if isinstance(actor, ActorKind):
        return frozenset({actor})
    return frozenset(ActorKind(a) for a in actor)


def decide(state: OpinionState | str, action: Action | str, actor: Actor) -> Transition | Refusal:
    """Check a requested action against the current state and the presser's relations to the opinion.

    Args:
        state: the opinion's current state, as stored.
        action: what was pressed (unvalidated: it may come from forged callback data).
        actor: the presser's relation(s) to this opinion; empty when they have none.
    """
    try:
        act = Action(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current = OpinionState(state)
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
    by = next(k for k in _PREFERENCE if k in allowed)
    return Transition(act, current, rule.target, by, rule.notifies)


def rule_for(state: OpinionState | str, action: Action | str) -> Rule | None:
    return _BY_SOURCE.get((OpinionState(state), Action(action)))


def allowed_actions(state: OpinionState | str, actor: Actor) -> list[Action]:
    """The actions this presser may request now, in table order: what a keyboard should offer."""
    current, kinds = OpinionState(state), _kinds(actor)
    return [rule.action for rule in TRANSITIONS if current in rule.sources and kinds & rule.who]


def mermaid() -> str:
    """A Mermaid state diagram generated from `TRANSITIONS`, so the picture cannot drift from the code."""
    order = list(OpinionState)
    lines = ["stateDiagram-v2", f"    [*] --> {S.SUBMITTED}"]
    for rule in TRANSITIONS:
        who = ",".join(k for k in _PREFERENCE if k in rule.who)
        for source in sorted(rule.sources, key=order.index):
            lines.append(f"    {source} --> {rule.target}: {rule.action} ({who})")
    lines.extend(f"    {state} --> [*]" for state in order if state in FINAL_STATES)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate the README diagram: python -m bot.opinions.lifecycle
    print(mermaid(), end="")
