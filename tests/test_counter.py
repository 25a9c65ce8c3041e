"""Named counters (tracking numbers): one upsert, so concurrent first numbers cannot collide."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.unit_of_work import UnitOfWork


async def test_numbers_count_up_per_name_and_a_rolled_back_one_is_taken_again(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        assert [await uow.counters.next("opinion:2026") for _ in range(3)] == [1, 2, 3]
        assert await uow.counters.next("opinion:2027") == 1
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.counters.next("opinion:2026") == 4
        await uow.rollback()  # a number taken by a transaction that rolls back is taken again
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.counters.next("opinion:2026") == 4
        await uow.commit()


async def test_concurrent_first_numbers_take_turns(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Regression: read-then-insert let two transactions both create the first number of a year."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its transactions cannot overlap")
    first = UnitOfWork(sessionmaker)
    second = UnitOfWork(sessionmaker)
    async with first, second:
        assert await first.counters.next("opinion:2030") == 1  # the row is new and locked
        waiting = asyncio.create_task(second.counters.next("opinion:2030"))
        await asyncio.sleep(0.2)
        assert not waiting.done()  # it waits for the first transaction instead of colliding
        await first.commit()
        assert await asyncio.wait_for(waiting, 5) == 2
        await second.commit()


async def test_a_taken_number_does_not_wait_for_the_unit_of_work_before_it(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """`take` on PostgreSQL commits the number at once: the next submit need not wait for the
    previous one's whole unit of work, and a number whose unit of work rolls back is skipped."""
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer: its transactions cannot overlap")
    first = UnitOfWork(sessionmaker)
    second = UnitOfWork(sessionmaker)
    async with first, second:
        assert await first.counters.take("opinion:2031") == 1
        assert await asyncio.wait_for(second.counters.take("opinion:2031"), 2) == 2  # no wait
        await first.rollback()
        await second.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.counters.take("opinion:2031") == 3  # 1 is not handed out again


async def test_on_sqlite_take_is_part_of_the_unit_of_work(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """One writer, no overlap: the number is taken in the transaction, and taken again after a
    rollback, so SQLite's tracking numbers have no gaps."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL commits a taken number on its own")
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.counters.take("opinion:2032") == 1
        await uow.rollback()
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.counters.take("opinion:2032") == 1
        await uow.commit()
