"""storage.fast: prebuilt statements straight on the driver's connection, inside the unit of work.

Each test runs on both backends: SQLite takes the direct path always, PostgreSQL once the unit of
work's transaction has begun (its first statement goes through the session), and every path must
give the same answers and keep to the unit of work's transaction.
"""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage import fast
from storage.models import InboxUpdate, Person
from storage.repos.inbox import _PENDING
from storage.unit_of_work import UnitOfWork
from tests.test_db_engine import _terminate

_inbox = InboxUpdate.__table__
_ADD = fast.Prepared(insert(_inbox).returning(_inbox.c.id, _inbox.c.received_at))
_READ = fast.Prepared(
    select(_inbox.c.update_id, _inbox.c.payload, _inbox.c.received_at)
    .where(_inbox.c.update_id >= bindparam("from_id"))
    .order_by(_inbox.c.update_id)
)
_TOUCH = fast.Prepared(
    update(_inbox).where(_inbox.c.update_id == bindparam("u")).values(attempts=_inbox.c.attempts + 1)
)
# ORM attributes, not table columns: the session answers these with an ORM result.
_NAMES = fast.Prepared(select(Person.name).where(Person.telegram_id == bindparam("tg")))
# received_at is left out: its default comes from SQLAlchemy, so only the session can run this one.
_ADD_WITH_DEFAULT = fast.Prepared(insert(_inbox))

AT = datetime(2026, 11, 28, 6, 30, 15, 123456, tzinfo=UTC)


def _row(update_id: int) -> dict[str, object]:
    return {
        "update_id": update_id,
        "chat_id": 7,
        "payload": {"update_id": update_id, "text": '路灯 ✓ "quoted" \\ null\u0000'},
        "received_at": AT,
        "attempts": 0,
    }


async def test_sqlite_takes_the_direct_path(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    async with sessionmaker() as session:
        direct = await fast._sqlite3_of(session)
        assert (direct is not None) == (session.bind.dialect.name == "sqlite")
        # Values the database computes (attempts + 1) and RETURNING need nothing from SQLAlchemy.
        assert _TOUCH.plan(session.bind.dialect, ("u",)) is not None
        assert _ADD.plan(session.bind.dialect, tuple(_row(1))) is not None


async def test_rows_types_and_counts_round_trip(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """JSON and time zone–aware datetimes are converted both ways, as the session converts them."""
    async with UnitOfWork(sessionmaker) as uow:
        added = await fast.run(uow.session, _ADD, [_row(1), _row(2), _row(3)])
        assert len(added.rows) == 3 and added.rows[0][1] == AT
        assert sorted(added.scalars()) == added.scalars()
        await fast.run(uow.session, _TOUCH, [{"u": 1}, {"u": 3}, {"u": 99}])
        assert (await fast.run(uow.session, _TOUCH, {"u": 2})).rowcount == 1
        assert (await fast.run(uow.session, _TOUCH, {"u": 99})).rowcount == 0
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        rows = (await fast.run(uow.session, _READ, {"from_id": 2})).all()
        assert rows == [(2, _row(2)["payload"], AT), (3, _row(3)["payload"], AT)]
        stored = (await uow.session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
        assert [(r.update_id, r.attempts, r.payload, r.received_at) for r in stored] == [
            (u, 1, _row(u)["payload"], AT) for u in (1, 2, 3)
        ]


async def test_statements_belong_to_the_unit_of_works_transaction(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        await fast.run(uow.session, _ADD, _row(10))
        await uow.rollback()
        await fast.run(uow.session, _ADD, _row(11))  # a new transaction after the rollback
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert (await fast.run(uow.session, _READ, {"from_id": 0})).scalars() == [11]


async def test_pending_orm_changes_are_flushed_first(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """As session.execute would: a statement sees what the unit of work added but did not flush."""
    async with UnitOfWork(sessionmaker) as uow:
        uow.session.add(Person(name="Flushed first", telegram_id=555))
        assert (await fast.run(uow.session, _NAMES, {"tg": 555})).scalars() == ["Flushed first"]
        with uow.session.no_autoflush:
            uow.session.add(Person(name="Not yet", telegram_id=556))
            assert (await fast.run(uow.session, _NAMES, {"tg": 556})).rows == []


async def test_errors_are_sqlalchemys_and_defaults_still_apply(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        await fast.run(uow.session, _ADD, _row(20))
        with pytest.raises(IntegrityError):  # update_id is unique
            await fast.run(uow.session, _ADD, _row(20))
        await uow.rollback()
        row = {k: v for k, v in _row(21).items() if k != "received_at"}
        await fast.run(uow.session, _ADD_WITH_DEFAULT, row)
        await uow.commit()
    assert _ADD_WITH_DEFAULT.plan(uow.session.bind.dialect, tuple(row)) is None
    async with UnitOfWork(sessionmaker) as uow:
        (stored,) = (await uow.session.scalars(select(InboxUpdate))).all()
        assert stored.update_id == 21 and stored.received_at is not None


async def test_postgresql_goes_straight_to_asyncpg_inside_the_transaction(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite always takes its direct path (test_sqlite_takes_the_direct_path)")
    through_session: list[str] = []
    listener = lambda *args: through_session.append(args[2])  # noqa: E731 (statement text)
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        async with UnitOfWork(sessionmaker) as uow:
            assert await fast._asyncpg_of(uow.session) is None  # nothing begun on the server yet
            await fast.run(uow.session, _ADD, _row(30))  # so this one goes through the session
            assert await fast._asyncpg_of(uow.session) is not None
            assert (await fast.run(uow.session, _READ, {"from_id": 30})).all() == [
                (30, _row(30)["payload"], AT)
            ]
            assert (await fast.run(uow.session, _TOUCH, {"u": 30})).rowcount == 1
            assert (await fast.run(uow.session, _TOUCH, {"u": 31})).rowcount == 0
            # Rows returned for several parameter sets: one statement each, in order.
            added = await fast.run(uow.session, _ADD, [_row(32), _row(33)])
            assert [r[1] for r in added.rows] == [AT, AT] and added.scalars() == sorted(added.scalars())
            assert len(through_session) == 1
            await uow.rollback()
        async with UnitOfWork(sessionmaker) as uow:
            # Everything went into the transaction that rolled back, the direct statements too.
            assert (await fast.run(uow.session, _READ, {"from_id": 0})).rows == []
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)


async def test_run_alone_commits_on_its_own_and_a_batch_is_all_or_nothing(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    through_session: list[str] = []
    listener = lambda *args: through_session.append(args[2])  # noqa: E731 (statement text)
    event.listen(engine.sync_engine, "before_cursor_execute", listener)
    try:
        added = await fast.run_alone(engine, _ADD, [_row(40), _row(41)])
        assert added.scalars() == sorted(added.scalars()) and len(added.rows) == 2
        assert (await fast.run_alone(engine, _TOUCH, {"u": 40})).rowcount == 1
        with pytest.raises(IntegrityError):  # 43 is new, 41 is not: neither is kept
            await fast.run_alone(engine, _ADD, [_row(43), _row(41)])
        with pytest.raises(IntegrityError):
            await fast.run_alone(engine, _ADD, _row(40))
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", listener)
    # On PostgreSQL straight on asyncpg; SQLite takes its session's direct path (also no cursor).
    assert through_session == []
    async with UnitOfWork(sessionmaker) as uow:  # committed: another transaction sees them
        assert (await fast.run(uow.session, _READ, {"from_id": 0})).scalars() == [40, 41]
        stored = (await uow.session.scalars(select(InboxUpdate).order_by(InboxUpdate.update_id))).all()
        assert [(r.update_id, r.attempts) for r in stored] == [(40, 1), (41, 0)]


async def test_run_alone_drops_a_connection_the_server_lost(engine: AsyncEngine) -> None:
    """SQLAlchemy sees no error of its own there, so run_alone tells the pool; the next call works."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no server process to lose")
    async with engine.connect() as conn:
        pid = (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one()
    await _terminate(engine.url.render_as_string(hide_password=False), pid)
    with pytest.raises(DBAPIError):  # the pool has one idle connection: the lost one
        await fast.run_alone(engine, _ADD, _row(50))
    await fast.run_alone(engine, _ADD, _row(51))
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one() != pid


@pytest.mark.parametrize(
    ("prepared", "values"),
    [
        # Literal values fixed in the statement (attempts=0), a renamed column (at → received_at).
        (
            "storage.repos.inbox:_INBOX_ADD",
            {"update_id": 5, "chat_id": None, "payload": {"a": [1]}, "at": AT},
        ),
        # An upsert with `value + 1` and a LIMIT parameter.
        ("storage.repos.counters:_COUNTER_NEXT", {"name": "opinion:2026", "value": 1}),
        ("storage.repos.inbox:_PENDING", {"limit": 7}),
        # Comparisons with fixed values next to the caller's.
        (
            "storage.repos.opinions:_OPEN_TEXTS_AT",
            {"station_id": 3, "category": "water", "sender": 9, "limit": 200},
        ),
        (
            "storage.repos.outbox:_OUTBOX_RECORD_FINAL",
            {"b_id": 1, "b_status": "sent", "b_at": AT, "b_error": None, "b_message_id": 4},
        ),
    ],
)
async def test_parameters_are_bound_as_sqlalchemy_binds_them(
    engine: AsyncEngine, prepared: str, values: dict[str, object]
) -> None:
    """The plan works out once where each parameter comes from; it must agree with construct_params."""
    module, _, name = prepared.partition(":")
    statement: fast.Prepared = getattr(importlib.import_module(module), name)
    plan = statement.plan(engine.dialect, tuple(values))
    assert plan is not None and plan.sources is not None
    params = plan.compiled.construct_params(values)
    expected = tuple(plan._convert(plan.processors.get(n), params[n]) for n in plan.names)
    assert plan.bind(values) == expected


async def test_a_missing_parameter_is_refused_as_sqlalchemy_refuses_it(engine: AsyncEngine) -> None:
    plan = _PENDING.plan(engine.dialect, ())
    assert plan is not None and plan.sources is None  # "limit" is required and not given
    with pytest.raises(InvalidRequestError, match="limit"):
        plan.bind({})
