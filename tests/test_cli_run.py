"""`liaison run` as a real process: polls the sandbox, greets each user in their language, exits 0 on SIGTERM."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from bot.runtime.database_line import describe
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from tests.kit import SandboxUser, assert_no_violations, running_sandbox
from tests.reliability.helpers import VENV_BIN, BotProcess, DbProbe, bot_env, polling, wait_until


async def test_liaison_run_greets_and_stops_on_sigterm(db_url: str, tmp_path: Path) -> None:
    async with running_sandbox() as sandbox:
        await _run_and_greet(sandbox, db_url, tmp_path)


async def _run_and_greet(sandbox: Sandbox, db_url: str, tmp_path: Path) -> None:
    bot = BotProcess([str(VENV_BIN / "liaison"), "run"], bot_env(sandbox, db_url), tmp_path / "bot.log")
    bot.start()
    probe = DbProbe(db_url)
    try:
        await wait_until(
            lambda: polling(sandbox) or not bot.alive(), 60, "the bot's first long poll"
        )  # a cold start: imports, migrations
        assert bot.alive(), bot.log()
        zh = SandboxUser.create(sandbox, first_name="李四", language_code="zh-hans")
        en = SandboxUser.create(sandbox, first_name="Ann", language_code="en")
        await zh.start()
        await en.start()
        await zh.receives(containing="李四，您好！我是代表联络助手", timeout=10)
        await en.receives(containing="Hello, Ann! I am Liaison", timeout=10)
        assert await probe.inbox_count(processed=True) == 2

        async def outbox_drained() -> bool:
            return set(await probe.outbox_by_status()) == {"sent"}

        await wait_until(outbox_drained, 10, "every outbox row sent")

        began = time.monotonic()
        code = await bot.signal_and_wait(signal.SIGTERM, timeout=10)
        assert code == 0, bot.log()
        # The long poll is cancelled, not waited out (poll timeout is 25 s).
        assert time.monotonic() - began < 5, f"stopping took {time.monotonic() - began:.1f} s"
        assert "Traceback" not in bot.log(), bot.log()
        # It said which database it uses, once, before anything else of its own.
        said = [line for line in bot.log().splitlines() if line.startswith("liaison: database ")]
        assert said == [f"liaison: database {describe(load_settings(database_url=db_url).database_url)}"]
        assert_no_violations(sandbox)
    finally:
        await bot.ensure_stopped()
        await probe.dispose()
