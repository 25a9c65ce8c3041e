"""Handling several chats at once: each chat's updates stay in arrival order, chats overlap.

The inbox runs on a real database (SQLite and PostgreSQL); the application under it is a recorder
that takes a while over each update, as handlers do when they wait for the database, so the order
in which updates start and finish shows how the inbox scheduled them.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.runtime.context import Services, current_scope
from bot.runtime.inbox import Inbox
from bot.runtime.settings import load_settings
from storage.errors import StorageError
from storage.models import InboxUpdate
from storage.unit_of_work import Bookkeeping

_ids = itertools.count(700_000_001)


class Recorder:
    """Stands in for the Application: logs when each update's handling starts and ends."""

    def __init__(
        self,
        slow_chat: int | None = None,
        failing: set[int] | None = None,
        held: dict[int, asyncio.Event] | None = None,
    ) -> None:
        self.bot = Bot("123:TEST")
        self.log: list[tuple[str, int, int]] = []
        self.slow_chat = slow_chat
        self.failing = failing or set()
        self.held = held or {}  # a chat whose updates wait for its event before they end
        self.logged = asyncio.Event()  # set at every entry, for tests that wait for one

    def note(self, entry: tuple[str, int, int]) -> None:
        self.log.append(entry)
        self.logged.set()

    async def process_update(self, update: Update) -> None:
        assert update.effective_chat is not None
        chat = update.effective_chat.id
        self.note(("start", chat, update.update_id))
        await asyncio.sleep(0.05 if chat == self.slow_chat else 0.01)
        if chat in self.held:
            await self.held[chat].wait()
        if update.update_id in self.failing:
            scope = current_scope.get()
            assert scope is not None
            scope.failed = RuntimeError("handler failed")  # as the application's error handler does
            return
        self.note(("end", chat, update.update_id))


def _message(chat: int) -> dict[str, Any]:
    update_id = next(_ids)
    user = {"id": chat, "is_bot": False, "first_name": f"U{chat}"}
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": chat, "type": "private"},
            "from": user,
            "text": "hi",
        },
    }


@pytest.fixture
def services(db_url: str, sessionmaker: async_sessionmaker[AsyncSession]) -> Services:
    return Services(load_settings(database_url=db_url, webhook_url="", webhook_secret=""), sessionmaker)


def _inbox(recorder: Recorder, services: Services, concurrency: int) -> Inbox:
    return Inbox(recorder, services, concurrency=concurrency)  # type: ignore[arg-type]


async def _until(recorder: Recorder, condition: Callable[[], bool], seconds: float = 10.0) -> None:
    async with asyncio.timeout(seconds):
        while not condition():
            recorder.logged.clear()
            await recorder.logged.wait()


def _runs(log: list[tuple[str, int, int]], chat: int) -> list[tuple[str, int]]:
    return [(what, update_id) for what, c, update_id in log if c == chat]


async def test_one_chat_keeps_its_order_while_chats_overlap(services: Services) -> None:
    a, b, c = 101, 202, 303
    updates = [_message(chat) for chat in (a, b, a, c, b, a, c, b)]
    recorder = Recorder(slow_chat=a)
    inbox = _inbox(recorder, services, concurrency=3)
    await inbox.store(updates)

    assert await inbox.process_pending() == len(updates)

    for chat in (a, b, c):
        ids = [u["update_id"] for u in updates if u["message"]["chat"]["id"] == chat]
        # One after another, in arrival order: each ends before the next of its chat starts.
        assert _runs(recorder.log, chat) == [(what, i) for i in ids for what in ("start", "end")]
    async with services.uow() as uow:
        done = (await uow.session.execute(select(InboxUpdate.processed_at))).scalars().all()
    assert len(done) == len(updates) and None not in done
    if services.settings.database_url.startswith("sqlite"):
        return  # one connection, one writer: the units of work take turns, in arrival order
    # Side by side: the other chats' updates started while chat a's first was still being handled.
    first_a_end = recorder.log.index(("end", a, updates[0]["update_id"]))
    assert ("start", b, updates[1]["update_id"]) in recorder.log[:first_a_end]
    assert ("start", c, updates[3]["update_id"]) in recorder.log[:first_a_end]
    # The slow chat did not hold the others up: both finished before it did.
    last = {chat: max(i for i, e in enumerate(recorder.log) if e[1] == chat) for chat in (a, b, c)}
    assert last[b] < last[a] and last[c] < last[a]


async def test_concurrency_one_handles_everything_in_arrival_order(services: Services) -> None:
    updates = [_message(chat) for chat in (11, 22, 11, 33, 22)]
    recorder = Recorder(slow_chat=11)
    inbox = _inbox(recorder, services, concurrency=1)
    await inbox.store(updates)

    assert await inbox.process_pending() == len(updates)

    assert recorder.log == [
        (what, u["message"]["chat"]["id"], u["update_id"]) for u in updates for what in ("start", "end")
    ]


async def test_at_most_concurrency_chats_are_handled_at_once(services: Services) -> None:
    if services.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's one connection lets one unit of work run at a time")
    updates = [_message(chat) for chat in range(1, 11)]
    recorder = Recorder()
    inbox = _inbox(recorder, services, concurrency=4)
    await inbox.store(updates)

    await inbox.process_pending()

    running = peak = 0
    for what, _chat, _update_id in recorder.log:
        running += 1 if what == "start" else -1
        peak = max(peak, running)
    assert peak == 4


async def test_a_failing_update_leaves_the_other_lanes_and_its_own_chat_going(services: Services) -> None:
    updates = [_message(chat) for chat in (5, 6, 5, 6)]
    bad = updates[0]["update_id"]
    recorder = Recorder(failing={bad})
    inbox = _inbox(recorder, services, concurrency=2)
    await inbox.store(updates)

    assert await inbox.process_pending() == len(updates)

    ended = {update_id for what, _c, update_id in recorder.log if what == "end"}
    assert ended == {u["update_id"] for u in updates} - {bad}
    async with services.uow() as uow:
        rows = (await uow.session.execute(select(InboxUpdate.update_id, InboxUpdate.error))).all()
    errors = dict(rows)
    assert "handler failed" in (errors[bad] or "")
    assert all(errors[u["update_id"]] is None for u in updates[1:])


async def test_an_update_that_arrives_while_another_chat_is_handled_does_not_wait_for_it(
    services: Services,
) -> None:
    """A slow update (a staff member's export, say) must not hold up what other chats send meanwhile."""
    if services.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's one connection lets one unit of work run at a time")
    slow, quick = 401, 402
    release = asyncio.Event()
    recorder = Recorder(held={slow: release})
    inbox = _inbox(recorder, services, concurrency=2)
    first = _message(slow)
    await inbox.store([first])
    passing = asyncio.create_task(inbox.process_pending())
    try:
        await _until(recorder, lambda: ("start", slow, first["update_id"]) in recorder.log)
        later = _message(quick)
        await inbox.store([later])

        # Handled while the slow one is still running, within the same pass.
        await _until(recorder, lambda: ("end", quick, later["update_id"]) in recorder.log)
        assert ("end", slow, first["update_id"]) not in recorder.log
    finally:
        release.set()
    assert await passing == 2
    assert recorder.log[-1] == ("end", slow, first["update_id"])


async def test_a_pass_cancelled_midway_leaves_no_lane_running(services: Services) -> None:
    """Cancelled (the bot stopping), the pass takes its lanes with it; the update stays pending."""
    release = asyncio.Event()
    recorder = Recorder(held={77: release})
    inbox = _inbox(recorder, services, concurrency=3)
    update = _message(77)
    await inbox.store([update])
    before = asyncio.all_tasks()
    passing = asyncio.create_task(inbox.process_pending())
    await _until(recorder, lambda: ("start", 77, update["update_id"]) in recorder.log)

    passing.cancel()
    with pytest.raises(asyncio.CancelledError):
        await passing

    assert asyncio.all_tasks() - before == set()
    release.set()
    await asyncio.sleep(0.05)
    assert ("end", 77, update["update_id"]) not in recorder.log
    recorder.held.clear()
    assert await inbox.process_pending() == 1  # not lost: handled by the next pass
    assert recorder.log[-1] == ("end", 77, update["update_id"])


async def test_stopping_lets_the_running_update_finish_and_takes_no_more(services: Services) -> None:
    if services.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's one connection lets one unit of work run at a time")
    release = asyncio.Event()
    recorder = Recorder(held={88: release})
    inbox = _inbox(recorder, services, concurrency=2)
    updates = [_message(88), _message(88)]
    await inbox.store(updates)
    passing = asyncio.create_task(inbox.process_pending())
    await _until(recorder, lambda: ("start", 88, updates[0]["update_id"]) in recorder.log)

    inbox.stop()
    release.set()

    assert await asyncio.wait_for(passing, 10) == 1
    assert [u for _what, _c, u in recorder.log] == [updates[0]["update_id"]] * 2
    async with services.uow() as uow:
        pending = (
            (
                await uow.session.execute(
                    select(InboxUpdate.update_id).where(InboxUpdate.processed_at.is_(None))
                )
            )
            .scalars()
            .all()
        )
    assert updates[1]["update_id"] in pending


async def test_a_failed_read_lets_the_running_update_finish_then_goes_up(
    services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    if services.settings.database_url.startswith("sqlite"):
        pytest.skip("SQLite's one connection lets one unit of work run at a time")
    release, read_failed = asyncio.Event(), asyncio.Event()
    recorder = Recorder(held={91: release})
    inbox = _inbox(recorder, services, concurrency=2)
    first = _message(91)
    await inbox.store([first])
    passing = asyncio.create_task(inbox.process_pending())
    await _until(recorder, lambda: ("start", 91, first["update_id"]) in recorder.log)

    async def unreachable(self: Bookkeeping, limit: int = 100) -> list[Any]:
        read_failed.set()
        raise StorageError("the database went away")

    monkeypatch.setattr(Bookkeeping, "pending_updates", unreachable)
    await inbox.store([_message(92)])  # an arrival: the pass reads again, and the read fails
    await asyncio.wait_for(read_failed.wait(), 10)
    release.set()

    with pytest.raises(StorageError):
        await asyncio.wait_for(passing, 10)
    assert recorder.log[-1] == ("end", 91, first["update_id"])  # finished, not cut short
    async with services.uow() as uow:
        handled = await uow.session.scalar(
            select(InboxUpdate.processed_at).where(InboxUpdate.update_id == first["update_id"])
        )
    assert handled is not None
