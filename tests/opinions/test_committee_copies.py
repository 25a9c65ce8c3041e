"""The special committee's copy of a red warning: its members hear of an overdue opinion of its field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.opinions.service import Notification, OpinionService, build_ladder
from bot.opinions.sla import FixedClock
from storage.models import Person, SpecialCommittee, SpecialCommitteeMember
from tests.opinions.test_service import T0, World, submit

COPY = "opinion.warning.red.cc"


@dataclass
class Seats:
    """Who sits where: `agri` and the ladder's own committee member on AG, `other` on a committee of roads."""

    agri: int
    other: int
    roads: int


@pytest.fixture
async def seats(uow, world: World) -> Seats:
    async with uow() as u:
        s = u.session
        agri, other = Person(name="agri member"), Person(name="roads member")
        roads = SpecialCommittee(code="RD", name="roads", categories=["roads"])
        s.add_all([agri, other, roads])
        await s.flush()
        s.add_all(
            [
                SpecialCommitteeMember(committee_id=world.committee, person_id=agri.id),
                SpecialCommitteeMember(committee_id=world.committee, person_id=world.member),
                SpecialCommitteeMember(committee_id=roads.id, person_id=other.id),
            ]
        )
        await u.commit()
        return Seats(agri.id, other.id, roads.id)


async def sweep(uow, clock: FixedClock) -> list[Notification]:
    async with uow() as u:
        out = await OpinionService(u, clock=clock).sweep()
        await u.commit()
        return out


def by_key(out: list[Notification]) -> set[tuple[int, str]]:
    return {(n.recipient_person_id, n.key) for n in out}


class TestLadder:
    async def test_ladder_lists_the_members_of_the_category_committees(
        self, uow, world: World, seats: Seats
    ) -> None:
        async with uow() as u:
            ladder = await build_ladder(u.session, world.a, "water")
            unheld = await build_ladder(u.session, None, "water")
            roads = await build_ladder(u.session, world.a, "roads")
            none = await build_ladder(u.session, world.a, None)
        assert ladder.special_committee_ids == (world.committee,)
        assert ladder.special_committee_members == (
            (world.committee, seats.agri),
            (world.committee, world.member),
        )
        assert unheld.special_committee_members == ladder.special_committee_members
        assert roads.special_committee_members == ((seats.roads, seats.other),)
        assert none.special_committee_ids == () and none.special_committee_members == ()


class TestSweep:
    async def test_members_get_a_copy_at_red_not_at_yellow(
        self, uow, world: World, seats: Seats, clock: FixedClock
    ) -> None:
        await submit(uow, clock, world.sender)  # water: the AG committee's field
        clock.set(T0 + timedelta(hours=20))
        out = await sweep(uow, clock)
        assert by_key(out) == {(world.a_person, "opinion.warning.yellow")}

        clock.set(T0 + timedelta(hours=25, minutes=30))
        out = await sweep(uow, clock)
        # The ladder's committee member sits on AG too: the warning reaches them once, not twice.
        assert by_key(out) == {
            (world.a_person, "opinion.warning.red"),
            (world.member, "opinion.warning.red"),
            (seats.agri, COPY),
        }
        copy = next(n for n in out if n.key == COPY)
        warning = next(n for n in out if n.key == "opinion.warning.red")
        assert copy.params["committee"] == "agriculture" and copy.params["committee_id"] == world.committee
        assert copy.params["overdue_seconds"] == 90 * 60
        assert copy.params["tracking_no"] == warning.params["tracking_no"]
        assert copy.not_before == warning.not_before == clock.now() and not copy.urgent
        assert await sweep(uow, clock) == []  # said once

        clock.set(T0 + timedelta(days=4, hours=1))  # the presidium rung: everyone is told again
        out = await sweep(uow, clock)
        assert (seats.agri, COPY) in by_key(out) and (world.presidium, "opinion.warning.red") in by_key(out)
        assert seats.other not in {n.recipient_person_id for n in out}

    async def test_a_copy_due_at_night_waits_for_the_morning(
        self, uow, world: World, seats: Seats, clock: FixedClock
    ) -> None:
        await submit(uow, clock, world.sender)
        clock.set(datetime(2026, 3, 3, 15, 0, tzinfo=UTC))  # 23:00 in Shanghai, 13 h overdue
        out = await sweep(uow, clock)
        copy = next(n for n in out if n.key == COPY)
        assert copy.not_before == datetime(2026, 3, 4, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
        assert {n.not_before for n in out} == {copy.not_before}

    async def test_no_members_no_copy(self, uow, world: World, clock: FixedClock) -> None:
        await submit(uow, clock, world.sender)
        clock.set(T0 + timedelta(hours=25))
        out = await sweep(uow, clock)
        assert all(n.key != COPY for n in out)
        assert out[0].params["cc_committee_ids"] == [world.committee]

    async def test_an_unrouted_opinion_is_copied_beside_the_staff(
        self, uow, world: World, seats: Seats, clock: FixedClock
    ) -> None:
        async with uow() as u:
            loner = await u.people.add(Person(name="loner"))  # no link, no station: the office triages it
            await u.commit()
        out = await submit(uow, clock, loner.id)
        assert out.opinion.holder_deputy_id is None
        clock.set(T0 + timedelta(hours=25))
        got = by_key(await sweep(uow, clock))
        assert got == {
            (world.staff, "opinion.warning.red"),
            (seats.agri, COPY),
            (world.member, COPY),  # not on this ladder (no holder), so the committee's copy
        }
