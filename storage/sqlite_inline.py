"""aiosqlite's interface, run on the event loop's own thread instead of a helper thread.

SQLAlchemy's `sqlite+aiosqlite` dialect awaits every cursor operation; aiosqlite carries each one to
its own thread and back, and a statement costs several such round trips (execute, fetch, close, each
through a queue and a wake-up of the event loop). For a local SQLite file each operation takes
microseconds, so the round trips, not SQLite, were most of the cost of handling an update. Here the
same coroutines do the work directly and return without suspending.

The price: an operation that waits for SQLite's lock blocks the event loop while it waits. Inside
the bot that never happens: each engine has one connection, and no unit of work holds a write
transaction across an await on anything but the database. Another process writing the same file
(a CLI import, say) can make the bot pause for up to the busy timeout; WAL keeps readers unblocked.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Generator, Iterable, Sequence
from sqlite3 import (
    DatabaseError,
    Error,
    IntegrityError,
    NotSupportedError,
    OperationalError,
    ProgrammingError,
    sqlite_version,
    sqlite_version_info,
)
from types import SimpleNamespace, TracebackType
from typing import Any

from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi

__version__ = "0.22.1"  # the aiosqlite interface this mirrors (SQLAlchemy checks for `stop`)
__all__ = [
    "Connection",
    "Cursor",
    "DatabaseError",
    "Error",
    "IntegrityError",
    "NotSupportedError",
    "OperationalError",
    "ProgrammingError",
    "connect",
    "dbapi",
    "sqlite_version",
    "sqlite_version_info",
]


class Cursor:
    """An sqlite3 cursor behind aiosqlite's coroutine methods."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> Cursor:
        if parameters is None:
            self._cursor.execute(sql)
        else:
            self._cursor.execute(sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> Cursor:
        self._cursor.executemany(sql, parameters)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(self._cursor.arraysize if size is None else size)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        return None

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _RunNow:
    """Stands in for aiosqlite's request queue, which SQLAlchemy uses to set the isolation level."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as exc:
            future.set_exception(exc)


class Connection:
    """An sqlite3 connection behind aiosqlite's coroutine methods; awaiting it opens it."""

    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        self._connector = connector
        self._conn: sqlite3.Connection | None = None
        self._tx = _RunNow()
        self._thread = SimpleNamespace(daemon=True)  # SQLAlchemy marks aiosqlite's thread a daemon

    def __await__(self) -> Generator[Any, None, Connection]:
        return self._open().__await__()

    async def _open(self) -> Connection:
        if self._conn is None:
            self._conn = self._connector()
        return self

    @property
    def _connection(self) -> sqlite3.Connection | None:
        return self._conn

    def _live(self) -> sqlite3.Connection:
        if self._conn is None:
            raise ValueError("no active connection")
        return self._conn

    @property
    def sqlite3_connection(self) -> sqlite3.Connection:
        """The open sqlite3 connection itself (storage.fast runs prebuilt statements on it)."""
        return self._live()

    @property
    def isolation_level(self) -> str | None:
        return self._live().isolation_level

    @property
    def in_transaction(self) -> bool:
        return self._live().in_transaction

    def cursor(self) -> Cursor:
        return Cursor(self._live().cursor())

    async def execute(self, sql: str, parameters: Sequence[Any] | None = None) -> Cursor:
        return await self.cursor().execute(sql, parameters)

    async def commit(self) -> None:
        self._live().commit()

    async def rollback(self) -> None:
        self._live().rollback()

    async def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    def stop(self) -> None:
        """Close at once (SQLAlchemy's terminate)."""
        if self._conn is not None:
            conn, self._conn = self._conn, None
            conn.close()

    async def create_function(self, name: str, num_params: int, func: Callable[..., Any], **kw: Any) -> None:
        self._live().create_function(name, num_params, func, **kw)

    async def __aenter__(self) -> Connection:
        return await self._open()

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()


def connect(database: str, *, iter_chunk_size: int = 64, loop: Any = None, **kwargs: Any) -> Connection:
    """Like aiosqlite.connect; the connection may be closed by the pool from another thread."""
    kwargs["check_same_thread"] = False
    return Connection(lambda: sqlite3.connect(database, **kwargs))


def dbapi() -> AsyncAdapt_aiosqlite_dbapi:
    """The DBAPI object to hand to create_async_engine(module=...) for a `sqlite+aiosqlite` URL."""
    import sys

    return AsyncAdapt_aiosqlite_dbapi(sys.modules[__name__], sqlite3)
