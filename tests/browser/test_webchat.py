"""The web chat in a real browser: a person picks who they are and talks to the real bot."""

from __future__ import annotations

import asyncio
import base64
import io
import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from PIL import Image
from playwright.async_api import Browser, Locator, expect
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import ParseMode

from bot.runtime.clock import DemoClock
from bot.runtime.demo import Demo
from bot.sandbox import Sandbox
from bot.webchat import DemoPerson, create_webchat_app, serve
from tests.kit import make_bot, wait_idle

from .conftest import ChatPage

# The run's one browser lives in the session's event loop (see conftest.py `browser`).
pytestmark = pytest.mark.asyncio(loop_scope="session")


async def settled(demo: Demo) -> None:
    """Wait until the bot has done its work, so a test message is not raced by its replies."""
    assert demo.sandbox is not None
    await wait_idle(demo.sandbox)


CONSTITUENT = 2000001  # 赵金光 in the example network
OTHER_CONSTITUENT = 2000002
DEPUTY = 1000003  # 陶芳荣, a grassroots deputy


async def test_constituent_starts_switches_language_and_page_ui(chat: ChatPage, demo: Demo) -> None:
    page = chat.page
    await expect(page.get_by_test_id("pick-prompt")).to_be_visible()
    await expect(page.get_by_test_id("group-presidium")).to_contain_text("王玉")
    await expect(page.get_by_test_id("group-committee_member")).to_contain_text("施安秋")

    await chat.pick(CONSTITUENT)
    await expect(page.get_by_test_id("current-user-name")).to_have_text("赵金光")
    await expect(page.get_by_test_id("empty-chat")).to_be_visible()
    await chat.send("/start")
    await chat.expect_bot("赵金光，您好")

    await chat.send("/language")
    choice = await chat.expect_bot("请选择语言")
    message_id = await choice.get_attribute("data-message-id")
    count = await chat.messages.count()
    await chat.press("English")
    # The bot edits the question in place: same bubble, new text, no buttons, no new message.
    edited = page.locator(f"[data-testid='message'][data-message-id='{message_id}']")
    await expect(edited).to_contain_text("I will speak English with you from now on.")
    await expect(edited.get_by_test_id("edited")).to_be_visible()
    await expect(edited.get_by_test_id("inline-button")).to_have_count(0)
    await expect(chat.messages).to_have_count(count)

    # The page's own UI language, without losing the chat.
    await expect(page.get_by_test_id("page-title")).to_have_text("代表联络助手 · 离线演示")
    await chat.set_ui_language("en")
    await expect(page.get_by_test_id("page-title")).to_have_text("Liaison · offline demo")
    await expect(page.locator("html")).to_have_attribute("lang", "en")
    await expect(page.get_by_test_id("message-input")).to_have_attribute(
        "placeholder", "Write a message or a /command"
    )
    await expect(page.get_by_test_id("group-constituent")).to_contain_text("Constituents")
    await expect(page.get_by_test_id("current-user-role")).to_have_text("Constituent")
    await expect(chat.bot_messages.filter(has_text="I will speak English")).to_have_count(1)
    await chat.send("/help")
    await chat.expect_bot("What I can do")
    await page.screenshot(path="/tmp/webchat.png", full_page=True)
    assert demo.sandbox is not None
    assert demo.sandbox.violations() == []


async def test_one_page_switches_between_users(chat: ChatPage, demo: Demo) -> None:
    await chat.pick(DEPUTY)  # the demo opened the officials' chats at start-up, as onboarding did
    greetings = chat.bot_messages.filter(has_text="陶芳荣，您好")
    await expect(greetings).to_have_count(1)
    await chat.send("/start")
    await expect(greetings).to_have_count(2)

    await chat.pick(OTHER_CONSTITUENT)
    await expect(chat.messages).to_have_count(0)
    await chat.send("/start")
    await chat.expect_bot("欧建青，您好")
    await expect(chat.bot_messages.filter(has_text="陶芳荣")).to_have_count(0)

    await chat.pick(DEPUTY)  # back again: the deputy's own chat is shown, nothing of the other's
    await chat.expect_bot("陶芳荣，您好")
    await expect(chat.bot_messages.filter(has_text="欧建青")).to_have_count(0)
    await expect(chat.page).to_have_url(f"{demo.url}/#user={DEPUTY}")

    # A new visitor whose name looks like markup: shown as text, never run or parsed.
    hostile = '<img src=x onerror="window.pwned=1">'
    visitor = await chat.new_visitor(hostile)
    assert visitor >= 7_000_000_000
    await chat.send("/start")
    greeting = await chat.expect_bot("您好")
    await expect(greeting).to_contain_text(hostile)
    await expect(chat.page.locator("[data-testid='messages'] img")).to_have_count(0)
    assert await chat.page.evaluate("window.pwned") is None


async def test_entities_keyboards_media_and_toasts(chat: ChatPage, demo: Demo, tmp_path: Path) -> None:
    """Rendering of what the bot may send, driven through the real Bot API of the sandbox."""
    assert demo.sandbox is not None
    sandbox = demo.sandbox
    page = chat.page
    await chat.pick(CONSTITUENT)
    await chat.send("/start")
    await chat.expect_bot("您好")

    async with make_bot(sandbox) as bot:
        sent = await bot.send_message(
            CONSTITUENT,
            "<b>粗体</b> <i>斜体</i> <code>a&lt;b</code> <a href='https://example.org/x'>链接</a> "
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            parse_mode=ParseMode.HTML,
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("旧按钮", callback_data="zz:1")]]),
        )
        bubble = page.locator(f"[data-testid='message'][data-message-id='{sent.message_id}']")
        await expect(bubble.locator("strong")).to_have_text("粗体")
        await expect(bubble.locator("em")).to_have_text("斜体")
        await expect(bubble.locator("code")).to_have_text("a<b")
        await expect(bubble.locator("a")).to_have_attribute("href", "https://example.org/x")
        await expect(bubble).to_contain_text("<script>alert(1)</script>")
        await expect(page.locator("[data-testid='messages'] script")).to_have_count(0)

        # A stale button: the bot answers the callback query with a toast.
        await chat.press("旧按钮")
        await expect(page.get_by_test_id("toast-text")).to_contain_text("失效")

        # Edited in place.
        await bot.edit_message_text("改过的文字", chat_id=CONSTITUENT, message_id=sent.message_id)
        await expect(bubble).to_contain_text("改过的文字")
        await expect(bubble.get_by_test_id("edited")).to_be_visible()

        # Reply keyboards asking for the phone number, then the location (the bot may remove a
        # keyboard once it has what it asked for, so each is sent on its own).
        for label, request in (("手机号", "request_contact"), ("位置", "request_location")):
            await settled(demo)
            await bot.send_message(
                CONSTITUENT,
                f"请分享{label}",
                reply_markup=ReplyKeyboardMarkup(
                    [[KeyboardButton(label, **{request: True})]], resize_keyboard=True, one_time_keyboard=True
                ),
            )
            button = page.get_by_test_id("reply-keyboard").get_by_role("button", name=label)
            await button.click()
            await expect(button).to_be_hidden()  # one-time keyboards close after a press
            await expect(chat.user_messages.last).to_contain_text("+86" if label == "手机号" else "25.67425")

    # 📷 opens the file picker, as Telegram Desktop does; the picked image goes as a photo.
    picture = tmp_path / "lamp.png"
    Image.new("RGB", (320, 240), (200, 30, 30)).save(picture)
    await page.get_by_test_id("message-input").fill("路灯坏了")
    async with page.expect_file_chooser() as chooser:
        await page.get_by_test_id("send-photo").click()
    await (await chooser.value).set_files(picture)
    photo = chat.user_messages.last
    await expect(photo).to_contain_text("路灯坏了")
    image = photo.locator("img")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 320
    await page.get_by_test_id("send-location").click()
    await expect(chat.user_messages.last).to_contain_text("25.67425")

    kinds = [m["kind"] for m in sandbox.transcript(CONSTITUENT) if m["sender"] == "user"]
    assert kinds[-4:] == ["contact", "location", "photo", "location"]


# ------------------------------------------------------------------ issue 22: the page itself

PRESIDIUM = 1000001  # 王玉, presidium member who contacts 陶芳荣 (D0001 → D0038)
ZONE = ZoneInfo("Asia/Shanghai")
TRACKING = re.compile(r"LX-\d{4}-\d{6}")


async def open_page(
    browser: Browser, demo: Demo, width: int, height: int = 844, *, timezone_id: str = "UTC"
) -> ChatPage:
    """A page on the demo in a browser of this width and zone; script errors fail the test."""
    context = await browser.new_context(
        locale="zh-CN", viewport={"width": width, "height": height}, timezone_id=timezone_id
    )
    page = await context.new_page()
    page.set_default_timeout(10_000)
    chat = ChatPage(page)
    page.on("pageerror", lambda exc: chat.console_errors.append(f"page error: {exc}"))
    page.on("console", lambda msg: chat.console_errors.append(msg.text) if msg.type == "error" else None)
    await chat.open(demo.url)
    return chat


async def file_opinion(chat: ChatPage, text: str) -> str:
    """As the constituent: write, Submit (one tap files it); returns the tracking number."""
    await chat.send(text)
    await chat.expect_bot("草稿")
    await chat.press("提交")
    done = chat.bot_messages.filter(has_text=TRACKING)
    await expect(done.last).to_be_visible()
    found = TRACKING.search(await done.last.inner_text())
    assert found is not None
    return found.group(0)


async def pick_file(chat: ChatPage, path: Path) -> None:
    """📷 opens the computer's file picker; the user chooses this file."""
    async with chat.page.expect_file_chooser() as chooser:
        await chat.page.get_by_test_id("send-photo").click()
    await (await chooser.value).set_files(path)


async def test_picked_image_is_a_real_photo_the_deputy_receives_and_a_file_a_document(
    chat: ChatPage, demo: Demo, tmp_path: Path
) -> None:
    assert demo.sandbox is not None
    sandbox = demo.sandbox
    picture = tmp_path / "street.png"
    Image.new("RGB", (1600, 900), (30, 160, 60)).save(picture)  # larger than Telegram keeps
    notes = tmp_path / "会议记录.txt"
    notes.write_bytes("路灯编号 17、18、19\n".encode())

    await chat.pick(CONSTITUENT)
    await chat.page.get_by_test_id("message-input").fill("村口的路灯坏了")
    await pick_file(chat, picture)
    bubble = chat.user_messages.last
    await expect(bubble).to_contain_text("村口的路灯坏了")
    image = bubble.locator("img")
    await expect(image).to_be_visible()
    # Compressed as Telegram's apps do: 1280 px on the longer side, a JPEG of the picked picture.
    assert await image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1280, 720]
    sent = [m for m in sandbox.transcript(CONSTITUENT) if m["sender"] == "user"][-1]
    assert sent["kind"] == "photo" and sent["caption"] == "村口的路灯坏了"
    size = sent["message"]["photo"][-1]
    assert (size["width"], size["height"]) == (1280, 720)
    stored = sandbox.state.files[size["file_id"]].data
    assert stored.startswith(b"\xff\xd8")
    with Image.open(io.BytesIO(stored)) as jpeg:
        r, g, b = jpeg.convert("RGB").getpixel((640, 360))
    assert abs(r - 30) < 12 and abs(g - 160) < 12 and abs(b - 60) < 12

    # Any other file goes as a document, byte for byte, under its own name.
    await pick_file(chat, notes)
    document = chat.user_messages.last.locator("a.document")
    await expect(document).to_have_text("📄 会议记录.txt")
    sent = [m for m in sandbox.transcript(CONSTITUENT) if m["sender"] == "user"][-1]
    assert sent["kind"] == "document"
    assert sent["message"]["document"]["file_name"] == "会议记录.txt"
    assert sandbox.state.files[sent["message"]["document"]["file_id"]].data == notes.read_bytes()

    tracking = await file_opinion(chat, "路灯一直没人修")
    await settled(demo)
    await chat.pick(DEPUTY)
    await chat.expect_bot(tracking)
    received = chat.bot_messages.locator("img")
    await expect(received.last).to_be_visible()
    assert await received.last.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [1280, 720]
    photos = [m for m in sandbox.transcript(DEPUTY) if m["sender"] == "bot" and m["kind"] == "photo"]
    assert [sandbox.state.files[m["message"]["photo"][-1]["file_id"]].data for m in photos] == [stored]


async def test_times_are_the_congress_zone_and_the_clock_advances(browser: Browser, demo: Demo) -> None:
    """A browser in New York still sees Shanghai time; +7 days turns an unaccepted opinion red and
    climbs to the presidium at once (the page rings the sweep, which otherwise runs each minute)."""
    assert demo.sandbox is not None and demo.runtime is not None
    clock = demo.runtime.clock
    assert isinstance(clock, DemoClock)
    chat = await open_page(browser, demo, 1280, 820, timezone_id="America/New_York")
    page = chat.page
    shown_now = page.get_by_test_id("demo-clock-now")
    await expect(shown_now).to_contain_text(clock.now().astimezone(ZONE).strftime("%H:%M"))
    await expect(page.get_by_test_id("demo-clock-offset")).to_be_hidden()  # not moved yet

    await chat.pick(CONSTITUENT)
    tracking = await file_opinion(chat, "学校门口的斑马线看不清了")
    receipt = chat.bot_messages.filter(has_text=tracking).last
    date = next(m for m in reversed(demo.sandbox.transcript(CONSTITUENT)) if m["sender"] == "bot")["date"]
    sent_at = clock.shown(datetime.fromtimestamp(date, UTC)).astimezone(ZONE)
    assert 9 <= sent_at.hour <= 11  # the demo's morning in Shanghai, not New York's evening
    await expect(receipt.get_by_test_id("message-time")).to_have_text(sent_at.strftime("%H:%M"))
    # The bot's own words use the same zone: the accept deadline is a day after the receipt.
    deadline = (sent_at + timedelta(hours=24)).strftime("%Y-%m-%d %H:")
    await expect(receipt).to_contain_text(deadline)
    await chat.pick(DEPUTY)
    card = await chat.expect_bot(tracking)
    await expect(card).to_contain_text("等待受理")
    await settled(demo)

    # Seven days on, the deputy has not accepted it: overdue, the deputy and the presidium member
    # who contacts them are told, as the minute's sweep would with real time.
    async with page.expect_response("**/api/clock/advance") as advanced:
        await page.get_by_test_id("clock-7d").click()
    result = await (await advanced.value).json()
    assert result["notices"] >= 2  # swept at once, not at the next minute
    await expect(page.get_by_test_id("demo-clock-offset")).to_have_text("已快进 7 天")
    await expect(page.get_by_test_id("toast-text")).to_contain_text("时钟已快进 +7 天")
    later = clock.now().astimezone(ZONE)
    await expect(shown_now).to_contain_text(f"{later.month}月{later.day}日")
    red = await chat.expect_bot("🔴")
    await expect(red).to_contain_text(tracking)
    await expect(red).to_contain_text("已超期")
    await chat.send("/tasks")
    tasks = await chat.expect_bot(tracking)
    await expect(tasks).to_contain_text("🔴")
    await chat.pick(PRESIDIUM)
    climbed = await chat.expect_bot(f"🔴 意见 {tracking}")
    await expect(climbed).to_contain_text("已超期")
    await expect(climbed.get_by_test_id("message-time")).to_have_text(later.strftime("%H:%M"))
    assert chat.console_errors == []


async def test_clock_control_is_only_in_the_demo(browser: Browser, sandbox: Sandbox) -> None:
    """A web chat without the demo's clock offers no control and has no route to move a clock."""
    sandbox.add_user(42, "赵金光")
    runner, url = await serve(create_webchat_app(sandbox, [DemoPerson(42, "赵金光", "constituent")]))
    try:
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(url)
        await expect(page.locator("body[data-ready='true']")).to_be_attached()
        await expect(page.get_by_test_id("demo-clock")).to_have_count(0)
        response = await page.request.post(f"{url}/api/clock/advance", data={"step": "7d"})
        assert response.status == 404
    finally:
        await runner.cleanup()


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 5.0) -> None:
    """Wait until the page settles into what ``check`` looks for (scrolling happens after rendering)."""
    deadline = asyncio.get_running_loop().time() + within
    while not await check():
        assert asyncio.get_running_loop().time() < deadline, "the page never got there"
        await asyncio.sleep(0.1)


async def fill_chat(demo: Demo, user_id: int, count: int = 12) -> None:
    """Enough history that the chat pane scrolls: /help answers are long."""
    assert demo.sandbox is not None
    for _ in range(count):
        demo.sandbox.send_text(user_id, "/help")
    await settled(demo)


async def at_newest(chat: ChatPage) -> bool:
    """The messages pane scrolls, and is scrolled to its end with the newest bubble in view."""
    return bool(
        await chat.page.get_by_test_id("messages").evaluate(
            """el => {
                const last = el.lastElementChild.getBoundingClientRect();
                const box = el.getBoundingClientRect();
                return el.scrollHeight > el.clientHeight * 2
                    && el.scrollHeight - el.scrollTop - el.clientHeight < 2
                    && last.bottom <= box.bottom + 1 && last.bottom > box.top;
            }"""
        )
    )


async def test_a_chat_opens_at_its_newest_message(chat: ChatPage, demo: Demo) -> None:
    await fill_chat(demo, CONSTITUENT)
    await chat.pick(OTHER_CONSTITUENT)
    await chat.pick(CONSTITUENT)
    await expect(chat.messages).to_have_count(24)
    await eventually(lambda: at_newest(chat))
    # A page opened on the chat's link as well.
    await chat.open(f"{demo.url}/?#user={CONSTITUENT}")
    await expect(chat.messages).to_have_count(24)
    await eventually(lambda: at_newest(chat))


@pytest.mark.parametrize("width", [390, 1280])
async def test_a_keyboard_grown_by_an_edit_is_not_hidden_behind_the_input_box(
    browser: Browser, demo: Demo, width: int
) -> None:
    assert demo.sandbox is not None
    chat = await open_page(browser, demo, width)
    await fill_chat(demo, CONSTITUENT)
    await chat.pick(CONSTITUENT)
    async with make_bot(demo.sandbox) as bot:
        sent = await bot.send_message(
            CONSTITUENT,
            "请选择",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("一", callback_data="x:1")]]),
        )
        bubble = chat.page.locator(f"[data-testid='message'][data-message-id='{sent.message_id}']")
        await expect(bubble.get_by_test_id("inline-button")).to_have_count(1)
        rows = [[InlineKeyboardButton(f"选项 {i}", callback_data=f"x:{i}")] for i in range(8)]
        await bot.edit_message_reply_markup(
            CONSTITUENT, sent.message_id, reply_markup=InlineKeyboardMarkup(rows)
        )
        last = bubble.get_by_test_id("inline-button").last
        await expect(last).to_have_text("选项 7")
        # A reply keyboard opening under it shrinks the pane: the card's last button stays in view.
        await bot.send_message(
            CONSTITUENT,
            "也可以用下面的按钮",
            reply_markup=ReplyKeyboardMarkup([["甲", "乙"], ["丙", "丁"], ["戊"]], resize_keyboard=True),
        )
        await expect(chat.page.get_by_test_id("reply-keyboard")).to_be_visible()
        await chat.expect_bot("也可以用下面的按钮")

    async def in_view(locator: Locator) -> bool:
        box = await locator.bounding_box()
        pane = await chat.page.get_by_test_id("messages").bounding_box()
        composer = await chat.page.get_by_test_id("reply-keyboard").bounding_box()
        assert box is not None and pane is not None and composer is not None
        bottom = box["y"] + box["height"]
        return pane["y"] <= box["y"] and bottom <= pane["y"] + pane["height"] + 1 and bottom <= composer["y"]

    newest = chat.bot_messages.last
    await eventually(lambda: in_view(newest))
    # Edited again while the newest message is in view: it grows and stays in view too.
    async with make_bot(demo.sandbox) as bot:
        await bot.edit_message_text(
            "也可以用下面的按钮\n" + "\n".join(f"第 {i} 行" for i in range(10)),
            chat_id=CONSTITUENT,
            message_id=int(await newest.get_attribute("data-message-id") or 0),
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("最后", callback_data="x:z")]]),
        )
    grown = newest.get_by_test_id("inline-button").filter(has_text="最后")
    await expect(grown).to_be_visible()
    await eventually(lambda: in_view(grown))
    assert chat.console_errors == []


@pytest.mark.parametrize("width", [390, 1280])
async def test_no_sideways_scroll_and_the_hint_names_where_the_list_is(
    browser: Browser, demo: Demo, width: int
) -> None:
    assert demo.sandbox is not None
    chat = await open_page(browser, demo, width)
    page = chat.page
    prompt = page.get_by_test_id("pick-prompt")
    await expect(prompt).to_be_visible()
    if width == 390:  # the list is above the chat on a phone
        await expect(prompt).to_contain_text("上方")
        await expect(prompt.get_by_text("左侧")).to_be_hidden()
    else:
        await expect(prompt).to_contain_text("左侧")
        await expect(prompt.get_by_text("上方")).to_be_hidden()

    await chat.pick(CONSTITUENT)
    tracking = await file_opinion(chat, "很长的意见" * 40)
    async with make_bot(demo.sandbox) as bot:
        await bot.send_message(
            CONSTITUENT,
            "https://example.org/" + "a" * 200 + " " + "长" * 300,
            reply_markup=InlineKeyboardMarkup(
                [[InlineKeyboardButton(f"很长的按钮文字 {i}", callback_data=f"x:{i}") for i in range(5)]]
            ),
        )
        await bot.send_message(
            CONSTITUENT,
            "<pre>" + "x" * 300 + "</pre>",
            parse_mode=ParseMode.HTML,
            reply_markup=ReplyKeyboardMarkup([[f"回复按钮 {i}" for i in range(6)]]),
        )
    await chat.expect_bot("x" * 50)
    await chat.pick(DEPUTY)
    await chat.expect_bot(tracking)
    await chat.pick(CONSTITUENT)
    await chat.expect_bot("x" * 50)
    await expect(page.get_by_test_id("reply-keyboard")).to_be_visible()
    sideways = await page.evaluate(
        "() => [document.scrollingElement.scrollWidth, document.scrollingElement.clientWidth]"
    )
    assert sideways[0] <= sideways[1], sideways
    pane = await page.get_by_test_id("messages").evaluate("el => [el.scrollWidth, el.clientWidth]")
    assert pane[0] <= pane[1], pane
    assert chat.console_errors == []


async def test_uploads_are_checked_and_files_never_run_as_pages(sandbox: Sandbox) -> None:
    """Only JSON is taken (a cross-site form cannot post a file), a photo must be an image, and a
    document is always a download: an SVG or HTML file from a user never opens in the page's origin."""
    sandbox.add_user(42, "赵金光")
    runner, url = await serve(create_webchat_app(sandbox, [DemoPerson(42, "赵金光", "constituent")]))
    upload = f"{url}/api/users/42/upload"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    try:
        async with aiohttp.ClientSession() as http:
            form = aiohttp.FormData({"kind": "document", "data": base64.b64encode(svg).decode()})
            async with http.post(upload, data=form) as response:
                assert response.status == 415
            body = {"kind": "photo", "data": base64.b64encode(b"not a picture").decode()}
            async with http.post(upload, json=body) as response:
                assert response.status == 400
                assert "JPEG, PNG or WebP" in (await response.json())["error"]
            for name, mime in (("x.svg", "image/svg+xml"), ("../../x.html", "text/html; charset=utf-8")):
                body = {"kind": "document", "data": base64.b64encode(svg).decode(), "file_name": name}
                async with http.post(upload, json={**body, "mime_type": mime}) as response:
                    assert response.status == 200, await response.text()
                    document = (await response.json())["document"]
                assert "/" not in document["file_name"]
                async with http.get(f"{url}/api/files/{document['file_id']}") as response:
                    assert response.headers["Content-Disposition"].startswith("attachment")
                    assert response.headers["X-Content-Type-Options"] == "nosniff"
                    assert await response.read() == svg
    finally:
        await runner.cleanup()
    assert [m["kind"] for m in sandbox.transcript(42)] == ["document", "document"]
