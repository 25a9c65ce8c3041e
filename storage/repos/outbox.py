"""The outbox: every message to a user, written with the change that causes it, and its outcome."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Text,
    and_,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import aliased

from storage import fast
from storage.models import OutboxMessage, OutboxStatus, utcnow
from storage.repos.base import Repo

_outbox = OutboxMessage.__table__
_OUTBOX_COLUMNS = (
    "chat_id",
    "method",
    "payload",
    "status",
    "priority",
    "created_at",
    "not_before",
    "attempts",
    "ref",
    "broadcast_id",
)
_OUTBOX_INSERT = fast.Prepared(insert(_outbox).returning(_outbox.c.id))
# PostgreSQL: an update's rows in one statement, one array per column (a round trip costs more than
# the rows). SQLite takes them one by one on its connection, which costs it next to nothing.
_outbox_rows = (
    func.unnest(*(bindparam(c, type_=ARRAY(_outbox.c[c].type)) for c in _OUTBOX_COLUMNS))
    .table_valued(*_OUTBOX_COLUMNS)
    .render_derived(name="rows")
)
_OUTBOX_INSERT_MANY = fast.Prepared(
    insert(_outbox)
    .from_select(list(_OUTBOX_COLUMNS), select(*_outbox_rows.c), include_defaults=False)
    .returning(_outbox.c.id)
)
_OUTBOX_RECORD_FINAL = fast.Prepared(
    update(_outbox)
    .where(_outbox.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        sent_at=bindparam("b_at"),
        attempts=_outbox.c.attempts + 1,
        last_error=bindparam("b_error"),
        result_message_id=func.coalesce(bindparam("b_message_id"), _outbox.c.result_message_id),
    )
)


# PostgreSQL: a flush's outcomes in one UPDATE … FROM unnest(…), committed on its own (one round trip;
# several parameter sets would take a transaction's BEGIN, the batch and COMMIT).
_OUTCOME_COLUMNS = {"id": "id", "status": "status", "error": "last_error", "message_id": "result_message_id"}
_outcomes = (
    func.unnest(
        *(bindparam(f"each_{k}", type_=ARRAY(_outbox.c[c].type)) for k, c in _OUTCOME_COLUMNS.items())
    )
    .table_valued(*_OUTCOME_COLUMNS)
    .render_derived(name="outcomes")
)
_OUTBOX_RECORD_FINAL_MANY = fast.Prepared(
    update(_outbox)
    .where(_outbox.c.id == _outcomes.c.id)
    .values(
        status=_outcomes.c.status,
        sent_at=bindparam("b_at"),
        attempts=_outbox.c.attempts + 1,
        last_error=_outcomes.c.error,
        result_message_id=func.coalesce(_outcomes.c.message_id, _outbox.c.result_message_id),
    )
)


def _outcome_rows(
    outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
) -> list[dict[str, Any]]:
    return [
        {"b_id": row_id, "b_status": status, "b_at": at, "b_error": error, "b_message_id": message_id}
        for row_id, status, error, message_id in outcomes
    ]


def is_due(now: datetime) -> ColumnElement[bool]:
    """Whether a row may be sent at ``now``: pending, its time come, not queued behind a retry in its chat.

    A failed send is rescheduled (`not_before` moves on); the chat's later rows of the same or lower
    priority wait behind it, so a chat's messages arrive in the order they were written. Public so that
    whoever must know what the sender would pick (the tests' idle probe) asks this rule, not a copy.
    """
    waiting = aliased(OutboxMessage)
    behind_a_retry = exists().where(
        waiting.chat_id == OutboxMessage.chat_id,
        waiting.status == OutboxStatus.PENDING,
        waiting.attempts > 0,
        waiting.not_before > now,
        waiting.id < OutboxMessage.id,
        waiting.priority >= OutboxMessage.priority,
    )
    return and_(
        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.not_before <= now, ~behind_a_retry
    )


class OutboxRepo(Repo):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self.added: list[OutboxMessage] = []  # rows of this unit of work, for the sender's hand-over
        self.added_in_bulk = 0  # rows written by add_bulk: only the table has them
        self._unwritten: list[OutboxMessage] = []

    async def add_bulk(self, rows: list[dict[str, Any]]) -> None:
        """Many rows in one multi-row INSERT (a notice's recipients); the sender reads them back."""
        if rows:
            await self.session.execute(insert(OutboxMessage), rows)
            self.added_in_bulk += len(rows)

    async def add(
        self,
        chat_id: int,
        method: str,
        payload: dict[str, Any],
        *,
        ref: str | None = None,
        not_before: datetime | None = None,
        priority: int = 0,
        broadcast_id: int | None = None,
    ) -> OutboxMessage:
        now = utcnow()
        row = OutboxMessage(
            chat_id=chat_id,
            method=method,
            payload=payload,
            ref=ref,
            status=OutboxStatus.PENDING,
            priority=priority,
            created_at=now,
            not_before=not_before or now,
            attempts=0,
            broadcast_id=broadcast_id,
        )
        # Written at commit (see write), not now: nothing reads a pending row back before commit
        # (the sender only looks up sent rows, and a notice's rows come from add_bulk).
        self._unwritten.append(row)
        self.added.append(row)
        return row

    async def write(self) -> None:
        """Write the rows added so far and give each its id (UnitOfWork.commit calls it).

        On SQLite each row is one prebuilt INSERT on the connection (storage.fast); on PostgreSQL
        several rows go as one INSERT … SELECT FROM unnest(…). Its RETURNING may list the ids in any
        order, but they are assigned in the order of the rows: the sorted ids match the rows.
        """
        if not self._unwritten:
            return
        rows, self._unwritten = self._unwritten, []
        values = [{column: getattr(row, column) for column in _OUTBOX_COLUMNS} for row in rows]
        if len(values) > 1 and self._dialect() == "postgresql":
            columns = {column: [v[column] for v in values] for column in _OUTBOX_COLUMNS}
            result = await fast.run(self.session, _OUTBOX_INSERT_MANY, columns)
        else:
            result = await fast.run(self.session, _OUTBOX_INSERT, values)
        for row, row_id in zip(rows, sorted(result.scalars()), strict=True):
            row.id = row_id

    async def record_final(
        self, outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
    ) -> None:
        """Record calls that are over (sent, blocked, failed): one UPDATE per row, sent together.

        Each outcome is (row id, status, error, message id); a message id of None keeps the stored one.
        Core and executemany: the sender records every call, and loading the rows to change them
        (with their payloads) cost more than the calls' own bookkeeping.
        """
        if outcomes:
            await fast.run(self.session, _OUTBOX_RECORD_FINAL, _outcome_rows(outcomes, at))

    def discard(self) -> None:
        """Forget rows not yet written (the unit of work rolled back)."""
        self._unwritten = []
        self.added = []

    async def due(
        self, now: datetime, limit: int = 50, *, skip: Iterable[int] = ()
    ) -> Sequence[OutboxMessage]:
        """Pending rows whose time has come, except those queued behind a retry in their chat.

        A failed send is rescheduled (`not_before` moves on); the chat's later rows of the same or
        lower priority wait behind it, so a chat's messages arrive in the order they were written.
        """
        stmt = (
            select(OutboxMessage)
            .where(is_due(now))
            .where(*([OutboxMessage.id.not_in(list(skip))] if skip else []))
            .order_by(OutboxMessage.priority.desc(), OutboxMessage.id)
            .limit(limit)
        )
        if self._dialect() == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        return (await self.session.scalars(stmt)).all()

    async def replace_payload(self, row_id: int, payload: dict[str, Any]) -> None:
        """Store a row's payload anew (a sent message's one-time link blanked)."""
        await self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(payload=payload)
            .execution_options(synchronize_session=False)
        )

    async def by_ids(self, ids: Sequence[int]) -> dict[int, OutboxMessage]:
        """The rows with these ids, as entities (a retry's backoff reads and changes the row)."""
        rows = await self.session.scalars(select(OutboxMessage).where(OutboxMessage.id.in_(list(ids))))
        return {row.id: row for row in rows}

    async def failed_for_good(self, ref_prefix: str, limit: int = 20) -> Sequence[OutboxMessage]:
        """Rows with refs starting `ref_prefix` that failed for good and were not sent since (newest first).

        What staff must see (a deputy's card refused by Telegram): the failure, not a later success.
        """
        later = aliased(OutboxMessage)
        return (
            await self.session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.FAILED,
                    OutboxMessage.ref.startswith(ref_prefix, autoescape=True),
                    ~exists().where(
                        later.ref == OutboxMessage.ref,
                        later.id > OutboxMessage.id,
                        later.status == OutboxStatus.SENT,
                    ),
                )
                .order_by(OutboxMessage.id.desc())
                .limit(limit)
            )
        ).all()

    async def last_sent_for(self, ref: str) -> OutboxMessage | None:
        return await self.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.ref == ref, OutboxMessage.result_message_id.is_not(None))
            .order_by(OutboxMessage.id.desc())
            .limit(1)
        )

    async def forget_before(self, cutoff: datetime) -> int:
        """Delete messages that are over (sent, blocked, failed, cancelled) and older than `cutoff`.

        Their text is personal data the chat already holds. Kept: a notice's rows (its counts and
        undelivered list are read from them) and the newest delivered row of each ref, which a later
        edit needs (`last_sent_for`: its message id, not its text, so its payload is emptied);
        everything else older than the cutoff goes.
        """
        newest = aliased(OutboxMessage)
        newest_of_ref = (
            select(func.max(newest.id))
            .where(newest.ref == OutboxMessage.ref, newest.result_message_id.is_not(None))
            .scalar_subquery()
        )
        result = await self.session.execute(
            delete(OutboxMessage)
            .where(
                OutboxMessage.status != OutboxStatus.PENDING,
                OutboxMessage.broadcast_id.is_(None),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
                OutboxMessage.ref.is_(None) | (OutboxMessage.id != func.coalesce(newest_of_ref, 0)),
            )
            .execution_options(synchronize_session=False)
        )
        await self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.status != OutboxStatus.PENDING,
                OutboxMessage.broadcast_id.is_(None),
                func.coalesce(OutboxMessage.sent_at, OutboxMessage.created_at) < cutoff,
                OutboxMessage.ref.is_not(None),
                func.length(cast(OutboxMessage.payload, Text)) > 2,  # not yet emptied ("{}")
            )
            .values(payload={})
            .execution_options(synchronize_session=False)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def depth(self) -> int:
        return int(
            await self.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status == OutboxStatus.PENDING)
            )
            or 0
        )


async def record_final_alone(
    engine: AsyncEngine, outcomes: Sequence[tuple[int, str, str | None, int | None]], at: datetime
) -> None:
    """As `OutboxRepo.record_final`, committed when it returns (`Bookkeeping.record_outcomes`)."""
    if len(outcomes) > 1 and engine.dialect.name == "postgresql":
        arrays = {
            f"each_{k}": list(c) for k, c in zip(_OUTCOME_COLUMNS, zip(*outcomes, strict=True), strict=True)
        }
        await fast.run_alone(engine, _OUTBOX_RECORD_FINAL_MANY, {**arrays, "b_at": at})
    elif outcomes:
        await fast.run_alone(engine, _OUTBOX_RECORD_FINAL, _outcome_rows(outcomes, at))
