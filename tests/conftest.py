"""Shared fixtures: every database test runs on SQLite and, when TEST_DATABASE_URL is set, on PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.sandbox import Sandbox
from storage.db import create_engine, create_sessionmaker
from storage.models import Base
from storage.repositories import UnitOfWork
from tests.kit import assert_no_violations, running_sandbox
from tests.reliability.helpers import DbProbe

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
ROOT = Path(__file__).resolve().parent.parent
# The BLNS corpus, vendored (tests/data/blns/README.md): nothing the tests read lives outside the repository.
BLNS = ROOT / "tests" / "data" / "blns" / "blns.json"


def pg_async_url() -> str:
    url = PG_URL
    if url.startswith("postgresql://"):
        url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
    return url


async def reset_postgres(url: str) -> None:
    """Drop and recreate the public schema: each test starts on a clean database."""
    eng = create_engine(url)
    async with eng.begin() as conn:
        await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await eng.dispose()


@pytest.fixture(params=BACKENDS)
async def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """URL of an empty database (no tables) on the parametrised backend."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.db'}"
    else:
        url = pg_async_url()
        await reset_postgres(url)
        yield url


@pytest.fixture
async def engine(db_url: str) -> AsyncIterator[AsyncEngine]:
    """An engine on a database with the current schema."""
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
