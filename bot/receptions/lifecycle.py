"""The diary's lifecycle, declared once: which action moves a diary entry, and who may ask for it.

A diary entry (民情日记) is open while visitors are registered in it, closed at the end of the day.
A press on a diary's button is only a request: `decide` checks it against the entry's state *and* the
presser's relation to it, so a constituent's or another station's deputy's forged press is refused
(`no_relation`), and a press on a closed day's card is refused as stale (`final`).

Relations: the **keeper** opened the entry (the deputy on the spot, the station's liaison officer or
head, or staff); a **station deputy** is a deputy of the entry's station and a **station officer** its
liaison officer (联络员) or head (站长): they may register visitors there too; **staff** may do everything;
the **system** closes an entry left open when its keeper opens a later day's.
Looking at an entry is not an action: any relation may (`may_view`).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.kit.rules import index_rules, who_by_action
from storage.models.receptions import DiaryState

__all__ = [
    "FINAL_STATES",
    "TRANSITIONS",
    "Action",
    "Refusal",
    "RefusalReason",
    "Relation",
    "Rule",
    "Transition",
    "decide",
    "may_view",
    "mermaid",
]

S = DiaryState
FINAL_STATES = frozenset({S.CLOSED})


class Action(enum.StrEnum):
    REGISTER = "register"  # a visitor, a matter, a matter's outcome
    CLOSE = "close"


class Relation(enum.StrEnum):
    KEEPER = "keeper"
    STATION_DEPUTY = "station_deputy"
    STATION_OFFICER = "station_officer"  # its liaison officer or head
    STAFF = "staff"
    SYSTEM = "system"


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[DiaryState]
    target: DiaryState
    who: frozenset[Relation]
    note: str = ""


K, SD, SO = Relation.KEEPER, Relation.STATION_DEPUTY, Relation.STATION_OFFICER
ST, SY = Relation.STAFF, Relation.SYSTEM

TRANSITIONS: tuple[Rule, ...] = (
    Rule(
        Action.REGISTER, frozenset({S.OPEN}), S.OPEN, frozenset({K, SD, SO, ST}), "visitors and their matters"
    ),
    Rule(Action.CLOSE, frozenset({S.OPEN}), S.CLOSED, frozenset({K, ST, SY}), "the day's summary"),
)

_BY_SOURCE = index_rules(TRANSITIONS, FINAL_STATES)
_WHO_BY_ACTION = who_by_action(TRANSITIONS)
_PREFERENCE = (K, SD, SO, ST, SY)


class RefusalReason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    NO_RELATION = "no_relation"  # a constituent, a deputy of another station: nothing to do with it
    NOT_PERMITTED = "not_permitted"  # this relation may never do this (a station deputy closing)
    FINAL = "final"  # stale: the day is closed
    STALE_STATE = "stale_state"
    # Raised by the service, after `decide`:
    NOT_FOUND = "not_found"
    NOT_THEIR_STATION = "not_their_station"  # opening a diary at a station that is not theirs
    NOT_A_RECEIVER = "not_a_receiver"  # neither a deputy nor staff: keeps no diary
    WRONG_VISITOR = "wrong_visitor"  # a visitor of another diary


@dataclass(frozen=True)
class Transition:
    action: Action
    source: DiaryState
    target: DiaryState
    actor: Relation


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


def _kinds(actor: Relation | Iterable[Relation]) -> frozenset[Relation]:
    if isinstance(actor, Relation):
        return frozenset({actor})
    return frozenset(Relation(a) for a in actor)


def decide(
    state: DiaryState | str, action: Action | str, actor: Relation | Iterable[Relation]
) -> Transition | Refusal:
    """Check a requested action against the entry's state and the presser's relations to it.

    Args:
        state: the entry's state, as stored.
        action: what was asked for (unvalidated: it may come from forged callback data).
        actor: the presser's relations to this entry; empty when they have none.
    """
    try:
        act = Action(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current = DiaryState(state)
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
    return Transition(act, current, rule.target, next(k for k in _PREFERENCE if k in allowed))


def may_view(actor: Iterable[Relation]) -> bool:
    """Whoever has a relation to an entry may read it (names and phones are masked per visitor)."""
    return bool(_kinds(actor) - {Relation.SYSTEM})


def mermaid() -> str:
    """A Mermaid state diagram generated from `TRANSITIONS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.OPEN}"]
    for rule in TRANSITIONS:
        who = ",".join(k for k in _PREFERENCE if k in rule.who)
        for source in sorted(rule.sources):
            lines.append(f"    {source} --> {rule.target}: {rule.action} ({who})")
    lines.extend(f"    {state} --> [*]" for state in sorted(FINAL_STATES))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # the diagram in bot/receptions/README.md: python -m bot.receptions.lifecycle
    print(mermaid(), end="")
