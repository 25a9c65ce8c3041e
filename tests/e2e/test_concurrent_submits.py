"""Many constituents submitting at the same moment, as on a busy morning.

On PostgreSQL the bot handles different chats side by side (HANDLING_CONCURRENCY, 16 by default);
on SQLite one at a time. Either way every opinion is stored once, byte-exact, with a tracking number
of its own and no number skipped.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from bot.runtime.app import Runtime
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]


async def test_simultaneous_submits_each_get_their_own_number(network: Runtime, people: Make) -> None:
    postgres = network.settings.database_url.startswith("postgresql")
    assert network.inbox.concurrency == (16 if postgres else 1)
    if postgres:  # a connection per chat at once, one more for each tracking number, and room to spare
        assert network.engine.pool.size() == 2 * 16 + 5  # type: ignore[attr-defined]
    users = [people(880_000 + i, f"同时{i}") for i in range(8)]
    await started(*users)
    texts = [f"第{i}号意见：路灯坏了 <b>&amp;</b> {'🙂' * i}" for i in range(8)]

    numbers = await asyncio.gather(*(submit(u, t, "城乡建设") for u, t in zip(users, texts, strict=True)))

    assert sorted(int(n[-6:]) for n in numbers) == list(range(1, 9))
    for number, text in zip(numbers, texts, strict=True):
        assert (await opinion(network, number)).text == text
