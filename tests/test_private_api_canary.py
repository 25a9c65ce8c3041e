"""A canary for the SQLAlchemy internals that storage.fast and storage.sqlite_inline lean on.

pyproject pins SQLAlchemy to the minor series these were written against; a new series may rename
or reshape any of them. This test names each one, so an upgrade fails here, loudly and by name,
instead of deep in a statement on one backend.
"""

from __future__ import annotations

import inspect
import sqlite3
from importlib.metadata import version

import pytest
from sqlalchemy import Integer, String, bindparam, column, select, table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_dbapi
from sqlalchemy.orm import Session

from storage import sqlite_inline

_t = table("t", column("id", Integer), column("name", String))
_STATEMENT = select(_t.c.id, _t.c.name).where(_t.c.id == bindparam("i"))


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.asyncpg.dialect()], ids=["sqlite", "pg"])
def test_compiled_statement_internals(dialect: object) -> None:
    compiled = _STATEMENT.compile(dialect=dialect, column_keys=["i"])
    # storage.fast: bind processors by parameter name, result columns with their types.
    assert isinstance(compiled._bind_processors, dict), "Compiled._bind_processors changed"
    entries = compiled._result_columns
    assert [e.name for e in entries] == ["id", "name"], "Compiled._result_columns changed"
    for entry in entries:
        processor = entry.type._cached_result_processor(dialect, None)
        assert processor is None or callable(processor), "TypeEngine._cached_result_processor changed"
    for name in ("insert_prefetch", "update_prefetch", "binds", "positiontup", "string"):
        assert hasattr(compiled, name), f"Compiled.{name} is gone"


def test_session_is_clean() -> None:
    """storage.fast flushes first only when the session holds changes (Session._is_clean)."""
    session = Session()
    assert callable(session._is_clean) and session._is_clean() is True


def test_aiosqlite_adapter_takes_our_module() -> None:
    """storage.sqlite_inline hands SQLAlchemy's aiosqlite adapter a module shaped like aiosqlite."""
    params = list(inspect.signature(AsyncAdapt_aiosqlite_dbapi.__init__).parameters)
    assert params[:3] == ["self", "aiosqlite", "sqlite"], f"AsyncAdapt_aiosqlite_dbapi({params}) changed"
    adapter = sqlite_inline.dbapi()
    assert adapter.sqlite is sqlite3
    assert hasattr(adapter, "connect")


def test_pinned_series() -> None:
    """The versions pyproject pins are the ones installed (a canary is only as good as its pin)."""
    assert version("SQLAlchemy").startswith("2.1."), "SQLAlchemy left the 2.1 series: re-check the canary"
