"""Browser fixtures: the whole demo stack in-process and Debian's Chromium driven by Playwright.

Chromium is never downloaded: the tests use the system browser (``/usr/bin/chromium``, or
``LIAISON_CHROMIUM``) and fail, not skip, when it is missing, because CI installs it. One Chromium
serves the whole run (`browser`); each test gets a fresh browser context in it.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.runtime.clock import DemoClock, ManualClock
from bot.runtime.demo import Demo
from bot.sandbox import Sandbox
from tests.kit import assert_no_violations, running_sandbox, runtime_probe, watching

CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def daytime_clock() -> ManualClock:
    """Real time moved to 10:00 in Shanghai: outside quiet hours, notices go out at once; the page
    can advance it, as in `liaison demo`."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return DemoClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


@pytest_asyncio.fixture(loop_scope="session")
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """Sandbox, bot and web chat on free ports with a fresh SQLite file; no Bot API call may be refused.

    Without the seeded suggestions' year and the stations' three years (tests/test_demo_seeded_*.py check
    those): the pages under test are the chat's, and seeding them costs seconds per test."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    stack = Demo(port=0, database=database, clock=daytime_clock(), seed_year=False, seed_county=False)
    await stack.start()
    try:
        assert stack.sandbox is not None
        with watching(stack.sandbox, runtime_probe(stack.runtime)):
            yield stack
        assert_no_violations(stack.sandbox)
    finally:
        await stack.stop()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's Chromium; missing means a broken CI image, which must fail loudly, not skip."""
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium (or set LIAISON_CHROMIUM)")
    return CHROMIUM


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def browser(chromium_path: str) -> AsyncIterator[Browser]:
    """One Chromium (and one Playwright driver) for the whole run; each test opens a fresh context.

    Starting the driver and Chromium cost 1.5-3 s per test. Playwright's objects belong to the event
    loop that made them, so the tests using it run in the session's loop (`pytestmark` in their
    modules, and the async fixtures they use here and in test_console.py say ``loop_scope="session"``).
    """
    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


@pytest_asyncio.fixture(autouse=True, loop_scope="session")
async def fresh_contexts(request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """Contexts a test opened do not outlive it: each test starts with a browser holding none."""
    yield
    if "browser" in request.fixturenames:
        shared: Browser = request.getfixturevalue("browser")
        for context in list(shared.contexts):
            await context.close()


@pytest_asyncio.fixture(loop_scope="session")
async def sandbox() -> AsyncIterator[Sandbox]:
    """As tests/conftest.py's, on the browser tests' loop (its server must run where the test runs)."""
    async with running_sandbox() as sb:
        yield sb
        assert_no_violations(sb)


class ChatPage:
    """The web chat as a person uses it; one page can act as several users in turn."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.console_errors: list[str] = []

    async def open(self, url: str) -> None:
        await self.page.goto(url)
        await expect(self.page.locator("body[data-ready='true']")).to_be_attached()

    async def pick(self, user_id: int) -> None:
        """Become this user (the chat pane then shows their chat with the bot)."""
        person = self.page.get_by_test_id(f"person-{user_id}")
        await person.click()
        await expect(person).to_have_attribute("aria-pressed", "true")
        await expect(self.page.get_by_test_id("composer")).to_be_visible()

    async def new_visitor(self, name: str = "") -> int:
        """Create a fresh sandbox user from the page and become them; returns their Telegram id."""
        await self.page.get_by_test_id("visitor-name").fill(name)
        await self.page.get_by_test_id("new-visitor").click()
        selected = self.page.locator("[data-testid='person-list-visitor'] .person[aria-pressed='true']")
        await expect(selected).to_have_count(1)
        return int(await selected.get_attribute("data-user-id") or 0)

    async def send(self, text: str) -> None:
        await self.page.get_by_test_id("message-input").fill(text)
        await self.page.get_by_test_id("send").click()
        await expect(self.user_messages.filter(has_text=text).last).to_be_visible()

    @property
    def messages(self) -> Locator:
        return self.page.get_by_test_id("message")

    @property
    def bot_messages(self) -> Locator:
        return self.page.locator("[data-testid='message'][data-sender='bot']")

    @property
    def user_messages(self) -> Locator:
        return self.page.locator("[data-testid='message'][data-sender='user']")

    async def expect_bot(self, containing: str) -> Locator:
        """The newest bot message containing the text, once it is shown."""
        found = self.bot_messages.filter(has_text=containing).last
        await expect(found).to_be_visible()
        return found

    async def press(self, text: str) -> None:
        """Press the inline button with this text on the newest bot message having it."""
        await self.page.get_by_test_id("inline-button").filter(has_text=text).last.click()

    async def set_ui_language(self, lang: str) -> None:
        button = self.page.get_by_test_id(f"ui-lang-{lang}")
        await button.click()
        await expect(button).to_have_attribute("aria-pressed", "true")


@pytest_asyncio.fixture(loop_scope="session")
async def chat(browser: Browser, demo: Demo) -> AsyncIterator[ChatPage]:
    """A fresh browser page on the demo; fails the test on any script error or CSP violation."""
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1180, "height": 820})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    chat_page = ChatPage(page)
    page.on("pageerror", lambda exc: chat_page.console_errors.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: chat_page.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    await chat_page.open(demo.url)
    try:
        yield chat_page
        assert chat_page.console_errors == []
    finally:
        await context.close()
