"""The unit of work's Core paths: outbox rows, chat sessions and timeline entries, on both backends."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import (
    ChatSession,
    Deputy,
    InboxUpdate,
    Opinion,
    OpinionEvent,
    OutboxMessage,
    Person,
    Station,
    utcnow,
)
from storage.unit_of_work import Bookkeeping, UnitOfWork
from tests.kit.statements import count_fast_statements


@pytest.mark.parametrize("begun", [False, True], ids=["first-statement", "after-a-read"])
async def test_outbox_rows_of_one_commit_each_get_their_own_id(
    sessionmaker: async_sessionmaker[AsyncSession], begun: bool
) -> None:
    """The rows go in one INSERT at commit; the id each row gets is the id of its own row.

    After a read, PostgreSQL's statement goes straight to the driver (one array per column);
    as a unit of work's first statement it goes through the session."""
    async with UnitOfWork(sessionmaker) as uow:
        await uow.outbox.add(1, "sendMessage", {"chat_id": 1, "text": "first"})
        await uow.commit()  # an earlier row, so the new ids do not start at 1
    async with UnitOfWork(sessionmaker) as uow:
        if begun:
            await uow.chats.get(30)
        rows = [
            await uow.outbox.add(chat, "sendMessage", {"chat_id": chat, "text": f"to {chat}"}, ref=f"r{chat}")
            for chat in (30, 10, 20, 10)
        ]
        assert all(row.id is None for row in rows)  # nothing is written before commit
        await uow.commit()
        assert uow.outbox.added == rows
    async with UnitOfWork(sessionmaker) as uow:
        stored = {
            row.id: (row.chat_id, row.payload["text"], row.ref, row.status, row.attempts)
            for row in await uow.session.scalars(select(OutboxMessage))
        }
    assert [stored[row.id] for row in rows] == [
        (30, "to 30", "r30", "pending", 0),
        (10, "to 10", "r10", "pending", 0),
        (20, "to 20", "r20", "pending", 0),
        (10, "to 10", "r10", "pending", 0),
    ]
    assert sorted(row.id for row in rows) == [row.id for row in rows]  # written in the order added


async def test_outbox_rows_of_a_rolled_back_unit_are_not_written(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        await uow.outbox.add(5, "sendMessage", {"chat_id": 5, "text": "never"})
        await uow.rollback()
        assert uow.outbox.added == []
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert (await uow.session.scalars(select(OutboxMessage))).all() == []


async def test_chat_session_is_written_by_set_only(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """Reading a chat's state writes nothing; set writes it (insert, then update) and reads see it."""
    async with UnitOfWork(sessionmaker) as uow:
        fresh = await uow.chats.get(42)
        assert (fresh.state, fresh.data) == (None, {})
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert (await uow.session.scalars(select(ChatSession))).all() == []
        await uow.chats.set(42, "draft", {"draft": {"text": "路灯"}})
        same = await uow.chats.get(42)
        assert (same.state, same.data) == ("draft", {"draft": {"text": "路灯"}})
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        stored = await uow.chats.get(42)
        assert (stored.state, stored.data) == ("draft", {"draft": {"text": "路灯"}})
        await uow.chats.set(42, None)
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        row = await uow.session.get(ChatSession, 42)
        assert row is not None and (row.state, row.data) == (None, {})
        await uow.chats.set(42, "draft", {"x": 1})
        await uow.rollback()
    async with UnitOfWork(sessionmaker) as uow:
        assert (await uow.chats.get(42)).state is None  # a rolled-back set is gone


async def test_timeline_entries_keep_the_order_they_were_added_in(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        sender = await uow.people.add(Person(name="Sender"))
        opinion = await uow.opinions.add(
            Opinion(
                tracking_no="LX-2026-000001",
                sender_person_id=sender.id,
                category="other",
                text="路灯不亮",
                state="submitted",
                created_at=utcnow(),
            )
        )
        for action in ("submit", "route", "accept"):
            await uow.opinions.add_event(
                OpinionEvent(opinion_id=opinion.id, at=opinion.created_at, action=action, to_state="routed")
            )
        # Written by a prebuilt INSERT, it belongs to the session like a loaded row: defaults are set,
        # nothing is left to load, and a later change is flushed as an UPDATE.
        assert inspect(opinion).persistent and not inspect(opinion).unloaded
        assert opinion.anonymous is False and await uow.session.get(Opinion, opinion.id) is opinion
        opinion.state = "routed"
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        events = await uow.opinions.events(opinion.id)
        assert [e.action for e in events] == ["submit", "route", "accept"]
        stored = await uow.opinions.get(opinion.id)
        assert stored is not None and (stored.state, stored.anonymous) == ("routed", False)


async def test_a_unit_of_work_reads_a_row_once_however_often_it_is_got(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """What the session loaded stays in it until it closes: a second `get` needs no query, even
    when nothing else kept a reference to the first one's object (the identity map is weak)."""
    async with UnitOfWork(sessionmaker) as uow:
        uow.session.add(Station(code="S1", name="城关站", kind="station"))
        await uow.commit()
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with UnitOfWork(sessionmaker) as uow:
            station_id = (await uow.network.station_by_code("S1")).id  # type: ignore[union-attr]
            reads = len(statements)
            for _ in range(3):
                assert (await uow.session.get(Station, station_id)).name == "城关站"  # type: ignore[union-attr]
            assert len(statements) == reads
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def test_a_relaxed_claim_relaxes_only_its_own_transaction(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """Handling an update commits without waiting for the disk (its update is stored durably
    already); the setting rides on the claim and ends with the transaction."""
    async with UnitOfWork(sessionmaker) as uow:
        await uow.inbox.add_many([(1, 5, {"update_id": 1}), (2, 5, {"update_id": 2})])
        await uow.commit()
    (first, _, _), (second, _, _) = await _pending(sessionmaker)
    pg = engine.dialect.name == "postgresql"

    async def durability(uow: UnitOfWork) -> str | None:
        return (await uow.session.execute(text("SHOW synchronous_commit"))).scalar() if pg else None

    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.inbox.claim(first, relax_durability=True)
        assert await durability(uow) == ("off" if pg else None)
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.inbox.claim(second)
        assert await durability(uow) == ("on" if pg else None)
        assert not await uow.inbox.claim(first, relax_durability=True)  # handled already
        await uow.commit()
    assert await _pending(sessionmaker) == []


async def _pending(sessionmaker: async_sessionmaker[AsyncSession]) -> list[tuple[int, dict, int]]:
    async with UnitOfWork(sessionmaker) as uow:
        return await uow.inbox.pending()


async def test_briefs_and_names_come_from_the_session_or_one_statement(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Rendering reads names and chats: the session's own entity (with its unflushed changes) when it
    holds one, else a statement that loads no entity."""
    async with UnitOfWork(sessionmaker) as uow:
        station = Station(code="S9", name="城关站", kind="station")
        uow.session.add(station)
        person = await uow.people.add(Person(name="王芳", telegram_id=9001, phone="138", phone_shared=True))
        deputy = Deputy(person_id=person.id, level="county", fields=[])
        uow.session.add(deputy)
        await uow.commit()
        ids = (person.id, deputy.id, station.id)
    async with UnitOfWork(sessionmaker) as uow:
        brief = await uow.people.brief(ids[0])
        assert brief is not None and (brief.name, brief.telegram_id, brief.phone, brief.phone_shared) == (
            "王芳",
            9001,
            "138",
            True,
        )
        assert not uow.session.identity_map  # nothing loaded as an entity
        assert await uow.people.name_of_deputy(ids[1]) == "王芳"
        assert await uow.network.station_name(ids[2]) == "城关站"
        assert await uow.people.brief(ids[0] + 1000) is None and await uow.network.station_name(-1) is None
        held = await uow.session.get(Person, ids[0])
        held.name = "王芳芳"  # not flushed: the brief still shows it
        assert (await uow.people.brief(ids[0])).name == "王芳芳"  # type: ignore[union-attr]


async def test_a_person_is_read_once_per_unit_of_work(
    sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A submit names its holder (found by deputy) and its sender in several notices: one statement
    for each person per unit of work, and the sender's is the one read with the chat's state."""
    async with UnitOfWork(sessionmaker) as uow:
        sender = await uow.people.add(Person(name="李明", telegram_id=9101))
        holder = await uow.people.add(Person(name="王芳", telegram_id=9102))
        deputy = Deputy(person_id=holder.id, level="county", fields=[])
        uow.session.add(deputy)
        await uow.commit()
        sender_id, holder_id, deputy_id = sender.id, holder.id, deputy.id
    reads = count_fast_statements(monkeypatch)
    async with UnitOfWork(sessionmaker) as uow:
        found = await uow.people.brief_in_chat(9101, 9101)
        assert found is not None and found[0].id == sender_id
        assert await uow.people.id_of_deputy(deputy_id) == holder_id
        assert await uow.people.name_of_deputy(deputy_id) == "王芳"
        assert (await uow.people.brief(holder_id)).telegram_id == 9102  # type: ignore[union-attr]
        assert (await uow.people.brief(sender_id)).name == "李明"  # type: ignore[union-attr]
        assert await uow.people.id_of_deputy(deputy_id + 1000) is None
        assert await uow.people.name_of_deputy(deputy_id + 1000) is None
        assert len(reads) == 3  # the sender with the chat, the holder by deputy, the unknown deputy
        assert not uow.session.identity_map
    async with UnitOfWork(sessionmaker) as uow:  # the next unit of work reads afresh
        await uow.session.execute(text("UPDATE person SET name = '王芳芳' WHERE id = :id"), {"id": holder_id})
        assert await uow.people.name_of_deputy(deputy_id) == "王芳芳"


async def test_outcomes_of_many_calls_are_recorded_together(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """On PostgreSQL several outcomes are one UPDATE from arrays; each row gets its own outcome, and
    a message id of None keeps the stored one."""
    async with UnitOfWork(sessionmaker) as uow:
        rows = [
            await uow.outbox.add(chat, "sendMessage", {"chat_id": chat, "text": "x"}) for chat in (1, 2, 3)
        ]
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        kept = await uow.session.get(OutboxMessage, rows[2].id)
        assert kept is not None
        kept.result_message_id = 77  # an edit's earlier send: the id stays when the call gives none
        await uow.commit()
    at = utcnow()
    await Bookkeeping.of(sessionmaker).record_outcomes(
        [(rows[0].id, "sent", None, 501), (rows[1].id, "blocked", "Forbidden: bot was blocked", None),
         (rows[2].id, "sent", None, None)],
        at,
    )  # fmt: skip
    async with UnitOfWork(sessionmaker) as uow:
        stored = {
            row.id: (row.status, row.attempts, row.last_error, row.result_message_id, row.sent_at is not None)
            for row in await uow.session.scalars(select(OutboxMessage))
        }
    assert [stored[row.id] for row in rows] == [
        ("sent", 1, None, 501, True),
        ("blocked", 1, "Forbidden: bot was blocked", None, True),
        ("sent", 1, None, 77, True),
    ]


async def test_a_claim_reads_who_sent_the_update_for_the_handler(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """On PostgreSQL the claim also reads the sender's brief and chat state: the handler's first
    look-up then costs no statement. Nothing else changes: the row keeps its chat, a claimed row is
    not claimed again, and on SQLite the look-up runs as before."""
    async with UnitOfWork(sessionmaker) as uow:
        person = await uow.people.add(Person(name="李明", telegram_id=9201))
        await uow.chats.set(9201, "draft", {"parts": ["路灯不亮"]})
        await uow.inbox.add_many([(11, 9201, {"update_id": 11}), (12, 9202, {"update_id": 12})])
        await uow.commit()
    (first, _, _), (second, _, _) = await _pending(sessionmaker)
    statements = count_fast_statements(monkeypatch)
    async with UnitOfWork(sessionmaker) as uow:
        assert await uow.inbox.claim(first, relax_durability=True, reader=(9201, 9201))
        claimed = len(statements)
        found = await uow.people.brief_in_chat(9201, 9201)
        assert found is not None and found[0].id == person.id and found[0].name == "李明"
        assert (found[1].state, found[1].data) == ("draft", {"parts": ["路灯不亮"]})
        assert len(statements) == claimed + (0 if engine.dialect.name == "postgresql" else 1)
        await uow.people.brief_in_chat(9201, 9201)  # read once: a second look-up asks again
        assert len(statements) == claimed + (1 if engine.dialect.name == "postgresql" else 2)
        assert await uow.inbox.claim(second, reader=(9202, 9202))  # nobody has this account
        assert await uow.people.brief_in_chat(9202, 9202) is None
        await uow.commit()
    async with UnitOfWork(sessionmaker) as uow:
        assert not await uow.inbox.claim(first, reader=(9201, 9201))  # handled already
        rows = (await uow.session.execute(select(InboxUpdate.update_id, InboxUpdate.chat_id))).all()
    assert sorted(rows) == [(11, 9201), (12, 9202)]
    assert await _pending(sessionmaker) == []


async def test_a_polled_batch_is_stored_in_one_round_trip(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The poller waits for its batch's commit before it asks for more, so on PostgreSQL the batch is
    one statement, not one per update. Redelivered updates are still ignored, payloads and chats kept
    as they came, and the rows are handled in arrival order."""
    fetches: list[str] = []
    if engine.dialect.name == "postgresql":
        real = asyncpg.connection.Connection.fetch

        async def counted(self: asyncpg.Connection, query: str, *args: object, **kwargs: object) -> object:
            fetches.append(query)
            return await real(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.connection.Connection, "fetch", counted)
    bookkeeping = Bookkeeping.of(sessionmaker)
    odd = {"update_id": 21, "message": {"text": "路灯\u0000'\"\\ 🚦", "chat": {"id": 9301}}}
    assert (
        await bookkeeping.add_updates(
            [(21, 9301, odd), (22, None, {"update_id": 22}), (23, 9302, {"update_id": 23})]
        )
        == 3
    )
    if engine.dialect.name == "postgresql":
        assert len(fetches) == 1
    assert await bookkeeping.add_updates([(22, None, {"update_id": 22}), (24, 9301, {"update_id": 24})]) == 1
    pending = await _pending(sessionmaker)
    assert [payload for _, payload, _ in pending] == [
        odd,
        {"update_id": 22},
        {"update_id": 23},
        {"update_id": 24},
    ]
    assert [row_id for row_id, _, _ in pending] == sorted(row_id for row_id, _, _ in pending)
    async with UnitOfWork(sessionmaker) as uow:
        chats = (await uow.session.execute(select(InboxUpdate.update_id, InboxUpdate.chat_id))).all()
    assert sorted(chats) == [(21, 9301), (22, None), (23, 9302), (24, 9301)]
