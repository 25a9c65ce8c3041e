"""Engine and session factory: one per process, one session per unit of work."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import Session

from storage import sqlite_inline

PING_AFTER_IDLE = 10.0  # seconds a pooled PostgreSQL connection may lie idle and be used unchecked
_IDLE_SINCE = "storage.db.idle_since"


def create_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, foreign keys and a busy timeout.

    Elsewhere (PostgreSQL) a pooled connection that lay idle `ping_after_idle` seconds is checked
    before use.
    """
    # A statement's error quotes its parameters (names, phones, message text); it reaches the log
    # and the inbox's error column. The SQL alone says what failed.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        kwargs.setdefault("connect_args", {"timeout": 30})
        if url.startswith("sqlite+aiosqlite"):
            # Statements run on the loop's thread, not through aiosqlite's (see sqlite_inline).
            kwargs.setdefault("module", sqlite_inline.dbapi())
        if ":memory:" not in url:
            # One connection: SQLite has one writer anyway, and queueing for the pool in asyncio is far
            # cheaper than SQLite's busy handler, which sleeps in steps of up to 100 ms on contention.
            kwargs.setdefault("pool_size", 1)
            kwargs.setdefault("max_overflow", 0)
            kwargs.setdefault("pool_timeout", 120)
        engine = create_async_engine(url, **kwargs)

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            if ":memory:" not in url:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    engine = create_async_engine(url, **kwargs)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: AsyncEngine, after: float) -> None:
    """Check a pooled connection before use only when it has lain idle for `after` seconds.

    SQLAlchemy's `pool_pre_ping` checks on every checkout, and with asyncpg a check is three round
    trips (BEGIN, an empty query, ROLLBACK): more than many units of work spend on their own
    statements. A connection used a moment ago is as good as its last statement; one that lay idle
    may have been dropped by a server restart or a firewall, and a failed check makes the pool
    connect afresh (a DisconnectionError at checkout). A restart while connections are busy fails
    their statements either way; the inbox and the outbox try those again.
    """
    sync = engine.sync_engine

    @event.listens_for(sync, "checkin")
    def _idle_from(_dbapi_conn: Any, record: Any) -> None:
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(sync, "checkout")
    def _check_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_IDLE_SINCE)
        if since is None or time.monotonic() - since < after:
            return
        try:
            sync.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise DisconnectionError(f"pooled connection failed its check: {exc}") from exc


class HoldingSession(Session):
    """A session that keeps what it loaded until it closes.

    SQLAlchemy's identity map holds objects weakly: a station or person read for one line of a
    notice and dropped is read again by the next `get` in the same unit of work. A unit of work is
    one update's handling, so holding them for its length costs little and spares those queries.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.held: list[object] = []

    def close(self) -> None:
        super().close()
        self.held.clear()


@event.listens_for(HoldingSession, "loaded_as_persistent")
def _hold(session: Session, instance: object) -> None:
    if isinstance(session, HoldingSession):
        session.held.append(instance)


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, sync_session_class=HoldingSession)


def is_postgres(engine: AsyncEngine) -> bool:
    return engine.dialect.name == "postgresql"
