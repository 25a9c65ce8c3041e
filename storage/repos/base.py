"""What every repository shares: its session, and statements built once per dialect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage import fast


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
