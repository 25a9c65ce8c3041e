"""The outbox sender's pacing against Telegram's limits as rolling windows (the sandbox's strict model).

Telegram counts a call when it arrives; the sender only knows when it started a call and when the
answer came back. The pacer's sliding windows count a call from its start until one window after
its answer, so however flight times vary, no rolling second (or a chat's rolling 3 s) ever holds
more than the limit. Unit tests simulate flight times; the end-to-end test drains a burst through
the strict sandbox over HTTP with the default pacing: 0 × 429.
"""

from __future__ import annotations

import asyncio
import heapq
import random
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.clock import ManualClock
from bot.runtime.outbox import OutboxSender, Pacing, SlidingWindow
from bot.runtime.replies import send_text
from storage.models import OutboxMessage, OutboxStatus
from storage.unit_of_work import UnitOfWork
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox
from tests.reliability.helpers import wait_until

Maker = async_sessionmaker[AsyncSession]


def most_in_any_window(times: list[float], period: float) -> int:
    """The largest number of `times` within any rolling window (t - period, t]."""
    ordered, most, first = sorted(times), 0, 0
    for last, at in enumerate(ordered):
        while ordered[first] <= at - period:
            first += 1
        most = max(most, last - first + 1)
    return most


def simulate(calls: int, seed: int, *, limit: int = 30, period: float = 1.0) -> tuple[list[float], float]:
    """Start calls as fast as the window allows; each flies 1–300 ms and arrives at a random point
    of its flight. Returns the arrival times and the time the last answer came back."""
    rng = random.Random(seed)
    window = SlidingWindow(limit, period)
    now, started, arrivals = 0.0, 0, []
    flying: list[float] = []  # answer times of calls under way
    while started < calls or flying:
        while started < calls and window.ready(now):
            window.start()
            flight = rng.choice([0.001, 0.005, 0.3]) if rng.random() < 0.5 else rng.uniform(0.001, 0.3)
            arrivals.append(now + rng.uniform(0, flight))
            heapq.heappush(flying, now + flight)
            started += 1
        wait = window.wait_time(now) if started < calls else float("inf")
        if flying and flying[0] <= now + wait:
            now = heapq.heappop(flying)
            window.end(now)
        else:
            now += wait
    return arrivals, now


def simulate_fixed_flight(calls: int, flight: float) -> tuple[list[float], float]:
    """As `simulate`, every call flying `flight` seconds and arriving at its answer (the worst)."""
    window = SlidingWindow(30, 1.0)
    now, arrivals, flying = 0.0, [], []
    while len(arrivals) < calls:
        while len(arrivals) < calls and window.ready(now):
            window.start()
            arrivals.append(now + flight)
            flying.append(now + flight)
        wait = window.wait_time(now)
        if flying and flying[0] <= now + wait:
            now = flying.pop(0)
            window.end(now)
        else:
            now += wait
    return arrivals, max(arrivals)


@pytest.mark.parametrize("seed", range(20))
def test_no_rolling_second_ever_holds_more_than_30(seed: int) -> None:
    arrivals, _ = simulate(600, seed)
    assert most_in_any_window(arrivals, 1.0) <= 30


def test_the_window_costs_about_one_flight_time_per_slot() -> None:
    """With 5 ms flights a burst of 3,000 goes at ≥ 0.97 of 30/s: the slack is the flight, no more."""
    arrivals, took = simulate_fixed_flight(3000, 0.005)
    assert most_in_any_window(arrivals, 1.0) <= 30
    assert 3000 / took >= 0.97 * 30


def test_a_chat_gets_at_most_three_in_any_three_seconds() -> None:
    arrivals, took = simulate(30, seed=1, limit=3, period=3.0)
    assert most_in_any_window(arrivals, 3.0) <= 3
    assert took >= 27  # ≤ 1/s sustained


def test_default_pacing_is_telegrams_limits_as_windows() -> None:
    pacing = Pacing()
    overall = Pacing.window(pacing.global_rate, pacing.global_burst)
    chat = Pacing.window(pacing.chat_rate, pacing.chat_burst)
    group = Pacing.window(pacing.group_rate, pacing.group_burst)
    assert (overall.limit, overall.period) == (30, 1.0)
    assert (chat.limit, chat.period) == (3, 3.0)
    assert (group.limit, group.period) == (20, pytest.approx(60.0))


async def test_a_burst_through_the_strict_sandbox_gets_no_429(sessionmaker: Maker) -> None:
    """120 chats with one message each and one chat with six: every message goes, none is refused."""
    async with running_sandbox(strict_limits=True) as sandbox:
        chats = []
        for i in range(121):
            user = SandboxUser.create(sandbox, first_name=f"U{i}")
            await user.start()
            chats.append(user.id)
        async with UnitOfWork(sessionmaker) as uow:
            for chat in chats[:120]:
                await send_text(uow, chat, "notice")
            for n in range(6):
                await send_text(uow, chats[120], f"reply {n}")
            await uow.commit()

        async def pending() -> int:
            async with UnitOfWork(sessionmaker) as uow:
                stmt = select(func.count()).where(OutboxMessage.status == OutboxStatus.PENDING)
                return int(await uow.session.scalar(stmt) or 0)

        async with make_bot(sandbox) as bot:
            sender = OutboxSender(bot, sessionmaker, clock=ManualClock(), pacing=Pacing())
            task = asyncio.create_task(sender.run())
            try:
                await wait_until(lambda: _none(pending), 40, "every row sent")
            finally:
                sender.stop()
                await asyncio.wait_for(task, 10)
        calls = sandbox.calls("sendMessage")
        assert [c for c in calls if not c["ok"]] == []  # no 429 (nor anything else)
        assert Counter(c["params"]["chat_id"] for c in calls)[chats[120]] == 6
        assert len(calls) == 126
        assert most_in_any_window([c["time"] for c in calls], 1.0) <= 30
        assert_no_violations(sandbox)


async def _none(pending: object) -> bool:
    return await pending() == 0  # type: ignore[operator]


async def test_answers_to_button_presses_are_not_paced(sessionmaker: Maker) -> None:
    """At one message a second, ten presses are still answered at once: Telegram does not count them."""
    async with running_sandbox(strict_limits=True) as sandbox:
        users = []
        async with make_bot(sandbox) as bot:
            for i in range(10):
                user = SandboxUser.create(sandbox, first_name=f"P{i}")
                await user.start()
                await bot.send_message(user.id, "card")
                users.append(user.id)
        await asyncio.sleep(1.0)  # the cards' second is over
        async with UnitOfWork(sessionmaker) as uow:
            for chat in users:
                query = sandbox.press_button(chat, callback_data="x", forge=True)
                await uow.outbox.add(chat, "answerCallbackQuery", {"callback_query_id": query}, priority=10)
                await send_text(uow, chat, "and a message")
            await uow.commit()
        slow = Pacing(global_rate=1, global_burst=1)
        async with make_bot(sandbox) as bot:
            sender = OutboxSender(bot, sessionmaker, clock=ManualClock(), pacing=slow)
            for _ in range(2):  # the answers (each chat's first in line), then what the pace allows
                await sender.drain_once()
                await asyncio.gather(*list(sender._tasks))
                await sender.flush_results()
        assert len(sandbox.calls("answerCallbackQuery")) == 10
        assert len([c for c in sandbox.calls("sendMessage") if c["params"]["text"] == "and a message"]) == 1
        assert_no_violations(sandbox)


def test_the_wait_for_several_calls_is_when_that_many_slots_are_free() -> None:
    """The sender asks when TABLE_STEP (5.0) calls may go, to read the table once for several."""
    window = SlidingWindow(30, 1.0)
    for i in range(30):
        window.start()
        window.end(i / 100)
    assert window.wait_time(0.5) == pytest.approx(0.5)  # the first ended at 0: free at 1.0
    assert window.wait_time(0.5, 5.0) == pytest.approx(0.54)  # the fifth ended at 0.04
    window.start()  # in flight: its slot frees a window after it ends, at the earliest
    assert window.wait_time(1.2, 30) == pytest.approx(1.0)
