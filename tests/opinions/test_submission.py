"""Submitting a draft (bot/opinions/submission.py): the similar-opinion offer, the receipt's notice,
and a join accepted only for the offer the bot made."""

from __future__ import annotations

from sqlalchemy import select

from bot.opinions.drafts import Draft
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock
from bot.opinions.submission import JOIN_AUDIT, RECEIPT_NOTICE, join_offered, submit_draft
from storage.models import AuditEntry
from tests.opinions.test_service import World

TEXT = "village road lights broken for weeks"


def draft_of(text: str, category: str = "roads") -> Draft:
    draft = Draft(category=category)
    draft.add_text(text, 11)
    return draft


async def test_an_empty_draft_files_nothing(uow, world: World, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    async with uow() as u:
        service = OpinionService(u, clock=clock)
        submitted = await submit_draft(service, world.sender, world.station, Draft(), check_similar=True)
    assert submitted.empty and submitted.notifications == []


async def test_the_routed_notice_is_told_in_the_receipt(uow, world: World, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    async with uow() as u:
        service = OpinionService(u, clock=clock)
        submitted = await submit_draft(
            service, world.sender, world.station, draft_of(TEXT), check_similar=True
        )
        await u.commit()
    assert submitted.opinion is not None and submitted.similar is None and submitted.in_receipt
    told = {(n.recipient_person_id, n.key) for n in submitted.notifications}
    assert (world.sender, RECEIPT_NOTICE) not in told and (world.a_person, "opinion.assigned") in told


async def test_a_neighbour_is_offered_the_alike_opinion_and_may_join_only_that(  # type: ignore[no-untyped-def]
    uow, world: World, clock: FixedClock
) -> None:
    async with uow() as u:
        first = await submit_draft(
            OpinionService(u, clock=clock), world.sender, world.station, draft_of(TEXT), check_similar=True
        )
        await u.commit()
    assert first.opinion is not None
    mine = draft_of(TEXT + " again")
    async with uow() as u:
        offered = await submit_draft(
            OpinionService(u, clock=clock), world.walker, world.station, mine, check_similar=True
        )
    assert offered.similar is not None and offered.similar.id == first.opinion.id and offered.opinion is None
    assert mine.offered == first.opinion.id  # the one id a join from this draft may name
    async with uow() as u:
        refused = await join_offered(
            u, mine, first.opinion.id + 1, person_id=world.walker, station_id=world.station
        )
        joined = await join_offered(
            u, mine, first.opinion.id, person_id=world.walker, station_id=world.station
        )
        await u.commit()
    assert refused is None and joined is not None and joined.id == first.opinion.id
    async with uow() as u:
        assert world.walker in await u.opinions.subscribers(first.opinion.id)
        audit = (await u.session.scalars(select(AuditEntry).where(AuditEntry.action == JOIN_AUDIT))).all()
    assert [(e.object_id, e.allowed, e.detail.get("reason")) for e in audit] == [
        (str(first.opinion.id + 1), False, "not offered")
    ]


async def test_submit_mine_all_the_same_files_it(uow, world: World, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    async with uow() as u:
        await submit_draft(
            OpinionService(u, clock=clock), world.sender, world.station, draft_of(TEXT), check_similar=True
        )
        await u.commit()
    async with uow() as u:
        submitted = await submit_draft(
            OpinionService(u, clock=clock), world.walker, world.station, draft_of(TEXT), check_similar=False
        )
        await u.commit()
    assert submitted.opinion is not None and submitted.similar is None
