"""`liaison run` for the 3,000-recipient broadcast tests: Telegram's pace scaled, broadcasts ticking.

Same wiring as ``bot.runtime.cli._run`` (Runtime + web server, stop on SIGTERM/SIGINT) plus what the lead
wires into ``Runtime.start`` for broadcasts: the paid tier's pacing from the settings and
``bot.runtime.app.broadcast_job`` on the JobQueue. ``LIAISON_PACE_SCALE`` multiplies the outbox's
rates (the sandbox's limits are scaled by the same factor); ``LIAISON_BROADCAST_TICK`` is the job's
interval and ``LIAISON_PROGRESS_EVERY`` the least time between progress edits, in seconds. Run: ``python -m tests.reliability.broadcast_bot``.
"""

from __future__ import annotations

import asyncio
import logging
import os
from datetime import timedelta

from bot.broadcasts.service import with_paid_tier
from bot.runtime.app import Runtime
from bot.runtime.app import broadcast_job as progress_job
from bot.runtime.cli import _wait_for_signal
from bot.runtime.outbox import Pacing
from bot.runtime.settings import settings_or_exit
from bot.runtime.web import serve_web


def scaled(scale: float) -> Pacing:
    """Telegram's pace (the default Pacing) with every rate and the overall burst times `scale`."""
    base = Pacing()
    return Pacing(
        global_rate=base.global_rate * scale,
        global_burst=base.global_burst,
        chat_rate=base.chat_rate * scale,
        chat_burst=base.chat_burst,
        group_rate=base.group_rate * scale,
        group_burst=base.group_burst,
    )


async def main() -> None:
    settings = settings_or_exit()
    pacing = with_paid_tier(scaled(float(os.environ.get("LIAISON_PACE_SCALE", "1"))), settings)
    runtime = Runtime(settings, pacing=pacing)
    await runtime.start()
    jobs = runtime.application.job_queue
    assert jobs is not None
    tick = float(os.environ.get("LIAISON_BROADCAST_TICK", "2"))
    every = timedelta(seconds=float(os.environ.get("LIAISON_PROGRESS_EVERY", "5")))
    jobs.run_repeating(progress_job, interval=tick, first=0.2, data=every)
    site = await serve_web(runtime, settings)
    try:
        await _wait_for_signal()
    finally:
        await site.stop()
        await runtime.stop()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "alembic", "aiohttp.access", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    asyncio.run(main())
