"""One outbox sender per bot on one database, on SQLite and PostgreSQL.

Two bot processes (or two Runtimes) on one database would otherwise both read the same pending rows
and both send them: the user gets every notice twice. The sender's lock (storage.locks) lets one
send while the other stands by and takes over when the first stops, dies or loses its connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import textwrap
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.runtime.app import Runtime
from bot.runtime.outbox import OutboxSender, Pacing
from bot.runtime.replies import send_text
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from storage.db import create_engine, create_sessionmaker, is_postgres
from storage.locks import AdvisoryLock, FileLock, ProcessLocal, lock_key, single_holder
from storage.models import OutboxMessage, OutboxStatus
from storage.unit_of_work import UnitOfWork
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox
from tests.reliability.helpers import bot_texts, wait_until

FAST = Pacing(global_rate=1000, global_burst=1000, chat_rate=1000, chat_burst=1000)
LOCK = "outbox-sender:test"
RETRY = 0.05  # the standby's retry interval: short, so takeovers are quick in tests
ROOT = Path(__file__).resolve().parent.parent
Maker = async_sessionmaker[AsyncSession]


class SenderProcess:
    """An OutboxSender as a separate bot process runs it: its own engine, bot and lock."""

    def __init__(self, sandbox: Sandbox, db_url: str) -> None:
        self.sandbox = sandbox
        self.db_url = db_url
        self.engine = create_engine(db_url)
        self.maker = create_sessionmaker(self.engine)
        self._stack = contextlib.AsyncExitStack()

    async def start(self) -> OutboxSender:
        bot = await self._stack.enter_async_context(make_bot(self.sandbox))
        self.sender = OutboxSender(
            bot, self.maker, pacing=FAST, lock=single_holder(self.db_url, LOCK), standby_retry=RETRY
        )
        self.task = asyncio.create_task(self.sender.run())
        return self.sender

    async def stop(self) -> None:
        self.sender.stop()
        await asyncio.wait_for(self.task, 10)
        await self._stack.aclose()
        await self.engine.dispose()


@contextlib.asynccontextmanager
async def two_senders(sandbox: Sandbox, db_url: str) -> AsyncIterator[tuple[SenderProcess, SenderProcess]]:
    """Two sender processes on one database; the first holds the lock before the second starts."""
    first, second = SenderProcess(sandbox, db_url), SenderProcess(sandbox, db_url)
    started: list[SenderProcess] = []
    try:
        await first.start()
        started.append(first)
        await wait_until(lambda: first.sender.holding, 5, "the first sender holding the lock")
        await second.start()
        started.append(second)
        await asyncio.sleep(RETRY * 4)  # the second has tried for the lock a few times by now
        yield first, second
    finally:
        for process in started:
            if not process.task.done():
                await process.stop()


async def user(sandbox: Sandbox, name: str) -> int:
    u = SandboxUser.create(sandbox, first_name=name)
    await u.start()  # a user who has written to the bot
    return u.id


async def enqueue(maker: Maker, chat_id: int, message: str) -> OutboxMessage:
    """Write one outbox row as a service would, and return it as committed (for hand_over)."""
    async with UnitOfWork(maker) as uow:
        await send_text(uow, chat_id, message)
        await uow.commit()
        return (
            await uow.session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id.desc())
                .limit(1)
            )
        ).one()


async def write_round(
    label: str, chats: list[int], processes: list[SenderProcess], expected: dict[int, list[str]]
) -> None:
    """Each process writes rows for its share of the chats and hands them to its own sender (as its
    inbox would); then every sender is woken at once, so each reads the table at the same moment."""
    for i, chat in enumerate(chats):
        process = processes[i % len(processes)]
        message = f"{label} to {chat}"
        row = await enqueue(process.maker, chat, message)
        process.sender.hand_over([row])
        expected.setdefault(chat, []).append(message)
    for process in processes:
        process.sender.wakeup.set()


def all_sent(maker: Maker) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        async with UnitOfWork(maker) as uow:
            statuses = await uow.session.scalars(select(OutboxMessage.status))
            return all(s == OutboxStatus.SENT for s in statuses)

    return check


def texts_of(sandbox: Sandbox, chats: list[int]) -> dict[int, list[str]]:
    return {chat: bot_texts(sandbox, chat) for chat in chats}


# --------------------------------------------------------------------------- the sender


async def test_two_senders_on_one_database_send_each_row_once(engine: AsyncEngine, db_url: str) -> None:
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(20)]
        expected: dict[int, list[str]] = {}
        async with two_senders(sandbox, db_url) as (first, second):
            for label in ("one", "two", "three"):
                await write_round(label, chats, [first, second], expected)
                await wait_until(all_sent(first.maker), 10, f"round {label} sent")
                assert not second.sender._handed  # a standby keeps no rows in memory
            await asyncio.sleep(RETRY * 4)  # time for a second sender to send anything extra
            holding = (first.sender.holding, second.sender.holding)
        rows = len(chats) * 3
        assert texts_of(sandbox, chats) == expected  # each message exactly once, in order
        assert len(sandbox.calls("sendMessage")) == rows
        assert (first.sender.sent, second.sender.sent) == (rows, 0)
        assert second.sender.by_result == {}  # the standby made no call at all
        assert holding == (True, False)
        assert_no_violations(sandbox)


async def test_the_standby_takes_over_when_the_sender_stops(engine: AsyncEngine, db_url: str) -> None:
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(10)]
        expected: dict[int, list[str]] = {}
        async with two_senders(sandbox, db_url) as (first, second):
            await write_round("before", chats, [first, second], expected)
            await wait_until(all_sent(first.maker), 10, "the rows written before the stop sent")
            standby_while_first_ran = not second.sender.holding
            await first.stop()
            await wait_until(lambda: second.sender.holding, 5, "the standby taking over")
            await write_round("after", chats, [second], expected)
            await wait_until(all_sent(second.maker), 10, "the rows written after the stop sent")
        assert texts_of(sandbox, chats) == expected
        assert len(sandbox.calls("sendMessage")) == 2 * len(chats)
        assert (first.sender.sent, second.sender.sent) == (len(chats), len(chats))
        assert standby_while_first_ran
        assert_no_violations(sandbox)


async def test_a_sender_that_loses_its_lock_stands_by(
    engine: AsyncEngine, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL: the holder's lock connection is killed; it stops sending, the standby takes over."""
    if not is_postgres(engine):
        pytest.skip("a dropped lock connection is a PostgreSQL matter (a flock goes with the process)")
    monkeypatch.setattr("bot.runtime.outbox.LOCK_CHECK_EVERY", 0.05)
    async with running_sandbox() as sandbox:
        chats = [await user(sandbox, f"U{i}") for i in range(10)]
        expected: dict[int, list[str]] = {}
        async with two_senders(sandbox, db_url) as (first, second):
            assert await terminate_lock_holder(engine, LOCK) == 1
            await wait_until(lambda: second.sender.holding, 5, "the standby taking over")
            await wait_until(lambda: not first.sender.holding, 5, "the first sender standing by")
            await write_round("after", chats, [first, second], expected)
            await wait_until(all_sent(first.maker), 10, "the rows sent")
            await asyncio.sleep(RETRY * 4)
            holding = (first.sender.holding, second.sender.holding)
        assert texts_of(sandbox, chats) == expected
        assert (first.sender.sent, second.sender.sent) == (0, len(chats))
        assert holding == (False, True)
        assert_no_violations(sandbox)


async def test_two_runtimes_on_one_database_only_one_sends(db_url: str) -> None:
    """The wiring: Runtime gives its sender the bot's lock on the bot's database."""
    async with running_sandbox() as sandbox:
        settings = load_settings(
            bot_token=sandbox.bot_token,
            bot_api_url=sandbox.url,
            database_url=db_url,
            admin_ids="",
            webhook_url="http://127.0.0.1:9",  # webhook mode: no two pollers fighting over updates
            webhook_secret="s3cret",
        )
        runtimes: list[Runtime] = []
        try:
            for _ in range(2):
                runtime = Runtime(settings, pacing=FAST, sweep_every=0, digest_every=0, broadcast_every=0)
                await runtime.start()
                runtimes.append(runtime)
                await wait_until(lambda: runtimes[0].sender.holding, 5, "the first runtime sending")
            await asyncio.sleep(0.2)  # the second runtime's sender has tried for the lock by now
            holding = [r.sender.holding for r in runtimes]
        finally:
            for runtime in runtimes:
                await runtime.stop()
        assert holding == [True, False]
        assert_no_violations(sandbox)


# --------------------------------------------------------------------------- storage.locks


async def test_a_lock_has_one_holder_until_released(db_url: str) -> None:
    a, b, other = single_holder(db_url, LOCK), single_holder(db_url, LOCK), single_holder(db_url, "other")
    try:
        assert await a.try_acquire()
        assert await a.try_acquire()  # holding already: still ours
        assert not await b.try_acquire()
        assert not await b.try_acquire()  # and again (a standby's retry)
        assert await other.try_acquire()  # another name is another lock
        assert await a.still_held() and not await b.still_held()
        await a.release()
        assert not await a.still_held()
        assert await b.try_acquire()
        assert not await a.try_acquire()
    finally:
        for lock in (a, b, other):
            await lock.release()


async def test_a_lock_goes_with_a_killed_holder_process(db_url: str) -> None:
    """Another process holds it, is SIGKILLed without releasing, and the lock is free again."""
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        from storage.locks import single_holder

        async def main() -> None:
            lock = single_holder({db_url!r}, {LOCK!r})
            print("held" if await lock.try_acquire() else "refused", flush=True)
            await asyncio.sleep(60)

        asyncio.run(main())
        """
    )
    holder = await asyncio.create_subprocess_exec(
        sys.executable, "-c", script, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    lock = single_holder(db_url, LOCK)
    try:
        assert holder.stdout is not None
        line = await asyncio.wait_for(holder.stdout.readline(), 20)
        assert line.strip() == b"held"
        assert not await lock.try_acquire()
        holder.send_signal(signal.SIGKILL)
        await asyncio.wait_for(holder.wait(), 10)
        await wait_until(lock.try_acquire, 5, "the lock free after its holder died")
    finally:
        if holder.returncode is None:
            holder.kill()
            await holder.wait()
        await lock.release()


async def test_a_dropped_connection_loses_the_advisory_lock(engine: AsyncEngine, db_url: str) -> None:
    if not is_postgres(engine):
        pytest.skip("PostgreSQL only")
    a, b = single_holder(db_url, LOCK), single_holder(db_url, LOCK)
    try:
        assert await a.try_acquire()
        assert not await b.try_acquire()
        assert await terminate_lock_holder(engine, LOCK) == 1
        await wait_until(b.try_acquire, 5, "the lock free once its session ended")
        assert not await a.still_held()  # the holder notices
        assert not await a.try_acquire()  # and cannot take it back while b holds it
    finally:
        await a.release()
        await b.release()


def test_the_lock_kind_follows_the_database(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    file_lock = single_holder(f"sqlite+aiosqlite:///{db}", "outbox-sender:42")
    assert isinstance(file_lock, FileLock)
    assert file_lock.path == tmp_path / "bot.db.outbox-sender-42.lock"
    assert isinstance(single_holder("sqlite+aiosqlite:///:memory:", LOCK), ProcessLocal)
    assert isinstance(single_holder("sqlite+aiosqlite://", LOCK), ProcessLocal)
    assert isinstance(single_holder("postgresql+asyncpg://u:p@localhost/db", LOCK), AdvisoryLock)


def test_the_advisory_key_is_stable_across_processes() -> None:
    """Every process must compute the same key (Python's own hash() is salted per process)."""
    assert lock_key("outbox-sender:42") == lock_key("outbox-sender:42")
    assert lock_key("outbox-sender:42") != lock_key("outbox-sender:43")
    assert -(2**63) <= lock_key("x") < 2**63
    out = subprocess.run(
        [sys.executable, "-c", "from storage.locks import lock_key; print(lock_key('outbox-sender:42'))"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert int(out.stdout) == lock_key("outbox-sender:42")


async def test_an_in_memory_database_always_grants_its_lock() -> None:
    """Each engine's :memory: database is its own: there is nobody to share it with."""
    a, b = single_holder("sqlite+aiosqlite:///:memory:", LOCK), single_holder("sqlite+aiosqlite://", LOCK)
    assert await a.try_acquire() and await b.try_acquire()
    await a.release()
    assert not await a.still_held() and await b.still_held()
    await b.release()


async def terminate_lock_holder(engine: AsyncEngine, name: str) -> int:
    """End the PostgreSQL session holding advisory lock `name` (as a dropped connection would)."""
    key = lock_key(name) & 0xFFFF_FFFF_FFFF_FFFF
    async with engine.connect() as conn:
        ended = await conn.scalars(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory'"
                " AND classid = :hi AND objid = :lo AND objsubid = 1 AND granted"
                " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            ),
            {"hi": key >> 32, "lo": key & 0xFFFF_FFFF},
        )
        return sum(1 for ok in ended if ok)
