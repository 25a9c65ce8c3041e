"""End-to-end fixtures: the sandbox (a strict local Bot API) and the real bot talking to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.app import Runtime
from bot.clock import ManualClock
from bot.outbox import Pacing
from bot.sandbox import Sandbox
from bot.settings import load_settings
from tests.kit import assert_no_violations, running_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    """A sandbox that fails the test on any call Telegram would have refused."""
    async with running_sandbox() as sb:
        yield sb
        assert_no_violations(sb)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def admin_ids() -> tuple[int, ...]:
    return (900001,)


@pytest.fixture
async def liaison(
    sandbox: Sandbox, db_url: str, clock: ManualClock, admin_ids: tuple[int, ...]
) -> AsyncIterator[Runtime]:
    """The bot, polling the sandbox, on a fresh database migrated to head."""
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids=",".join(map(str, admin_ids)),
        webhook_url="",
        webhook_secret="",
    )
    # Tests pace like Telegram per chat but need not wait for the global budget.
    runtime = Runtime(settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=5)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()
