"""What the sender of an opinion (or a follower) may see and answer: rules of /my and of replies to a
deputy's question. No Telegram types."""

from __future__ import annotations

from collections.abc import Callable

from bot.opinions.entities import Opinion
from bot.runtime.context import UnitOfWork

VIEW_AUDIT = "opinion.view"


async def viewable(uow: UnitOfWork, opinion: Opinion | None, person_id: int, opinion_id: int | None) -> bool:
    """Its sender and its followers may see an opinion; a refusal is audited."""
    if opinion is not None and (
        opinion.sender_person_id == person_id or person_id in await uow.opinions.subscribers(opinion.id)
    ):
        return True
    await uow.audit.record(
        VIEW_AUDIT, actor_person_id=person_id, object_type="opinion", object_id=opinion_id, allowed=False
    )
    return False


async def viewable_by_id(uow: UnitOfWork, opinion_id: int, person_id: int) -> Opinion | None:
    """The opinion when this person may see it (a refusal is audited), else None."""
    opinion = await uow.opinions.get(opinion_id)
    return opinion if await viewable(uow, opinion, person_id, opinion_id) else None


async def viewable_by_tracking_no(uow: UnitOfWork, tracking_no: str, person_id: int) -> Opinion | None:
    """`/my LX-2026-000001`: as `viewable_by_id`, by the number a cut notice points to."""
    opinion = await uow.opinions.by_tracking_no(tracking_no.strip().upper()[:32])
    ok = await viewable(uow, opinion, person_id, opinion.id if opinion else None)
    return opinion if ok else None


async def replied_question(
    uow: UnitOfWork,
    person_id: int,
    replied_message_id: int,
    ref: Callable[[int, int], str],
    known: Callable[[str], int | None] | None = None,
) -> int | None:
    """The open opinion whose question (the outbox message `ref(opinion_id, person_id)`) the message
    `replied_message_id` is, if any. `known` is the running sender's memory: a quick answer can arrive
    before the sender has committed the question's message id."""
    for opinion in await uow.opinions.for_sender(person_id, open_only=True):
        key = ref(opinion.id, person_id)
        if known is not None and known(key) == replied_message_id:
            return opinion.id
        row = await uow.outbox.last_sent_for(key)
        if row is not None and row.result_message_id == replied_message_id:
            return opinion.id
    return None
