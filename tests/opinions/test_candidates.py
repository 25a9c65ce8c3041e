"""The one candidates ranking (transfer, /queue, /overdue, the console): pure, and on both backends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.opinions.candidates import Candidate, CandidateService, rank
from storage.models import (
    Deputy,
    DeputyGroup,
    DeputyStation,
    GroupMembership,
    Opinion,
    OpinionState,
    Person,
    Station,
)
from storage.repos.network import DeputyCard
from storage.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]


def card(i: int, *fields: str) -> DeputyCard:
    return DeputyCard(i, f"d{i}", f"D{i}", fields)


class TestRank:
    def test_level_then_field_then_load_then_id(self) -> None:
        cards = [card(1), card(2, "roads"), card(3), card(4, "roads"), card(5), card(6, "roads")]
        depth = {1: 0, 2: 0, 3: 1, 4: 1}  # 5 and 6 are beyond the chain
        load = {1: 0, 2: 3, 3: 0, 4: 9, 6: 1}
        ranked = rank(cards, depth, "roads", load)
        assert [c.deputy_id for c in ranked] == [2, 1, 4, 3, 6, 5]
        assert [c.near for c in ranked] == [True, True, True, True, False, False]
        assert ranked[0] == Candidate(2, "d2", "D2", 3, True, True)

    def test_the_holder_is_never_offered_and_no_category_matches_nothing(self) -> None:
        ranked = rank([card(1, ""), card(2), card(3)], {}, None, {2: 1}, exclude=3)
        assert [(c.deputy_id, c.field_match) for c in ranked] == [(1, False), (2, False)]

    @given(
        st.dictionaries(
            st.integers(1, 40), st.tuples(st.integers(0, 4) | st.none(), st.integers(0, 5), st.booleans())
        )
    )
    def test_every_near_deputy_precedes_every_other(
        self, world: dict[int, tuple[int | None, int, bool]]
    ) -> None:
        cards = [card(i, *(["x"] if match else [])) for i, (_d, _l, match) in world.items()]
        depth = {i: d for i, (d, _l, _m) in world.items() if d is not None}
        load = {i: n for i, (_d, n, _m) in world.items()}
        ranked = rank(cards, depth, "x", load)
        keys = [(depth.get(c.deputy_id, 99), not c.field_match, c.load, c.deputy_id) for c in ranked]
        assert keys == sorted(keys) and len(ranked) == len(world)
        nears = [c.near for c in ranked]
        assert nears == sorted(nears, reverse=True)


@dataclass
class Tree:
    """H ← T ← V1, V2 (siblings); Z is elsewhere. Deputies by name, opinion held by `holder`."""

    stations: dict[str, int]
    deputies: dict[str, int]
    opinion: int
    sender: int


async def build(uow: Uow) -> Tree:
    async with uow() as u:
        s = u.session
        stations: dict[str, Station] = {}
        for code, parent in (("H", None), ("T", "H"), ("V1", "T"), ("V2", "T"), ("Z", None)):
            stations[code] = Station(
                code=code, name=code, kind="village", parent_id=stations[parent].id if parent else None
            )
            s.add(stations[code])
            await s.flush()
        places = {
            "holder": ("V1", []),
            "busy_match": ("V1", ["roads"]),
            "idle": ("V1", []),
            "up": ("T", ["roads"]),
            "top": ("H", []),
            "sibling": ("V2", ["roads"]),
            "far": ("Z", []),
        }
        deputies: dict[str, Deputy] = {}
        for name, (station, fields) in places.items():
            person = Person(name=name, code=name.upper())
            s.add(person)
            await s.flush()
            deputies[name] = Deputy(person_id=person.id, level="township", fields=fields)
            s.add(deputies[name])
            await s.flush()
            s.add(DeputyStation(deputy_id=deputies[name].id, station_id=stations[station].id))
        # `top` is at H and also at V1's parent T: the nearer station counts.
        s.add(DeputyStation(deputy_id=deputies["top"].id, station_id=stations["T"].id))
        group = DeputyGroup(code="g", name="group")
        s.add(group)
        await s.flush()
        for name in ("holder", "far"):
            s.add(GroupMembership(group_id=group.id, deputy_id=deputies[name].id))
        sender = Person(name="sender")
        s.add(sender)
        await s.flush()
        opinions = [
            Opinion(
                tracking_no="LX-2026-000001",
                sender_person_id=sender.id,
                station_id=stations["V1"].id,
                category="roads",
                text="pothole",
                state=OpinionState.ACCEPTED.value,
                holder_deputy_id=deputies["holder"].id,
            )
        ]
        # Open load: busy_match holds two more, sibling one.
        for n, holder in enumerate(("busy_match", "busy_match", "sibling"), start=2):
            opinions.append(
                Opinion(
                    tracking_no=f"LX-2026-{n:06d}",
                    sender_person_id=sender.id,
                    station_id=stations["Z"].id,
                    category="other",
                    text="x",
                    state=OpinionState.ACCEPTED.value,
                    holder_deputy_id=deputies[holder].id,
                )
            )
        s.add_all(opinions)
        await s.commit()
        return Tree(
            {k: v.id for k, v in stations.items()},
            {k: v.id for k, v in deputies.items()},
            opinions[0].id,
            sender.id,
        )


def names(tree: Tree, found: list[Candidate]) -> list[str]:
    by_id = {v: k for k, v in tree.deputies.items()}
    return [by_id[c.deputy_id] for c in found]


async def test_staff_see_the_chain_nearest_first_then_everyone_else(uow: Uow) -> None:
    tree = await build(uow)
    async with uow() as u:
        opinion = await u.opinions.get(tree.opinion)
        assert opinion is not None
        found = await CandidateService(u).for_staff(opinion)
    # V1 (matching field first, despite its load), T (top is at T too), H; then the rest, matching first.
    assert names(tree, found) == ["busy_match", "idle", "up", "top", "sibling", "far"]
    assert [c.near for c in found] == [True, True, True, True, False, False]
    assert [c.load for c in found] == [2, 0, 0, 0, 1, 0]
    assert found[0].field_match and not found[1].field_match and found[0].code == "BUSY_MATCH"


async def test_a_short_limit_stops_within_the_chain(uow: Uow) -> None:
    tree = await build(uow)
    async with uow() as u:
        opinion = await u.opinions.get(tree.opinion)
        assert opinion is not None
        assert names(tree, await CandidateService(u).for_staff(opinion, 3)) == ["busy_match", "idle", "up"]
        opinion.station_id = None  # no station: everyone, by field and load
        found = await CandidateService(u).for_staff(opinion, 10)
    assert names(tree, found) == ["up", "sibling", "busy_match", "idle", "top", "far"]
    assert not any(c.near for c in found)


async def test_the_chain_is_one_recursive_query_that_survives_a_cycle_and_depth(uow: Uow) -> None:
    """The per-level walks stopped after 10 stations; the recursive chain follows routing's bound."""
    async with uow() as u:
        s = u.session
        chain: list[Station] = []
        for level in range(14):
            station = Station(
                code=f"L{level}", name=f"L{level}", kind="village", parent_id=chain[-1].id if chain else None
            )
            s.add(station)
            await s.flush()
            chain.append(station)
        loop_a = Station(code="A", name="A", kind="village")
        loop_b = Station(code="B", name="B", kind="village")
        s.add_all([loop_a, loop_b])
        await s.flush()
        loop_a.parent_id, loop_b.parent_id = loop_b.id, loop_a.id
        person = Person(name="root deputy")
        s.add(person)
        await s.flush()
        root = Deputy(person_id=person.id, level="prefecture", fields=[])
        s.add(root)
        await s.flush()
        s.add(DeputyStation(deputy_id=root.id, station_id=chain[0].id))
        await s.flush()
        leaf = chain[-1].id
        ids = [sid for sid, _parent in await u.network.station_chain(leaf, 50)]
        assert ids == [st.id for st in reversed(chain)]
        assert [sid for sid, _ in await u.network.station_chain(loop_a.id, 50)] == [loop_a.id, loop_b.id]
        opinion = Opinion(station_id=leaf, category="other", holder_deputy_id=None)
        found = await CandidateService(u).for_staff(opinion)
    assert [(c.deputy_id, c.near) for c in found] == [(root.id, True)]


async def test_a_deputy_hands_only_to_colleagues_ranked_the_same_way(uow: Uow) -> None:
    tree = await build(uow)
    async with uow() as u:
        opinion = await u.opinions.get(tree.opinion)
        assert opinion is not None
        service = CandidateService(u)
        found = await service.for_transfer(opinion, tree.deputies["holder"])
        # Colleagues of V1 and of group g; `far` shares only the group, so comes last.
        assert names(tree, found) == ["busy_match", "idle", "far"]
        assert names(tree, await service.for_transfer(opinion, tree.deputies["holder"], limit=1)) == [
            "busy_match"
        ]
        assert await service.may_transfer(tree.deputies["holder"], tree.deputies["far"])
        assert not await service.may_transfer(tree.deputies["holder"], tree.deputies["sibling"])
        assert not await service.may_transfer(tree.deputies["holder"], tree.deputies["holder"])
        assert names(tree, await service.for_transfer(opinion, tree.deputies["top"])) == ["up"]  # shares T
        assert await service.for_transfer(opinion, tree.deputies["sibling"]) == []  # alone at V2


@pytest.mark.parametrize("limit", [1, 4, 30])
async def test_limits_cut_the_same_ranking(uow: Uow, limit: int) -> None:
    tree = await build(uow)
    async with uow() as u:
        opinion = await u.opinions.get(tree.opinion)
        assert opinion is not None
        full = await CandidateService(u).for_staff(opinion, 30)
        assert await CandidateService(u).for_staff(opinion, limit) == full[:limit]
