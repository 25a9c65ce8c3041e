"""Engine and session factory: one per process, one session per unit of work."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.ext.asyncio import AsyncSession as AsyncSession
from sqlalchemy.orm import Session

from storage import sqlite_inline


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """Create the async engine; SQLite gets WAL, foreign keys and a busy timeout."""
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
    kwargs.setdefault("pool_pre_ping", True)
    return create_async_engine(url, **kwargs)


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
