"""Heavy reports run on the report worker (bot/runtime/reports.py): the bot answers others meanwhile.

30,000 opinions with their timelines are written in bulk; then staff take the console's opinion export
(every row, an XLSX file) and ask for the all-time statistics in chat, and while those run a newcomer's
/start is answered within a second. Run on the bot's own loop (the worker not started), the export and
the statistics held the loop for seconds and the /start waited behind them. The reports still come out
right: every opinion in the file, the same total in chat, and the export audited.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import AuditEntry
from tests.e2e.bulk_opinions import bulk_opinions
from tests.e2e.test_console_e2e import LINK, STAFF_ID, ConsoleStack, sign_in, start_stack
from tests.kit import SandboxUser, runtime_probe, watching

Make = Callable[..., SandboxUser]
OPINIONS = 30_000
ANSWER_WITHIN = 1.0  # seconds: the bound for a /start while the heaviest report runs


@pytest.fixture
def clock() -> ManualClock:
    """10:00 in Shanghai on 2026-03-01 (the bulk opinions were received in 2025)."""
    return ManualClock(datetime(2026, 3, 1, 2, tzinfo=UTC) - datetime.now(UTC))


@pytest.fixture
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[ConsoleStack]:
    stack = await start_stack(sandbox, db_url, clock)
    try:
        with watching(sandbox, runtime_probe(stack.runtime)):
            yield stack
    finally:
        await stack.stop()


async def test_start_is_answered_while_the_heaviest_reports_run(stack: ConsoleStack, people: Make) -> None:
    assert stack.runtime.services.reports.threaded  # a file database: the worker has its own thread
    staff = people(STAFF_ID, "Office", "en")
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        await staff.command("console")
        link = LINK.search((await staff.receives(containing="/console/login/"))["text"])
        assert link is not None
        await sign_in(http, link.group(1))
        await bulk_opinions(stack.runtime.services.sessionmaker, OPINIONS)

        export = asyncio.create_task(_get(http, f"{stack.base}/console/opinions?format=xlsx"))
        await staff.command("stats")
        await asyncio.sleep(0.3)  # the export is being read and written now
        assert not export.done()

        newcomer = people(990_077, "Newcomer", "en")
        began = time.monotonic()
        await newcomer.start()
        await newcomer.receives(containing="Hello, Newcomer!", timeout=10)
        waited = time.monotonic() - began
        still_running = not export.done()

        status, body = await export
        report = await staff.receives(containing="Statistics", timeout=120)
    assert waited < ANSWER_WITHIN, f"/start was answered after {waited:.2f} s"
    assert still_running, "the export ended before the /start was answered: it proved nothing"

    assert status == 200
    sheet = load_workbook(io.BytesIO(body), read_only=True).worksheets[0]
    tracking = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(tracking) == OPINIONS and len(set(tracking)) == OPINIONS
    assert f"Received: {OPINIONS:,}" in report["text"] or f"Received: {OPINIONS}" in report["text"]
    async with stack.runtime.services.uow() as uow:
        exports = list(
            (await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "console.export"))).all()
        )
        viewed = list(
            (await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "stats.viewed"))).all()
        )
    assert [(e.detail["list"], e.detail["rows"]) for e in exports] == [("opinions", OPINIONS)]
    assert len(viewed) == 1 and viewed[0].actor_telegram_id == STAFF_ID


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, bytes]:
    async with http.get(url, allow_redirects=False) as resp:
        return resp.status, await resp.read()
