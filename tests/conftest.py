"""Shared fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.pool import NullPool

from bot.sandbox import Sandbox
from storage import migrate
from storage.db import create_engine, create_sessionmaker
from storage.models import Base
from storage.unit_of_work import UnitOfWork
from tests.kit import assert_no_violations, running_sandbox
from tests.reliability.helpers import DbProbe

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
ROOT = Path(__file__).resolve().parent.parent
# The BLNS corpus, vendored (tests/data/blns/README.md): nothing the tests read lives outside the repository.
BLNS = ROOT / "tests" / "data" / "blns" / "blns.json"


# Folders whose tests carry a marker, so the fast part runs alone: `pytest -m "not e2e and not browser and not slow"`.
_MARKED_FOLDERS = {"e2e": "e2e", "browser": "browser", "reliability": "slow"}


# The longest tests, started first when the run is spread over processes (pytest-xdist,
# scripts/test.sh): a long test begun last would keep one worker busy after the others are done.
_LONGEST_FIRST = (
    "tests/e2e/test_blns.py::",
    "tests/e2e/test_reception_diary_e2e.py::test_naughty_matters",
    "tests/reliability/test_broadcast_3000.py::",
    "tests/test_network.py::",
)
# Tests that share one worker, one after the other: the browser tests, for one Chromium per run
# (tests/browser/conftest.py `browser`); the crash tests, which start and kill bot processes and wait
# for them with bounds of seconds: run side by side on two loaded cores, they missed them.
_GROUPS = {"tests/browser/": "browser", "tests/reliability/test_crash.py::": "bot-processes"}


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """With ``--dist loadgroup``, the groups are _GROUPS; every other test is a unit of its own.

    xdist's own loadgroup (``xdist_group`` marks) no longer works with pytest 9: it renames the
    items through ``item._nodeid``, which pytest 9 does not read. The scheduler runs in the main
    process and only sees node ids, so the grouping is by id here.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return next((group for prefix, group in _GROUPS.items() if nodeid.startswith(prefix)), nodeid)

    return Grouped(config, log)


def _rank(item: pytest.Item) -> int:
    for rank, prefix in enumerate(_LONGEST_FIRST):
        if item.nodeid.startswith(prefix):
            return rank
    return len(_LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).parent.name
        if folder in _MARKED_FOLDERS:
            item.add_marker(_MARKED_FOLDERS[folder])
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_rank)  # stable: the same order on every worker, as xdist requires


# The test process's garbage-collector setting, as the serving process's (bot/runtime/app.py
# SERVING_GC_THRESHOLD, `tune_gc_for_serving`), with older generations scanned sooner: the suite
# runs many bots one after another, whose cycles should not pile up.
TEST_GC_THRESHOLD = (5_000, 20, 10)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Keep what start-up and collection made (modules, mappers, test items) out of every collection.

    At CPython's default (700, 10, 10) the full collections walked that heap again and again: a
    fifth to a quarter of the CPU of the end-to-end and network tests (tests/e2e/test_blns.py with
    tests/test_network.py: 15.1 s of 54.8 s in gc, 3.1 s of 41.5 s with this). Cycles are still
    freed, a little later; no test reads when.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*TEST_GC_THRESHOLD)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After a test that restored the collector (tests/test_gc_tuning.py unfreezes), freeze it again.

    Only there: ``gc.get_freeze_count()`` walks the whole frozen heap (~15 ms), too dear per test.
    """
    try:
        return (yield)
    finally:
        if "restored_gc" in getattr(item, "fixturenames", ()) and gc.get_freeze_count() == 0:
            gc.freeze()


def pg_async_url() -> str:
    url = PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


def _pg_database(url: str, name: str) -> str:
    """The same server and user as ``url``, another database."""
    return url.rsplit("/", 1)[0] + "/" + name


def _pg_names() -> tuple[str, str, str]:
    """The template at head, the per-test clone and the empty database, named after TEST_DATABASE_URL's
    database and the xdist worker (each worker has its own: they run at once)."""
    base = pg_async_url().rsplit("/", 1)[1].split("?", 1)[0]
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return f"{base}_head{worker}", f"{base}_run{worker}", f"{base}_empty{worker}"


async def _pg_admin(sql: list[str]) -> None:
    """CREATE/DROP DATABASE, which run outside a transaction, on TEST_DATABASE_URL's own database."""
    eng = create_engine(pg_async_url(), isolation_level="AUTOCOMMIT")
    try:
        async with eng.connect() as conn:
            for statement in sql:
                await conn.execute(text(statement))
    finally:
        await eng.dispose()


async def _migrated(url: str) -> None:
    eng = create_engine(url)
    try:
        await migrate.upgrade(eng)
    finally:
        await eng.dispose()


@pytest.fixture(scope="session")
def head_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Each backend's schema, migrated to head once per test run; tests get copies of it.

    Migrating per test cost ~1 s on SQLite and ~1.6 s on PostgreSQL; a copied file or a
    ``CREATE DATABASE … TEMPLATE`` gives the same schema in a fraction of that.
    """
    templates: dict[str, str] = {}
    sqlite_file = tmp_path_factory.mktemp("head") / "head.db"
    asyncio.run(_migrated(f"sqlite+aiosqlite:///{sqlite_file}"))
    templates["sqlite"] = str(sqlite_file)
    if PG_URL:
        head, _, _ = _pg_names()
        asyncio.run(
            _pg_admin([f'DROP DATABASE IF EXISTS "{head}" WITH (FORCE)', f'CREATE DATABASE "{head}"'])
        )
        asyncio.run(_migrated(_pg_database(pg_async_url(), head)))
        templates["postgresql"] = head
    return templates


@pytest.fixture(params=BACKENDS)
async def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, head_templates: dict[str, str]
) -> AsyncIterator[str]:
    """URL of a database of its own for this test, with the schema at head (migrating it is a no-op)."""
    if request.param == "sqlite":
        target = tmp_path / "test.db"
        shutil.copyfile(head_templates["sqlite"], target)
        yield f"sqlite+aiosqlite:///{target}"
    else:
        yield await _pg_fresh_run(head_templates["postgresql"])


# What a test could change in a database besides its rows: relations, columns, indexes, constraints,
# sequences' settings, types, functions, triggers, schemas, and the migration stamp.
_PG_SHAPE = """
SELECT md5(concat_ws('|',
  (SELECT string_agg(nspname, ',' ORDER BY nspname) FROM pg_namespace),
  (SELECT string_agg(concat_ws(':', c.relname, c.relkind, n.nspname), ',' ORDER BY n.nspname, c.relname)
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')),
  (SELECT string_agg(concat_ws(':', c.relname, a.attname, format_type(a.atttypid, a.atttypmod),
                               a.attnotnull, pg_get_expr(d.adbin, d.adrelid)), ',' ORDER BY c.relname, a.attnum)
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname = 'public' AND a.attnum > 0 AND NOT a.attisdropped),
  (SELECT string_agg(indexdef, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'),
  (SELECT string_agg(concat_ws(':', conname, pg_get_constraintdef(oid)), ',' ORDER BY conname)
     FROM pg_constraint WHERE connamespace = 'public'::regnamespace),
  (SELECT string_agg(concat_ws(':', sequencename, start_value, increment_by, min_value, max_value, cycle),
                     ',' ORDER BY sequencename) FROM pg_sequences),
  (SELECT string_agg(typname, ',' ORDER BY typname) FROM pg_type WHERE typnamespace = 'public'::regnamespace),
  (SELECT string_agg(enumlabel, ',' ORDER BY enumtypid, enumsortorder) FROM pg_enum),
  (SELECT string_agg(proname, ',' ORDER BY proname) FROM pg_proc WHERE pronamespace = 'public'::regnamespace),
  (SELECT string_agg(tgname, ',' ORDER BY tgname) FROM pg_trigger WHERE NOT tgisinternal),
  (SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version)
))
"""
_pg_head_shape: dict[str, str] = {}


async def _pg_clone(head: str, run: str) -> None:
    await _pg_admin(
        [f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)', f'CREATE DATABASE "{run}" TEMPLATE "{head}"']
    )


# Empties the tables a test wrote to and resets the sequences it used, in one round trip. DELETE, not
# TRUNCATE: TRUNCATE makes new files for every table and index (0.4-0.7 s for all of them). The
# foreign keys' triggers are off meanwhile (replica role), so the order does not matter.
_PG_EMPTY = """
DO $$
DECLARE
  t regclass;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOR t IN SELECT c.oid::regclass FROM pg_class c
           WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
             AND c.relname <> 'alembic_version' AND pg_relation_size(c.oid) > 0
  LOOP
    EXECUTE format('DELETE FROM %s', t);
  END LOOP;
  PERFORM setval(format('%I.%I', schemaname, sequencename)::regclass, start_value, false)
    FROM pg_sequences WHERE last_value IS NOT NULL;
END $$
"""
# Past this many bytes of tables (dead rows after big tests), the tables are truncated instead.
_PG_BLOAT = 8 << 20
# Deleted rows stay in their pages until a vacuum; a vacuum would let new rows fill the freed slots,
# so a query without ORDER BY could see rows in another order than in a fresh copy. So no autovacuum
# in the worker's copy (_PG_BLOAT bounds what piles up).
_PG_NO_AUTOVACUUM = """
DO $$
DECLARE
  t regclass;
BEGIN
  FOR t IN SELECT oid::regclass FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'
  LOOP
    EXECUTE format('ALTER TABLE %s SET (autovacuum_enabled = false)', t);
  END LOOP;
END $$
"""
_PG_SIZE = (
    "SELECT coalesce(sum(pg_total_relation_size(oid)), 0) FROM pg_class"
    " WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'"
)


async def _pg_fresh_run(head: str) -> str:
    """The worker's test database, holding what a new copy of the head template holds; its URL.

    A copy per test (DROP DATABASE, CREATE DATABASE … TEMPLATE) cost 0.3-5 s of wall time each:
    PostgreSQL checkpoints on DROP DATABASE. So the copy is made once per worker and emptied
    between tests: the sessions a test left are ended (as WITH (FORCE) would), the tables it wrote
    are emptied and the sequences it used reset (head has no rows but the migration stamp). A test
    that changed anything but rows (see _PG_SHAPE) gets a new copy instead.
    """
    _, run, _ = _pg_names()
    url = _pg_database(pg_async_url(), run)
    if head not in _pg_head_shape:
        await _pg_clone(head, run)
        _pg_head_shape[head] = await _pg_run(url, _PG_NO_AUTOVACUUM, _PG_SHAPE)
        return url
    eng = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with eng.connect() as conn:
            await conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
            same = await conn.scalar(text(_PG_SHAPE)) == _pg_head_shape[head]
            if same and await conn.scalar(text(_PG_SIZE)) > _PG_BLOAT:
                tables = await conn.scalars(
                    text(
                        "SELECT tablename FROM pg_tables"
                        " WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
                    )
                )
                names = ", ".join(f'"{t}"' for t in tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            elif same:
                await conn.execute(text(_PG_EMPTY))
    finally:
        await eng.dispose()
    if not same:
        await _pg_clone(head, run)
        await _pg_run(url, _PG_NO_AUTOVACUUM, _PG_SHAPE)
    return url


async def _pg_run(url: str, statement: str, query: str) -> str:
    """Run ``statement`` on the database at ``url``, then return ``query``'s answer."""
    eng = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        async with eng.connect() as conn:
            await conn.execute(text(statement))
            return str(await conn.scalar(text(query)))
    finally:
        await eng.dispose()


@pytest.fixture(params=BACKENDS)
async def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database (no tables) on the parametrised backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
    else:
        _, _, empty = _pg_names()
        await _pg_admin([f'DROP DATABASE IF EXISTS "{empty}" WITH (FORCE)', f'CREATE DATABASE "{empty}"'])
        yield _pg_database(pg_async_url(), empty)


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with the current schema (create_all adds nothing to a copy of head)."""
    eng = create_engine(db_url)
    async with eng.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    yield eng
    await eng.dispose()


@pytest.fixture
def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return create_sessionmaker(engine)


@pytest.fixture
def uow(sessionmaker: async_sessionmaker[AsyncSession]) -> Callable[[], UnitOfWork]:
    """A factory of units of work: `async with uow() as u: ...; await u.commit()`."""
    return lambda: UnitOfWork(sessionmaker)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A strict local Bot API that fails the test on any call Telegram would have refused."""
    async with running_sandbox() as sb:
        yield sb
        assert_no_violations(sb)


@pytest.fixture
async def probe(db_url: str) -> AsyncIterator[DbProbe]:
    """Reads the bot's database from outside the bot (reliability tests)."""
    p = DbProbe(db_url)
    yield p
    await p.dispose()
