"""The inbox: raw Telegram updates stored before they are acknowledged, claimed once when handled."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete, func, literal_column, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import fast
from storage.models import ChatSession, InboxUpdate, Person, utcnow
from storage.repos.base import Repo, on_conflict
from storage.repos.people import BRIEF_IN_CHAT_COLUMNS, READ_WITH_CLAIM, brief_in_chat_of


class InboxRepo(Repo):
    async def add_many(self, updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> int:
        """Store raw updates, ignoring ones already stored (redelivery is harmless); returns how many
        were new. One statement: INSERT … ON CONFLICT (update_id) DO NOTHING."""
        rows = _inbox_rows(updates)
        if not rows:
            return 0
        return len((await fast.run(self.session, _INBOX_ADD, rows)).all())

    async def pending(self, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
        """Unhandled updates in arrival order, as (id, payload, attempts): read often, so not entities."""
        return (await fast.run(self.session, _PENDING, {"limit": limit})).all()  # type: ignore[return-value]

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete handled updates older than `cutoff`. Telegram redelivers within a day at most, and
        after a week of silence it may start update_id anew: old ids must not look like redeliveries."""
        result = await self.session.execute(
            delete(InboxUpdate).where(
                InboxUpdate.processed_at.is_not(None), InboxUpdate.processed_at < cutoff
            )
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def claim(
        self, row_id: int, *, relax_durability: bool = False, reader: tuple[int, int] | None = None
    ) -> bool:
        """Mark an update handled, in the unit of work that handles it; False if it already was.

        Taken first, so a second process that reads the same pending row waits for this transaction
        on the row and then finds it handled: an update is handled once, however many run.

        `relax_durability`: on PostgreSQL, let this transaction's commit return before its WAL
        reaches the disk. The update itself was stored durably before Telegram was told, so if the
        server crashes and loses this commit, the update is simply handled again. The setting rides
        on the claim (`set_config(…, true)`, local to the transaction) instead of costing a round
        trip of its own.

        `reader`: (Telegram id, chat id) of who sent the update. On PostgreSQL the claim then also
        reads what `PeopleRepo.brief_in_chat` would, in the same statement, for the handler's first
        look-up: every update asks who is writing, and a round trip costs more than the query.
        """
        params: dict[str, Any] = {"row_id": row_id, "now": utcnow()}
        if reader is not None and self._dialect() == "postgresql":
            return await self._claim_reading(_CLAIM_READING[relax_durability], params, *reader)
        claim = _CLAIM_RELAXED if relax_durability else _CLAIM_UPDATE
        result = await fast.run(self.session, claim, params)
        return bool(result.rowcount)

    async def _claim_reading(
        self, claim: fast.Prepared, params: dict[str, Any], telegram_id: int, chat_id: int
    ) -> bool:
        found = await fast.run(self.session, claim, {**params, "reader": telegram_id, "reader_chat": chat_id})
        row = found.first()
        if row is None:
            return False
        self.session.info.setdefault(READ_WITH_CLAIM, {})[(telegram_id, chat_id)] = brief_in_chat_of(
            row[1:], chat_id
        )
        return True

    async def mark_done(self, row_id: int, error: str | None = None) -> None:
        values: dict[str, Any] = {"attempts": InboxUpdate.attempts + 1}
        if error is None:
            values["processed_at"] = utcnow()
        else:
            values["error"] = error[:2000]
        await self.session.execute(update(InboxUpdate).where(InboxUpdate.id == row_id).values(**values))

    async def replace_payload(self, row_id: int, payload: dict[str, Any]) -> None:
        """Store an update's payload with a secret masked (a one-time link, once the update is handled)."""
        await self.session.execute(
            update(InboxUpdate).where(InboxUpdate.id == row_id).values(payload=payload)
        )


_inbox = InboxUpdate.__table__
# Core, built once: this runs for every update, and the ORM's bulk UPDATE costs several times more.
_claim = (
    update(_inbox)
    .where(_inbox.c.id == bindparam("row_id"), _inbox.c.processed_at.is_(None))
    .values(processed_at=bindparam("now"), attempts=_inbox.c.attempts + 1)
)
_CLAIM_UPDATE = fast.Prepared(_claim)
_CLAIM_RELAXED = fast.Prepared(
    _claim,  # SQLite has no such setting (the bot runs it with synchronous=NORMAL throughout)
    postgresql=_claim.where(func.set_config("synchronous_commit", "off", True).is_not(None)),
)


def _claim_and_read(claim: Any) -> fast.Prepared:
    """PostgreSQL: the claim, and when it claims, the sender's brief and chat state (LEFT JOINs).

    Its parameters must not be named like inbox_update's columns: SQLAlchemy would SET them.
    """
    claimed = claim.returning(_inbox.c.id).cte("claimed")
    chats = ChatSession.__table__
    people = Person.__table__
    return fast.Prepared(
        select(claimed.c.id, *BRIEF_IN_CHAT_COLUMNS).select_from(
            claimed.outerjoin(people, people.c.telegram_id == bindparam("reader")).outerjoin(
                chats, chats.c.chat_id == bindparam("reader_chat")
            )
        )
    )


_CLAIM_READING = {
    False: _claim_and_read(_claim),
    True: _claim_and_read(_claim.where(func.set_config("synchronous_commit", "off", True).is_not(None))),
}


_INBOX_ADD = on_conflict(
    lambda insert_: (
        insert_(_inbox)
        .values(
            update_id=bindparam("update_id"),
            chat_id=bindparam("chat_id"),
            payload=bindparam("payload"),
            received_at=bindparam("at"),
            attempts=0,
        )
        .on_conflict_do_nothing(index_elements=[_inbox.c.update_id])
        .returning(_inbox.c.id)
    )
)


# PostgreSQL: a polled batch in one INSERT … SELECT FROM unnest(…), committed on its own. With RETURNING,
# a statement runs once per parameter set, so a batch of n updates took n round trips plus BEGIN and
# COMMIT, while the poller (and every update behind it) waited; this is one round trip.
_INBOX_COLUMNS = ("update_id", "chat_id", "payload")
_arrived = (
    func.unnest(*(bindparam(f"each_{c}", type_=ARRAY(_inbox.c[c].type)) for c in _INBOX_COLUMNS))
    .table_valued(*_INBOX_COLUMNS)
    .render_derived(name="arrived")
)
_INBOX_ADD_MANY = fast.Prepared(
    postgresql_insert(_inbox)
    .from_select(
        [*_INBOX_COLUMNS, "received_at", "attempts"],
        select(
            *(_arrived.c[c] for c in _INBOX_COLUMNS),
            bindparam("at", type_=_inbox.c.received_at.type),
            literal_column("0"),
        ).order_by(_arrived.c.update_id),  # ids in arrival order, which handling follows
    )
    .on_conflict_do_nothing(index_elements=[_inbox.c.update_id])
    .returning(_inbox.c.id)
)


def _inbox_rows(updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> list[dict[str, Any]]:
    """One row per update id (a batch that repeats one keeps the last)."""
    rows = {u: {"update_id": u, "chat_id": c, "payload": p, "at": utcnow()} for u, c, p in updates}
    return list(rows.values())


_pending = (
    select(_inbox.c.id, _inbox.c.payload, _inbox.c.attempts)
    .where(_inbox.c.processed_at.is_(None), _inbox.c.attempts < 3)
    .order_by(_inbox.c.id)
    .limit(bindparam("limit"))
)
_PENDING = fast.Prepared(_pending, postgresql=_pending.with_for_update(skip_locked=True))


async def add_alone(engine: AsyncEngine, updates: Iterable[tuple[int, int | None, dict[str, Any]]]) -> int:
    """As `InboxRepo.add_many`, committed when it returns (`Bookkeeping.add_updates`)."""
    rows = _inbox_rows(updates)
    if not rows:
        return 0
    if engine.dialect.name == "postgresql":
        arrays = {f"each_{c}": [row[c] for row in rows] for c in _INBOX_COLUMNS}
        added = await fast.run_alone(engine, _INBOX_ADD_MANY, {**arrays, "at": rows[0]["at"]})
        return len(added.all())
    return len((await fast.run_alone(engine, _INBOX_ADD, rows)).all())


async def pending_alone(engine: AsyncEngine, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
    """As `InboxRepo.pending`, in a transaction of its own (`Bookkeeping.pending_updates`)."""
    return (await fast.run_alone(engine, _PENDING, {"limit": limit})).all()  # type: ignore[return-value]
