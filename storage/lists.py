"""`among(column, values)`: a list of ids (or codes) as ONE parameter, however long the list.

`column.in_(ids)` sends one parameter per id. asyncpg refuses a statement with more than 32,767, and
SQLite more than its variable limit (32,766 by default): a province's 100,000 deputy ids crashed the
statistics and the console's deputy pages (issue #25). And each length is a new statement to plan and
cache. Here the list is one parameter: on PostgreSQL an array, `column = ANY($1::INTEGER[])` (which an
index on the column serves as an IN list does); on SQLite a JSON text, `column IN (SELECT value FROM
json_each(?))`. Both are one statement for every length, so they also run through `storage.fast`.

Where the ids come from the database, a join or a subquery is better still; this is for the lists a
caller holds (a page's rows, a person's committees, a chat's recipients).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, Text, bindparam
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.sql.type_api import TypeEngine
from sqlalchemy.types import TypeDecorator

__all__ = ["among"]


class _List(TypeDecorator[list[Any]]):
    """A Python list bound as one parameter: an array on PostgreSQL, JSON text elsewhere."""

    impl = Text
    cache_ok = True
    item: TypeEngine[Any] = Integer()

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(postgresql.ARRAY(self.item))
        return dialect.type_descriptor(Text())

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        values = list(value)
        return values if dialect.name == "postgresql" else json.dumps(values, ensure_ascii=False)


class _Integers(_List):
    cache_ok = True
    item = Integer()


class _BigIntegers(_List):
    cache_ok = True
    item = BigInteger()


class _Strings(_List):
    cache_ok = True
    item = String()


class _Among(FunctionElement[bool]):
    """`column` is one of the values of the list parameter (see the module's docstring): a function
    element only in form, compiled per dialect below; its two clauses make its cache key."""

    name = "among"
    inherit_cache = True
    type = Boolean()


def _parts(element: _Among, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    column, values = element.clauses
    return compiler.process(column, **kw), compiler.process(values, **kw)


@compiles(_Among, "postgresql")
def _among_postgresql(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = _parts(element, compiler, **kw)
    return f"{column} = ANY({values})"


@compiles(_Among)
def _among_elsewhere(element: _Among, compiler: SQLCompiler, **kw: Any) -> str:
    column, values = _parts(element, compiler, **kw)
    return f"{column} IN (SELECT value FROM json_each({values}))"


def _list_type(column: ColumnElement[Any]) -> _List:
    kind = column.type
    if isinstance(kind, BigInteger):
        return _BigIntegers()
    if isinstance(kind, Integer):
        return _Integers()
    if isinstance(kind, String):
        return _Strings()
    raise TypeError(f"among: no list type for a column of {kind!r}")


def among(column: Any, values: Iterable[Any] | None = None, *, key: str | None = None) -> ColumnElement[bool]:
    """`column` is one of `values`, sent as one parameter (an array on PostgreSQL, JSON on SQLite).

    Args:
        column: an integer, big-integer or string column.
        values: the list; or None with `key`, for a prepared statement (`storage.fast`) that is given
            the list under that name on each call.
    """
    if values is None:
        if key is None:
            raise ValueError("among: give the values or the key of a parameter")
        param = bindparam(key, type_=_list_type(column))
    else:
        param = bindparam(key, list(values), type_=_list_type(column), unique=key is None)
    return _Among(column, param)
