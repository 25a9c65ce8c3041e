"""Routing: every branch of the rule order, a property over arbitrary networks, and the DB snapshot."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.opinions.routing import (
    STAFF_TRIAGE,
    DeputyInfo,
    RouteReason,
    RoutingSnapshot,
    StationInfo,
    build_snapshot,
    route,
)
from storage.models import ContactLink, ContactTier, Deputy, DeputyStation, Opinion, Person, Station
from storage.repos.opinions import OpinionRepo

R = RouteReason


def snap(*stations: StationInfo, station_id: int | None = 1, category: str | None = "water", linked=()):
    return RoutingSnapshot(category, station_id, tuple(linked), {s.station_id: s for s in stations})


class TestBranches:
    def test_linked_contact_first(self) -> None:
        s = snap(
            StationInfo(1, None, (DeputyInfo(5, on_duty=True),)),
            linked=[DeputyInfo(9, open_load=3), DeputyInfo(8, open_load=3), DeputyInfo(7, open_load=4)],
        )
        d = route(s)
        assert (d.holder_deputy_id, d.reason, d.code) == (8, R.LINKED_CONTACT, "linked_contact")

    def test_station_duty(self) -> None:
        s = snap(
            StationInfo(
                1,
                None,
                (
                    DeputyInfo(1, frozenset({"water"})),
                    DeputyInfo(2, on_duty=True, open_load=5),
                    DeputyInfo(3, on_duty=True, open_load=1),
                ),
            )
        )
        d = route(s)
        assert (d.holder_deputy_id, d.reason, d.station_id) == (3, R.STATION_DUTY, 1)

    def test_field_match_with_the_field(self) -> None:
        s = snap(
            StationInfo(
                1,
                None,
                (
                    DeputyInfo(1, frozenset({"roads"})),
                    DeputyInfo(2, frozenset({"water", "roads"}), open_load=2),
                    DeputyInfo(4, frozenset({"water"}), open_load=2),
                ),
            )
        )
        d = route(s)
        assert (d.holder_deputy_id, d.reason, d.field, d.code) == (
            2,
            R.FIELD_MATCH,
            "water",
            "field_match:water",
        )

    def test_least_loaded_ties_by_id(self) -> None:
        s = snap(
            StationInfo(
                1, None, (DeputyInfo(7, open_load=1), DeputyInfo(4, open_load=1), DeputyInfo(2, open_load=3))
            )
        )
        d = route(s)
        assert (d.holder_deputy_id, d.reason) == (4, R.LEAST_LOADED)

    def test_least_loaded_without_category(self) -> None:
        s = snap(StationInfo(1, None, (DeputyInfo(3, frozenset({"water"}), 2), DeputyInfo(6))), category=None)
        assert route(s).holder_deputy_id == 6

    def test_parent_station_applies_the_same_rules(self) -> None:
        s = snap(
            StationInfo(1, 2, ()),
            StationInfo(2, 3, ()),
            StationInfo(3, None, (DeputyInfo(11), DeputyInfo(12, frozenset({"water"}), 9))),
        )
        d = route(s)
        assert (d.holder_deputy_id, d.reason, d.rule, d.hops, d.station_id) == (
            12,
            R.PARENT_STATION,
            R.FIELD_MATCH,
            2,
            3,
        )
        assert d.code == "parent_station:field_match:water"

    def test_parent_station_duty(self) -> None:
        s = snap(StationInfo(1, 2, ()), StationInfo(2, None, (DeputyInfo(1), DeputyInfo(2, on_duty=True))))
        d = route(s)
        assert (d.holder_deputy_id, d.code) == (2, "parent_station:station_duty")

    def test_no_station_goes_to_triage(self) -> None:
        d = route(snap(station_id=None))
        assert d.holder_deputy_id is STAFF_TRIAGE and d.reason is R.NO_STATION and d.to_triage

    def test_no_deputy_up_the_chain_goes_to_triage(self) -> None:
        d = route(snap(StationInfo(1, 2, ()), StationInfo(2, None, ())))
        assert d.to_triage and d.reason is R.NO_STATION

    def test_parent_cycle_terminates(self) -> None:
        d = route(snap(StationInfo(1, 2, ()), StationInfo(2, 1, ())))
        assert d.to_triage

    def test_unknown_station_goes_to_triage(self) -> None:
        assert route(snap(station_id=42)).to_triage


deputies = st.builds(
    DeputyInfo,
    deputy_id=st.integers(1, 40),
    fields=st.frozensets(st.sampled_from(["water", "roads", "school"]), max_size=2),
    open_load=st.integers(0, 5),
    on_duty=st.booleans(),
)


@st.composite
def networks(draw: st.DrawFn) -> RoutingSnapshot:
    ids = draw(st.lists(st.integers(1, 12), unique=True, max_size=8))
    stations = {
        sid: StationInfo(
            sid,
            draw(st.one_of(st.none(), st.integers(1, 14))),  # may dangle or form cycles
            tuple(draw(st.lists(deputies, max_size=4))),
        )
        for sid in ids
    }
    return RoutingSnapshot(
        draw(st.one_of(st.none(), st.sampled_from(["water", "roads", "school", "health"]))),
        draw(st.one_of(st.none(), st.integers(1, 14))),
        tuple(draw(st.lists(deputies, max_size=2))),
        stations,
    )


@settings(max_examples=400, deadline=None)
@given(networks())
def test_every_opinion_gets_exactly_one_holder(s: RoutingSnapshot) -> None:
    d = route(s)
    assert d == route(s)  # deterministic
    if d.to_triage:
        assert d.reason is R.NO_STATION
        assert not s.linked
        return
    assert d.reason is not R.NO_STATION
    if d.reason is R.LINKED_CONTACT:
        assert d.holder_deputy_id in {x.deputy_id for x in s.linked}
        return
    assert not s.linked
    assert d.station_id is not None
    at = s.stations[d.station_id]
    chosen = [x for x in at.deputies if x.deputy_id == d.holder_deputy_id]
    assert chosen
    rule = d.rule if d.reason is R.PARENT_STATION else d.reason
    assert (d.hops > 0) == (d.reason is R.PARENT_STATION)
    if rule is R.STATION_DUTY:
        assert any(x.on_duty for x in chosen)
    elif rule is R.FIELD_MATCH:
        assert not any(x.on_duty for x in at.deputies)
        assert d.field == s.category and any(s.category in x.fields for x in chosen)
    else:
        assert rule is R.LEAST_LOADED
        best = min((x.open_load, x.deputy_id) for x in at.deputies)
        assert best[1] == d.holder_deputy_id


async def test_build_snapshot_from_storage(uow) -> None:
    today = dt.date(2026, 3, 2)
    async with uow() as u:
        s = u.session
        county = Station(code="C", name="county", kind="home")
        s.add(county)
        await s.flush()
        village = Station(code="V", name="village", kind="village", parent_id=county.id)
        s.add(village)
        people = [Person(name=f"p{i}") for i in range(5)]
        s.add_all(people)
        await s.flush()
        d_link, d_duty, d_field, d_parent = (
            Deputy(person_id=people[1].id, level="county", fields=["roads"]),
            Deputy(person_id=people[2].id, level="township", fields=[]),
            Deputy(person_id=people[3].id, level="township", fields=["water"]),
            Deputy(person_id=people[4].id, level="county", fields=[]),
        )
        s.add_all([d_link, d_duty, d_field, d_parent])
        await s.flush()
        s.add_all(
            [
                ContactLink(
                    tier=ContactTier.DEPUTY_CONSTITUENT.value,
                    from_person_id=people[1].id,
                    to_person_id=people[0].id,
                ),
                # another tier must not count as a linked deputy
                ContactLink(
                    tier=ContactTier.COMMITTEE_DEPUTY.value,
                    from_person_id=people[4].id,
                    to_person_id=people[0].id,
                ),
                DeputyStation(deputy_id=d_duty.id, station_id=village.id),
                DeputyStation(deputy_id=d_field.id, station_id=village.id),
                DeputyStation(deputy_id=d_parent.id, station_id=county.id),
            ]
        )
        repo = OpinionRepo(s)
        await repo.add_duty(d_duty.id, village.id, today)
        await repo.add_duty(d_field.id, village.id, today - dt.timedelta(days=1))
        for n, state in enumerate(["accepted", "routed", "closed"]):
            s.add(
                Opinion(
                    tracking_no=f"T-{n}",
                    sender_person_id=people[0].id,
                    category="x",
                    text="t",
                    state=state,
                    holder_deputy_id=d_field.id,
                )
            )
        await s.flush()

        snapshot = await build_snapshot(s, people[0].id, village.id, "water", today)
        assert [x.deputy_id for x in snapshot.linked] == [d_link.id]
        assert snapshot.stations == {}  # a linked deputy wins: the station side is not read
        assert route(snapshot).reason is R.LINKED_CONTACT

        other = Person(name="stranger")
        s.add(other)
        await s.flush()
        snapshot = await build_snapshot(s, other.id, village.id, "water", today)
        assert snapshot.linked == ()
        assert snapshot.stations[village.id].parent_id == county.id
        by_id = {x.deputy_id: x for x in snapshot.stations[village.id].deputies}
        assert by_id[d_duty.id].on_duty and not by_id[d_field.id].on_duty
        assert by_id[d_field.id].open_load == 2 and by_id[d_field.id].fields == frozenset({"water"})
        # Routing stops at the nearest station with deputies: the county beyond it is not read.
        assert county.id not in snapshot.stations
        # A village without deputies: the county's are read, and its deputy is chosen.
        empty = Station(code="E", name="empty village", kind="village", parent_id=county.id)
        s.add(empty)
        await s.flush()
        snapshot = await build_snapshot(s, other.id, empty.id, "water", today)
        assert snapshot.stations[empty.id].deputies == ()
        assert [x.deputy_id for x in snapshot.stations[county.id].deputies] == [d_parent.id]
        assert route(snapshot).reason is R.PARENT_STATION and route(snapshot).holder_deputy_id == d_parent.id

        # Linked to two deputies: their loads are read, and the less loaded one is chosen.
        two = Person(name="linked twice")
        s.add(two)
        await s.flush()
        for deputy_person in (people[3], people[1]):
            s.add(
                ContactLink(
                    tier=ContactTier.DEPUTY_CONSTITUENT.value,
                    from_person_id=deputy_person.id,
                    to_person_id=two.id,
                )
            )
        await s.flush()
        snapshot = await build_snapshot(s, two.id, village.id, "water", today)
        assert {x.deputy_id: x.open_load for x in snapshot.linked} == {d_field.id: 2, d_link.id: 0}
        assert route(snapshot).holder_deputy_id == d_link.id
        d = route(await build_snapshot(s, other.id, village.id, "water", today))
        assert (d.holder_deputy_id, d.reason) == (d_duty.id, R.STATION_DUTY)
        d = route(await build_snapshot(s, other.id, village.id, "water", today + dt.timedelta(days=1)))
        assert (d.holder_deputy_id, d.reason) == (d_field.id, R.FIELD_MATCH)
        d = route(await build_snapshot(s, other.id, None, "water", today))
        assert d.reason is R.NO_STATION
