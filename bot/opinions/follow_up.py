"""The follow-up (回访): weeks after an opinion was closed as solved, ask its sender whether it stayed so.

The answer is recorded on the timeline (event `follow_up`, note `solved` or `back`); a closed opinion
stays closed — a problem that came back is a new opinion, which the handler offers to start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.opinions import sla
from bot.opinions.service import Notification
from storage.models import Opinion, OpinionEvent
from storage.unit_of_work import UnitOfWork

FOLLOW_UP = "follow_up"
ASKED = "asked"
SOLVED = "solved"
BACK = "back"
FOLLOW_UP_AFTER = timedelta(days=30)


async def _mark(
    uow: UnitOfWork, opinion: Opinion, now: datetime, note: str, actor: int | None = None
) -> None:
    """A timeline entry that changes no state: the follow-up was asked, or answered."""
    await uow.opinions.add_event(
        OpinionEvent(
            opinion_id=opinion.id,
            at=now,
            action=FOLLOW_UP,
            from_state=opinion.state,
            to_state=opinion.state,
            actor_person_id=actor,
            note=note,
        )
    )


async def due_follow_ups(
    uow: UnitOfWork,
    now: datetime,
    policy: sla.SlaPolicy,
    after: timedelta = FOLLOW_UP_AFTER,
    limit: int = 200,
) -> list[Notification]:
    """Ask once per opinion closed as (basically) solved at least `after` ago; marks each as asked."""
    rows = await uow.opinions.solved_without_event(now - after, FOLLOW_UP, ASKED, limit=limit)
    out: list[Notification] = []
    for opinion in rows:
        await _mark(uow, opinion, now, ASKED)
        out.append(
            Notification(
                opinion.sender_person_id,
                "opinion.follow_up",
                {"tracking_no": opinion.tracking_no},
                opinion.id,
                sla.deliver_at(now, policy),
            )
        )
    return out


async def record_follow_up(
    uow: UnitOfWork, opinion_id: int, person_id: int, solved: bool, now: datetime
) -> Opinion | None:
    """Record the sender's answer once; None when this person may not answer (not the sender, not asked, done)."""
    opinion = await uow.opinions.get(opinion_id)
    if opinion is None or opinion.sender_person_id != person_id:
        await uow.audit.record(
            "opinion.follow_up",
            actor_person_id=person_id,
            object_type="opinion",
            object_id=opinion_id,
            allowed=False,
            reason="no_relation",
        )
        return None
    notes = {e.note for e in await uow.opinions.events(opinion.id) if e.action == FOLLOW_UP}
    if ASKED not in notes or notes & {SOLVED, BACK}:
        await uow.audit.record(
            "opinion.follow_up",
            actor_person_id=person_id,
            object_type="opinion",
            object_id=opinion_id,
            allowed=False,
            reason="stale_state",
        )
        return None
    await _mark(uow, opinion, now, SOLVED if solved else BACK, person_id)
    return opinion
