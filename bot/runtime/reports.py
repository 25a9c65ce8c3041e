"""The report worker: heavy reads (statistics, the console's dashboard and exports) off the bot's event loop.

One event loop answers every chat, the console and the inbox. A report that reads a province's opinions
took 76 s there (issue #25) and nobody was answered meanwhile. Here such a job runs on a thread of its
own, with its own event loop and its own engine on the same database, while the bot's loop waits for it
as for any other I/O. Jobs run one at a time, so the memory of one report is the most it costs.

The worker's connections are read-only (SQLite `PRAGMA query_only`, PostgreSQL
`default_transaction_read_only`): a job cannot take SQLite's write lock while the bot's loop, holding its
own transaction, waits for it. What a job audits (a refusal, "stats.viewed") is held and recorded in the
caller's unit of work when the job returns, so the audit commits with the caller's request as before.

An in-memory SQLite database has no second connection to the same data: there, and where no worker was
started (the tests that build `Services` themselves), a job runs on the caller's loop in the caller's
unit of work, as it did before the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy import event, make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import create_engine, create_sessionmaker
from storage.repos.audit import AuditRepo
from storage.unit_of_work import UnitOfWork

__all__ = ["ReportWorker", "in_memory"]

log = logging.getLogger(__name__)
# How long a report's pure-Python stretch (rows into a workbook) may hold the interpreter before the
# bot's loop gets it back: CPython's default is 5 ms, paid at every hand-over while a report runs.
SWITCH_INTERVAL = 0.001
T = TypeVar("T")
Job = Callable[[UnitOfWork], Awaitable[T]]


def in_memory(url: str) -> bool:
    """Whether an SQLite URL names an in-memory database (no other connection sees its data)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return False
    database = parsed.database or ""
    return database in ("", ":memory:") or "mode=memory" in database or parsed.query.get("mode") == "memory"


class _HeldAudit(AuditRepo):
    """The audit of a job on the worker: entries are kept, and written by the caller's unit of work."""

    def __init__(self, reads: AuditRepo) -> None:
        super().__init__(reads.session)
        self.held: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    async def record(self, *args: Any, **kwargs: Any) -> None:  # type: ignore[override]
        self.held.append((args, kwargs))


class ReportWorker:
    """Runs heavy reads on a thread with its own event loop and engine (`start`), or inline (not started).

    Args:
        url: the database URL the bot uses (the worker opens its own connections to it).
    """

    def __init__(self, url: str | None = None) -> None:
        self.url = url
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._engine: AsyncEngine | None = None
        self._one_at_a_time: asyncio.Lock | None = None
        self._later: set[asyncio.Task[None]] = set()

    @property
    def threaded(self) -> bool:
        """Whether jobs run on the worker's thread (False: on the caller's loop)."""
        return self._loop is not None

    async def start(self) -> None:
        """Start the thread and its engine (nothing for an in-memory database or no URL)."""
        if self.url is None or in_memory(self.url) or self._loop is not None:
            return
        ready = threading.Event()
        loop = asyncio.new_event_loop()
        sys.setswitchinterval(min(sys.getswitchinterval(), SWITCH_INTERVAL))

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            loop.run_forever()
            loop.close()

        self._thread = threading.Thread(target=serve, name="liaison-reports", daemon=True)
        self._thread.start()
        await asyncio.to_thread(ready.wait)
        self._loop = loop
        await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(self._open(), loop))

    async def _open(self) -> None:
        """On the worker's loop: the engine (read-only connections) and the lock that queues jobs."""
        assert self.url is not None
        if self.url.startswith("sqlite"):
            engine = create_engine(self.url)

            @event.listens_for(engine.sync_engine, "connect")
            def _read_only(dbapi_conn: Any, _record: Any) -> None:
                cur = dbapi_conn.cursor()
                cur.execute("PRAGMA query_only=ON")
                cur.close()

        else:
            engine = create_engine(
                self.url,
                pool_size=1,
                max_overflow=1,
                connect_args={"server_settings": {"default_transaction_read_only": "on"}},
            )
        self._engine = engine
        self._one_at_a_time = asyncio.Lock()

    async def run(self, uow: UnitOfWork, job: Job[T]) -> T:
        """`job`'s result, for a caller that waits for it (a console page): on the worker, in a read-only
        unit of work of its own, its audit entries then recorded in `uow` (the caller's); not started,
        `job(uow)` on this loop.

        The caller's unit of work is committed before the wait (a console request's session bookkeeping):
        holding SQLite's one connection meanwhile would stop every other update.
        """
        if self._loop is None:
            return await job(uow)
        await uow.commit()
        result, held = await self._on_worker(job)
        for args, kwargs in held:
            await uow.audit.record(*args, **kwargs)
        return result

    def later(
        self,
        open_uow: Callable[[], UnitOfWork],
        job: Job[T],
        deliver: Callable[[UnitOfWork, T], Awaitable[None]],
        *,
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        """Run `job` after the caller's unit of work, and `deliver` its result in a unit of work of its own
        (with what the job audited), committed, then `committed()` (the outbox's bell).

        For a chat update: its unit of work claims the update and commits with the handler's effects, so
        it must not wait for a report; the reply follows when the report is ready. A report lost to a
        crash meanwhile is not sent (the person asks again; nothing was changed).
        """

        async def report() -> None:
            try:
                if self._loop is not None:
                    result, held = await self._on_worker(job)
                else:
                    result, held = await self._job(job, open_uow)
                async with open_uow() as uow:
                    for args, kwargs in held:
                        await uow.audit.record(*args, **kwargs)
                    await deliver(uow, result)
                    await uow.commit()
                committed()
            except Exception:
                log.exception("a report failed")

        task = asyncio.get_running_loop().create_task(report(), name="liaison-report")
        self._later.add(task)
        task.add_done_callback(self._later.discard)

    @property
    def pending(self) -> int:
        """Reports asked for and not yet delivered (`later`)."""
        return len(self._later)

    async def _on_worker(self, job: Job[T]) -> tuple[T, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
        assert self._loop is not None and self._engine is not None
        reads = create_sessionmaker(self._engine)
        future = asyncio.run_coroutine_threadsafe(
            self._job(job, lambda: UnitOfWork(reads), queued=True), self._loop
        )
        return await asyncio.wrap_future(future)

    async def _job(
        self, job: Job[T], open_uow: Callable[[], UnitOfWork], *, queued: bool = False
    ) -> tuple[T, list[tuple[tuple[Any, ...], dict[str, Any]]]]:
        """`job` in a unit of work of its own that writes nothing; what it audits is returned, held."""
        async with contextlib.AsyncExitStack() as stack:
            if queued:
                assert self._one_at_a_time is not None
                await stack.enter_async_context(self._one_at_a_time)
            reads = await stack.enter_async_context(open_uow())
            audit = _HeldAudit(reads.audit)
            reads.audit = audit
            try:
                return await job(reads), audit.held
            finally:
                await reads.rollback()

    async def call(self, work: Callable[..., T], *args: Any) -> T:
        """`work(*args)` (CPU only: an XLSX file, say) on the worker's thread; not started, here."""
        if self._loop is None:
            return work(*args)

        async def on_worker() -> T:
            assert self._one_at_a_time is not None
            async with self._one_at_a_time:
                return work(*args)

        return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(on_worker(), self._loop))

    async def stop(self) -> None:
        """Drop the reports not yet delivered, close the worker's connections and end its thread (a job
        still running is cancelled)."""
        for task in list(self._later):
            task.cancel()
        for task in list(self._later):
            with contextlib.suppress(asyncio.CancelledError):
                await task
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = None

        async def close() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            if self._engine is not None:
                await self._engine.dispose()

        try:
            await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(close(), loop))
        except Exception:
            log.exception("closing the report worker's engine failed")
        finally:
            loop.call_soon_threadsafe(loop.stop)
            with contextlib.suppress(Exception):
                await asyncio.to_thread(thread.join, 10)
