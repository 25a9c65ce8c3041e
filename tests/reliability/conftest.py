"""Fixtures for reliability tests: a sandbox per test and the bot as a killable process."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from tests.reliability.helpers import BotProcess, bot_env


@pytest.fixture
async def spawn_bot(sandbox: Sandbox, db_url: str, tmp_path: Path) -> AsyncIterator[Callable[[], BotProcess]]:
    """Starts the bot (fast outbox pace) as a subprocess; every one started is killed at the end."""
    started: list[BotProcess] = []

    def spawn() -> BotProcess:
        bot = BotProcess(
            [sys.executable, "-m", "tests.reliability.botproc"],
            bot_env(sandbox, db_url),
            tmp_path / "bot.log",
        )
        bot.start()
        started.append(bot)
        return bot

    yield spawn
    for bot in started:
        await bot.ensure_stopped()
