"""`liaison run` with a test-sized outbox pace, for tests that kill the bot many times.

Same wiring as ``bot.runtime.cli._run`` (Runtime + web server, stop on SIGTERM/SIGINT); only the pacing
differs (``LIAISON_TEST_RATE`` messages per second overall and per chat), so 200 greetings take a
fraction of a second instead of Telegram's ~7 s. Run: ``python -m tests.reliability.botproc``.
"""

from __future__ import annotations

import asyncio
import logging
import os

from bot.runtime.app import Runtime
from bot.runtime.cli import _wait_for_signal
from bot.runtime.outbox import Pacing
from bot.runtime.settings import settings_or_exit
from bot.runtime.web import serve_web


async def main() -> None:
    settings = settings_or_exit()
    rate = float(os.environ.get("LIAISON_TEST_RATE", "1000"))
    runtime = Runtime(
        settings, pacing=Pacing(global_rate=rate, global_burst=rate, chat_rate=rate, chat_burst=rate)
    )
    await runtime.start()
    site = await serve_web(runtime, settings)
    try:
        await _wait_for_signal()
    finally:
        await site.stop()
        await runtime.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(main())
