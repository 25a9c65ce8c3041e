"""The report worker (bot/runtime/reports.py) on SQLite and PostgreSQL: jobs run on its own thread and
connection, read only; what they audit is recorded by the caller's unit of work; in memory, inline."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime.reports import ReportWorker, in_memory
from storage.models import AuditEntry, Person
from storage.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]


async def test_jobs_run_on_the_worker_thread_read_only_and_audit_through_the_caller(
    db_url: str, uow: Uow
) -> None:
    async with uow() as u:
        await u.people.add(Person(name="甲"))
        await u.commit()
    worker = ReportWorker(db_url)
    await worker.start()
    try:
        assert worker.threaded

        async def count(reads: UnitOfWork) -> tuple[int, int]:
            await reads.audit.record("report.read", actor_person_id=None, rows=1)
            people = await reads.session.scalar(select(func.count()).select_from(Person))
            return threading.get_ident(), int(people or 0)

        async with uow() as u:
            thread, people = await worker.run(u, count)
            await u.commit()
        assert thread != threading.get_ident() and people == 1

        async def write(reads: UnitOfWork) -> None:
            await reads.people.add(Person(name="乙"))
            await reads.session.flush()

        async with uow() as u:
            with pytest.raises(SQLAlchemyError):
                await worker.run(u, write)
        async with uow() as u:
            audited = (await u.session.scalars(select(AuditEntry.action))).all()
            names = (await u.session.scalars(select(Person.name))).all()
        assert list(audited) == ["report.read"] and list(names) == ["甲"]

        delivered: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def deliver(later: UnitOfWork, result: tuple[int, int]) -> None:
            await later.audit.record("report.delivered", actor_person_id=None)
            delivered.set_result(result[1])

        committed = asyncio.Event()
        worker.later(uow, count, deliver, committed=committed.set)
        assert await asyncio.wait_for(delivered, 30) == 1
        await asyncio.wait_for(committed.wait(), 30)
        async with uow() as u:
            audited = (await u.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))).all()
        assert list(audited) == ["report.read", "report.read", "report.delivered"]
    finally:
        await worker.stop()


async def test_an_in_memory_database_runs_jobs_inline() -> None:
    assert in_memory("sqlite+aiosqlite:///:memory:") and in_memory("sqlite+aiosqlite://")
    assert not in_memory("sqlite+aiosqlite:////tmp/x.db") and not in_memory("postgresql://h/db")
    worker = ReportWorker("sqlite+aiosqlite:///:memory:")
    await worker.start()
    assert not worker.threaded

    async def where(_reads: UnitOfWork) -> int:
        return threading.get_ident()

    assert await worker.run(None, where) == threading.get_ident()  # type: ignore[arg-type]
    await worker.stop()
