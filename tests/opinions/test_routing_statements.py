"""Routing's reads: the station path in one prepared statement, the linked path in one, and the station
side the same as the separate reads it replaced (chain, members, roster, loads) on random trees."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.opinions.routing import MAX_CHAIN, RoutingSnapshot, build_snapshot, route
from storage.models import (
    ContactLink,
    ContactTier,
    Deputy,
    DeputyStation,
    Duty,
    Opinion,
    Person,
    Station,
)
from storage.repos.network import NetworkRepo
from storage.repos.opinions import OpinionRepo
from tests.kit.statements import counting_statements

TODAY = dt.date(2026, 3, 2)
STATES = ["routed", "accepted", "answered", "closed", "transferred", "awaiting_info", "escalated"]


async def _network(u, seed: int, stations: int = 40) -> tuple[list[int], int, int]:  # type: ignore[no-untyped-def]
    """A random station forest with a cycle, deputies at some stations (some at two), rosters of today
    and yesterday, and opinions in every state; (station ids, an unlinked constituent, a linked one)."""
    rng = random.Random(seed)
    s = u.session
    rows = [Station(code=f"S{n}", name=f"s{n}", kind="village") for n in range(stations)]
    s.add_all(rows)
    await s.flush()
    for n, station in enumerate(rows[1:], start=1):
        station.parent_id = rows[rng.randrange(n)].id if rng.random() < 0.9 else None
    rows[0].parent_id, rows[1].parent_id = rows[1].id, rows[0].id  # a cycle in bad data
    people = [Person(name=f"p{n}") for n in range(60)]
    s.add_all(people)
    await s.flush()
    deputies = [
        Deputy(
            person_id=p.id, level="township", fields=rng.sample(["water", "roads", "farm"], rng.randrange(3))
        )
        for p in people[2:]
    ]
    s.add_all(deputies)
    await s.flush()
    pairs = {(d.id, rng.choice(rows).id) for d in deputies for _ in range(rng.choice([0, 1, 1, 2]))}
    s.add_all(DeputyStation(deputy_id=d, station_id=st) for d, st in sorted(pairs))
    s.add_all(
        Duty(deputy_id=d, station_id=st, date=rng.choice([TODAY, TODAY - dt.timedelta(days=1)]))
        for d, st in sorted(pairs)
        if rng.random() < 0.3
    )
    s.add(
        ContactLink(
            tier=ContactTier.DEPUTY_CONSTITUENT.value,
            from_person_id=deputies[0].person_id,
            to_person_id=people[1].id,
        )
    )
    await s.flush()
    opinions = [
        {"tracking_no": f"T{seed}-{n}", "sender_person_id": people[0].id, "category": "water", "text": "t",
         "state": rng.choice(STATES), "holder_deputy_id": rng.choice(deputies).id}
        for n in range(300)
    ]  # fmt: skip
    await s.execute(insert(Opinion), opinions)
    await s.flush()
    return [r.id for r in rows], people[0].id, people[1].id


async def _reference(u, station_id: int) -> RoutingSnapshot:  # type: ignore[no-untyped-def]
    """The station side read as it was before #25: chain, members, roster and loads, one query each;
    then cut after the nearest station with deputies, as routing stops there (`route`)."""
    from bot.opinions.routing import DeputyInfo, StationInfo

    network, repo = NetworkRepo(u.session), OpinionRepo(u.session)
    chain = await network.station_chain(station_id, MAX_CHAIN)
    ids = [sid for sid, _ in chain]
    members: dict[int, list[tuple[int, list[str]]]] = {sid: [] for sid in ids}
    for sid, did, fields in await network.station_members(ids):
        members[sid].append((did, fields))
    nearest = next((i for i, sid in enumerate(ids) if members[sid]), len(ids) - 1)
    chain, ids = chain[: nearest + 1], ids[: nearest + 1]
    on_duty = await repo.on_duty(ids, TODAY)
    loads = await repo.open_counts({d for ms in members.values() for d, _ in ms})
    return RoutingSnapshot(
        category="water",
        station_id=station_id if chain else None,
        stations={
            sid: StationInfo(
                sid,
                parent,
                tuple(
                    DeputyInfo(did, frozenset(f), loads.get(did, 0), (did, sid) in on_duty)
                    for did, f in sorted(members[sid])
                ),
            )
            for sid, parent in chain
        },
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_the_station_side_reads_what_the_separate_queries_read(uow, seed: int) -> None:
    async with uow() as u:
        stations, walker, _ = await _network(u, seed)
        for station_id in [*stations, 10**9]:  # and a station that does not exist
            got = await build_snapshot(u.session, walker, station_id, "water", TODAY)
            want = await _reference(u, station_id)
            assert got == want, station_id
            assert route(got) == route(want)


async def test_the_station_path_is_one_prepared_statement(
    uow, engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with uow() as u:
        stations, walker, linked = await _network(u, 7)
        await u.commit()
    async with uow() as u:
        with counting_statements(monkeypatch, engine) as statements:
            snapshot = await build_snapshot(u.session, walker, stations[-1], "water", TODAY)
        assert snapshot.stations and not snapshot.linked
        # Whether a deputy is linked to the sender, then the whole station side: both prepared.
        assert statements.count == 2 and statements.session == [], statements.session
        with counting_statements(monkeypatch, engine) as statements:
            snapshot = await build_snapshot(u.session, linked, stations[-1], "water", TODAY)
        assert snapshot.linked and not snapshot.stations
        assert statements.count == 1 and statements.session == []
