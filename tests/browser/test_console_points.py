"""The console's points ranking in Debian's Chromium: staff open 履职积分, recompute the year, filter the
ranking by station and level, open a deputy's lines, download the yearly table and read the page in
English. The bot runs against the sandbox with the e2e network (tests/browser/test_console.py's stack);
any script error or CSP violation fails the test."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from playwright.async_api import Browser, expect
from sqlalchemy import select

from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import Deputy, Person, Reception, Station
from storage.models.opinions import Duty
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


async def seed(stack: ConsoleStack) -> None:
    """Today: D1 checked in at V1 and at V2, D2 at V1; D3 received six people at V2 (so 6 > 4 > 2)."""
    services = stack.runtime.services
    today = services.policy.local_today(services.clock.now())
    async with services.uow() as uow:
        found = dict((await uow.session.execute(select(Person.code, Deputy.id).join(Deputy))).all())
        stations = dict((await uow.session.execute(select(Station.code, Station.id))).all())
        now = services.clock.now()
        for station in ("V1", "V2"):
            uow.session.add(
                Duty(deputy_id=found["D1"], station_id=stations[station], date=today, checked_in_at=now)
            )
        uow.session.add(Duty(deputy_id=found["D2"], station_id=stations["V1"], date=today, checked_in_at=now))
        uow.session.add(
            Reception(deputy_id=found["D3"], station_id=stations["V2"], day=today, legacy=True, people=6)
        )
        await uow.commit()


async def test_staff_rank_filter_and_open_a_deputy(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, tmp_path: Path
) -> None:
    staff = user(sandbox, STAFF_ID, "办公室小张")
    await started(staff)
    await seed(stack)
    page = office.page
    await log_in(page, staff)
    await page.get_by_test_id("nav-points").click()
    year = stack.runtime.services.policy.local_today(stack.runtime.services.clock.now()).year
    await expect(page.get_by_role("heading", level=1)).to_have_text(f"履职积分 · {year}")
    await expect(page.get_by_test_id("computed-at")).to_contain_text("尚未计算")
    await page.get_by_test_id("points-recompute").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("本年度积分已重新计算")
    rows = page.get_by_test_id("points-row")
    await expect(rows).to_have_count(5)
    assert [await rows.nth(i).get_attribute("data-code") for i in range(3)] == ["D3", "D1", "D2"]
    assert [await rows.nth(i).get_attribute("data-total") for i in range(3)] == ["6", "4", "2"]
    # Filter: station V1, then township deputies of V1 only.
    await page.get_by_test_id("filter-station").select_option(label="V1 · 丙村人大代表联络站")
    await page.get_by_test_id("filter-apply").click()
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_have_attribute("data-code", "D1")
    await expect(rows.first).to_have_attribute("data-rank", "1")
    await page.get_by_test_id("filter-level").select_option(value="township")
    await page.get_by_test_id("filter-apply").click()
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_have_attribute("data-code", "D2")
    # The yearly table, for the filtered deputies.
    async with page.expect_download() as waiting:
        await page.get_by_test_id("export-xlsx").click()
    download = await waiting.value
    saved = tmp_path / "points.xlsx"
    await download.save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet is not None
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [r[1] for r in table[1:]] == ["D2"] and table[1][-2:] == [2, 1]
    # A deputy's lines, each naming its station.
    await page.get_by_test_id("nav-points").click()
    await page.locator('tr[data-code="D1"]').get_by_test_id("points-deputy").click()
    await expect(page.get_by_test_id("points-deputy-title")).to_contain_text("孙建国")
    await expect(page.get_by_test_id("points-total")).to_have_text("4")
    lines = page.get_by_test_id("points-line")
    await expect(lines).to_have_count(2)
    await expect(lines.first).to_contain_text("进站履职")
    # The same page in English.
    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_test_id("nav-points")).to_have_text("Performance points")
    await page.get_by_test_id("nav-points").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        re.compile(rf"^Performance points · {year}$")
    )
