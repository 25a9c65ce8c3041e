"""Browser fixtures: the whole demo stack in-process and Debian's Chromium driven by Playwright.

Chromium is never downloaded: the tests use the system browser (``/usr/bin/chromium``, or
``LIAISON_CHROMIUM``) and fail, not skip, when it is missing, because CI installs it. One Chromium
serves the whole run (`chromium_endpoint`); each test gets a fresh browser context in it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright, expect

from bot.clock import ManualClock
from bot.demo import Demo
from tests.kit import assert_no_violations, runtime_probe, watching

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
# What Playwright adds when it launches Chromium itself that matters for a page under test: timers
# and rendering are not slowed down for a page no one looks at.
SERVER_ARGS = [
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--no-default-browser-check",
    "--password-store=basic",
    "--use-mock-keychain",
    "--mute-audio",
    "--hide-scrollbars",
]


def daytime_clock() -> ManualClock:
    """Real time moved to 10:00 in Shanghai: outside quiet hours, notices go out at once."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


@pytest.fixture
async def demo(tmp_path: Path) -> AsyncIterator[Demo]:
    """Sandbox, bot and web chat on free ports with a fresh SQLite file; no Bot API call may be refused."""
    stack = Demo(port=0, database=f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", clock=daytime_clock())
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


@pytest.fixture(scope="session")
def chromium_endpoint(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One Chromium for the whole run, reached over the DevTools protocol; each test connects anew.

    Starting Chromium costs about a second per test, and Playwright's own browser cannot outlive a
    test: its objects belong to the event loop that made them, and each test has its own loop. A
    browser process has no loop, so it is started here once; the tests' isolation comes from the fresh
    browser context each one opens (cookies, storage and cache are per context).
    """
    profile = tmp_path_factory.mktemp("chromium")
    log_path = profile / "chromium.log"
    with log_path.open("wb") as log_file:
        process = subprocess.Popen(
            [
                chromium_path,
                *CHROMIUM_ARGS,
                *SERVER_ARGS,
                f"--user-data-dir={profile / 'profile'}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",  # the port chosen is written to DevToolsActivePort
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Debian's launcher is a script: stop its whole group
        )
    try:
        yield _devtools_endpoint(process, profile / "profile" / "DevToolsActivePort", log_path)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _devtools_endpoint(process: subprocess.Popen[bytes], active_port: Path, log_path: Path) -> str:
    """The browser's DevTools WebSocket URL, once Chromium has written it; fails if Chromium dies."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"Chromium exited with {process.returncode}:\n{log_path.read_text(errors='replace')}")
        lines = active_port.read_text().splitlines() if active_port.is_file() else []
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        time.sleep(0.05)
    pytest.fail(f"Chromium wrote no DevTools port within 60 s:\n{log_path.read_text(errors='replace')}")


@pytest.fixture
async def browser(chromium_endpoint: str) -> AsyncIterator[Browser]:
    """The run's Chromium, connected for this test; contexts the test opened are closed after it."""
    async with async_playwright() as pw:
        shared = await pw.chromium.connect_over_cdp(chromium_endpoint)
        try:
            yield shared
        finally:
            # For a connected browser, close() closes the contexts this connection created and
            # disconnects; the browser process stays for the next test.
            await shared.close()


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


@pytest.fixture
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
