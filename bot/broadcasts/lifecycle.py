"""A notice's status, declared once: which action moves which status, and who may ask for it.

```mermaid
stateDiagram-v2
    [*] --> sending: send (staff)
    [*] --> scheduled: schedule (staff)
    scheduled --> sending: start (system)
    sending --> done: finish (system)
    scheduled --> cancelled: cancel (staff)
    sending --> cancelled: cancel (staff)
    done --> [*]
    cancelled --> [*]
```
`[*]` is the notice before it exists: Send now and Schedule make the row.

A notice may ask for "received" (收到): its `receipt` is a second, smaller machine declared below
(`RECEIPT_RULES`), which also names the notice statuses each act needs:

```mermaid
stateDiagram-v2
    asked --> asked: acknowledge (recipient) while sending, done, cancelled
    reminded --> reminded: acknowledge (recipient) while sending, done, cancelled
    asked --> reminded: remind (staff) while done
```
A recipient acknowledges once (the unique key of broadcast_ack); staff remind the silent ones once,
after the notice is out (a second reminder finds `reminded` and is refused). The service changes a
status only through `move`, so a stale press (Cancel on a notice already finished) is refused by
`decide` with a reason instead of changing anything; `mermaid()` regenerates the diagram above from
`TRANSITIONS`, and tests/test_broadcasts.py walks the table.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from bot.kit.rules import index_rules
from storage.models import Broadcast, BroadcastStatus, Receipt

__all__ = [
    "FINAL",
    "RECEIPT_RULES",
    "TRANSITIONS",
    "Action",
    "ActorKind",
    "LifecycleError",
    "ReceiptAction",
    "ReceiptRule",
    "Refusal",
    "RefusalReason",
    "Rule",
    "Transition",
    "decide",
    "decide_receipt",
    "mermaid",
    "move",
    "receipt_mermaid",
]

S = BroadcastStatus
# A status, or None: the notice before its row exists.
Status = BroadcastStatus | None


class Action(enum.StrEnum):
    SEND = "send"
    SCHEDULE = "schedule"
    START = "start"
    FINISH = "finish"
    CANCEL = "cancel"


class ActorKind(enum.StrEnum):
    STAFF = "staff"  # a congress staff member, through /broadcast or its buttons
    RECIPIENT = "recipient"  # someone the notice was written to, pressing its ✅ button
    SYSTEM = "system"  # the periodic job: a scheduled notice's time came, or nothing is pending


@dataclass(frozen=True)
class Rule:
    """One declared row: `action` moves any of `sources` to `target` when asked by one of `who`."""

    action: Action
    sources: frozenset[Status]
    target: BroadcastStatus
    who: frozenset[ActorKind]
    note: str = ""


def _rule(
    action: Action, sources: Iterable[Status], target: BroadcastStatus, who: ActorKind, note: str = ""
) -> Rule:
    return Rule(action, frozenset(sources), target, frozenset({who}), note)


STAFF, SYSTEM = ActorKind.STAFF, ActorKind.SYSTEM
FINAL = frozenset({S.DONE, S.CANCELLED})

# fmt: off
TRANSITIONS: tuple[Rule, ...] = (
    _rule(Action.SEND, [None], S.SENDING, STAFF, note="rows written in the same commit"),
    _rule(Action.SCHEDULE, [None], S.SCHEDULED, STAFF, note="no rows until it starts"),
    _rule(Action.START, [S.SCHEDULED], S.SENDING, SYSTEM, note="audience counted again"),
    _rule(Action.FINISH, [S.SENDING], S.DONE, SYSTEM, note="nothing pending: report"),
    _rule(Action.CANCEL, [S.SCHEDULED, S.SENDING], S.CANCELLED, STAFF, note="pending rows cancelled"),
)
# fmt: on


_BY_SOURCE: dict[tuple[Status, Action], Rule] = index_rules(TRANSITIONS, FINAL)


class RefusalReason(enum.StrEnum):
    NOT_PERMITTED = "not_permitted"  # this kind of actor may never do this
    FINAL = "final"  # stale: the notice is done or cancelled
    STALE_STATE = "stale_state"  # stale: the action does not apply in the current status
    NOT_ASKED = "not_asked"  # the notice does not ask for "received"
    ONCE = "once"  # done already: the one reminder went out


@dataclass(frozen=True)
class Transition:
    action: Action
    source: Status
    target: BroadcastStatus
    actor: ActorKind


@dataclass(frozen=True)
class Refusal:
    reason: RefusalReason
    detail: str = ""


class LifecycleError(RuntimeError):
    """The bot itself asked for a move the table does not allow: a programming error."""


def _status(value: str | None) -> Status:
    return None if value is None else BroadcastStatus(value)


def decide(status: str | None, action: Action, actor: ActorKind) -> Transition | Refusal:
    """Check a requested action against the notice's current status (None: not yet a notice)."""
    current = _status(status)
    rule = _BY_SOURCE.get((current, action))
    if rule is None:
        reason = RefusalReason.FINAL if current in FINAL else RefusalReason.STALE_STATE
        return Refusal(reason, f"{action} not from {current}")
    if actor not in rule.who:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{action} not for {actor}")
    return Transition(action, current, rule.target, actor)


def move(broadcast: Broadcast, action: Action, actor: ActorKind, *, new: bool = False) -> Transition:
    """Apply `action` to the notice's status (`new`: the row is being made) or raise LifecycleError."""
    verdict = decide(None if new else broadcast.status, action, actor)
    if isinstance(verdict, Refusal):
        raise LifecycleError(f"notice #{broadcast.id}: {verdict.reason} ({verdict.detail})")
    broadcast.status = verdict.target
    return verdict


def mermaid() -> str:
    """The diagram in this module's docstring, generated from `TRANSITIONS`."""
    order: list[Status] = [None, *BroadcastStatus]
    lines = ["stateDiagram-v2"]
    for rule in TRANSITIONS:
        who = ",".join(sorted(rule.who))
        for source in sorted(rule.sources, key=order.index):
            lines.append(f"    {source or '[*]'} --> {rule.target}: {rule.action} ({who})")
    lines.extend(f"    {status} --> [*]" for status in BroadcastStatus if status in FINAL)
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------------- asking for "received"


class ReceiptAction(enum.StrEnum):
    ACKNOWLEDGE = "acknowledge"
    REMIND = "remind"


@dataclass(frozen=True)
class ReceiptRule:
    """`action` moves `sources` to `target` (None: stays) when asked by `who` while the notice is `during`."""

    action: ReceiptAction
    sources: frozenset[Receipt]
    target: Receipt | None
    who: ActorKind
    during: frozenset[BroadcastStatus]


# fmt: off
RECEIPT_RULES: tuple[ReceiptRule, ...] = (
    ReceiptRule(ReceiptAction.ACKNOWLEDGE, frozenset(Receipt), None, ActorKind.RECIPIENT,
                frozenset({S.SENDING, S.DONE, S.CANCELLED})),
    ReceiptRule(ReceiptAction.REMIND, frozenset({Receipt.ASKED}), Receipt.REMINDED, ActorKind.STAFF,
                frozenset({S.DONE})),
)
# fmt: on


def decide_receipt(
    receipt: str | None, status: str, action: ReceiptAction, actor: ActorKind
) -> Receipt | Refusal:
    """The receipt state after `action` (the same one for an acknowledgement), or why it is refused."""
    if receipt is None:
        return Refusal(RefusalReason.NOT_ASKED, "the notice does not ask for received")
    current = Receipt(receipt)
    rule = next(r for r in RECEIPT_RULES if r.action == action)
    if actor != rule.who:
        return Refusal(RefusalReason.NOT_PERMITTED, f"{action} not for {actor}")
    if current not in rule.sources:
        return Refusal(RefusalReason.ONCE, f"{action} not from {current}")
    if status not in rule.during:
        return Refusal(RefusalReason.STALE_STATE, f"{action} not while {status}")
    return rule.target or current


def receipt_mermaid() -> str:
    """The receipt diagram in this module's docstring, generated from `RECEIPT_RULES`."""
    lines = ["stateDiagram-v2"]
    for rule in RECEIPT_RULES:
        during = ", ".join(s for s in BroadcastStatus if s in rule.during)
        for source in (r for r in Receipt if r in rule.sources):
            target = rule.target or source
            lines.append(f"    {source} --> {target}: {rule.action} ({rule.who}) while {during}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # regenerate the docstring's diagram: python -m bot.broadcasts.lifecycle
    print(mermaid(), end="")
    print(receipt_mermaid(), end="")
