"""The paid tier (allow_paid_broadcast): the sandbox's flood limits and the outbox sender's pacing.

Telegram lets a bot pay 0.1 Stars a message to broadcast at up to 1000 msg/s. The sandbox holds
paid calls to their own overall bucket (the per-chat limit still applies); the sender paces rows
flagged paid at the configured cap, and drops the flag (never paying) when the paid tier is off.
"""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.runtime.clock import ManualClock
from bot.runtime.outbox import PAID, OutboxSender, Pacing
from bot.sandbox import Sandbox
from bot.sandbox.limits import FloodLimiter
from storage.models import OutboxMessage, OutboxStatus
from storage.unit_of_work import UnitOfWork
from tests.kit import assert_no_violations, make_bot, running_sandbox

Maker = async_sessionmaker[AsyncSession]


def test_paid_calls_have_their_own_overall_limit() -> None:
    # Time stands still: on a loaded machine the 900 checks below could otherwise take the 33 ms the
    # free bucket needs to refill a token.
    flood = FloodLimiter(clock=lambda: 100.0)
    assert all(flood.check(1000 + i, private=True) is None for i in range(30))
    assert flood.check(2000, private=True) == 1  # the free budget of this second is spent
    # The paid tier is not held to it: 900 more recipients go at once.
    assert all(flood.check(3000 + i, private=True, paid=True) is None for i in range(900))
    assert flood.paid_sent == 900
    assert flood.check(2000, private=True) == 1  # and it did not refill the free budget
    # One chat is still ~1 message per second (burst 3), paid or not.
    assert all(flood.check(7, private=True, paid=True) is None for _ in range(3))
    assert flood.check(7, private=True, paid=True) == 1
    assert flood.paid_sent == 903


def test_scaled_limits_keep_their_shape() -> None:
    flood = FloodLimiter(scale=10)
    assert all(flood.check(7, private=True) is None for _ in range(3))
    assert flood.check(7, private=True) == 1  # burst 3, then 10/s: under a second, said as 1
    # 300 a second overall: a tight loop gets the burst (and the trickle refilled meanwhile), no more.
    accepted = sum(flood.check(1000 + i, private=True) is None for i in range(400))
    assert 297 <= accepted < 400


async def started_users(sandbox: Sandbox, n: int) -> list[int]:
    ids = []
    for i in range(n):
        uid = sandbox.add_user(first_name=f"U{i}")["id"]
        sandbox.send_start(uid)
        ids.append(uid)
    sandbox.state.confirm_updates(10**9)  # no bot reads them here
    return ids


async def queue(maker: Maker, chats: list[int], *, paid: bool) -> None:
    async with UnitOfWork(maker) as uow:
        for chat in chats:
            payload: dict[str, object] = {"chat_id": chat, "text": "urgent" if paid else "normal"}
            if paid:
                payload[PAID] = True
            await uow.outbox.add(chat, "sendMessage", payload, priority=-1)
        await uow.commit()


async def one_drain(sandbox: Sandbox, maker: Maker, pacing: Pacing) -> int:
    """Start what may go at once, wait for those calls, record them; returns how many went."""
    async with make_bot(sandbox) as bot:
        sender = OutboxSender(bot, maker, clock=ManualClock(), pacing=pacing)
        await sender.drain_once()
        await asyncio.gather(*list(sender._tasks))
        await sender.flush_results()
    async with UnitOfWork(maker) as uow:
        rows = await uow.session.scalars(
            select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.SENT)
        )
        return len(list(rows))


@pytest.mark.parametrize("paid_rate", [100.0, 0.0])
async def test_the_sender_paces_paid_rows_at_the_cap_and_only_them(
    sessionmaker: Maker, paid_rate: float
) -> None:
    # A free budget of one message, so anything more in one go can only be the paid tier.
    pacing = Pacing(global_rate=1, global_burst=1, paid_rate=paid_rate, max_in_flight=200)
    async with running_sandbox(flood_limits=True) as sandbox:
        free, urgent = await started_users(sandbox, 5), await started_users(sandbox, 60)
        await queue(sessionmaker, free, paid=False)  # first in line
        await queue(sessionmaker, urgent, paid=True)
        went = await one_drain(sandbox, sessionmaker, pacing)
        calls = sandbox.calls("sendMessage")
        assert_no_violations(sandbox)  # not one 429: the sandbox applied the paid limit to paid calls
    if paid_rate:
        assert went == 1 + 60  # the one free token, and every paid row (cap 100 > 60)
        assert [c["params"].get(PAID, False) for c in calls] == [False] + [True] * 60
        assert sandbox.flood is not None and sandbox.flood.paid_sent == 60
    else:
        assert went == 1  # paid tier off: flagged rows wait for the free budget like the rest
        assert all(PAID not in c["params"] for c in calls)  # and are never sent (or paid) as paid


async def test_paid_rows_stop_at_the_cap(sessionmaker: Maker) -> None:
    pacing = Pacing(global_rate=1, global_burst=1, paid_rate=20, max_in_flight=200)
    async with running_sandbox(flood_limits=True) as sandbox:
        await queue(sessionmaker, await started_users(sandbox, 50), paid=True)
        assert await one_drain(sandbox, sessionmaker, pacing) == 20
        assert_no_violations(sandbox)


async def test_calls_under_way_are_capped(sessionmaker: Maker) -> None:
    """A big notice never has more calls awaiting Telegram than max_in_flight (httpcore's pool is O(n²))."""
    pacing = Pacing(global_rate=1000, global_burst=1000, max_in_flight=5)
    async with running_sandbox() as sandbox:
        await queue(sessionmaker, await started_users(sandbox, 40), paid=False)
        assert await one_drain(sandbox, sessionmaker, pacing) == 5
        assert_no_violations(sandbox)
