"""Fixtures for reliability tests: a sandbox per test and the bot as a killable process."""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from bot.sandbox import Sandbox
from tests.reliability.helpers import BotProcess, bot_env


@pytest.fixture(autouse=True)
def first_in_line() -> Iterator[None]:
    """Run this test and the bots it starts ahead of the other tests' processes, where allowed (root).

    These tests wait for whole bot processes with bounds of seconds; with the suite spread over
    processes on two cores (scripts/test.sh) a starved bot missed them. Children inherit the
    priority; it is put back after the test. Elsewhere (not root) this changes nothing.
    """
    before = os.getpriority(os.PRIO_PROCESS, 0)
    try:
        os.setpriority(os.PRIO_PROCESS, 0, -5)
    except OSError:
        yield
        return
    try:
        yield
    finally:
        os.setpriority(os.PRIO_PROCESS, 0, before)


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
