"""End-to-end fixtures: the sandbox (a strict local Bot API) and the real bot talking to it over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.network import import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from tests.kit import SandboxUser, runtime_probe, watching

UNPACED = Pacing(global_rate=10_000, global_burst=10_000, chat_rate=10_000, chat_burst=10_000)
"""Windows no end-to-end test fills: the bot sends as fast as it can."""


@pytest.fixture
def clock() -> ManualClock:
    """Real time moved to 10:00 in Shanghai, so no test runs into quiet hours by accident."""
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    target = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return ManualClock(target - local)


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
    # The sandbox here enforces no flood limits, so Telegram's pace would only make tests wait on the
    # clock (30/s overall: ~100 s of the BLNS test per backend). The pacing's own tests run against the
    # strict sandbox (tests/test_outbox_pacing.py, tests/sandbox/test_strict_limits.py).
    # The daily digest is not timer-driven here: tests that want it call `runtime.digest()`.
    runtime = Runtime(settings, clock=clock, pacing=UNPACED, poll_timeout=5, digest_every=0)
    await runtime.start()
    try:
        with watching(sandbox, runtime_probe(runtime)):
            yield runtime
    finally:
        await runtime.stop()


NETWORK = Path(__file__).resolve().parent.parent / "data" / "network_e2e.yaml"


@pytest.fixture
async def network(liaison: Runtime) -> Runtime:
    """The bot with the end-to-end contact network imported (see tests/data/network_e2e.yaml)."""
    await import_network(liaison.services.sessionmaker, NETWORK)
    return liaison


@pytest.fixture
def people(sandbox: Sandbox) -> Callable[..., SandboxUser]:
    """Sandbox users by Telegram id (the network's ids, or new ones)."""

    def make(user_id: int, name: str, language: str = "zh-hans") -> SandboxUser:
        return SandboxUser.create(sandbox, user_id=user_id, first_name=name, language_code=language)

    return make
