"""NetworkRepo's bulk syncs used by the network import: only the named owners and sources change,
a second identical call changes nothing, and the counts are what the import summary reports."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import import_network
from storage.models import ContactLink, ContactTier, DeputyStation, Person, SpecialCommittee, Station
from storage.unit_of_work import UnitOfWork

SMALL = Path(__file__).parent / "data" / "network_small.yaml"

Maker = async_sessionmaker[AsyncSession]


async def _ids(sessionmaker: Maker) -> tuple[dict[str, int], dict[str, int], dict[str, int], dict[str, int]]:
    """Person, deputy, station and committee ids of the small network, by code."""
    async with UnitOfWork(sessionmaker) as uow:
        people = (await uow.session.scalars(select(Person).where(Person.code.is_not(None)))).all()
        person = {p.code or "": p.id for p in people}
        deputy = {p.code or "": p.deputy.id for p in people if p.deputy is not None}
        station = {s.code: s.id for s in (await uow.session.scalars(select(Station))).all()}
        committee = {c.code: c.id for c in (await uow.session.scalars(select(SpecialCommittee))).all()}
    return person, deputy, station, committee


async def _links(sessionmaker: Maker) -> set[tuple[int | None, int | None, int, str]]:
    async with UnitOfWork(sessionmaker) as uow:
        rows = await uow.session.execute(
            select(
                ContactLink.from_person_id,
                ContactLink.from_committee_id,
                ContactLink.to_person_id,
                ContactLink.tier,
            )
        )
        return {(r[0], r[1], r[2], r[3]) for r in rows}


async def test_sync_links_changes_only_the_named_sources(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, SMALL)
    person, _, _, committee = await _ids(sessionmaker)
    before = await _links(sessionmaker)
    m1, d1, d2, c1 = person["M1"], person["D1"], person["D2"], person["C1"]
    wanted = {
        (m1, None, d1): ContactTier.PRESIDIUM_COMMITTEE.value,  # re-tiered
        (m1, None, c1): ContactTier.COMMITTEE_DEPUTY.value,  # added; M1 → D2 goes
    }
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.network.sync_links({m1}, {committee["AGRI"]}, wanted) == (1, 2, 1)
        await uow.commit()
    after = await _links(sessionmaker)
    untouched = {link for link in before if link[0] != m1 and link[1] != committee["AGRI"]}
    assert untouched and untouched <= after
    assert after - untouched == {(fp, fc, to, tier) for (fp, fc, to), tier in wanted.items()}
    assert (m1, None, d2, ContactTier.COMMITTEE_DEPUTY.value) in before - after

    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.network.sync_links({m1}, {committee["AGRI"]}, wanted) == (0, 0, 0)
        await uow.commit()
    assert await _links(sessionmaker) == after


async def test_sync_pairs_makes_each_named_owner_exactly_what_is_wanted(sessionmaker: Maker) -> None:
    await import_network(sessionmaker, SMALL)
    _, deputy, station, _ = await _ids(sessionmaker)
    d1, d2 = deputy["D1"], deputy["D2"]
    wanted = {d1: [station["H1"], station["T1"]]}  # D1 leaves V1; D2 is not named
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.network.sync_pairs(DeputyStation, "deputy_id", "station_id", wanted) == {d1}
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        rows = (await uow.session.execute(select(DeputyStation.deputy_id, DeputyStation.station_id))).all()
        assert sorted(s for d, s in rows if d == d1) == sorted(wanted[d1])
        assert [s for d, s in rows if d == d2] == [station["V1"]]
        assert await uow.network.sync_pairs(DeputyStation, "deputy_id", "station_id", wanted) == set()
        assert await uow.network.sync_pairs(DeputyStation, "deputy_id", "station_id", {d2: []}) == {d2}
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        rows = (await uow.session.execute(select(DeputyStation.deputy_id))).all()
    assert d2 not in {r[0] for r in rows}
