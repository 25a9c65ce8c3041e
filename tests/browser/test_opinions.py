"""The opinion loop in a real browser, one page acting as the constituent and then as their deputy."""

from __future__ import annotations

import re

import pytest
from playwright.async_api import expect

from bot.runtime.demo import Demo

from .conftest import ChatPage

# The run's one browser lives in the session's event loop (see conftest.py `browser`).
pytestmark = pytest.mark.asyncio(loop_scope="session")

TRACKING = re.compile(r"LX-\d{4}-\d{6}")
CONSTITUENT = 2000001  # 赵金光 (C0001)
DEPUTY = 1000003  # 陶芳荣 (D0038): contact link D0038 → C0001…C0005, the five demo constituents
OPINION = "村口的路灯坏了三个月，晚上很危险"


async def test_opinion_goes_to_the_linked_deputy_who_accepts_it(chat: ChatPage, demo: Demo) -> None:
    page = chat.page
    assert demo.sandbox is not None
    # At start-up the demo opened the officials' chats (/start), never a constituent's.
    started = {p.id for p in demo.people if demo.sandbox.state.users[p.id].started}
    assert started == {p.id for p in demo.people if p.role != "constituent"}
    # The page says who will receive this constituent's opinions.
    await expect(page.get_by_test_id(f"linked-deputy-{CONSTITUENT}")).to_have_text("联系代表 陶芳荣")

    # The constituent writes; the message becomes a draft card with its buttons.
    await chat.pick(CONSTITUENT)
    await expect(page.get_by_test_id("empty-chat")).to_be_visible()  # constituents open their own chat
    await chat.send(OPINION)
    draft = await chat.expect_bot("您的意见（草稿）")
    await expect(draft).to_contain_text(OPINION)
    buttons = draft.get_by_test_id("inline-button")
    for label in ("✓ 城乡建设", "交通出行", "👤 匿名：关", "📤 提交", "🗑 放弃"):
        await expect(buttons.filter(has_text=label)).to_have_count(1)
    await expect(draft).to_contain_text("类别：城乡建设（根据内容推测")

    # The category is guessed from the text and on the card: Submit files in one tap.
    await chat.press("📤 提交")
    done = await chat.expect_bot("已提交，编号")
    found = TRACKING.search(await done.inner_text())
    assert found is not None
    tracking = found.group(0)
    await expect(done).to_contain_text(f"已提交，编号 {tracking}。已交给陶芳荣代表")

    # The linked deputy, whose chat the demo opened at start-up, has the task card.
    await chat.pick(DEPUTY)
    await expect(chat.bot_messages.first).to_contain_text("陶芳荣，您好")
    card = await chat.expect_bot(tracking)
    for part in (OPINION, "城乡建设", "等待受理", "来自：赵金光"):
        await expect(card).to_contain_text(part)
    message_id = await card.get_attribute("data-message-id")
    await card.get_by_test_id("inline-button").filter(has_text="↪️ 转交").wait_for()
    await card.get_by_test_id("inline-button").filter(has_text="✅ 受理").click()

    # Accepting edits the card in place: now being handled, with the handling buttons.
    edited = page.locator(f"[data-testid='message'][data-message-id='{message_id}']")
    await expect(edited).to_contain_text("办理中")
    await expect(edited.get_by_test_id("edited")).to_be_visible()
    await expect(edited.get_by_test_id("inline-button").filter(has_text="💬 答复")).to_have_count(1)
    await expect(edited.get_by_test_id("inline-button").filter(has_text="✅ 受理")).to_have_count(0)
    await expect(page.get_by_test_id("toast-text")).to_contain_text("已受理")
    await page.screenshot(path="/tmp/webchat_opinion_deputy.png", full_page=True)

    # Back as the constituent: the notice that the deputy accepted the opinion. The deputy's
    # popup stays with the deputy's chat.
    await chat.pick(CONSTITUENT)
    assert await page.get_by_test_id("toast").is_hidden()  # now, not after the popup's own timeout
    await chat.expect_bot(f"陶芳荣代表已受理您的意见 {tracking}")
    await expect(chat.bot_messages.filter(has_text="已受理")).to_have_count(1)
    await page.screenshot(path="/tmp/webchat_opinion.png", full_page=True)

    # The deputy's chat again: the card as it is now, and the old popup is not shown a second time.
    await chat.pick(DEPUTY)
    await expect(chat.bot_messages.filter(has_text=tracking).last).to_contain_text("办理中")
    assert await page.get_by_test_id("toast").is_hidden()
    assert demo.sandbox.violations() == []
