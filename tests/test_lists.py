"""No statement carries one parameter per id: the queries that take a caller's list of ids run with more
than 32,767 of them (asyncpg's limit for a statement's arguments; SQLite's default variable limit is
32,766, and the test's SQLite connection is held to it, as a stock build is — Debian's allows 250,000)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import fast
from storage.db import create_engine, create_sessionmaker
from storage.lists import among
from storage.models import (
    ChatSession,
    ContactLink,
    ContactTier,
    Deputy,
    DeputyStation,
    Duty,
    Opinion,
    Person,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
    Unit,
    UnitCategory,
    UnitOfficer,
)
from storage.repos.broadcasts import Members, Scope
from storage.unit_of_work import UnitOfWork

MANY = 40_000  # more than asyncpg's 32,767 arguments and SQLite's default 32,766 variables
SQLITE_DEFAULT_VARIABLES = 32_766
TODAY = dt.date(2026, 3, 2)


@pytest.fixture
async def held_engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """The test's database, its SQLite connections held to SQLite's default variable limit."""
    engine = create_engine(db_url)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine.sync_engine, "connect")
        def _limit(dbapi_conn: Any, _record: Any) -> None:
            raw = dbapi_conn.driver_connection.sqlite3_connection
            raw.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_DEFAULT_VARIABLES)

    yield engine
    await engine.dispose()


def _many(real: list[int], start: int = 10_000_000) -> list[int]:
    """The real ids among MANY that match nothing."""
    return [*range(start, start + MANY - len(real)), *real]


async def test_a_plain_in_list_of_that_size_is_refused(held_engine: AsyncEngine) -> None:
    """What the helper avoids: one parameter per id is past the driver's or SQLite's limit here."""
    async with UnitOfWork(create_sessionmaker(held_engine)) as uow:
        with pytest.raises((SQLAlchemyError, sqlite3.Error, OverflowError)):
            await uow.session.execute(select(Person.id).where(Person.id.in_(list(range(MANY)))))


async def test_among_matches_like_in(held_engine: AsyncEngine) -> None:
    async with UnitOfWork(create_sessionmaker(held_engine)) as uow:
        people = [Person(name=f"p{n}", code=f"C{n}", telegram_id=2**40 + n) for n in range(5)]
        uow.session.add_all(people)
        await uow.session.flush()
        ids = [p.id for p in people]
        s = uow.session

        async def names(*where: Any) -> list[str]:
            return list(await s.scalars(select(Person.name).where(*where).order_by(Person.id)))

        assert await names(among(Person.id, _many(ids[1:3]))) == ["p1", "p2"]
        assert await names(~among(Person.id, ids[:2])) == ["p2", "p3", "p4"]
        assert await names(among(Person.id, [])) == []
        assert await names(among(Person.telegram_id, [2**40 + 4, 2**62])) == ["p4"]  # big integers
        assert await names(among(Person.code, ["C3", "中文", "x'); DROP TABLE person; --"])) == ["p3"]
        # As a prepared statement's parameter (storage.fast): one statement for every length.
        prepared = fast.Prepared(
            select(Person.name).where(among(Person.id, key="ids")).order_by(Person.id.desc())
        )
        for wanted in ([ids[0]], _many(ids)):
            found = (await fast.run(s, prepared, {"ids": wanted})).scalars()
            assert found == [p.name for p in reversed(people) if p.id in wanted]
        with pytest.raises(ValueError):
            among(Person.id)
        with pytest.raises(TypeError):
            among(Person.created_at, [])


async def test_the_repositories_take_any_number_of_ids(held_engine: AsyncEngine) -> None:
    async with UnitOfWork(create_sessionmaker(held_engine)) as uow:
        s = uow.session
        station = Station(code="S1", name="站", kind="village")
        committee = SpecialCommittee(code="AG", name="农委", categories=["water"])
        unit = Unit(code="JTJ", name="交通局", kind="government")
        s.add_all([station, committee, unit])
        await s.flush()
        people = [Person(name=f"人{n}", telegram_id=500 + n, station_id=station.id) for n in range(4)]
        s.add_all(people)
        await s.flush()
        deputy = Deputy(person_id=people[0].id, level="township", fields=["water"])
        s.add(deputy)
        await s.flush()
        opinion = Opinion(
            tracking_no="LX-1",
            sender_person_id=people[3].id,
            category="water",
            text="t",
            state="routed",
            holder_deputy_id=deputy.id,
            anonymous=True,
        )
        s.add_all(
            [
                DeputyStation(deputy_id=deputy.id, station_id=station.id),
                Duty(deputy_id=deputy.id, station_id=station.id, date=TODAY),
                SpecialCommitteeMember(committee_id=committee.id, person_id=people[1].id),
                ContactLink(
                    tier=ContactTier.COMMITTEE_DEPUTY.value,
                    from_person_id=people[1].id,
                    to_person_id=people[0].id,
                ),
                UnitCategory(unit_id=unit.id, category="transport"),
                UnitOfficer(unit_id=unit.id, person_id=people[2].id, head=True),
                ChatSession(chat_id=501, state=None, data={}, updated_at=dt.datetime.now(dt.UTC)),
                opinion,
            ]
        )
        await s.flush()
        d, st, pid = deputy.id, station.id, [p.id for p in people]

        assert await uow.opinions.open_counts(_many([d])) == {d: 1}
        assert await uow.opinions.on_duty(_many([st]), TODAY) == {(d, st)}
        assert await uow.network.station_names(_many([st])) == {st: "站"}
        assert await uow.network.committee_members(_many([committee.id])) == [(committee.id, pid[1])]
        assert await uow.network.station_members(_many([st])) == [(st, d, ["water"])]
        assert [c.id for c in await uow.network.deputy_cards(_many([d]))] == [d]
        assert await uow.people.deputy_names(_many([d])) == {d: "人0"}
        assert [x.id for x in await uow.people.deputies_of(_many(pid))] == [d]
        telegram = _many([500, 503], start=10**9)
        assert await uow.people.names_by_telegram_id(telegram) == {500: ("人0", None), 503: ("人3", None)}
        assert await uow.chats.opened([*telegram, 501]) == {501}
        assert await uow.console.person_names(set(_many(pid[:2]))) == {pid[0]: "人0", pid[1]: "人1"}
        assert await uow.console.anonymous_senders(_many([opinion.id])) == [(opinion.id, pid[3])]
        assert await uow.console.station_names_of_deputies(_many([d])) == {d: ["站"]}
        assert await uow.console.contacted_by(_many([d])) == {d: ["人1"]}
        assert await uow.console.unit_categories(_many([unit.id])) == {unit.id: ["transport"]}
        assert await uow.console.unit_officer_names(_many([unit.id])) == {unit.id: ["人2"]}
        assert await uow.broadcasts.locales_of(telegram) == {500: (None, None), 503: (None, None)}
        at = Members(Scope.DEPUTIES_AT, tuple(_many([st])))
        assert await uow.broadcasts.reach(at) == [500]
        assert await uow.broadcasts.count_unreached(Members(Scope.CONSTITUENTS_AT, tuple(_many([st])))) == 0
        for person in people:
            person.telegram_id = None
        await s.flush()
        unreached = await uow.broadcasts.unreached(Members(Scope.CONSTITUENTS_AT, tuple(_many([st]))))
        assert [(u.name, u.level, u.stations) for u in unreached] == [
            ("人1", None, ("站",)),
            ("人2", None, ("站",)),
            ("人3", None, ("站",)),
        ]
        assert [(u.name, u.level) for u in await uow.broadcasts.unreached(at)] == [("人0", "township")]
