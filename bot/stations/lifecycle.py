"""A rectification item's lifecycle (整改清单), declared once: which action moves which state, who may ask
for it, whom it tells, and which guard must hold.

An inspection leaves items, each with a deadline and a responsible person (a deputy of the station or a
staff member). The responsible person marks an item done with a note or a photo (`report`); an inspector
of the station (分片包抓) — or the congress office — confirms it (final) or reopens it with a reason, and
the responsible person reports again. The day before the deadline the scheduler reminds the responsible
person once (`remind`, a ledger entry that does not move the state).

As for opinions and suggestions, a press or a console form is only a request: `decide` checks it against
the item's state, the presser's relations to it (`responsible` only of their own item, `inspector` only
when assigned to the item's station now) and the row's guards, and returns a `Transition` or a `Refusal`
with a reason code. `mermaid()` draws `TRANSITIONS`; bot/stations/README.md holds the output and a test
keeps it current. The states (`RectificationState`) live in storage/models beside their table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.kit.i18n import N_
from bot.kit.rules import index_rules, who_by_action
from storage.models.stations import RectificationState

__all__ = [
    "FINAL_STATES",
    "OPEN_STATES",
    "STATE_LABELS",
    "TRANSITIONS",
    "Action",
    "ActorKind",
    "Audience",
    "Details",
    "Guard",
    "Notice",
    "RectificationState",
    "Refusal",
    "RefusalReason",
    "Rule",
    "Transition",
    "allowed_actions",
    "decide",
    "mermaid",
]

S = RectificationState
FINAL_STATES: frozenset[RectificationState] = frozenset({S.CONFIRMED})
# Open items the responsible person still has to do: the clock runs, the reminder and red apply.
OPEN_STATES: frozenset[RectificationState] = frozenset({S.OPEN, S.REOPENED})

STATE_LABELS: dict[RectificationState, str] = {
    S.OPEN: N_("rectification: open"),
    S.REPORTED: N_("rectification: reported done"),
    S.CONFIRMED: N_("rectification: confirmed"),
    S.REOPENED: N_("rectification: reopened"),
}


class Action(enum.StrEnum):
    REPORT = "report"  # the responsible person: done, with a note or a photo
    CONFIRM = "confirm"  # an inspector or staff: it is done (final)
    REOPEN = "reopen"  # an inspector or staff: not done, with a reason
    REMIND = "remind"  # the scheduler, the day before the deadline (once per deadline)


class ActorKind(enum.StrEnum):
    """The presser's relation to one item (not a global role)."""

    RESPONSIBLE = "responsible"  # the person the item names
    INSPECTOR = "inspector"  # assigned to the item's station now
    STAFF = "staff"
    SYSTEM = "system"  # the scheduler; never derived from a person


class Audience(enum.StrEnum):
    RESPONSIBLE = "responsible"
    INSPECTORS = "inspectors"  # who recorded the inspection, and the station's assigned inspectors


@dataclass(frozen=True)
class Notice:
    audience: Audience
    key: str
    urgent: bool = False  # urgent notices ignore quiet hours


class Guard(enum.StrEnum):
    EVIDENCE = "evidence"  # a note or a photo
    REASON = "reason"  # a non-blank reason


@dataclass(frozen=True)
class Details:
    """What the request carries, unvalidated until a guard checks it."""

    note: str = ""
    photos: int = 0


@dataclass(frozen=True)
class Rule:
    action: Action
    sources: frozenset[RectificationState]
    target: RectificationState | None  # None: stays (a ledger entry)
    who: frozenset[ActorKind]
    notifies: tuple[Notice, ...]
    guards: tuple[Guard, ...] = ()


def _rule(
    action: Action,
    sources: Iterable[RectificationState],
    target: RectificationState | None,
    who: Iterable[ActorKind],
    *notifies: Notice,
    guards: Iterable[Guard] = (),
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset(who), tuple(notifies), tuple(guards))


def _n(audience: Audience, key: str, *, urgent: bool = False) -> Notice:
    return Notice(audience, f"rectification.{key}", urgent)


K, A, G = ActorKind, Audience, Guard

# fmt: off
TRANSITIONS: tuple[Rule, ...] = (
    _rule(Action.REPORT, [S.OPEN, S.REOPENED], S.REPORTED, [K.RESPONSIBLE],
          _n(A.INSPECTORS, "reported"), guards=[G.EVIDENCE]),
    _rule(Action.CONFIRM, [S.REPORTED], S.CONFIRMED, [K.INSPECTOR, K.STAFF],
          _n(A.RESPONSIBLE, "confirmed")),
    _rule(Action.REOPEN, [S.REPORTED], S.REOPENED, [K.INSPECTOR, K.STAFF],
          _n(A.RESPONSIBLE, "reopened"), guards=[G.REASON]),
    _rule(Action.REMIND, [S.OPEN, S.REOPENED], None, [K.SYSTEM],
          _n(A.RESPONSIBLE, "due_tomorrow")),
)
# fmt: on

_BY_SOURCE: dict[tuple[RectificationState, Action], Rule] = index_rules(TRANSITIONS, FINAL_STATES)
_WHO_BY_ACTION: dict[Action, frozenset[ActorKind]] = who_by_action(TRANSITIONS)
# Several relations (a staff member who is also the station's inspector): the first allowed is recorded.
_PREFERENCE = (K.RESPONSIBLE, K.INSPECTOR, K.STAFF, K.SYSTEM)


class RefusalReason(enum.StrEnum):
    UNKNOWN_ACTION = "unknown_action"
    NOT_FOUND = "not_found"
    NO_RELATION = "no_relation"  # the presser has nothing to do with this item
    NOT_PERMITTED = "not_permitted"  # this relation may never do this
    FINAL = "final"  # stale: confirmed already
    STALE_STATE = "stale_state"  # stale: the action does not apply in the current state
    EVIDENCE_REQUIRED = "evidence_required"
    REASON_REQUIRED = "reason_required"


@dataclass(frozen=True)
class Transition:
    action: Action
    source: RectificationState
    target: RectificationState  # equal to `source` for a ledger entry
    actor: ActorKind
    notifies: tuple[Notice, ...]

    @property
    def moves(self) -> bool:
        return self.source is not self.target


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


Actor = ActorKind | Iterable[ActorKind]


def _kinds(actor: Actor) -> frozenset[ActorKind]:
    if isinstance(actor, ActorKind):
        return frozenset({actor})
    return frozenset(ActorKind(a) for a in actor)


def _guard_refusal(guard: Guard, details: Details) -> Refusal | None:
    if guard is G.EVIDENCE:
        return (
            None if details.note.strip() or details.photos > 0 else Refusal(RefusalReason.EVIDENCE_REQUIRED)
        )
    if guard is G.REASON:
        return None if details.note.strip() else Refusal(RefusalReason.REASON_REQUIRED)
    raise AssertionError(guard)  # pragma: no cover - every Guard is handled above


def decide(
    state: RectificationState | str, action: Action | str, actor: Actor, *, details: Details | None = None
) -> Transition | Refusal:
    """Check a requested action against the item's state, the presser's relations and the row's guards.

    Args:
        state: the item's current state, as stored.
        action: what was asked for (unvalidated: it may come from forged callback data).
        actor: the presser's relation(s) to this item; empty when they have none.
        details: the note (a report's, or a reopening's reason) and how many photos came with it.
    """
    try:
        act = Action(action)
    except ValueError:
        return Refusal(RefusalReason.UNKNOWN_ACTION, str(action)[:32])
    current, kinds = RectificationState(state), _kinds(actor)
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
        refusal = _guard_refusal(guard, details or Details())
        if refusal is not None:
            return refusal
    by = next(k for k in _PREFERENCE if k in allowed)
    return Transition(act, current, rule.target or current, by, rule.notifies)


def allowed_actions(state: RectificationState | str, actor: Actor) -> list[Action]:
    """The actions this presser may ask for now, in table order (guards not yet checked): a keyboard."""
    current, kinds = RectificationState(state), _kinds(actor)
    return [
        rule.action
        for rule in TRANSITIONS
        if current in rule.sources and kinds & rule.who and K.SYSTEM not in rule.who
    ]


def mermaid() -> str:
    """A Mermaid state diagram generated from `TRANSITIONS`; ledger entries that do not move are left out."""
    order = list(RectificationState)
    lines = ["stateDiagram-v2", f"    [*] --> {S.OPEN}: recorded with the inspection"]
    for rule in TRANSITIONS:
        if rule.target is None:
            continue
        who = ",".join(k for k in _PREFERENCE if k in rule.who)
        guards = f" if {'+'.join(rule.guards)}" if rule.guards else ""
        for source in sorted(rule.sources, key=order.index):
            lines.append(f"    {source} --> {rule.target}: {rule.action} ({who}){guards}")
    lines.extend(f"    {state} --> [*]" for state in order if state in FINAL_STATES)
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate the README diagram: python -m bot.stations.lifecycle
    print(mermaid(), end="")
