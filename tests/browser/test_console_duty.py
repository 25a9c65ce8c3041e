"""The console's duty roster page in Debian's Chromium: staff open a station's month, add a duty day
and a weekly pattern for the next month, see them on the calendar, take one off, and read the page in
English. The bot runs against the sandbox with the e2e network (tests/browser/test_console.py's stack);
any script error or CSP violation fails the test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import date

import pytest
import pytest_asyncio
from playwright.async_api import Browser, expect

from bot.duty.roster import shift_month, weekly_days
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from tests.e2e.flows import started
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack, start_stack
from tests.kit import runtime_probe, watching

from .conftest import daytime_clock
from .test_console import Watched, log_in, open_page, user

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def clock() -> ManualClock:
    return daytime_clock()


@pytest_asyncio.fixture(loop_scope="session")
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[ConsoleStack]:
    stack = await start_stack(sandbox, db_url, clock)
    try:
        with watching(sandbox, runtime_probe(stack.runtime)):
            yield stack
    finally:
        await stack.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def office(browser: Browser) -> AsyncIterator[Watched]:
    """The office PC's browser; no script error or CSP violation may happen."""
    watched = await open_page(browser)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        await watched.context.close()


async def test_staff_add_and_remove_duty_days_on_the_calendar(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched
) -> None:
    staff = user(sandbox, STAFF_ID, "办公室小张")
    await started(staff)
    page = office.page
    await log_in(page, staff)
    await page.get_by_test_id("nav-duty").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("值班排班")
    await page.get_by_test_id("duty-station").fill("V1")
    await page.get_by_test_id("duty-show").click()
    await expect(page.get_by_test_id("duty-title")).to_contain_text("丙村人大代表联络站")
    await page.get_by_test_id("duty-next").click()
    today = stack.runtime.services.policy.local_today(stack.runtime.services.clock.now())
    year, month = shift_month(today.year, today.month, 1)
    await expect(page.get_by_test_id("duty-title")).to_contain_text(f"{year}-{month:02d}")
    day = date(year, month, 15)
    await page.get_by_test_id("duty-deputy").select_option(label="孙建国 (D1)")
    await page.get_by_test_id("duty-day").fill(day.isoformat())
    await page.get_by_test_id("duty-add-one").click()
    await expect(page.get_by_test_id("flash")).to_have_text("已添加值班日 1 天。")
    cell = page.locator(f'td[data-day="{day.isoformat()}"]')
    await expect(cell.get_by_test_id("duty-entry")).to_contain_text("孙建国")
    # Every Wednesday of the month for Deputy Wu.
    weekly = page.get_by_test_id("duty-add-weekly")
    await weekly.locator("select[name=deputy]").select_option(label="Deputy Wu (D2)")
    await page.get_by_test_id("duty-weekday").select_option(value="3")
    end = date(*shift_month(year, month, 1), 1).toordinal() - 1
    await page.get_by_test_id("duty-from").fill(date(year, month, 1).isoformat())
    await page.get_by_test_id("duty-to").fill(date.fromordinal(end).isoformat())
    await page.get_by_test_id("duty-add-pattern").click()
    wednesdays = weekly_days(2, date(year, month, 1), date.fromordinal(end))
    await expect(page.get_by_test_id("flash")).to_have_text(f"已添加值班日 {len(wednesdays)} 天。")
    for wednesday in wednesdays:
        await expect(page.locator(f'td[data-day="{wednesday.isoformat()}"]')).to_contain_text("Deputy Wu")
    # Off again.
    await cell.get_by_test_id("duty-remove").click()
    await expect(page.get_by_test_id("flash")).to_have_text("该值班日已从排班表取消。")
    await expect(
        page.locator(f'td[data-day="{day.isoformat()}"]').get_by_test_id("duty-entry")
    ).to_have_count(0)
    async with stack.runtime.services.uow() as uow:
        assert {d.date for d in await uow.duty.due_reminders(wednesdays[0])} == {wednesdays[0]}
    # The same page in English.
    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_test_id("nav-duty")).to_have_text("Duty rosters")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Duty rosters")
    await expect(page.locator("table.calendar thead")).to_contain_text(re.compile(r"Mon.*Tue.*Sun", re.S))
