"""The console's network pages at a province's size, and id lists longer than a statement's parameters.

40,000 deputies (more than asyncpg's 32,767 arguments and SQLite's 32,766 variables): a page of the
deputies tab reads its own 100 rows and counts the rest in SQL; the whole tab (an export) reads them all
with the names beside them; and the functions that took a caller's list of ids take it as one array
parameter (`storage.lists.among`), where an `IN` list of 40,000 failed on both backends.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy import insert, select

from bot.console.reads.network import NetworkReads
from bot.opinions.sla import FixedClock, SlaPolicy, colour_clock
from bot.runtime.settings import load_settings
from storage.models import Deputy, DeputyStation, Opinion, Person, Station
from storage.unit_of_work import UnitOfWork

MANY = 40_000
NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
Uow = Callable[[], UnitOfWork]


async def _province(uow: Uow) -> list[int]:
    """MANY deputies (codes P00000…), the first 1,000 at a station; returns the deputy ids by code."""
    async with uow() as u:
        await u.session.execute(insert(Station), [{"code": "ST1", "name": "大站", "kind": "village"}])
        station = await u.session.scalar(select(Station.id))
        await u.session.execute(
            insert(Person), [{"name": f"代表{i}", "code": f"P{i:05d}"} for i in range(MANY)]
        )
        people = (await u.session.scalars(select(Person.id).order_by(Person.code))).all()
        await u.session.execute(insert(Deputy), [{"person_id": p, "level": "township"} for p in people])
        deputies = list(
            (
                await u.session.scalars(
                    select(Deputy.id).join(Person, Person.id == Deputy.person_id).order_by(Person.code)
                )
            ).all()
        )
        await u.session.execute(
            insert(DeputyStation), [{"deputy_id": d, "station_id": station} for d in deputies[:1000]]
        )
        await u.commit()
    return deputies


def _reads(u: UnitOfWork) -> NetworkReads:
    settings = load_settings(database_url="sqlite:///unused.db", webhook_url="", webhook_secret="")
    return NetworkReads(u, settings, SlaPolicy(), FixedClock(NOW))


async def test_a_page_of_forty_thousand_deputies_and_the_whole_tab(uow: Uow) -> None:
    deputies = await _province(uow)
    async with uow() as u:
        reads = _reads(u)
        assert await reads.network_count("deputies") == MANY
        assert await reads.network_count("deputies", "P3999") == 10  # P39990…P39999
        last = await reads.network_rows("deputies", offset=MANY - 50, limit=100)
        everything = await reads.network_deputies()
        assert await reads.network_count("stations") == 1
    assert [r.code for r in last] == [f"P{i:05d}" for i in range(MANY - 50, MANY)]
    assert len(everything) == MANY and everything[0].stations == ["大站"] and everything[-1].stations == []
    assert [r.id for r in everything] == deputies


async def test_lists_of_ids_longer_than_a_statement_takes(uow: Uow) -> None:
    deputies = await _province(uow)
    async with uow() as u:
        sender = await u.session.scalar(select(Person.id).where(Person.code == "P00000"))
        assert sender is not None
        u.session.add_all(
            [
                Opinion(
                    tracking_no=f"LX-2026-{i:06d}",
                    sender_person_id=sender,
                    category="transport",
                    text="…",
                    state="accepted",
                    holder_deputy_id=deputies[-1 - i],
                    answer_deadline=NOW,  # yellow: due now
                )
                for i in range(3)
            ]
        )
        await u.commit()
    async with uow() as u:
        ids = list(range(1, MANY + 1))
        numbers = await u.console_suggestions.tracking_numbers(ids)
        names = await u.console_suggestions.unit_names(ids)
        by_holder = await u.colours.counts_by_holder(colour_clock(SlaPolicy(), NOW), deputies)
        names_of = await u.people.deputy_names(deputies)
    assert sorted(numbers.values()) == ["LX-2026-000000", "LX-2026-000001", "LX-2026-000002"]
    assert names == {}
    assert by_holder == {d: {"yellow": 1} for d in deputies[-3:]}
    assert len(names_of) == MANY and names_of[deputies[7]] == "代表7"
