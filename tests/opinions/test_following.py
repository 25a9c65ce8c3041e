"""The rules behind following and correcting opinions (#20): who may join, what followers hear, notes."""

from __future__ import annotations

import pytest

from bot.opinions.drafts import Draft
from bot.opinions.lifecycle import Action, RefusalReason
from bot.opinions.service import FOLLOWED, NOTE, SENDER_NOTE, OpinionService
from bot.opinions.similar import joinable
from bot.opinions.sla import FixedClock
from storage.repos.opinions import OpinionRepo
from tests.opinions.test_service import World, apply, keys, submit


class TestDraft:
    def test_public_and_anonymous_exclude_each_other(self) -> None:
        draft = Draft()
        assert not draft.public and not draft.anonymous  # private by default
        draft.set_public(True)
        draft.set_anonymous(True)
        assert draft.anonymous and not draft.public
        draft.set_public(True)
        assert draft.public and not draft.anonymous
        forged = Draft.from_dict({"parts": ["x"], "anonymous": True, "public": True})
        assert forged.anonymous and not forged.public

    def test_an_edit_replaces_its_own_part_and_survives_the_round_trip(self) -> None:
        draft = Draft()
        draft.add_text("street light broken", 11)
        draft.add_text("dangerous at night", 12)
        assert draft.holds(11) and not draft.holds(13) and not draft.holds(0)
        assert draft.replace_text(11, "five street lights broken")
        again = Draft.from_dict(draft.to_dict())
        assert again.text == "five street lights broken\ndangerous at night"
        assert again.message_ids == [11, 12]
        assert not again.replace_text(12, "x" * 3000)  # would not fit: the old text stays
        assert again.parts[1] == "dangerous at night"

    def test_a_draft_saved_before_part_ids_still_loads(self) -> None:
        old = Draft.from_dict({"parts": ["a", "b"], "offered": "7"})
        assert old.part_ids == [0, 0] and old.message_ids == [] and old.offered is None


class TestJoinable:
    async def test_only_the_offered_open_alike_opinion_at_ones_station(
        self, uow, world: World, clock: FixedClock
    ) -> None:
        first = (await submit(uow, clock, world.sender)).opinion.id
        other = (await submit(uow, clock, world.sender, category="roads")).opinion.id

        async def check(opinion_id: int | None, offered: int | None, **kw: object) -> bool:
            args: dict = {
                "person_id": world.walker,
                "station_id": world.station,
                "category": "water",
                "text": "the well is dry again",
                **kw,
            }
            async with uow() as u:
                return await joinable(u, opinion_id, offered=offered, **args) is not None

        assert await check(first, first)
        assert not await check(first, None)  # nothing was offered in this draft
        assert not await check(other, first)  # another id than the offered one
        assert not await check(first, first, station_id=None)
        assert not await check(first, first, station_id=world.station + 1000)
        assert not await check(first, first, category="roads")
        assert not await check(first, first, text="the school bus is late")  # no longer alike
        assert not await check(first, first, person_id=world.sender)  # one's own
        await apply(uow, clock, first, Action.REJECT, world.staff, note="x")
        assert not await check(first, first)  # closed meanwhile


class TestFollowers:
    @pytest.mark.parametrize("public", [False, True])
    async def test_followers_hear_state_changes_in_their_own_notice(
        self, uow, world: World, clock: FixedClock, public: bool
    ) -> None:
        op_id = (await submit(uow, clock, world.sender, public=public)).opinion.id
        async with uow() as u:
            await OpinionRepo(u.session).subscribe(op_id, world.walker)
            await u.commit()
        out = await apply(uow, clock, op_id, Action.ACCEPT, world.a_person)
        assert keys(out) == {(world.sender, "opinion.accepted"), (world.walker, FOLLOWED)}
        followed = next(n for n in out.notifications if n.key == FOLLOWED)
        assert followed.params["public"] is public
        out = await apply(uow, clock, op_id, Action.ASK, world.a_person, note="which well?")
        assert keys(out) == {(world.sender, "opinion.info_requested")}  # the question is the sender's
        out = await apply(uow, clock, op_id, Action.INFO_RECEIVED, world.sender, note="the north one")
        assert (world.walker, FOLLOWED) not in keys(out)
        out = await apply(uow, clock, op_id, Action.ANSWER, world.a_person, text="fixed")
        assert keys(out) == {(world.sender, "opinion.answered"), (world.walker, FOLLOWED)}
        out = await apply(uow, clock, op_id, Action.CONFIRM_SATISFIED, world.sender)
        assert (world.walker, FOLLOWED) in keys(out)

    async def test_an_anonymous_opinion_is_never_public(self, uow, world: World, clock: FixedClock) -> None:
        op = (await submit(uow, clock, world.sender, public=True, anonymous=True)).opinion
        assert op.anonymous and not op.public


class TestNotes:
    async def test_a_correction_goes_to_the_holder_and_the_timeline(
        self, uow, world: World, clock: FixedClock
    ) -> None:
        op_id = (await submit(uow, clock, world.sender, message_ids=[41, 42])).opinion.id
        async with uow() as u:
            service = OpinionService(u, clock=clock)
            assert await service.sender_message(world.walker, 41) is None  # not theirs
            assert await service.sender_message(world.sender, 43) is None
            opinion = await service.sender_message(world.sender, 42)
            assert opinion is not None and opinion.id == op_id
            refused = await service.add_note(opinion, world.walker, "forged")
            assert refused.refusal is not None and refused.refusal.reason is RefusalReason.NO_RELATION
            out = await service.add_note(opinion, world.sender, "the north well")
            assert keys(out) == {(world.a_person, SENDER_NOTE)}
            await u.commit()
        async with uow() as u:
            events = await OpinionRepo(u.session).events(op_id)
            assert [(e.action, e.note) for e in events if e.action == NOTE] == [(NOTE, "the north well")]
            assert (await OpinionRepo(u.session).get(op_id)).text == "the well is dry"
        await apply(uow, clock, op_id, Action.REJECT, world.staff, note="x")
        async with uow() as u:
            service = OpinionService(u, clock=clock)
            opinion = await service.sender_message(world.sender, 41)
            out = await service.add_note(opinion, world.sender, "late")
            assert out.refusal is not None and out.refusal.reason is RefusalReason.FINAL


def test_a_long_correction_is_cut_by_telegrams_measure() -> None:
    """The holder's note notice cuts the correction (bot.opinions.views, NOTE_UNITS) in UTF-16 units."""
    from bot.kit.text_limits import cut, utf16_len
    from bot.opinions.views import NOTE_UNITS

    assert cut("路灯", NOTE_UNITS) == "路灯"
    long = cut("🙂" * 2000, NOTE_UNITS)  # 4,000 UTF-16 units: over Telegram's 4,096 with the notice
    assert long.endswith("…") and utf16_len(long) <= NOTE_UNITS and long.startswith("🙂" * 1000)
