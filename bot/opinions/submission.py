"""Submit a constituent's draft: offer a similar open opinion first, file it, and say what the
receipt tells (the sender's own "routed" notice is told in the receipt, not as a message of its own).

No Telegram types: the handler renders what `submit_draft` and `join_offered` return.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.opinions.drafts import Draft
from bot.opinions.entities import Opinion
from bot.opinions.service import AttachmentIn, Notification, OpinionService
from bot.opinions.similar import find_similar, joinable
from bot.runtime.context import UnitOfWork

# The lifecycle's notice to the sender that the opinion is routed (`views.ROUTED_NOTICE`): told in
# the receipt on the draft card instead of as a message of its own.
RECEIPT_NOTICE = "opinion.routed"
JOIN_AUDIT = "opinion.join"


@dataclass(frozen=True)
class Submitted:
    """What Submit did: nothing (the draft was empty), an offer to join `similar`, or `opinion` filed.

    `in_receipt`: the sender's routed notice was taken out of `notifications` to be told in the
    receipt; False when the opinion was not routed (the receipt is the tracking number alone).
    """

    opinion: Opinion | None = None
    similar: Opinion | None = None
    in_receipt: bool = False
    notifications: list[Notification] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return self.opinion is None and self.similar is None


async def submit_draft(
    service: OpinionService, person_id: int, station_id: int | None, draft: Draft, *, check_similar: bool
) -> Submitted:
    """File the draft, unless it is empty or (when `check_similar`) someone else's open opinion at
    the station reads alike: then the draft remembers the offer (`draft.offered`), the only id a
    join from it may name."""
    if draft.empty:
        return Submitted()
    category = draft.category or "other"
    if check_similar:
        similar = await find_similar(service.uow, station_id, category, draft.text, person_id)
        if similar is not None:
            draft.offered = similar.id
            return Submitted(similar=similar)
    outcome = await service.submit(
        person_id,
        category,
        draft.text,
        station_id=station_id,
        anonymous=draft.anonymous,
        public=draft.public,
        message_ids=draft.message_ids,
        latitude=draft.location[0] if draft.location else None,
        longitude=draft.location[1] if draft.location else None,
        attachments=[AttachmentIn(a.kind, a.file_id, a.file_unique_id, a.caption) for a in draft.attachments],
    )
    assert outcome.opinion is not None
    others = [
        n
        for n in outcome.notifications
        if not (n.recipient_person_id == person_id and n.key == RECEIPT_NOTICE)
    ]
    return Submitted(
        opinion=outcome.opinion, in_receipt=len(others) < len(outcome.notifications), notifications=others
    )


async def join_offered(
    uow: UnitOfWork, draft: Draft, opinion_id: int, *, person_id: int, station_id: int | None
) -> Opinion | None:
    """Follow the similar opinion the bot offered in this draft (and no other); a refusal is audited."""
    opinion = await joinable(
        uow,
        opinion_id,
        offered=draft.offered,
        person_id=person_id,
        station_id=station_id,
        category=draft.category or "other",
        text=draft.text,
    )
    if opinion is None:
        reason = "not offered" if opinion_id != draft.offered else "no longer alike"
        await refuse_join(uow, person_id, opinion_id, reason)
        return None
    await uow.opinions.subscribe(opinion.id, person_id)
    return opinion


async def refuse_join(uow: UnitOfWork, person_id: int, opinion_id: int | None, reason: str) -> None:
    """A follow request the bot did not offer (forged, stale, or no longer alike), audited."""
    await uow.audit.record(
        JOIN_AUDIT,
        actor_person_id=person_id,
        object_type="opinion",
        object_id=opinion_id,
        allowed=False,
        reason=reason,
    )
