"""Counting the prebuilt statements `storage.fast` runs (they skip SQLAlchemy's cursor events)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import fast


def count_fast_statements(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The parameters of every statement storage.fast runs from now on, in order."""
    seen: list[object] = []
    real = fast.run

    async def counted(session, prepared, params):  # type: ignore[no-untyped-def]
        seen.append(params)
        return await real(session, prepared, params)

    monkeypatch.setattr(fast, "run", counted)
    return seen


class Statements:
    """Every statement a unit of work sends, each once: those through the session (its cursor events)
    and those `storage.fast` runs on the driver's connection (which skip the events); a prepared one
    that goes through the session (a unit of work's first) is counted as prepared, not twice."""

    def __init__(self) -> None:
        self.prepared: list[str] = []  # the SQL of each statement `storage.fast` ran
        self.session: list[str] = []  # the SQL of each other statement
        self._inside_fast = 0

    @property
    def count(self) -> int:
        return len(self.prepared) + len(self.session)

    def clear(self) -> None:
        self.prepared.clear()
        self.session.clear()


@contextmanager
def counting_statements(monkeypatch: pytest.MonkeyPatch, engine: AsyncEngine) -> Iterator[Statements]:
    """Count the statements sent on `engine` inside the block (see `Statements`)."""
    seen = Statements()
    real = fast.run

    async def counted(session, prepared, params):  # type: ignore[no-untyped-def]
        seen.prepared.append(str(prepared.statement))
        seen._inside_fast += 1
        try:
            return await real(session, prepared, params)
        finally:
            seen._inside_fast -= 1

    def on_cursor(_conn, _cursor, statement, _params, _context, _many) -> None:  # type: ignore[no-untyped-def]
        if not seen._inside_fast:
            seen.session.append(statement)

    monkeypatch.setattr(fast, "run", counted)
    event.listen(engine.sync_engine, "before_cursor_execute", on_cursor)
    try:
        yield seen
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", on_cursor)
        monkeypatch.setattr(fast, "run", real)
