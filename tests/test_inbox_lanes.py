"""Handling several chats at once: each chat's updates stay in arrival order, chats overlap.

The inbox runs on a real database (SQLite and PostgreSQL); the application under it is a recorder
that takes a while over each update, as handlers do when they wait for the database, so the order
in which updates start and finish shows how the inbox scheduled them.
"""

from __future__ import annotations

import asyncio
import itertools
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from telegram import Bot, Update

from bot.context import Services, current_scope
from bot.inbox import Inbox
from bot.settings import load_settings
from storage.models import InboxUpdate

_ids = itertools.count(700_000_001)


class Recorder:
    """Stands in for the Application: logs when each update's handling starts and ends."""

    def __init__(self, slow_chat: int | None = None, failing: set[int] | None = None) -> None:
        self.bot = Bot("123:TEST")
        self.log: list[tuple[str, int, int]] = []
        self.slow_chat = slow_chat
        self.failing = failing or set()

    async def process_update(self, update: Update) -> None:
        assert update.effective_chat is not None
        chat = update.effective_chat.id
        self.log.append(("start", chat, update.update_id))
        await asyncio.sleep(0.05 if chat == self.slow_chat else 0.01)
        if update.update_id in self.failing:
            scope = current_scope.get()
            assert scope is not None
            scope.failed = RuntimeError("handler failed")  # as the application's error handler does
            return
        self.log.append(("end", chat, update.update_id))


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
