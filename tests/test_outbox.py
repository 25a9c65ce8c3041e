"""The outbox sender against the sandbox over real HTTP, on SQLite and PostgreSQL.

Transient failures are retried and arrive once, 429 ``retry_after`` is honoured with each chat's
order kept, 403 marks the row blocked, 400 fails it without retry, and a row marked sent is never
sent again. One edge is at-least-once by nature and documented here: a call Telegram carried out
whose answer was lost (connection dropped after processing) is sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.clock import ManualClock
from bot.runtime.outbox import OutboxSender, Pacing
from bot.runtime.replies import send_text
from bot.sandbox import Sandbox
from storage.models import OutboxMessage, OutboxStatus
from storage.unit_of_work import UnitOfWork
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox
from tests.reliability.helpers import bot_texts, wait_until

FAST = Pacing(global_rate=1000, global_burst=1000, chat_rate=1000, chat_burst=1000)
Maker = async_sessionmaker[AsyncSession]


@contextlib.asynccontextmanager
async def sending(
    sandbox: Sandbox, maker: Maker, clock: ManualClock | None = None, pacing: Pacing = FAST
) -> AsyncIterator[OutboxSender]:
    """An OutboxSender draining the database to the sandbox until the block ends."""
    async with make_bot(sandbox) as bot:
        sender = OutboxSender(bot, maker, clock=clock or ManualClock(), pacing=pacing)
        task = asyncio.create_task(sender.run())
        try:
            yield sender
        finally:
            sender.stop()
            await asyncio.wait_for(task, 10)


async def enqueue(maker: Maker, chat_id: int, *texts: str) -> list[int]:
    async with UnitOfWork(maker) as uow:
        for text in texts:
            await send_text(uow, chat_id, text)
        await uow.commit()
        rows = await uow.session.scalars(
            select(OutboxMessage.id).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(rows)[-len(texts) :]


async def rows_of(maker: Maker, chat_id: int) -> list[OutboxMessage]:
    async with UnitOfWork(maker) as uow:
        found = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return list(found)


async def settled(maker: Maker, chat_id: int) -> bool:
    return all(r.status != OutboxStatus.PENDING for r in await rows_of(maker, chat_id))


async def user(sandbox: Sandbox, name: str = "Ann") -> int:
    u = SandboxUser.create(sandbox, first_name=name)
    await u.start()  # a user who has written to the bot; the /start update itself is not consumed
    return u.id


def calls_to(sandbox: Sandbox, chat_id: int, method: str = "sendMessage") -> list[dict[str, Any]]:
    return [c for c in sandbox.calls(method) if c["params"].get("chat_id") == chat_id]


async def test_transient_failures_are_retried_and_arrive_once(sessionmaker: Maker) -> None:
    clock = ManualClock()
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        sandbox.inject_fault("error", method="sendMessage", status=500)
        sandbox.inject_fault("error", method="sendMessage", status=502)
        sandbox.inject_fault("drop", method="sendMessage")  # connection closed before processing
        [row_id] = await enqueue(sessionmaker, chat, "hello once")
        async with sending(sandbox, sessionmaker, clock) as sender:
            for attempt in (1, 2, 3):

                async def failed_times(n: int = attempt) -> bool:
                    return (await rows_of(sessionmaker, chat))[0].attempts == n

                await wait_until(failed_times, 5, f"failed attempt {attempt}")
                row = (await rows_of(sessionmaker, chat))[0]
                assert row.status == OutboxStatus.PENDING and row.not_before > clock.now()
                clock.advance(timedelta(seconds=2**attempt + 1))  # jump the backoff
                sender.wakeup.set()
            await wait_until(lambda: settled(sessionmaker, chat), 5, "the row settled")
        [row] = await rows_of(sessionmaker, chat)
        assert (row.id, row.status, row.attempts) == (row_id, OutboxStatus.SENT, 4)
        assert bot_texts(sandbox, chat) == ["hello once"]
        assert row.result_message_id is not None
        assert_no_violations(sandbox)


async def test_a_retried_message_is_not_overtaken_in_its_chat(sessionmaker: Maker) -> None:
    clock = ManualClock()
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        other = await user(sandbox, "Bob")
        sandbox.inject_fault("error", method="sendMessage", status=500)
        await enqueue(sessionmaker, chat, "A1", "A2", "A3")
        await enqueue(sessionmaker, other, "B1")
        async with sending(sandbox, sessionmaker, clock) as sender:
            await wait_until(lambda: bot_texts(sandbox, other) == ["B1"], 5, "the other chat served")

            async def first_failed() -> bool:
                return (await rows_of(sessionmaker, chat))[0].attempts == 1

            await wait_until(first_failed, 5, "A1 failed once")
            await sender.drain_once()  # A1 waits for its retry; A2 and A3 must wait behind it
            await asyncio.sleep(0)
            assert bot_texts(sandbox, chat) == []
            clock.advance(timedelta(seconds=5))
            sender.wakeup.set()
            await wait_until(lambda: settled(sessionmaker, chat), 5, "chat A drained")
        assert bot_texts(sandbox, chat) == ["A1", "A2", "A3"]


async def test_retry_after_is_honoured_and_order_kept(sessionmaker: Maker) -> None:
    """Sandbox flood limits on, sender pacing deliberately too fast: 429s happen and are obeyed."""
    async with running_sandbox(flood_limits=True) as sandbox:
        a, b = await user(sandbox, "A"), await user(sandbox, "B")
        texts_a = [f"A{i}" for i in range(1, 7)]
        texts_b = [f"B{i}" for i in range(1, 7)]
        await enqueue(sessionmaker, a, *texts_a)
        await enqueue(sessionmaker, b, *texts_b)
        with sandbox.expect_error(method="sendMessage", code=429) as refused:
            async with sending(sandbox, sessionmaker, pacing=FAST) as sender:

                async def both_settled() -> bool:
                    return await settled(sessionmaker, a) and await settled(sessionmaker, b)

                await wait_until(both_settled, 15, "every message sent")
        assert bot_texts(sandbox, a) == texts_a
        assert bot_texts(sandbox, b) == texts_b
        assert refused.matched >= 1  # the limit was really hit...
        assert sender.by_result.get("retry", 0) == refused.matched  # ...and each 429 was retried once
        # No chat got more than one 429 per pause: the sender waited retry_after before trying again.
        for chat in (a, b):
            attempts = calls_to(sandbox, chat)
            assert len(attempts) == 6 + sum(1 for c in attempts if c["error_code"] == 429)
        assert_no_violations(sandbox)


async def test_a_row_no_call_can_carry_is_failed_and_the_drain_goes_on(sessionmaker: Maker) -> None:
    """A reply queued to a malformed chat ("abc": SQLite stores it) or with a payload that is not
    an object is marked failed without a call; the rows after it still go."""
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        async with UnitOfWork(sessionmaker) as uow:
            bad = [{"chat_id": chat, "method": "sendMessage", "payload": ["not", "an", "object"]}]
            if uow.session.bind.dialect.name == "sqlite":  # PostgreSQL's BIGINT refuses it already
                bad.append(
                    {"chat_id": "abc", "method": "sendMessage", "payload": {"chat_id": "abc", "text": "x"}}
                )
            await uow.session.execute(insert(OutboxMessage), bad)
            await uow.commit()
        await enqueue(sessionmaker, chat, "after the bad rows")
        async with sending(sandbox, sessionmaker) as sender:
            await wait_until(lambda: settled(sessionmaker, chat), 5, "the good row sent")
            await wait_until(lambda: _all_recorded(sessionmaker), 5, "the bad rows recorded")
            assert sender.by_result.get(OutboxStatus.FAILED) == len(bad)
        assert bot_texts(sandbox, chat) == ["after the bad rows"]
        async with UnitOfWork(sessionmaker) as uow:
            rows = list(await uow.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
        assert [r.status for r in rows] == [OutboxStatus.FAILED] * len(bad) + [OutboxStatus.SENT]
        assert all((r.last_error or "").startswith("unsendable") for r in rows[:-1])
        assert_no_violations(sandbox)


async def _all_recorded(maker: Maker) -> bool:
    async with UnitOfWork(maker) as uow:
        stmt = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.PENDING)
        return not list(await uow.session.scalars(stmt))


async def test_blocked_user_is_recorded_without_retries(sessionmaker: Maker) -> None:
    clock = ManualClock()
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        sandbox.block(chat)
        await enqueue(sessionmaker, chat, "one", "two", "three")
        with sandbox.expect_error(code=403):
            async with sending(sandbox, sessionmaker, clock) as sender:
                await wait_until(lambda: settled(sessionmaker, chat), 5, "rows settled")
                clock.advance(timedelta(hours=1))
                sender.wakeup.set()
                await sender.drain_once()
        rows = await rows_of(sessionmaker, chat)
        assert [(r.status, r.attempts) for r in rows] == [(OutboxStatus.BLOCKED, 1)] * 3
        assert "blocked" in (rows[0].last_error or "")
        assert len(calls_to(sandbox, chat)) == 3  # one call per row, none repeated
        assert_no_violations(sandbox)


async def test_bad_request_fails_without_retry(sessionmaker: Maker) -> None:
    clock = ManualClock()
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        await enqueue(sessionmaker, chat, "<b>unclosed", "fine")
        with sandbox.expect_error(code=400, method="sendMessage"):
            async with sending(sandbox, sessionmaker, clock) as sender:
                await wait_until(lambda: settled(sessionmaker, chat), 5, "rows settled")
                clock.advance(timedelta(hours=1))
                await sender.drain_once()
        bad, fine = await rows_of(sessionmaker, chat)
        assert (bad.status, bad.attempts) == (OutboxStatus.FAILED, 1)
        assert "parse" in (bad.last_error or "").lower()
        assert (fine.status, fine.attempts) == (OutboxStatus.SENT, 1)
        assert len(calls_to(sandbox, chat)) == 2
        assert bot_texts(sandbox, chat) == ["fine"]
        assert_no_violations(sandbox)


async def test_answer_lost_after_processing_is_sent_twice(sessionmaker: Maker) -> None:
    """At-least-once, on purpose: Telegram did send it, the bot never heard, so it sends again.

    Telegram has no idempotency key and no way to ask whether a message went out; the alternative
    (never retry after a lost answer) would silently lose messages whenever a connection drops.
    """
    clock = ManualClock()
    async with running_sandbox() as sandbox:
        chat = await user(sandbox)
        sandbox.inject_fault("drop", method="sendMessage", after_processing=True)
        await enqueue(sessionmaker, chat, "important")
        async with sending(sandbox, sessionmaker, clock) as sender:

            async def failed_once() -> bool:
                return (await rows_of(sessionmaker, chat))[0].attempts == 1

            await wait_until(failed_once, 5, "the lost answer recorded as a failure")
            assert bot_texts(sandbox, chat) == ["important"]  # ...though Telegram delivered it
            clock.advance(timedelta(seconds=5))
            sender.wakeup.set()
            await wait_until(lambda: settled(sessionmaker, chat), 5, "the row settled")
        [row] = await rows_of(sessionmaker, chat)
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 2)
        assert bot_texts(sandbox, chat) == ["important", "important"]
        assert_no_violations(sandbox)


async def test_sent_rows_are_never_sent_again_by_a_new_sender(sessionmaker: Maker) -> None:
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(5)]
        for chat in chats:
            await enqueue(sessionmaker, chat, "hi", "there")

        async def all_settled() -> bool:
            return all([await settled(sessionmaker, c) for c in chats])

        async with sending(sandbox, sessionmaker):
            await wait_until(all_settled, 5, "everything sent")
        calls = len(sandbox.calls("sendMessage"))
        async with sending(sandbox, sessionmaker) as restarted:
            await restarted.drain_once()
            await enqueue(sessionmaker, chats[0], "new")
            restarted.wakeup.set()
            await wait_until(lambda: bot_texts(sandbox, chats[0])[-1:] == ["new"], 5, "the new row sent")
        assert len(sandbox.calls("sendMessage")) == calls + 1
        assert all(bot_texts(sandbox, c)[:2] == ["hi", "there"] for c in chats)


async def test_many_chats_at_once_each_message_exactly_once(sessionmaker: Maker) -> None:
    """Regression: a drain that read rows while other sends completed used to send them again."""
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(150)]
        for chat in chats:
            await enqueue(sessionmaker, chat, f"to {chat}")

        async def all_settled() -> bool:
            async with UnitOfWork(sessionmaker) as uow:
                return await uow.outbox.depth() == 0

        async with sending(sandbox, sessionmaker):
            await wait_until(all_settled, 10, "everything sent")
        assert all(bot_texts(sandbox, c) == [f"to {c}"] for c in chats)
        assert len(sandbox.calls("sendMessage")) == len(chats)


async def test_rows_held_by_the_overall_pace_go_when_it_allows(sessionmaker: Maker, monkeypatch: Any) -> None:
    """Regression: rows only the table held, stopped by the overall pace, waited for the next periodic
    read (one burst per read: 20 msg/s at the end of every notice instead of 29.5)."""
    monkeypatch.setattr("bot.runtime.outbox.SCAN_EVERY", 120.0)  # a periodic read would come far too late
    pacing = Pacing(global_rate=40, global_burst=2, chat_rate=1000, chat_burst=1000)
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(12)]
        for chat in chats:
            await enqueue(sessionmaker, chat, f"to {chat}")  # committed, never handed over

        async def all_settled() -> bool:
            async with UnitOfWork(sessionmaker) as uow:
                return await uow.outbox.depth() == 0

        async with sending(sandbox, sessionmaker, pacing=pacing):
            await wait_until(all_settled, 10, "every row sent at the pace (0.25 s), not at the next read")
        assert all(bot_texts(sandbox, c) == [f"to {c}"] for c in chats)
        assert_no_violations(sandbox)


async def test_a_row_read_by_a_scan_before_its_hand_over_is_sent_once(sessionmaker: Maker) -> None:
    """Regression: the writer hands rows over after its commit; a table read in between could take
    a row first, and the late hand-over sent it again once the first call was recorded."""
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(3)]
        async with make_bot(sandbox) as bot:
            sender = OutboxSender(bot, sessionmaker, clock=ManualClock(), pacing=FAST)
            for step, chat in enumerate(chats):
                async with UnitOfWork(sessionmaker) as uow:
                    await send_text(uow, chat, f"to {chat}")
                    await uow.commit()
                await sender.drain_once()  # the scan reads the row and starts its call
                # The hand-over arrives while the call is under way (0), made (1), or recorded (2).
                if step >= 1:
                    await wait_until(lambda: not sender._sending, 5, "the call made")
                if step == 2:
                    await sender.flush_results()
                sender.hand_over(uow.outbox.added)
                await wait_until(lambda: not sender._sending, 5, "the call made")
                await sender.flush_results()
                await sender._drain(scan=False)  # what a handed-over row would do next
                await wait_until(lambda: not sender._sending, 5, "any second call made")
                await sender.flush_results()
        assert all(bot_texts(sandbox, c) == [f"to {c}"] for c in chats)
        assert len(sandbox.calls("sendMessage")) == len(chats)
