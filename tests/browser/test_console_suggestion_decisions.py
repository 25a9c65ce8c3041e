"""The console's decisions after 交办 in Debian's Chromium: two deputies file suggestions in chat, staff
prepare and publish them from the console, the lead unit's officer signs for both in chat, asks for more
time on one and answers the other; staff grant the extension and close (销号) the answered one with a
reason from the suggestion page, the people concerned hear of each in Telegram (the sandbox), the chat's
old decision button is refused as stale, and the 立项—督办—销号 ledger downloads as XLSX.

The stack is tests/browser/test_console_suggestions.py's (the bot on the sandbox with the e2e network and
three units); 钱志强 (102) is put on the transport committee here, so the committee hears too.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from playwright.async_api import Page, expect
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from storage.models import SpecialCommittee, SpecialCommitteeMember
from tests.browser import test_console_suggestions as base
from tests.browser.test_console import Watched, log_in, user
from tests.browser.test_console_suggestions import file_in_chat, open_suggestion, publish_all, suggestion
from tests.e2e.flows import started
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack
from tests.e2e.test_suggestions_assign_e2e import alert
from tests.e2e.test_suggestions_handling_e2e import answer, data_of, sign

pytestmark = pytest.mark.asyncio(loop_scope="session")
# The suggestion pages' fixtures, shared: the bot with its units, the office's browser, the clock.
clock, office, stack = base.clock, base.office, base.stack


async def supervising_member(runtime: Runtime, telegram_id: int) -> None:
    async with runtime.services.uow() as uow:
        committee = await uow.session.scalar(select(SpecialCommittee).where(SpecialCommittee.code == "TRAF"))
        member = await uow.people.by_telegram_id(telegram_id)
        assert committee is not None and member is not None
        uow.session.add(SpecialCommitteeMember(committee_id=committee.id, person_id=member.id))
        await uow.commit()


async def prepare_proposed(page: Page, number: str) -> None:
    """Prepare with the 归口 proposal as preselected (交通局 leads, 公路局 co-handles)."""
    await open_suggestion(page, number)
    await page.get_by_test_id("prepare-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("交办已拟定")


async def test_grant_more_time_and_close_with_a_reason(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, tmp_path: Path
) -> None:
    staff, d1, d3 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 203, "李秀英"),
    )
    lead, member = user(sandbox, 501, "王科长"), user(sandbox, 102, "钱志强")
    co = user(sandbox, 502, "Officer Li", "en")
    await supervising_member(stack.runtime, 102)
    await started(staff, d1, d3, lead, member)
    await started(co, lang="en")
    shelter = await file_in_chat(d1, "关于建设丙村候车亭的建议", "丙村公交站没有候车亭，建议修建。")
    road = await file_in_chat(d3, "关于拓宽丁村村道的建议", "村道太窄，会车困难。")
    page = office.page
    await log_in(page, staff)
    for number in (shelter, road):
        await prepare_proposed(page, number)
    await publish_all(page, [shelter, road])
    await expect(page.get_by_test_id("flash")).to_contain_text("2 件建议已在交办会上交办")

    # In chat: the officer signs for both, asks for more time on one, answers the other (A).
    shelter_card = await sign(lead, d1, await suggestion(stack.runtime, shelter))
    road_card = await sign(lead, d3, await suggestion(stack.runtime, road))
    await lead.press("⏳ 申请延期", message_id=shelter_card["message_id"])
    await lead.send("选址需与公路局协调")
    asked = await staff.receives(containing=f"主办单位交通局申请延期办理建议 {shelter}")
    await answer(lead, road_card, "A类：已解决或基本解决", "村道已拓宽至六米。")
    await d3.receives(containing="村道已拓宽至六米")

    # The office grants more time from the page: the request's words are shown, then a longer term.
    await open_suggestion(page, shelter)
    await expect(page.get_by_test_id("state")).to_have_text("承办单位申请延期")
    await expect(page.get_by_test_id("asked")).to_contain_text("选址需与公路局协调")
    await expect(page.get_by_test_id("close-form")).to_have_count(0)
    await page.get_by_test_id("grant-months").select_option("5")
    await page.get_by_test_id("grant-reason").fill("涉及跨年度预算安排")
    await page.get_by_test_id("grant-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("已同意延期")
    await expect(page.get_by_test_id("state")).to_have_text("办理中")
    await expect(page.get_by_test_id("term")).to_contain_text("5")
    await expect(page.get_by_test_id("decisions")).to_have_count(0)
    await expect(page.get_by_test_id("ledger-step").last).to_contain_text("涉及跨年度预算安排")
    row = await suggestion(stack.runtime, shelter)
    assert (row.state, row.term_months) == ("handling", 5) and row.due_on is not None
    due = row.due_on.isoformat()
    granted = await lead.receives(containing=f"办理期限延至 {due}（自交办起 5 个月）")
    assert "涉及跨年度预算安排" in granted["text"]
    await d1.receives(containing=f"已获准延期，办理期限延至 {due}")
    await member.receives(containing=f"已获准延期，办理期限延至 {due}")
    # The chat's notice to staff still carries its buttons: pressed now, it is refused as decided already.
    await alert(staff, data_of(asked, "✅ 同意延期"))

    # The answered one is closed (销号) by the office's decision, with the reason.
    await open_suggestion(page, road)
    await expect(page.get_by_test_id("state")).to_have_text("已答复")
    await page.get_by_test_id("close-reason").fill("代表已确认村道拓宽完成，当面表示满意")
    await page.get_by_test_id("close-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("建议已销号")
    await expect(page.get_by_test_id("state")).to_have_text("已销号")
    await expect(page.get_by_test_id("closed")).to_contain_text("代表已确认村道拓宽完成")
    await expect(page.get_by_test_id("recheck")).to_contain_text(
        (await suggestion(stack.runtime, road)).recheck_due_on.isoformat()  # type: ignore[union-attr]
    )
    closed = await d3.receives(containing="当面表示满意")
    assert f"您的建议 {road}" in closed["text"] and "已由人大工作人员销号" in closed["text"]
    await lead.receives(containing=f"建议 {road}《关于拓宽丁村村道的建议》已由人大工作人员销号")
    told = await member.receives(containing="已由人大工作人员销号")
    assert road in told["text"]
    road_row = await suggestion(stack.runtime, road)
    assert (road_row.state, road_row.closing_action) == ("closed", "close")
    assert road_row.recheck_due_on is not None and road_row.recheck_due_on > date.today()

    # The ledger from the list page, as XLSX.
    await page.get_by_test_id("nav-suggestions").click()
    async with page.expect_download() as download:
        await page.get_by_test_id("ledger-download").click()
    saved = tmp_path / "ledger.xlsx"
    await (await download.value).save_as(saved)
    book = load_workbook(saved)
    assert book.sheetnames == ["代表建议", "台账记录"]
    rows = {r[0]: r for r in book["代表建议"].iter_rows(min_row=2, values_only=True)}
    assert set(rows) == {shelter, road}
    assert "代表已确认村道拓宽完成，当面表示满意" in rows[road]
    actions = [r[3] for r in book["台账记录"].iter_rows(min_row=2, values_only=True) if r[0] == shelter]
    assert "申请延期" in actions and "同意延期" in actions
