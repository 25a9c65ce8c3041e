"""The yearly report of suggestions in Debian's Chromium: reached from the statistics page, laid out for
paper — printed (print media, then a real A4 PDF) without the console's header, forms and links, its
tables whole and their headers repeated — and its XLSX downloaded. Any script error or CSP violation on
a page fails the test.

The bot runs against the sandbox with the e2e network and two units (tests/test_console.py `seed_units`),
and a seeded year 2025 of 60 suggestions over them (bot/suggestions/seed_year.py).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from playwright.async_api import Browser, expect

from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from bot.suggestions.seed_year import seed_year
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack, start_stack
from tests.kit import runtime_probe, watching
from tests.test_console import seed_units

from .test_console import Watched, log_in, open_page, user

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def clock() -> ManualClock:
    """10:00 on 1 March 2026 in Shanghai: the year 2025 is complete."""
    return ManualClock(datetime(2026, 3, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai")) - datetime.now(UTC))


@pytest_asyncio.fixture(loop_scope="session")
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[ConsoleStack]:
    stack = await start_stack(sandbox, db_url, clock)
    try:
        async with stack.runtime.services.uow() as uow:
            await seed_units(uow)
            await uow.commit()
        async with stack.runtime.services.uow() as uow:
            await seed_year(uow, 2025, clock.now(), total=60, a_percent="65.22")
            await uow.commit()
        with watching(sandbox, runtime_probe(stack.runtime)):
            yield stack
    finally:
        await stack.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def office(browser: Browser) -> AsyncIterator[Watched]:
    watched = await open_page(browser)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        await watched.context.close()


async def test_the_yearly_report_prints_on_a4_and_downloads(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, tmp_path: Path
) -> None:
    page = office.page
    await log_in(page, user(sandbox, STAFF_ID, "办公室小张"))
    await page.get_by_test_id("nav-stats").click()
    # 39 of 60 are A (the nearest count to 65.22%), shown as 65.00%.
    await expect(page.get_by_test_id("sg-a-share-value").first).to_have_text("65.00%")
    await page.get_by_test_id("suggestion-report-link").click()
    await expect(page.get_by_test_id("report-title")).to_have_text("2025年度代表建议办理情况")
    units = page.get_by_test_id("sg-table-by_unit").get_by_test_id("sg-row")
    await expect(units).to_have_count(2)
    await expect(page.locator("header.top")).to_be_visible()

    # One unit's own report, from its row; then back to the whole year.
    await units.filter(has_text="州交通运输局").get_by_role("link").click()
    await expect(page.get_by_test_id("report-title")).to_have_text("2025年度代表建议办理情况：州交通运输局")
    listed = page.get_by_test_id("sg-table-suggestions").get_by_test_id("sg-row")
    assert await listed.count() > 0
    await page.get_by_test_id("report-overall").click()
    await expect(page.get_by_test_id("report-title")).to_have_text("2025年度代表建议办理情况")

    # On paper: no header, year picker or links; the tables are all there, at full width.
    await page.emulate_media(media="print")
    await expect(page.locator("header.top")).to_be_hidden()
    await expect(page.get_by_test_id("report-year")).to_be_hidden()
    await expect(page.get_by_test_id("report-xlsx")).to_be_hidden()
    await expect(page.get_by_test_id("report-title")).to_be_visible()
    for key in ("totals", "by_series", "by_unit", "by_committee", "by_category"):
        await expect(page.get_by_test_id(f"sg-table-{key}")).to_be_visible()
    head_display = await page.locator("[data-testid='sg-table-by_unit'] thead").evaluate(
        "h => getComputedStyle(h).display"
    )
    assert head_display == "table-header-group"  # repeated on every printed page
    pdf = await page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) >= 2
    await page.emulate_media(media="screen")
    await expect(page.locator("header.top")).to_be_visible()

    async with page.expect_download() as waiting:
        await page.get_by_test_id("report-xlsx").click()
    download = await waiting.value
    assert download.suggested_filename == "liaison-suggestions-2025.xlsx"
    path = tmp_path / "report.xlsx"
    await download.save_as(path)
    book = load_workbook(path)
    assert [ws.title for ws in book.worksheets] == [
        "总计",
        "按届次会议和闭会期间",
        "按主办单位",
        "按督办专委会",
        "按类别",
    ]
    totals = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=5, values_only=True)}
    assert totals["A类"][1:] == (39, 0.65)
