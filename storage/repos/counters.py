"""Named counters (tracking numbers): one upsert per number, never read-then-insert."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from storage import fast
from storage.models import Counter
from storage.repos.base import Repo, on_conflict


class CounterRepo(Repo):
    async def next(self, name: str) -> int:
        """Increment and return a named counter in one upsert. Concurrent callers take turns on the
        row, and the first number of a name cannot be created twice (read-then-insert could)."""
        return int((await fast.run(self.session, _COUNTER_NEXT, {"name": name, "value": 1})).scalar_one())

    async def take(self, name: str) -> int:
        """The next number of a counter, kept even if the caller's transaction rolls back.

        On PostgreSQL the upsert commits on its own (one autocommit statement on a second
        connection): `next` would lock the counter's row until the caller commits, so every
        concurrent submit would queue behind the whole unit of work of the one before it. A number
        whose transaction then rolls back is skipped, as a database sequence would skip it. SQLite has
        one writer, whose transactions never overlap: there it is `next`, with no gap.
        """
        engine = self.session.bind
        if not isinstance(engine, AsyncEngine) or engine.dialect.name != "postgresql":
            return await self.next(name)
        return int((await fast.run_alone(engine, _COUNTER_NEXT, {"name": name, "value": 1})).scalar_one())


_counter = Counter.__table__
_COUNTER_NEXT = on_conflict(
    lambda insert_: (
        insert_(_counter)
        .on_conflict_do_update(index_elements=[_counter.c.name], set_={"value": _counter.c.value + 1})
        .returning(_counter.c.value)
    )
)
