"""The web chat in a real browser: a person picks who they are and talks to the real bot."""

from __future__ import annotations

import pytest
from playwright.async_api import expect
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.constants import ParseMode

from bot.runtime.demo import Demo
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
    await expect(page.get_by_test_id("group-committee_member")).to_contain_text("段永")

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


async def test_entities_keyboards_media_and_toasts(chat: ChatPage, demo: Demo) -> None:
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

    await page.get_by_test_id("message-input").fill("路灯坏了")
    await page.get_by_test_id("send-photo").click()
    photo = chat.user_messages.last
    await expect(photo).to_contain_text("路灯坏了")
    image = photo.locator("img")
    await expect(image).to_be_visible()
    assert await image.evaluate("img => img.complete && img.naturalWidth") == 320
    await page.get_by_test_id("send-location").click()
    await expect(chat.user_messages.last).to_contain_text("25.67425")

    kinds = [m["kind"] for m in sandbox.transcript(CONSTITUENT) if m["sender"] == "user"]
    assert kinds[-4:] == ["contact", "location", "photo", "location"]
