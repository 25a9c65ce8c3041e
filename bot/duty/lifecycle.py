"""The duty day and the swap, declared once: which action moves which state, who may ask for it, whom
it tells and which guard must hold — as `bot/suggestions/lifecycle.py` declares the suggestion's.

A press is only a request: `decide_day` / `decide_swap` check it against the state, the presser's
relations (a deputy is `deputy` only of their own duty day; `head` only of that station; `staff` may
approve a swap only at a station without a head — the service gives the relation) and the guards, and
return a `Transition` or a `Refusal` with a reason, which the service audits and the view says.

Duty day (a row of `duty`; removing it deletes the row):

```mermaid
stateDiagram-v2
    [*] --> rostered: add (head,staff) if not_past
    rostered --> checked_in: check_in (deputy) if on_the_day
    checked_in --> checked_in: share_location (deputy) if not_located
    rostered --> [*]: remove (head,staff) if not_past
    rostered --> rostered: ask_swap (deputy) if not_past+no_open_swap
```

Swap (换班: the partner takes the requester's day; the head approves, or staff at a station without one):

```mermaid
stateDiagram-v2
    [*] --> requested: request (requester)
    requested --> accepted: accept (partner) if not_past+partner_free
    requested --> declined: decline (partner)
    accepted --> approved: approve (head,staff) if not_past+partner_free
    accepted --> rejected: reject (head,staff)
    requested --> cancelled: cancel (requester)
    accepted --> cancelled: cancel (requester)
    requested --> lapsed: lapse (system)
    accepted --> lapsed: lapse (system)
    approved --> [*]
    declined --> [*]
    rejected --> [*]
    cancelled --> [*]
    lapsed --> [*]
```
`mermaid()` generates both diagrams from the tables; tests/duty/test_lifecycle.py keeps this docstring
in step with them and walks every row.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.kit.rules import index_rules, who_by_action
from storage.models.duty import SwapState

__all__ = [
    "DAY_RULES",
    "SWAP_FINAL",
    "SWAP_RULES",
    "ActorKind",
    "Audience",
    "DayAction",
    "DayState",
    "Facts",
    "Guard",
    "Notice",
    "Refusal",
    "RefusalReason",
    "Rule",
    "SwapAction",
    "SwapState",
    "Transition",
    "decide_day",
    "decide_swap",
    "mermaid",
]


class DayState(enum.StrEnum):
    ROSTERED = "rostered"
    CHECKED_IN = "checked_in"


class DayAction(enum.StrEnum):
    ADD = "add"
    CHECK_IN = "check_in"
    SHARE_LOCATION = "share_location"
    REMOVE = "remove"
    ASK_SWAP = "ask_swap"


class SwapAction(enum.StrEnum):
    REQUEST = "request"
    ACCEPT = "accept"
    DECLINE = "decline"
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    LAPSE = "lapse"


class ActorKind(enum.StrEnum):
    """The presser's relation to one duty day or swap (not a global role)."""

    DEPUTY = "deputy"  # the deputy on duty that day
    REQUESTER = "requester"  # the deputy who asked for the swap
    PARTNER = "partner"  # the deputy asked to take the day
    HEAD = "head"  # the station's head (站长)
    STAFF = "staff"  # congress staff (a swap: only at a station without a head)
    SYSTEM = "system"  # the periodic job; never derived from a person


class Audience(enum.StrEnum):
    REQUESTER = "requester"
    PARTNER = "partner"
    APPROVERS = "approvers"  # the station's head, or every staff member when it has none


@dataclass(frozen=True)
class Notice:
    audience: Audience
    key: str
    urgent: bool = False  # urgent notices ignore quiet hours


class Guard(enum.StrEnum):
    NOT_PAST = "not_past"  # the day has not gone by (and was not checked in)
    ON_THE_DAY = "on_the_day"  # a check-in happens on the day itself
    NOT_LOCATED = "not_located"  # a check-in's place is recorded once
    NO_OPEN_SWAP = "no_open_swap"  # one swap at a time per day
    PARTNER_FREE = "partner_free"  # the partner is not on duty at the station that day already


@dataclass(frozen=True)
class Facts:
    """What the guards read, looked up by the service."""

    today: date
    day: date
    checked_in: bool = False
    located: bool = False
    open_swap: bool = False
    partner_busy: bool = False


@dataclass(frozen=True)
class Rule:
    action: DayAction | SwapAction
    sources: frozenset[DayState | SwapState | None]
    target: DayState | SwapState | None  # None: stays (a day's swap request, a location) or, for a day, gone
    who: frozenset[ActorKind]
    notifies: tuple[Notice, ...] = ()
    guards: tuple[Guard, ...] = ()
    note: str = ""


def _rule(
    action: DayAction | SwapAction,
    sources: Iterable[DayState | SwapState | None],
    target: DayState | SwapState | None,
    who: Iterable[ActorKind],
    *notifies: Notice,
    guards: Iterable[Guard] = (),
    note: str = "",
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(who), tuple(notifies), tuple(guards), note)


K, A, G, D, S = ActorKind, Audience, Guard, DayState, SwapState

# fmt: off
DAY_RULES: tuple[Rule, ...] = (
    _rule(DayAction.ADD, [None], D.ROSTERED, [K.HEAD, K.STAFF], guards=[G.NOT_PAST]),
    _rule(DayAction.CHECK_IN, [D.ROSTERED], D.CHECKED_IN, [K.DEPUTY], guards=[G.ON_THE_DAY],
          note="what counts as a duty visit (进站履职)"),
    _rule(DayAction.SHARE_LOCATION, [D.CHECKED_IN], None, [K.DEPUTY], guards=[G.NOT_LOCATED]),
    _rule(DayAction.REMOVE, [D.ROSTERED], None, [K.HEAD, K.STAFF], guards=[G.NOT_PAST], note="deletes the row"),
    _rule(DayAction.ASK_SWAP, [D.ROSTERED], None, [K.DEPUTY], guards=[G.NOT_PAST, G.NO_OPEN_SWAP]),
)

SWAP_RULES: tuple[Rule, ...] = (
    _rule(SwapAction.REQUEST, [None], S.REQUESTED, [K.REQUESTER],
          Notice(A.PARTNER, "swap.asked", urgent=True)),
    _rule(SwapAction.ACCEPT, [S.REQUESTED], S.ACCEPTED, [K.PARTNER],
          Notice(A.REQUESTER, "swap.accepted"), Notice(A.APPROVERS, "swap.to_approve", urgent=True),
          guards=[G.NOT_PAST, G.PARTNER_FREE]),
    _rule(SwapAction.DECLINE, [S.REQUESTED], S.DECLINED, [K.PARTNER],
          Notice(A.REQUESTER, "swap.declined")),
    _rule(SwapAction.APPROVE, [S.ACCEPTED], S.APPROVED, [K.HEAD, K.STAFF],
          Notice(A.REQUESTER, "swap.approved", urgent=True), Notice(A.PARTNER, "swap.approved", urgent=True),
          guards=[G.NOT_PAST, G.PARTNER_FREE], note="the day becomes the partner's"),
    _rule(SwapAction.REJECT, [S.ACCEPTED], S.REJECTED, [K.HEAD, K.STAFF],
          Notice(A.REQUESTER, "swap.rejected"), Notice(A.PARTNER, "swap.rejected")),
    _rule(SwapAction.CANCEL, [S.REQUESTED, S.ACCEPTED], S.CANCELLED, [K.REQUESTER],
          Notice(A.PARTNER, "swap.cancelled")),
    _rule(SwapAction.LAPSE, [S.REQUESTED, S.ACCEPTED], S.LAPSED, [K.SYSTEM],
          Notice(A.REQUESTER, "swap.lapsed"), Notice(A.PARTNER, "swap.lapsed"),
          note="the day came before it was decided"),
)
# fmt: on

SWAP_FINAL: frozenset[SwapState] = frozenset({S.APPROVED, S.DECLINED, S.REJECTED, S.CANCELLED, S.LAPSED})
_DAY_INDEX = index_rules(DAY_RULES, ())
_SWAP_INDEX = index_rules(SWAP_RULES, SWAP_FINAL)
_DAY_WHO = who_by_action(DAY_RULES)
_SWAP_WHO = who_by_action(SWAP_RULES)


class RefusalReason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    NO_RELATION = "no_relation"  # the presser has nothing to do with this day or swap
    NOT_PERMITTED = "not_permitted"  # this relation may never do this
    FINAL = "final"  # stale: the swap was decided already
    STALE_STATE = "stale_state"  # stale: not from the current state (checked in twice, say)
    DAY_PASSED = "day_passed"
    NOT_TODAY = "not_today"  # a check-in before or after the day
    ALREADY_LOCATED = "already_located"
    SWAP_OPEN = "swap_open"
    PARTNER_BUSY = "partner_busy"


@dataclass(frozen=True)
class Transition:
    action: DayAction | SwapAction
    source: DayState | SwapState | None
    target: DayState | SwapState | None
    actor: ActorKind
    notifies: tuple[Notice, ...]


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


_PREFERENCE = (K.DEPUTY, K.REQUESTER, K.PARTNER, K.HEAD, K.STAFF, K.SYSTEM)


def _guard(guard: Guard, facts: Facts) -> Refusal | None:
    R = RefusalReason
    if guard is G.NOT_PAST:
        return Refusal(R.DAY_PASSED) if facts.day < facts.today or facts.checked_in else None
    if guard is G.ON_THE_DAY:
        return None if facts.day == facts.today else Refusal(R.NOT_TODAY, facts.day.isoformat())
    if guard is G.NOT_LOCATED:
        return Refusal(R.ALREADY_LOCATED) if facts.located else None
    if guard is G.NO_OPEN_SWAP:
        return Refusal(R.SWAP_OPEN) if facts.open_swap else None
    if guard is G.PARTNER_FREE:
        return Refusal(R.PARTNER_BUSY) if facts.partner_busy else None
    raise AssertionError(guard)  # pragma: no cover - every Guard is handled above


def _decide(
    index: dict[tuple[object, object], Rule],
    who: dict[object, frozenset[ActorKind]],
    final: frozenset[SwapState] | frozenset[()],
    action: DayAction | SwapAction,
    state: DayState | SwapState | None,
    kinds: frozenset[ActorKind],
    facts: Facts,
) -> Transition | Refusal:
    if not kinds:
        return Refusal(RefusalReason.NO_RELATION)
    if not kinds & who[action]:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{action} not for {'/'.join(sorted(kinds))}")
    rule = index.get((state, action))
    if rule is None:
        reason = RefusalReason.FINAL if state in final else RefusalReason.STALE_STATE
        return Refusal(reason, f"{action} not from {state}")
    allowed = kinds & rule.who
    if not allowed:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{action} from {state}")
    for guard in rule.guards:
        refusal = _guard(guard, facts)
        if refusal is not None:
            return refusal
    by = next(k for k in _PREFERENCE if k in allowed)
    return Transition(rule.action, state, rule.target, by, rule.notifies)


def _kinds(actor: ActorKind | Iterable[ActorKind]) -> frozenset[ActorKind]:
    return frozenset({actor}) if isinstance(actor, ActorKind) else frozenset(ActorKind(a) for a in actor)


def decide_day(
    state: DayState | str | None,
    action: DayAction | str,
    actor: ActorKind | Iterable[ActorKind],
    facts: Facts,
) -> Transition | Refusal:
    """A request about one duty day (None: the day is not on the roster yet)."""
    try:
        act = DayAction(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current = None if state is None else DayState(state)
    return _decide(_DAY_INDEX, _DAY_WHO, frozenset(), act, current, _kinds(actor), facts)


def decide_swap(
    state: SwapState | str | None,
    action: SwapAction | str,
    actor: ActorKind | Iterable[ActorKind],
    facts: Facts,
) -> Transition | Refusal:
    """A request about one swap (None: before it exists — `request` makes it)."""
    try:
        act = SwapAction(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current = None if state is None else SwapState(state)
    return _decide(_SWAP_INDEX, _SWAP_WHO, SWAP_FINAL, act, current, _kinds(actor), facts)


def _diagram(
    rules: Iterable[Rule], order: list[object], final: Iterable[object], removed: DayAction | None
) -> str:
    lines = ["stateDiagram-v2"]
    for rule in rules:
        who = ",".join(k for k in _PREFERENCE if k in rule.who)
        guards = f" if {'+'.join(rule.guards)}" if rule.guards else ""
        for source in sorted(rule.sources, key=order.index):
            start = "[*]" if source is None else str(source)
            end = ("[*]" if rule.action is removed else start) if rule.target is None else str(rule.target)
            lines.append(f"    {start} --> {end}: {rule.action} ({who}){guards}")
    lines.extend(f"    {state} --> [*]" for state in order if state in set(final))
    return "\n".join(lines) + "\n"


def mermaid() -> tuple[str, str]:
    """The duty day's and the swap's diagrams, generated from `DAY_RULES` and `SWAP_RULES`."""
    day = _diagram(DAY_RULES, [None, *DayState], (), DayAction.REMOVE)
    swap = _diagram(SWAP_RULES, [None, *SwapState], SWAP_FINAL, None)
    return day, swap


if __name__ == "__main__":  # the diagrams for the docstring: python -m bot.duty.lifecycle
    for diagram in mermaid():
        print(diagram)
