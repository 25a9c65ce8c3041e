"""Prebuilt Core statements, run straight on the driver's connection inside the unit of work's transaction.

Through the session, even a prebuilt Core statement costs about 200 µs of Python on this machine
(session and connection bookkeeping, the execution context, a greenlet hop per cursor call), where
SQLite itself takes 10–20 µs. The bot runs ten or so such statements for every update, so that
overhead was a large share of handling one. Here a statement is compiled once per dialect and set of
parameter names; a call only orders its parameters, applies the column types' conversions (dates,
JSON) and runs it on the driver's connection the session already holds, in the same transaction.

On SQLite, for `sqlite_inline` connections (the bot's SQLite engines). On PostgreSQL the statement
goes straight to the asyncpg connection once the session's transaction has begun on the server
(SQLAlchemy's asyncpg adapter begins it lazily, at the first statement it sends itself): there a
statement through the session costs about 80 µs of Python and straight on asyncpg about 30. A
unit of work's first statement goes through the session. A statement that returns rows runs once per
parameter set on either driver. Every path returns the same `Rows` and raises SQLAlchemy's
exceptions.

The session's autoflush is kept: pending ORM changes are flushed before a statement, as
`session.execute` would, so a statement never misses what the unit of work has already changed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError, ResourceClosedError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.sql.elements import BindParameter

from storage import sqlite_inline

__all__ = ["Prepared", "Rows", "run", "run_alone"]


# Where a positional parameter's value comes from: the caller's key, else a value fixed in the
# statement (or a bind parameter whose value is computed per call), and the type's conversion.
_Source = tuple[str | None, Any, BindParameter[Any] | None, Callable[[Any], Any] | None]


@dataclass(frozen=True)
class _Plan:
    """A statement compiled for one dialect and one set of parameter names."""

    compiled: Any
    sql: str
    names: tuple[str, ...]
    processors: Mapping[str, Callable[[Any], Any]]
    results: tuple[Callable[[Any], Any] | None, ...]
    # Worked out once from the compiled statement, as `construct_params` works it out per call;
    # None when a required parameter is not among the names (construct_params then says so).
    sources: tuple[_Source, ...] | None

    def bind(self, values: Mapping[str, Any]) -> tuple[Any, ...]:
        if self.sources is None:
            params = self.compiled.construct_params(values)
            return tuple(self._convert(self.processors.get(n), params[n]) for n in self.names)
        return tuple(
            self._convert(
                processor,
                values[key]
                if key is not None
                else (dynamic.effective_value if dynamic is not None else fixed),
            )
            for key, fixed, dynamic, processor in self.sources
        )

    @staticmethod
    def _convert(processor: Callable[[Any], Any] | None, value: Any) -> Any:
        return processor(value) if processor is not None and value is not None else value

    def row(self, raw: Sequence[Any]) -> tuple[Any, ...]:
        return tuple(
            p(v) if p is not None and v is not None else v for p, v in zip(self.results, raw, strict=True)
        )


class Prepared:
    """A Core statement (or one per dialect, for upserts) to run with `run`.

    It must be complete as built: no Python-side column defaults to fill in and no expanding IN
    lists, since only the driver sees the parameters.
    """

    def __init__(self, statement: Executable, **by_dialect: Executable) -> None:
        self.statement = statement
        self.by_dialect = by_dialect
        self._plans: dict[tuple[str, tuple[str, ...]], _Plan | None] = {}

    def for_dialect(self, name: str) -> Executable:
        return self.by_dialect.get(name, self.statement)

    def plan(self, dialect: Dialect, keys: tuple[str, ...]) -> _Plan | None:
        """The compiled form for these parameter names; None when only SQLAlchemy can run it."""
        key = (dialect.name, keys)
        if key in self._plans:
            return self._plans[key]
        compiled = self.for_dialect(dialect.name).compile(dialect=dialect, column_keys=list(keys))
        plan: _Plan | None = None
        # Column defaults SQLAlchemy fills in, or an IN list it expands, need its execution context.
        # (Values the database computes, such as `attempts + 1`, need nothing from it.)
        if not (
            compiled.insert_prefetch
            or compiled.update_prefetch
            or any(b.expanding for b in compiled.binds.values())
        ):
            results = tuple(
                entry.type._cached_result_processor(dialect, None) for entry in compiled._result_columns
            )
            names = tuple(compiled.positiontup or ())
            processors = compiled._bind_processors
            plan = _Plan(
                compiled,
                compiled.string,
                names,
                processors,
                results,
                _sources(compiled, keys, names, processors),
            )
        self._plans[key] = plan
        return plan


def _sources(
    compiled: Any, keys: tuple[str, ...], names: tuple[str, ...], processors: Mapping[str, Any]
) -> tuple[_Source, ...] | None:
    escaped = compiled.escaped_bind_names or {}
    by_name: dict[str, _Source] = {}
    for bind, name in compiled.bind_names.items():
        positional = escaped.get(name, name)
        processor = processors.get(positional)
        if bind.key in keys:
            by_name[positional] = (bind.key, None, None, processor)
        elif name in keys:
            by_name[positional] = (name, None, None, processor)
        elif bind.required:
            return None
        elif bind.callable:
            by_name[positional] = (None, None, bind, processor)
        else:
            by_name[positional] = (None, bind.value, None, processor)
    if any(name not in by_name for name in names):
        return None
    return tuple(by_name[name] for name in names)


class Rows:
    """What a statement returned: its rows as tuples, and how many rows it changed.

    The count of a statement run for many rows is -1 where the driver does not report it (asyncpg).
    """

    def __init__(self, rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self.rows = rows
        self.rowcount = rowcount

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self.rows)

    def all(self) -> list[tuple[Any, ...]]:
        return self.rows

    def first(self) -> tuple[Any, ...] | None:
        return self.rows[0] if self.rows else None

    def scalar(self) -> Any:
        """The first column of the first row; None when there is no row."""
        return self.rows[0][0] if self.rows else None

    def scalars(self) -> list[Any]:
        return [r[0] for r in self.rows]

    def scalar_one(self) -> Any:
        if len(self.rows) != 1:
            raise LookupError(f"expected one row, got {len(self.rows)}")
        return self.rows[0][0]


_CONNECTION = "storage.fast.sqlite3"
_ASYNCPG = "storage.fast.asyncpg"


@event.listens_for(Session, "after_transaction_end")
def _forget_connection(session: Session, transaction: SessionTransaction) -> None:
    # The connection goes back to the pool when the transaction ends; the next one fetches it again.
    # A flush's or a savepoint's inner transaction ending leaves the connection where it is.
    if transaction.parent is None:
        session.info.pop(_CONNECTION, None)
        session.info.pop(_ASYNCPG, None)


async def _sqlite3_of(session: AsyncSession) -> Any:
    """The sqlite3 connection under the session's transaction, or None for other drivers."""
    sync = session.sync_session
    if session.bind is None or session.bind.dialect.name != "sqlite":
        return None
    cached = sync.info.get(_CONNECTION)
    if cached is not None and sync.in_transaction():
        return cached or None
    # One trip into SQLAlchemy's greenlet: begins the session's transaction if none is open.
    driver = await session.run_sync(lambda sync: sync.connection().connection.driver_connection)
    found = driver.sqlite3_connection if isinstance(driver, sqlite_inline.Connection) else False
    sync.info[_CONNECTION] = found
    return found or None


async def _asyncpg_of(session: AsyncSession) -> Any:
    """The asyncpg connection under the session's transaction, once that has begun on the server."""
    sync = session.sync_session
    if session.bind is None or session.bind.dialect.name != "postgresql" or not sync.in_transaction():
        return None
    conn = sync.info.get(_ASYNCPG)
    if conn is None:
        # The adapter's connection is the transaction's own (a public attribute of the pool's proxy).
        conn = (await session.connection()).sync_connection.connection.driver_connection  # type: ignore[union-attr]
        sync.info[_ASYNCPG] = conn
    # Only SQLAlchemy's adapter begins transactions on this connection, so once one is open it is
    # the session's; before that, a statement sent here would run outside it (autocommit).
    return conn if conn.is_in_transaction() else None


async def run(
    session: AsyncSession, prepared: Prepared, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> Rows:
    """Run a prepared statement in the session's transaction; a sequence of mappings runs it per row."""
    many = not isinstance(params, Mapping)
    sync = session.sync_session
    if sync.autoflush and not sync._is_clean():
        await session.flush()
    batch: Sequence[Mapping[str, Any]] = params if many else [params]  # type: ignore[list-item,assignment]
    dialect = session.bind.dialect  # type: ignore[union-attr]
    if dialect.name == "postgresql" and batch and dialect.paramstyle == "numeric_dollar":
        pg = await _asyncpg_of(session)
        if pg is not None:
            plan = prepared.plan(dialect, tuple(batch[0]))
            if plan is not None:
                return await _run_asyncpg(pg, plan, batch, many=many)
    conn = await _sqlite3_of(session)
    plan = prepared.plan(dialect, tuple(batch[0])) if conn is not None and batch else None
    if plan is None:
        statement = prepared.for_dialect(dialect.name)
        if many and not batch:
            return Rows([], 0)
        result = await session.execute(statement, params)
        try:
            rows = [tuple(r) for r in result.all()]
        except ResourceClosedError:  # a statement that returns no rows
            rows = []
        return Rows(rows, getattr(result, "rowcount", -1))
    try:
        if plan.results:
            rows: list[tuple[Any, ...]] = []
            count = 0
            for values in batch:  # sqlite3's executemany cannot return rows
                cursor = conn.execute(plan.sql, plan.bind(values))
                rows += [plan.row(r) for r in cursor.fetchall()]
                count += max(cursor.rowcount, 0)
            return Rows(rows, count)
        if many:
            cursor = conn.executemany(plan.sql, [plan.bind(v) for v in batch])
        else:
            cursor = conn.execute(plan.sql, plan.bind(batch[0]))
        return Rows([], cursor.rowcount)
    except sqlite3.Error as exc:  # as SQLAlchemy would raise it: IntegrityError, OperationalError…
        raise DBAPIError.instance(plan.sql, None, exc, sqlite3.Error, dialect=dialect) from exc


async def run_alone(
    engine: AsyncEngine, prepared: Prepared, params: Mapping[str, Any] | Sequence[Mapping[str, Any]]
) -> Rows:
    """Run a prepared statement as a transaction of its own, committed when this returns.

    For bookkeeping outside any unit of work: storing polled updates, reading the pending ones,
    recording the outbox's outcomes, taking a tracking number. On PostgreSQL it runs straight on a
    pooled asyncpg connection: a session's begin, first statement and commit cost about 400 µs of
    Python, this about 150. One statement commits on its own; several parameter sets share one
    transaction. Elsewhere (SQLite) it runs in a session of its own, as a unit of work would.
    """
    dialect = engine.dialect
    many = not isinstance(params, Mapping)
    batch: Sequence[Mapping[str, Any]] = params if many else [params]  # type: ignore[list-item,assignment]
    plan = None
    if dialect.name == "postgresql" and dialect.paramstyle == "numeric_dollar" and batch:
        plan = prepared.plan(dialect, tuple(batch[0]))
    if plan is None:
        async with AsyncSession(engine) as session:
            rows = await run(session, prepared, params)
            await session.commit()
            return rows
    async with engine.connect() as conn:
        # Checked out with no transaction begun: SQLAlchemy's adapter begins one only for a statement
        # it sends itself, and returning the connection rolls back nothing when none was begun.
        pg = (await conn.get_raw_connection()).driver_connection
        try:
            if len(batch) == 1:
                return await _run_asyncpg(pg, plan, batch, many=many)
            with _as_sqlalchemy_errors(plan.sql):
                async with pg.transaction():
                    return await _run_asyncpg(pg, plan, batch, many=many)
        except BaseException as exc:
            # Unless the server answered with an error (the connection is then fine), the connection's
            # state is unknown; SQLAlchemy saw no error of its own, so tell the pool not to reuse it.
            if pg.is_closed() or not isinstance(exc.__cause__ or exc, asyncpg.PostgresError):
                await conn.invalidate()
            raise


@contextmanager
def _as_sqlalchemy_errors(sql: str) -> Iterator[None]:
    """asyncpg's exceptions as SQLAlchemy raises them, so callers catch one kind on every path."""
    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise IntegrityError(sql, None, exc) from exc
    except (asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:  # closed, lost or in use
        raise OperationalError(sql, None, exc) from exc
    except asyncpg.PostgresError as exc:
        raise DBAPIError(sql, None, exc) from exc


async def _run_asyncpg(conn: Any, plan: _Plan, batch: Sequence[Mapping[str, Any]], *, many: bool) -> Rows:
    with _as_sqlalchemy_errors(plan.sql):
        if plan.results:
            # Row by row, as on SQLite: asyncpg's executemany returns no rows, and SQLAlchemy's
            # multi-row INSERT … RETURNING costs more Python than a few statements on the connection.
            rows = []
            for values in batch:
                rows += [plan.row(r) for r in await conn.fetch(plan.sql, *plan.bind(values))]
            return Rows(rows, len(rows))
        if many:
            await conn.executemany(plan.sql, [plan.bind(v) for v in batch])
            return Rows([], -1)
        status = await conn.execute(plan.sql, *plan.bind(batch[0]))
        count = status.rpartition(" ")[2]  # "UPDATE 1", "INSERT 0 1", "DELETE 3"
        return Rows([], int(count) if count.isdigit() else -1)
