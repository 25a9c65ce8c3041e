"""Fixtures for the sandbox's own tests: a running sandbox, a PTB Bot on it, a started user."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.sandbox import Sandbox
from tests.kit import SandboxUser, make_bot, running_sandbox


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox() as sb:
        yield sb


@pytest.fixture
async def bot(sandbox: Sandbox) -> AsyncIterator[Bot]:
    async with make_bot(sandbox) as b:
        yield b


@pytest.fixture
async def user(sandbox: Sandbox) -> SandboxUser:
    """A user who has already written /start, so the bot may message them."""
    u = SandboxUser.create(sandbox, user_id=4242, first_name="Ann", username="ann")
    await u.start()
    return u
