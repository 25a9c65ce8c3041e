"""One seeded opinion's course (bot/stats/seed_county.py): every step asked of the opinion lifecycle's
`decide` with the relation that would press it, the timeline recording exactly what it granted, and the
columns the figures read (`accepted_at`, deadlines, `satisfaction`, `closed_at`, …) set as the service
sets them (bot/opinions/service.py) — so the rows are what the chat flows would have left.

Outcomes (`Outcome`): resolved (the sender confirms satisfied or basically satisfied; a few are reopened
once first), auto-closed (no verdict within the confirmation window), dissatisfied (reopened, answered
again, then closed without a verdict), rejected by staff, or marked a duplicate of an earlier opinion.
A few are asked for more information, a few handed to another deputy of the station first. Weeks after
a resolved one closed, the follow-up (回访) asks its sender; a constituent answers it.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.opinions import sla
from bot.opinions.follow_up import ASKED, BACK, FOLLOW_UP, FOLLOW_UP_AFTER, SOLVED
from bot.opinions.lifecycle import Action, ActorKind, Refusal, decide
from bot.opinions.milestones import milestones
from bot.opinions.service import SUBMIT
from storage.models.opinions import OpinionState, Satisfaction

__all__ = ["BY_SENDER", "ORIGINAL_PENDING", "Course", "Outcome", "PlannedOpinion", "walk"]

K = ActorKind
S = OpinionState


class Outcome(enum.StrEnum):
    RESOLVED = "resolved"
    AUTO_CLOSED = "auto_closed"
    DISSATISFIED = "dissatisfied"
    REJECTED = "rejected"
    DUPLICATE = "duplicate"


# How often things happen on the way (of the opinions that get that far).
ASK_SHARE = 0.06
TRANSFER_SHARE = 0.03
LATE_ACCEPT_SHARE = 0.05
LATE_ANSWER_SHARE = 0.08
REOPENED_FIRST_SHARE = 0.04  # resolved, but only after the sender was dissatisfied once
SATISFIED_SHARE = 0.72  # of the resolved: satisfied, the rest basically satisfied
FOLLOW_UP_ANSWERED = 0.85
FOLLOW_UP_BACK = 0.05

QUESTIONS = ("请补充具体位置和发生时间。", "请问涉及多少户群众？", "能否提供现场照片？")
INFOS = ("在村委会东侧约200米处，上周开始出现。", "涉及本组十余户群众。", "已补充说明现场情况。")
ANSWERS = (
    "已与有关部门联系，{topic}问题已协调解决，请您查看。",
    "经实地查看，已督促村委会落实{topic}，近期完成。",
    "已向乡镇反映{topic}问题，相关部门已经答复并安排处理。",
)
# An event's actor is the sender, whose person id is known only once they are written: such an event is
# marked (`BY_SENDER`) and its actor filled in then (bot/stats/seed_county.py).
BY_SENDER = "by_sender"
# A duplicate's reason names its original's id, known once both are written: this stands in for it until then.
ORIGINAL_PENDING = "duplicate_of:?"
REJECT_REASON = "反映事项不属于人大代表联系群众工作范围，已告知向有关部门反映。"
TRANSFER_NOTE = "该事项由本站其他代表联系更为合适。"


@dataclass
class PlannedOpinion:
    """One opinion's row and timeline before they are written; references are indexes into the plan."""

    row: dict[str, Any]
    resident: int | None  # the sender, a person in Telegram (index of the plan's residents) …
    stand_in: int | None  # … or a visitor's stand-in, who never opened their link (index of stand-ins)
    events: list[dict[str, Any]] = field(default_factory=list)
    duplicate_of: int | None = None  # index of the opinion it duplicates

    @property
    def heard(self) -> bool:
        """Whether the sender is in Telegram: they may give a verdict, answer a question or the follow-up."""
        return self.resident is not None


@dataclass(frozen=True)
class Course:
    """What happens to one opinion, drawn by the county's plan."""

    outcome: Outcome
    holder_person: int | None  # the first holder's person id
    transfer_to: tuple[int, int | None, int | None] | None = None  # (deputy id, person id, supervisor)
    staff_person: int | None = None
    may_ask: bool = True  # the holder may ask the sender for more (they are in Telegram from the start)


class _Stop(Exception):
    pass


class _Walk:
    """The opinion walked through the lifecycle: every step granted by `decide`, or the plan is wrong."""

    def __init__(self, planned: PlannedOpinion, as_of: datetime) -> None:
        self.planned = planned
        self.row = planned.row
        self.state = S.SUBMITTED
        self.as_of = as_of
        self.last = self.row["created_at"]

    def do(
        self,
        action: Action,
        kind: ActorKind,
        at: datetime,
        person: int | str | None,
        *,
        reason: str | None = None,
        note: str | None = None,
        to_holder: int | bool | None = False,
    ) -> datetime:
        at = max(at, self.last)
        if at > self.as_of:  # pragma: no cover - the county's dates keep every course before as_of
            raise AssertionError(f"seeded opinion {self.row['tracking_no']} runs past as_of")
        decided = decide(self.state, action, kind)
        if isinstance(decided, Refusal):
            raise AssertionError(f"seed plan broke the lifecycle: {action} from {self.state}: {decided}")
        from_holder = self.row["holder_deputy_id"]
        if to_holder is not False:
            self.row["holder_deputy_id"] = to_holder
        self.planned.events.append(
            {
                **_actor(person),
                "at": at,
                "action": decided.action.value,
                "from_state": decided.source.value,
                "to_state": decided.target.value,
                "from_holder_id": from_holder if action is not Action.ROUTE else None,
                "to_holder_id": self.row["holder_deputy_id"],
                "reason": reason,
                "note": note,
            }
        )
        self.state = decided.target
        self.row["state"] = self.state.value
        self.row.update(milestones(decided.action.value, at, self.row))
        self.last = at
        return at

    def mark(self, at: datetime, note: str, person: int | str | None) -> None:
        """A timeline entry that changes no state (the follow-up), as bot/opinions/follow_up.py writes it."""
        if at > self.as_of:
            raise _Stop
        self.planned.events.append(
            {
                **_actor(person),
                "at": at,
                "action": FOLLOW_UP,
                "from_state": self.state.value,
                "to_state": self.state.value,
                "from_holder_id": None,
                "to_holder_id": None,
                "reason": None,
                "note": note,
            }
        )


def _actor(person: int | str | None) -> dict[str, Any]:
    """The event's actor columns (the sender's filled in on writing)."""
    if person == BY_SENDER:
        return {"actor_person_id": None, BY_SENDER: True}
    return {"actor_person_id": person, BY_SENDER: False}


def _hours(rng: random.Random, low: float, high: float) -> timedelta:
    return timedelta(hours=rng.uniform(low, high))


def _office(moment: datetime, zone: ZoneInfo, rng: random.Random) -> datetime:
    """The moment moved into office hours (08:30–18:00 local) of its day, or of the next day."""
    local = moment.astimezone(zone)
    if time(8, 30) <= local.time() <= time(18, 0):
        return moment
    day = local.date() if local.time() < time(8, 30) else local.date() + timedelta(days=1)
    start = datetime.combine(day, time(8, 30), tzinfo=zone)
    return (start + timedelta(minutes=rng.randint(0, 180))).astimezone(UTC)


def walk(
    planned: PlannedOpinion,
    course: Course,
    rng: random.Random,
    policy: sla.SlaPolicy,
    as_of: datetime,
    topic: str,
) -> None:
    """Walk one planned opinion through its course (its row is filled as the service fills it)."""
    if course.outcome in (Outcome.RESOLVED, Outcome.DISSATISFIED) and not planned.heard:
        raise AssertionError("only a sender in Telegram gives a verdict")
    row, zone = planned.row, policy.tz
    w = _Walk(planned, as_of)
    sender = BY_SENDER
    created = row["created_at"]
    planned.events.append(
        {
            **_actor(sender),
            "at": created,
            "action": SUBMIT,
            "from_state": None,
            "to_state": S.SUBMITTED.value,
            "from_holder_id": None,
            "to_holder_id": None,
            "reason": None,
            "note": None,
        }
    )
    w.do(Action.ROUTE, K.SYSTEM, created, None, reason=row["route_reason"], to_holder=row["holder_deputy_id"])
    row["accept_deadline"] = sla.accept_deadline(policy, row["category"], created)
    holder_person = course.holder_person

    if course.outcome is Outcome.REJECTED:
        at = w.do(
            Action.REJECT,
            K.STAFF,
            _office(created + _hours(rng, 2, 30), zone, rng),
            course.staff_person,
            note=REJECT_REASON,
        )
        row["closed_at"] = at
        return
    if course.outcome is Outcome.DUPLICATE:
        at = w.do(
            Action.MARK_DUPLICATE,
            K.STAFF,
            _office(created + _hours(rng, 1, 10), zone, rng),
            course.staff_person,
            reason=ORIGINAL_PENDING,
        )
        row["closed_at"] = at
        return

    if course.transfer_to is not None:
        deputy_id, person_id, supervisor = course.transfer_to
        at = w.do(
            Action.TRANSFER,
            K.HOLDER,
            created + _hours(rng, 1, 6),
            holder_person,
            reason="transfer",
            note=TRANSFER_NOTE,
            to_holder=deputy_id,
        )
        row.update(
            accept_deadline=sla.accept_deadline(policy, row["category"], at), supervisor_person_id=supervisor
        )
        holder_person = person_id

    late_accept = rng.random() < LATE_ACCEPT_SHARE
    accepted = w.do(
        Action.ACCEPT,
        K.HOLDER,
        w.last + (_hours(rng, 25, 40) if late_accept else _hours(rng, 0.5, 20)),
        holder_person,
    )
    row["accepted_at"] = accepted
    row["answer_deadline"] = sla.answer_deadline(policy, row["category"], accepted)
    if course.may_ask and planned.heard and rng.random() < ASK_SHARE:
        asked = w.do(
            Action.ASK, K.HOLDER, accepted + _hours(rng, 1, 24), holder_person, note=rng.choice(QUESTIONS)
        )
        told = w.do(
            Action.INFO_RECEIVED, K.SENDER, asked + _hours(rng, 2, 48), sender, note=rng.choice(INFOS)
        )
        row["answer_deadline"] += told - asked  # the clock stops while the sender is asked
    late_answer = rng.random() < LATE_ANSWER_SHARE
    window = policy.answer_window(row["category"]).total_seconds() / 3600
    hours = _hours(rng, window + 6, window + 72) if late_answer else _hours(rng, 3, window - 2)
    _answer(w, row, max(w.last + _hours(rng, 1, 8), accepted + hours), holder_person, rng, topic)

    reopen = course.outcome is Outcome.DISSATISFIED or (
        course.outcome is Outcome.RESOLVED and rng.random() < REOPENED_FIRST_SHARE
    )
    if reopen:
        said = w.do(Action.CONFIRM_DISSATISFIED, K.SENDER, w.last + _hours(rng, 4, 72), sender)
        row["satisfaction"] = Satisfaction.DISSATISFIED.value
        row["answer_deadline"] = sla.answer_deadline(policy, row["category"], said)
        again = w.do(Action.ACCEPT, K.HOLDER, said + _hours(rng, 1, 20), holder_person)
        row["accepted_at"] = again  # the answer deadline set at the reopening stands
        _answer(w, row, again + _hours(rng, 4, 96), holder_person, rng, topic)
    if course.outcome is Outcome.RESOLVED:
        satisfied = rng.random() < SATISFIED_SHARE
        action = Action.CONFIRM_SATISFIED if satisfied else Action.CONFIRM_BASIC
        closed = w.do(action, K.SENDER, w.last + _hours(rng, 2, 120), sender)
        row.update(
            closed_at=closed,
            satisfaction=(Satisfaction.SATISFIED if satisfied else Satisfaction.BASIC).value,
        )
        _follow_up(w, closed, planned, rng)
        return
    # No verdict within the confirmation window: the SLA sweep closes it.
    due = row["answered_at"] + policy.auto_close_after + timedelta(minutes=rng.randint(1, 55))
    row["closed_at"] = w.do(Action.AUTO_CLOSE, K.SYSTEM, due, None)


def _answer(
    w: _Walk, row: dict[str, Any], at: datetime, person: int | None, rng: random.Random, topic: str
) -> None:
    text = rng.choice(ANSWERS).format(topic=topic)
    answered = w.do(Action.ANSWER, K.HOLDER, at, person, note=text)
    row.update(answered_at=answered, answer_text=text)


def _follow_up(w: _Walk, closed: datetime, planned: PlannedOpinion, rng: random.Random) -> None:
    """回访: asked 30 days after a resolved opinion closed (as far as as_of reaches); a constituent answers."""
    try:
        asked = closed + FOLLOW_UP_AFTER + timedelta(minutes=rng.randint(1, 55))
        w.mark(asked, ASKED, None)
        roll = rng.random()
        if planned.heard and roll < FOLLOW_UP_ANSWERED:
            note = BACK if roll < FOLLOW_UP_BACK else SOLVED
            w.mark(asked + _hours(rng, 1, 48), note, BY_SENDER)
    except _Stop:
        pass
