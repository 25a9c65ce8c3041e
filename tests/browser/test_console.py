"""The staff web console in Debian's Chromium: login by link, charts, filters, reassigning, downloads, refusals.

The bot runs against the sandbox with the e2e network (tests/data/network_e2e.yaml) and serves the
console on its own web server, as `liaison run` does. The login link is read from the bot's reply to
/console in the staff member's sandbox chat, then opened in the browser. Any script error or CSP
violation on a page fails the test.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from playwright.async_api import Browser, BrowserContext, Page, expect

from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.unit_of_work import UnitOfWork
from tests.e2e.flows import opinion, started, submit
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack, login_link, start_stack
from tests.kit import SandboxUser, runtime_probe, watching
from tests.test_console import seed_units

from .conftest import daytime_clock

# The run's one browser lives in the session's event loop (see conftest.py `browser`).
pytestmark = pytest.mark.asyncio(loop_scope="session")

TRACKING = re.compile(r"LX-\d{4}-\d{6}")
# Chromium reports the document of a refused request (403) as a failed load; that is expected there.
REFUSED_LOAD = "status of 403"


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


class Watched:
    """A browser context and page whose script errors and CSP violations are collected."""

    def __init__(self, context: BrowserContext, page: Page) -> None:
        self.context = context
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if REFUSED_LOAD not in e]


async def open_page(browser: Browser) -> Watched:
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": 1280, "height": 900}, accept_downloads=True
    )
    page = await context.new_page()
    page.set_default_timeout(10_000)
    return Watched(context, page)


@pytest_asyncio.fixture(loop_scope="session")
async def office(browser: Browser) -> AsyncIterator[Watched]:
    """The office PC's browser."""
    watched = await open_page(browser)
    try:
        yield watched
        assert watched.unexpected() == []
    finally:
        await watched.context.close()


def user(sandbox: Sandbox, user_id: int, name: str, language: str = "zh-hans") -> SandboxUser:
    return SandboxUser.create(sandbox, user_id=user_id, first_name=name, language_code=language)


async def log_in(page: Page, staff: SandboxUser) -> str:
    """Staff send /console in chat and open the link they get; returns the link."""
    link = await login_link(staff)
    await page.goto(link)
    await expect(page.get_by_test_id("login")).to_contain_text("办公室小张，您好")
    await page.get_by_test_id("login-button").click()
    await expect(page).to_have_url(re.compile(r"/console/$"))
    await expect(page.get_by_test_id("me")).to_have_text("办公室小张")
    return link


async def station_user(sandbox: Sandbox, user_id: int, name: str, station: str) -> SandboxUser:
    someone = user(sandbox, user_id, name)
    await someone.start(payload=f"s_{station}")
    await someone.receives(containing="您已关联联络站")
    return someone


async def rows(page: Page) -> list[str]:
    return [
        t or ""
        for t in await page.get_by_test_id("opinion-row").evaluate_all(
            "rows => rows.map(r => r.dataset.tracking)"
        )
    ]


async def test_login_by_link_opens_the_dashboard_with_its_charts(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched
) -> None:
    staff, c1, d1 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 301, "周小梅"),
        user(sandbox, 201, "孙建国"),
    )
    await started(c1, d1)
    await submit(c1, "村口的路灯坏了三个月", "交通出行")
    await submit(c1, "邻里纠纷需要调解", "矛盾纠纷")
    page = office.page
    await log_in(page, staff)

    cookie = next(c for c in await office.context.cookies() if c["name"] == "liaison_console")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/console"
    await expect(page.get_by_test_id("fig-received").locator(".num")).to_have_text("2")
    await expect(page.get_by_test_id("fig-green").locator(".num")).to_have_text("2")
    await expect(page.get_by_test_id("fig-red").locator(".num")).to_have_text("0")
    # Both charts are inline SVG drawn on the server: bars carry their values, labels their names.
    # The last twelve months, received and handled side by side; this month received both opinions.
    months = page.get_by_test_id("chart-month").locator("svg rect.bar")
    values = await months.evaluate_all("bars => bars.map(b => [b.classList[1], Number(b.dataset.value)])")
    assert len(values) == 24
    assert values[-2:] == [["received", 2], ["handled", 0]] and sum(v for _s, v in values) == 2
    categories = page.get_by_test_id("chart-category")
    await expect(categories.locator("svg rect.bar")).to_have_count(2)
    await expect(categories.locator("svg text", has_text="交通出行")).to_have_count(1)
    await expect(categories.locator("svg text", has_text="矛盾纠纷")).to_have_count(1)
    # The bars are coloured by the stylesheet (the CSP forbids inline style).
    fill = await months.first.evaluate("b => getComputedStyle(b).fill")
    assert fill in ("rgb(59, 111, 182)", "rgb(46, 133, 64)")
    # Nothing was loaded from anywhere but the console itself.
    requested: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    await page.reload()
    assert requested and all(u.startswith(stack.base + "/console") for u in requested)

    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    await expect(
        page.get_by_test_id("chart-category").locator("svg text", has_text="Transport")
    ).to_have_count(1)
    await page.get_by_test_id("lang-zh_Hans").click()
    await expect(page.get_by_role("heading", name="总览")).to_be_visible()


async def test_filtering_the_opinions(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, clock: ManualClock
) -> None:
    staff, c1, d1, d3 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 301, "周小梅"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 203, "李秀英"),
    )
    await started(c1, d1, d3)
    lamp = await submit(c1, "村口的路灯坏了三个月", "交通出行")
    clock.advance(timedelta(hours=20))  # 4 h of the 24 h accept window left: yellow
    v2 = await station_user(sandbox, 417, "王小二", "V2")
    school = await submit(v2, "学校门口需要减速带", "教育")
    quarrel = await submit(c1, "邻里纠纷需要调解", "矛盾纠纷")
    page = office.page
    await log_in(page, staff)
    await expect(page.get_by_test_id("fig-yellow").locator(".num")).to_have_text("1")

    await page.get_by_test_id("nav-opinions").click()
    assert await rows(page) == [quarrel, school, lamp]

    async def apply(**choices: str) -> list[str]:
        await page.goto(stack.base + "/console/opinions")
        for name, value in choices.items():
            if name == "q":
                await page.get_by_test_id("filter-q").fill(value)
            else:
                await page.get_by_test_id(f"filter-{name}").select_option(label=value)
        await page.get_by_test_id("filter-apply").click()
        await expect(page.get_by_test_id("opinion-list")).to_be_visible()
        return await rows(page)

    assert await apply(category="交通出行") == [lamp]
    assert await apply(colour="黄色：临近期限") == [lamp]
    assert await apply(colour="绿色：按期") == [quarrel, school]
    assert await apply(deputy="李秀英 · D3") == [school]
    assert await apply(station="V2 · 丁村人大代表联络站") == [school]
    assert await apply(state="等待受理", deputy="孙建国 · D1") == [quarrel, lamp]
    assert await apply(q="纠纷") == [quarrel]
    assert await apply(colour="红色：已超期") == []
    await expect(page.get_by_test_id("no-rows")).to_be_visible()
    # The chosen filters stay selected on the result page.
    await apply(category="教育", deputy="李秀英 · D3")
    await expect(page.get_by_test_id("filter-category")).to_have_value("education")
    assert (await opinion(stack.runtime, school)).holder_deputy_id is not None


async def test_reassigning_sends_the_card_to_the_new_deputy(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched
) -> None:
    staff, c1, d1, d3 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 301, "周小梅"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 203, "李秀英"),
    )
    await started(c1, d1, d3)
    tracking = await submit(c1, "村口的路灯坏了三个月", "交通出行")
    await d1.receives(containing=tracking)
    page = office.page
    await log_in(page, staff)
    await page.get_by_test_id("nav-opinions").click()
    await page.get_by_role("link", name=tracking).click()
    await expect(page.get_by_test_id("holder")).to_have_text("孙建国")
    await expect(page.get_by_test_id("step")).to_have_count(2)  # submitted, routed

    option = page.get_by_test_id("reassign-deputy").locator("option", has_text="李秀英")
    await page.get_by_test_id("reassign-deputy").select_option(value=await option.get_attribute("value"))
    await page.get_by_test_id("reassign-note").fill("李代表所在联络站更近")
    await page.get_by_test_id("reassign-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("这条意见已交给李秀英")
    await expect(page.get_by_test_id("holder")).to_have_text("李秀英")
    last = page.get_by_test_id("step").last
    await expect(last).to_have_attribute("data-action", "transfer")
    await expect(last).to_contain_text("办公室小张")
    await expect(last).to_contain_text("孙建国 → 李秀英")
    await expect(last).to_contain_text("李代表所在联络站更近")

    card = await d3.receives(containing=tracking)
    assert "村口的路灯坏了三个月" in card["text"]
    labels = [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row]
    assert "✅ 受理" in labels
    await c1.receives(containing="原因：李代表所在联络站更近")
    await d1.receives(containing=f"意见 {tracking} 已不再由您办理")


async def test_downloading_a_list_as_xlsx_and_csv(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, tmp_path: Path
) -> None:
    staff, c1, d1 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 301, "周小梅"),
        user(sandbox, 201, "孙建国"),
    )
    await started(c1, d1)
    lamp = await submit(c1, "村口的路灯坏了三个月", "交通出行")
    quarrel = await submit(c1, "邻里纠纷需要调解", "矛盾纠纷")
    page = office.page
    await log_in(page, staff)
    await page.goto(stack.base + "/console/opinions?category=transport")

    async with page.expect_download() as info:
        await page.get_by_test_id("export-xlsx").click()
    download = await info.value
    assert download.suggested_filename.startswith(
        "liaison-opinions-"
    ) and download.suggested_filename.endswith(".xlsx")
    saved = tmp_path / "opinions.xlsx"
    await download.save_as(saved)
    sheet = load_workbook(saved).worksheets[0]
    assert sheet.title == "意见"
    table = list(sheet.iter_rows(values_only=True))
    assert table[0] == ("编号", "收到时间", "类别", "状态", "预警颜色", "期限", "联络站", "承办代表", "内容")
    assert len(table) == 2  # the filter applies to the download
    assert table[1][0] == lamp and table[1][2] == "交通出行" and table[1][3] == "等待受理"
    assert table[1][4] == "绿色：按期" and table[1][6] == "丙村人大代表联络站" and table[1][7] == "孙建国"
    assert table[1][8] == "村口的路灯坏了三个月"

    await page.goto(stack.base + "/console/opinions")
    async with page.expect_download() as info:
        await page.get_by_test_id("export-csv").click()
    csv_file = tmp_path / "opinions.csv"
    await (await info.value).save_as(csv_file)
    text = csv_file.read_bytes().decode("utf-8-sig")
    assert text.splitlines()[0].startswith("编号,收到时间,类别")
    assert lamp in text and quarrel in text

    await page.get_by_test_id("nav-stats").click()
    async with page.expect_download() as info:
        await page.get_by_test_id("export-xlsx").click()
    stats_file = tmp_path / "statistics.xlsx"
    await (await info.value).save_as(stats_file)
    book = load_workbook(stats_file)
    totals = {r[0]: r[1] for r in book["总计"].iter_rows(min_row=2, values_only=True)}
    assert totals["收到"] == 2 and totals["已办理"] == 0
    by_category = {r[0]: r[1] for r in book["按类别"].iter_rows(min_row=2, values_only=True)}
    assert by_category == {"交通出行": 1, "矛盾纠纷": 1}


async def test_requests_without_a_session_or_with_a_bad_csrf_token_are_refused(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, browser: Browser
) -> None:
    staff, c1, d1, d3 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 301, "周小梅"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 203, "李秀英"),
    )
    await started(c1, d1, d3)
    tracking = await submit(c1, "村口的路灯坏了三个月", "交通出行")
    row = await opinion(stack.runtime, tracking)

    # A browser without a session sees only how to log in; a POST is refused outright.
    stranger = await open_page(browser)
    try:
        await stranger.page.goto(f"{stack.base}/console/opinions/{row.id}")
        await expect(stranger.page).to_have_url(re.compile(r"/console/welcome\?why=none$"))
        await expect(stranger.page.get_by_test_id("refused-message")).to_contain_text("请先登录")
        await expect(stranger.page.locator("body")).not_to_contain_text(tracking)
        response = await stranger.page.request.post(
            f"{stack.base}/console/opinions/{row.id}/reassign",
            form={"csrf": "x" * 43, "holder": str(row.holder_deputy_id), "deputy_id": "1"},
            max_redirects=0,
        )
        assert response.status == 403
        assert stranger.unexpected() == []
    finally:
        await stranger.context.close()

    # Signed in, a form whose CSRF token was tampered with is refused and changes nothing.
    page = office.page
    await log_in(page, staff)
    await page.goto(f"{stack.base}/console/opinions/{row.id}")
    await page.locator("form[data-testid='reassign-form'] input[name='csrf']").evaluate(
        "e => e.value = 'forged'"
    )
    option = page.get_by_test_id("reassign-deputy").locator("option", has_text="李秀英")
    await page.get_by_test_id("reassign-deputy").select_option(value=await option.get_attribute("value"))
    await page.get_by_test_id("reassign-submit").click()
    await expect(page.get_by_test_id("refused")).to_have_attribute("data-why", "csrf")
    await expect(page.get_by_test_id("refused-message")).to_contain_text("表单已过期")
    assert (await opinion(stack.runtime, tracking)).holder_deputy_id == row.holder_deputy_id
    await d3.receives_nothing()
    # The real token still works afterwards (the session was not harmed).
    await page.goto(f"{stack.base}/console/opinions/{row.id}")
    await expect(page.get_by_test_id("holder")).to_have_text("孙建国")


async def test_expired_and_reused_login_links_are_refused(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, browser: Browser, clock: ManualClock
) -> None:
    staff = user(sandbox, STAFF_ID, "办公室小张")
    page = office.page
    used = await log_in(page, staff)

    other = await open_page(browser)
    try:
        await other.page.goto(used)
        await expect(other.page.get_by_test_id("refused")).to_have_attribute("data-why", "used")
        await expect(other.page.get_by_test_id("refused-message")).to_contain_text("此登录链接已使用过")
        await expect(other.page.get_by_test_id("login-button")).to_have_count(0)

        late = await login_link(staff)
        clock.advance(timedelta(minutes=10, seconds=1))
        await other.page.goto(late)
        await expect(other.page.get_by_test_id("refused")).to_have_attribute("data-why", "expired")
        await expect(other.page.get_by_test_id("refused-message")).to_contain_text("此登录链接已过期")
        await other.page.goto(f"{stack.base}/console/")
        await expect(other.page).to_have_url(re.compile(r"/console/welcome"))
        assert other.unexpected() == []
    finally:
        await other.context.close()
    # The first browser keeps its session, and logging out ends it.
    await page.goto(f"{stack.base}/console/")
    await page.get_by_test_id("logout").click()
    await expect(page).to_have_url(re.compile(r"/console/welcome$"))
    await page.goto(f"{stack.base}/console/audit")
    await expect(page).to_have_url(re.compile(r"/console/welcome"))


async def test_the_network_page_lists_units_with_their_officers_in_both_languages(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched
) -> None:
    async with UnitOfWork(stack.runtime.services.sessionmaker) as u:
        await seed_units(u)
        await u.commit()
    page = office.page
    await log_in(page, user(sandbox, STAFF_ID, "办公室小张"))
    await page.goto(stack.base + "/console/network")
    await page.get_by_test_id("tab-units").click()
    table = page.get_by_test_id("network-units")
    jtj, glj = table.locator('[data-code="JTJ"]'), table.locator('[data-code="GLJ"]')
    await expect(table.get_by_test_id("network-row")).to_have_count(2)
    await expect(jtj).to_contain_text("州交通运输局")
    await expect(jtj).to_contain_text("政府部门")
    await expect(jtj).to_contain_text("交通出行")
    await expect(jtj).to_contain_text("交通局赵科长、交通局钱办事员")
    await expect(glj.locator("td").nth(4)).to_have_text("JTJ")
    await expect(table.locator("th").nth(5)).to_have_text("经办人员")
    await page.get_by_test_id("network-q").fill("公路")
    await page.get_by_test_id("network-search").click()
    await expect(table.get_by_test_id("network-row")).to_have_count(1)
    await expect(glj).to_be_visible()

    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_test_id("tab-units")).to_have_text("Units")
    await expect(table.locator("th").nth(5)).to_have_text("Officers")
    await expect(glj).to_contain_text("Government department")
    await expect(glj).to_contain_text("Transport")
