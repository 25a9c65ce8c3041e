"""Waiting until the bot is idle, so a negative check waits for the bot's work instead of the clock.

"Idle" is the end of the pipeline an update goes through: the sandbox has no update the bot has not
confirmed (getUpdates with a higher offset), the inbox table no stored update left to handle, and the
outbox table no row whose time has come that is not recorded as sent. The checks run in that order,
upstream first: work only flows downstream (a handled update's outbox rows commit with its done-mark,
a sent row is recorded after the sandbox shows it), so once a stage is found empty nothing can reach it
again unless the test acts. What waits for a timer (a row for after quiet hours, a retry's back-off, a
periodic job) is not the bot's queue: a test that waits for one moves its clock or passes a grace.

The probes read the bot's own database with plain SELECTs: the bot's readers use ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL and would skip exactly the rows being worked on.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from bot.runtime.inbox import MAX_ATTEMPTS
from bot.sandbox import Sandbox
from storage.models import InboxUpdate, OutboxMessage
from storage.repos.outbox import is_due

__all__ = ["IdleProbe", "busy_reason", "runtime_probe", "wait_idle", "watching"]

IdleProbe = Callable[[], Awaitable[str | None]]
"""None when this bot has nothing left to do now, else what it is still doing (for the failure text)."""

_probes: weakref.WeakKeyDictionary[Sandbox, list[IdleProbe]] = weakref.WeakKeyDictionary()


def runtime_probe(runtime: Any) -> IdleProbe:
    """The probe of a running ``Runtime`` (typed loosely: the kit must not pull in the whole app)."""

    async def busy() -> str | None:
        # A chat's report computed after its update (bot/runtime/reports.py `later`) comes before the outbox.
        reports = runtime.services.reports.pending
        if reports:
            return f"{reports} report(s) asked for and not yet delivered"
        async with runtime.services.sessionmaker() as session:
            unhandled = await session.scalar(
                select(func.count())
                .select_from(InboxUpdate)
                .where(InboxUpdate.processed_at.is_(None), InboxUpdate.attempts < MAX_ATTEMPTS)
            )
            if unhandled:
                return f"{unhandled} stored update(s) not yet handled"
            # What the sender would pick (bot/runtime/outbox.py `_drain`): the repository's rule, at the
            # later of the bot's clock and the wall clock, as the sender reads it.
            now = max(runtime.clock.now(), datetime.now(UTC))
            due = await session.scalar(select(func.count()).select_from(OutboxMessage).where(is_due(now)))
            if due:
                return f"{due} due outbox row(s) not yet sent and recorded"
        return None

    return busy


@contextmanager
def watching(sandbox: Sandbox, probe: IdleProbe) -> Iterator[None]:
    """Count this bot in `wait_idle` for this sandbox while the block runs (a fixture's lifetime)."""
    probes = _probes.setdefault(sandbox, [])
    probes.append(probe)
    try:
        yield
    finally:
        probes.remove(probe)


def watched(sandbox: Sandbox) -> bool:
    """Whether a bot's probe is registered for this sandbox (else only the sandbox side is known)."""
    return bool(_probes.get(sandbox))


async def busy_reason(sandbox: Sandbox) -> str | None:
    """What is still in the pipeline now, upstream first; None when every stage is empty."""
    unconfirmed = len(sandbox.state.updates)
    if unconfirmed:
        return f"{unconfirmed} update(s) not yet confirmed by the bot"
    for probe in list(_probes.get(sandbox, ())):
        reason = await probe()
        if reason is not None:
            return reason
    return None


async def wait_idle(sandbox: Sandbox, timeout: float = 20.0) -> None:  # noqa: ASYNC109 - a bound, not a wait
    """Return once the bot has done all it can do now; fail after ``timeout`` seconds if it has not.

    Looked at again when a chat changes or 50 ms have passed, but not more often than every 20 ms:
    the probes read the bot's database, and on SQLite they queue for its one connection.
    """
    deadline = time.monotonic() + timeout
    while (reason := await busy_reason(sandbox)) is not None:
        began = time.monotonic()
        if began >= deadline:
            raise AssertionError(f"the bot is not idle after {timeout} s: {reason}")
        await sandbox.wait_for_change(min(0.05, deadline - began))
        await asyncio.sleep(max(0.0, began + 0.02 - time.monotonic()))
