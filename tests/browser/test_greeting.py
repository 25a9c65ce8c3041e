"""/start in a real browser: a newcomer is asked for their station with a location/phone keyboard
whose buttons show one icon each, can go Back in the station picker, and the keyboard goes once a
station is picked; an official is greeted for their role and asked nothing."""

from __future__ import annotations

import pytest
from playwright.async_api import expect

from bot.runtime.demo import Demo

from .conftest import ChatPage

pytestmark = pytest.mark.asyncio(loop_scope="session")

DEPUTY = 1000003  # 陶芳荣 (D0038)
TRANSPORT_OFFICER = 4000001  # 和建平 (O0001), officer of 州交通运输局
HOUSING_OFFICER = 4000002  # 李春梅 (O0002), officer of 州住房和城乡建设局
TRANS_MEMBER = 1000007  # 王青 (D0011), on the transport committee (交通运输工作委员会)


async def test_a_newcomer_answers_the_station_question_and_the_keyboard_goes(
    chat: ChatPage, demo: Demo
) -> None:
    page = chat.page
    await chat.new_visitor("新来的")
    await chat.send("/start")
    await chat.expect_bot("帮您联系您的人大代表")
    await chat.expect_bot("您属于哪个联络站")
    buttons = page.get_by_test_id("reply-button")
    await expect(buttons).to_have_count(2)
    for index, label in enumerate(("📍 分享我的位置", "📱 分享我的手机号码")):
        button = buttons.nth(index)
        await expect(button).to_have_text(label)
        added = await button.evaluate("b => getComputedStyle(b, '::before').content")
        assert added in ("none", "normal", ""), added  # no second icon before the label's own

    listing = await chat.expect_bot("联络站：")
    first = listing.get_by_test_id("inline-button").first
    top = await first.inner_text()
    await first.click()
    level = chat.bot_messages.filter(has_text="下的联络站：").last
    await expect(level).to_be_visible()
    await level.get_by_test_id("inline-button").filter(has_text="⬅️ 返回").click()
    back = chat.bot_messages.filter(has_text="联络站：").last
    await expect(back.get_by_test_id("inline-button").first).to_have_text(top)
    await back.get_by_test_id("inline-button").first.click()
    await chat.press("✔️ 就是这个")
    await chat.expect_bot("您已关联联络站")
    await chat.expect_bot("现在您可以随时在这里写下意见")
    await expect(page.get_by_test_id("reply-button")).to_have_count(0)


async def test_a_deputy_is_greeted_as_a_deputy(chat: ChatPage, demo: Demo) -> None:
    await chat.pick(DEPUTY)
    await chat.send("/start")
    greeting = await chat.expect_bot("您已登记为人大代表")
    await expect(greeting).not_to_contain_text("帮您联系您的人大代表")
    await expect(chat.bot_messages.filter(has_text="您属于哪个联络站")).to_have_count(0)
    await expect(chat.page.get_by_test_id("reply-button")).to_have_count(0)


async def test_the_picker_groups_unit_officers_and_special_committee_members(
    chat: ChatPage, demo: Demo
) -> None:
    page = chat.page
    officers = page.get_by_test_id("group-unit_officer")
    await expect(officers.get_by_role("heading")).to_have_text("承办单位工作人员")
    await expect(officers.get_by_test_id(f"person-{TRANSPORT_OFFICER}")).to_contain_text("和建平")
    await expect(officers.get_by_test_id(f"affiliation-{TRANSPORT_OFFICER}")).to_have_text("州交通运输局")
    await expect(officers.get_by_test_id(f"affiliation-{HOUSING_OFFICER}")).to_have_text("州住房和城乡建设局")
    members = page.get_by_test_id("group-special_committee")
    await expect(members.get_by_role("heading")).to_have_text("专门委员会委员")
    await expect(members.get_by_test_id(f"affiliation-{TRANS_MEMBER}")).to_have_text("交通运输工作委员会")
    # Each person once, under the highest role: the TRANS member is not listed as a committee member.
    await expect(page.get_by_test_id(f"person-{TRANS_MEMBER}")).to_have_count(1)
    await expect(page.get_by_test_id("group-committee_member")).not_to_contain_text("王青")


@pytest.mark.parametrize(
    ("officer", "unit"), [(TRANSPORT_OFFICER, "州交通运输局"), (HOUSING_OFFICER, "州住房和城乡建设局")]
)
async def test_a_unit_officer_is_greeted_with_their_unit(
    chat: ChatPage, demo: Demo, officer: int, unit: str
) -> None:
    await chat.pick(officer)
    await expect(chat.page.get_by_test_id("current-user-role")).to_have_text("承办单位工作人员")
    await chat.send("/start")
    greeting = await chat.expect_bot(f"您所在的承办单位：{unit}。")
    await expect(greeting).to_contain_text("您已登记为承办单位工作人员")
    await expect(greeting).not_to_contain_text("帮您联系您的人大代表")
    await expect(chat.bot_messages.filter(has_text="您属于哪个联络站")).to_have_count(0)
