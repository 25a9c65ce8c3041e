"""Every migration walks up and down (the stairway) and head matches the models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, inspect

from storage import migrate
from storage.db import create_engine
from storage.models import Base


def _table_names(conn: Connection) -> set[str]:
    return set(inspect(conn).get_table_names()) - {"alembic_version"}


def _diff(conn: Connection) -> list[object]:
    ctx = MigrationContext.configure(conn, opts={"compare_type": False})
    return compare_metadata(ctx, Base.metadata)


async def test_stairway_up_and_down(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        revs = migrate.revisions()
        assert revs, "no migrations found"
        previous = ["base", *revs[:-1]]
        for rev, prev in zip(revs, previous, strict=True):
            await migrate.upgrade(engine, rev)
            assert await migrate.current(engine) == rev
            await migrate.downgrade(engine, prev)
            await migrate.upgrade(engine, rev)
        async with engine.connect() as conn:
            assert await conn.run_sync(_table_names) == set(Base.metadata.tables)
            assert await conn.run_sync(_diff) == []
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            assert await conn.run_sync(_table_names) == set()
    finally:
        await engine.dispose()
