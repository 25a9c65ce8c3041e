"""The kit's negative check waits for the bot's work, not the clock, and still catches what the bot sends."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from tests.kit import SandboxUser, wait_idle

Make = Callable[..., SandboxUser]


async def test_a_reply_slower_than_any_window_is_still_caught(
    liaison: Runtime, sandbox: Sandbox, people: Make
) -> None:
    """A reply the sandbox takes 1.5 s to accept: a fixed window (0.3 s before) would miss it."""
    ann = people(301, "Ann", "en")
    sandbox.inject_fault("delay", method="sendMessage", delay=1.5)
    await ann.start()
    with pytest.raises(AssertionError, match="unexpected bot message"):
        await ann.receives_nothing()
    assert ann.last_bot_message() is not None  # the reply did arrive, and was what was caught


async def test_not_idle_in_time_says_what_is_left(liaison: Runtime, sandbox: Sandbox, people: Make) -> None:
    ann = people(301, "Ann", "en")
    sandbox.inject_fault("delay", method="sendMessage", delay=2.0)
    await ann.start()
    with pytest.raises(AssertionError, match=r"not idle after 0\.5 s: .*(update|outbox row)"):
        await ann.receives_nothing(idle_within=0.5)


async def test_nothing_left_to_do_passes(liaison: Runtime, people: Make) -> None:
    ann = people(301, "Ann", "en")
    await ann.start()
    await ann.receives(containing="Which liaison station is yours?")
    await wait_idle(ann.sandbox)
    await SandboxUser(ann.sandbox, ann.id).receives_nothing()  # a reader of what comes from now on


async def test_without_a_watched_bot_a_negative_check_needs_a_grace(sandbox: Sandbox) -> None:
    """Only the sandbox's queue is known then: an instant pass would prove nothing."""
    ann = SandboxUser.create(sandbox, first_name="Ann")
    with pytest.raises(AssertionError, match="no bot is watched"):
        await ann.receives_nothing()
    await ann.receives_nothing(grace=0.05)
