"""What every repository shares: its session, and statements built once per dialect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage import fast

T = TypeVar("T")


class Repo:
    """A repository adds, selects and flushes in its session; the unit of work commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _dialect(self) -> str:
        bind = self.session.bind
        return bind.dialect.name if bind is not None else ""


def on_conflict(build: Callable[[Any], Any]) -> fast.Prepared:
    """An INSERT … ON CONFLICT built once for SQLite and once for PostgreSQL (their insert() differ)."""
    return fast.Prepared(build(sqlite_insert), postgresql=build(postgresql_insert))


def due_for_warning(
    entity: type[T], next_warning_at: InstrumentedAttribute[datetime | None], now: datetime, limit: int
) -> Select[tuple[T]]:
    """The rows whose next reminder is due (an indexed range on `next_warning_at`), earliest first.

    Locked for the caller's transaction, skipping rows another sweep holds (PostgreSQL; SQLite has one
    writer), so two sweeps at once never warn one rung twice; read afresh, not from the session's
    identity map, so a row changed since this unit of work last read it is seen as it is now.
    """
    key = entity.id  # type: ignore[attr-defined]
    return (
        select(entity)
        .where(next_warning_at.is_not(None), next_warning_at <= now)
        .order_by(next_warning_at, key)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .execution_options(populate_existing=True)
    )
