"""Pooled PostgreSQL connections: checked before use only after lying idle.

A check with asyncpg costs three round trips, so the pool no longer checks every checkout (see
storage.db). These tests drop a pooled connection's server process and look at what happens next.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(text("SELECT pg_backend_pid()"))).scalar_one())


async def _terminate(db_url: str, pid: int) -> None:
    """End the server process behind a pooled connection, as a server restart would."""
    killer = create_engine(db_url)
    try:
        async with killer.connect() as conn:
            await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            for _ in range(100):
                gone = await conn.execute(
                    text("SELECT 1 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
                )
                if gone.first() is None:
                    return
                await asyncio.sleep(0.05)
        raise AssertionError(f"backend {pid} still running")
    finally:
        await killer.dispose()


@pytest.fixture
def pg_url(db_url: str) -> str:
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite has no server process to lose")
    return db_url


async def test_an_idle_connection_is_checked_and_replaced(pg_url: str) -> None:
    engine = create_engine(pg_url, ping_after_idle=0)  # every pooled connection counts as idle
    try:
        first = await _backend(engine)
        await _terminate(pg_url, first)
        assert await _backend(engine) != first  # the check failed, the pool connected afresh
    finally:
        await engine.dispose()


async def test_a_connection_used_a_moment_ago_is_not_checked(pg_url: str) -> None:
    """Its statement fails instead (as it would had the server gone mid-statement); the pool then
    drops it, and the next unit of work gets a working connection."""
    engine = create_engine(pg_url, ping_after_idle=60)
    try:
        first = await _backend(engine)
        await _terminate(pg_url, first)
        with pytest.raises(DBAPIError):
            await _backend(engine)
        assert await _backend(engine) != first
    finally:
        await engine.dispose()
