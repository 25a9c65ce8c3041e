"""Shared fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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
    "tests/e2e/test_blns.py",
    "tests/reliability/",
)


def _rank(item: pytest.Item) -> int:
    path = item.nodeid
    for rank, prefix in enumerate(_LONGEST_FIRST):
        if path.startswith(prefix):
            return rank
    return len(_LONGEST_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).parent.name
        if folder in _MARKED_FOLDERS:
            item.add_marker(_MARKED_FOLDERS[folder])
        if folder == "browser":
            # One worker runs them all: one Chromium per run (tests/browser/conftest.py `browser`).
            item.add_marker(pytest.mark.xdist_group("browser"))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        items.sort(key=_rank)  # stable: the same order on every worker, as xdist requires


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
        _, run, _ = _pg_names()
        await _pg_admin(
            [
                f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)',
                f'CREATE DATABASE "{run}" TEMPLATE "{head_templates["postgresql"]}"',
            ]
        )
        yield _pg_database(pg_async_url(), run)


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
