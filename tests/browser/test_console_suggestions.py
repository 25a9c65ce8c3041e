"""The console's suggestion pages in Debian's Chromium, in Chinese and in English: a deputy files in chat,
staff return one with a reason and prepare another from the 归口 proposal (a refusal shown with its
reason first), publish at the 交办会 after the confirmation page, and the unit officers' task cards
arrive in their Telegram chats (the sandbox); the list downloads as XLSX.

The bot runs against the sandbox with the e2e network (tests/data/network_e2e.yaml) and serves the
console on its own web server, as `liaison run` does (tests/browser/test_console.py's stack). Three units
and their officers are added here: 交通局 (王科长, 501) and 公路局 (Officer Li, 502, English) handle
transport, 水利局 (赵科长, 503) agriculture. Any script error or CSP violation fails the test.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, expect

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import Person, PersonRole, Role, Unit, UnitCategory
from storage.models.suggestions import Suggestion
from tests.e2e.flows import started
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack, start_stack
from tests.kit import SandboxUser, runtime_probe, watching

from .conftest import daytime_clock
from .test_console import Watched, log_in, open_page, user

pytestmark = pytest.mark.asyncio(loop_scope="session")

NUMBER = re.compile(r"S-\d{4}-\d{4}")
REFUSED_FORM = re.compile(r"status of (422|409) ")
OFFICERS = (
    ("U1", "交通局", "王科长", 501, None),
    ("U2", "公路局", "Officer Li", 502, "en"),
    ("U3", "水利局", "赵科长", 503, None),
)


@pytest.fixture
def clock() -> ManualClock:
    return daytime_clock()


@pytest_asyncio.fixture(loop_scope="session")
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[ConsoleStack]:
    stack = await start_stack(sandbox, db_url, clock)
    try:
        await add_units(stack.runtime)
        with watching(sandbox, runtime_probe(stack.runtime)):
            yield stack
    finally:
        await stack.stop()


@pytest_asyncio.fixture(loop_scope="session")
async def office(browser: Browser) -> AsyncIterator[Watched]:
    """The office PC's browser."""
    watched = await open_page(browser)
    try:
        yield watched
        # A refused form comes back with its page and 422 or 409, which Chromium logs as a failed load.
        assert [e for e in watched.unexpected() if not REFUSED_FORM.search(e)] == []
    finally:
        await watched.context.close()


async def add_units(runtime: Runtime) -> dict[str, int]:
    async with runtime.services.uow() as uow:
        units = {code: Unit(code=code, name=name, kind="government") for code, name, *_ in OFFICERS}
        uow.session.add_all(units.values())
        people = [Person(name=name, telegram_id=tg, language=lang) for _c, _n, name, tg, lang in OFFICERS]
        uow.session.add_all(people)
        await uow.flush()
        uow.session.add_all(
            [UnitCategory(unit_id=units[c].id, category="transport") for c in ("U1", "U2")]
            + [UnitCategory(unit_id=units["U3"].id, category="agriculture")]
        )
        for unit, person in zip(units.values(), people, strict=True):
            uow.session.add(PersonRole(person_id=person.id, role=Role.UNIT_OFFICER.value))
            await uow.units.add_officer(unit.id, person.id)
        await uow.commit()
        return {code: unit.id for code, unit in units.items()}


async def file_in_chat(deputy: SandboxUser, title: str, text: str, *, lang: str = "zh") -> str:
    """/suggest as the deputy does it, no co-signers, no attachments; returns the number."""
    zh = lang == "zh"
    await deputy.command("suggest")
    await deputy.receives(containing="请输入建议的标题" if zh else "Type the suggestion's title")
    await deputy.send(title)
    await deputy.receives(containing="请输入建议的正文" if zh else "Type the suggestion's text")
    await deputy.send(text)
    await deputy.receives(containing="请选择建议的类别" if zh else "Choose the suggestion's category")
    await deputy.press("交通出行" if zh else "Transport")
    await deputy.receives(containing="附议/联名")
    await deputy.press("⏭ 跳过" if zh else "⏭ Skip")
    await deputy.receives(containing="附件" if zh else "Attachments")
    await deputy.press("➡️ 下一步" if zh else "➡️ Next")
    await deputy.receives(containing="请核对您的建议" if zh else "Please check your suggestion")
    await deputy.press("✅ 提交" if zh else "✅ File")
    filed = await deputy.receives(
        containing=title, where=lambda m: NUMBER.search(m["text"] or "") is not None
    )
    found = NUMBER.search(filed["text"])
    assert found is not None, filed["text"]
    return found.group(0)


async def suggestion(runtime: Runtime, number: str) -> Suggestion:
    async with runtime.services.uow() as uow:
        found = await uow.suggestions.by_number(number)
    assert found is not None
    return found


async def open_suggestion(page: Page, number: str) -> None:
    await page.get_by_test_id("nav-suggestions").click()
    await page.get_by_role("link", name=number).click()
    await expect(page.get_by_test_id("suggestion-number")).to_have_text(number)


async def publish_all(page: Page, numbers: list[str]) -> None:
    """The list's Publish button, the confirmation page, then Publish."""
    await page.get_by_test_id("nav-suggestions").click()
    await page.get_by_test_id("publish-link").click()
    rows = page.get_by_test_id("publish-row")
    await expect(rows).to_have_count(len(numbers))
    assert sorted(await rows.evaluate_all("rs => rs.map(r => r.dataset.number)")) == sorted(numbers)
    await page.get_by_test_id("publish-submit").click()


async def test_file_return_prepare_and_publish_in_chinese(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, tmp_path: Path
) -> None:
    staff, d1, d2 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 202, "Deputy Wu", "en"),
    )
    lead, co = user(sandbox, 501, "王科长"), user(sandbox, 502, "Officer Li", "en")
    await started(staff, d1, lead)
    await started(d2, co, lang="en")
    shelter = await file_in_chat(d1, "关于建设丙村候车亭的建议", "丙村公交站没有候车亭，建议修建。")
    bus = await file_in_chat(d2, "More buses to V2", "One bus a day is not enough.", lang="en")
    page = office.page
    await log_in(page, staff)

    await page.get_by_test_id("nav-suggestions").click()
    await expect(page.get_by_role("heading", name="代表建议")).to_be_visible()
    await expect(page.get_by_test_id("count-filed")).to_contain_text("2")
    await expect(page.get_by_test_id("suggestion-row")).to_have_count(2)

    # Return one, with the reason the filer is told.
    await open_suggestion(page, bus)
    await page.get_by_test_id("return-reason").fill("请补充调研材料")
    await page.get_by_test_id("return-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("建议已退回提出代表")
    await expect(page.get_by_test_id("state")).to_have_text("已退回提出代表")
    await expect(page.get_by_test_id("ledger-step").last).to_contain_text("请补充调研材料")
    told = await d2.receives(containing="was returned by the congress office")
    assert "请补充调研材料" in told["text"]

    # Prepare the other: the 归口 table proposes 交通局 to lead and 公路局 to co-handle.
    await open_suggestion(page, shelter)
    lead_choice = page.get_by_test_id("prepare-lead")
    await expect(lead_choice.locator("option:checked")).to_have_text("U1 · 交通局")
    await expect(page.get_by_test_id("co-U2")).to_be_checked()
    await expect(page.get_by_test_id("co-U3")).not_to_be_checked()
    # Refused with its reason: the lead ticked as a co-unit too; the form keeps the choice.
    await page.get_by_test_id("co-U1").check()
    await page.get_by_test_id("prepare-submit").click()
    await expect(page.get_by_test_id("error")).to_contain_text("不要同时勾选为协办单位")
    await expect(page.get_by_test_id("co-U1")).to_be_checked()
    await page.get_by_test_id("co-U1").uncheck()
    await page.get_by_test_id("prepare-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("交办已拟定")
    await expect(page.get_by_test_id("state")).to_have_text("交办已拟定，待交办会")
    await expect(page.get_by_test_id("lead-unit")).to_have_text("交通局")
    await d1.receives(containing="将在下次交办会上发出")

    await publish_all(page, [shelter])
    await expect(page.get_by_test_id("flash")).to_contain_text("1 件建议已在交办会上交办")
    await expect(page.get_by_test_id("count-assigned")).to_contain_text("1")
    card = await lead.receives(containing=shelter)
    assert "新交办任务" in card["text"] and "丙村公交站没有候车亭" in card["text"]
    assert [b["text"] for row in card["reply_markup"]["inline_keyboard"] for b in row] == [
        "✍️ 签收",  # 办理 starts with signing for it; more time is asked once it is being handled
        "🙅 非本单位职责",
    ]
    await co.receives(containing="your unit co-handles it")
    row = await suggestion(stack.runtime, shelter)
    assert row.state == "assigned" and row.due_on is not None

    # The list as a file.
    await page.get_by_test_id("nav-suggestions").click()
    async with page.expect_download() as download:
        await page.get_by_test_id("export-xlsx").click()
    saved = tmp_path / "suggestions.xlsx"
    await (await download.value).save_as(saved)
    sheet = load_workbook(saved).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "建议编号" and sorted(r[0] for r in values[1:]) == sorted([shelter, bus])


async def test_prepare_and_publish_in_english(sandbox: Sandbox, stack: ConsoleStack, office: Watched) -> None:
    staff, d2 = user(sandbox, STAFF_ID, "办公室小张"), user(sandbox, 202, "Deputy Wu", "en")
    lead, co = user(sandbox, 501, "王科长"), user(sandbox, 502, "Officer Li", "en")
    await started(staff, lead)
    await started(d2, co, lang="en")
    number = await file_in_chat(d2, "Bus shelter at V1", "Villagers wait in the rain.", lang="en")
    page = office.page
    await log_in(page, staff)
    await page.get_by_test_id("lang-en").click()
    await expect(page.get_by_test_id("nav-suggestions")).to_have_text("Suggestions")
    await open_suggestion(page, number)
    await expect(page.get_by_test_id("state")).to_have_text("Filed, awaiting review")

    # A term over three months without its reason is refused, with the reason said.
    await page.get_by_test_id("prepare-months").select_option("5")
    await page.get_by_test_id("prepare-submit").click()
    await expect(page.get_by_test_id("error")).to_have_text("A term over three months needs a reason.")
    await expect(page.get_by_test_id("prepare-months")).to_have_value("5")
    await page.get_by_test_id("prepare-reason").fill("Two departments must agree on the site")
    await page.get_by_test_id("prepare-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("The assignment is prepared")
    await expect(page.get_by_test_id("term")).to_contain_text("5")
    await d2.receives(containing="is prepared for assignment to 交通局")

    await publish_all(page, [number])
    await expect(page.get_by_test_id("flash")).to_contain_text("1 suggestion(s) were published at the 交办会")
    await expect(page.get_by_test_id("suggestion-row")).to_have_attribute("data-state", "assigned")
    card = await lead.receives(containing=number)
    assert "新交办任务" in card["text"] and "Bus shelter at V1" in card["text"]
    co_card = await co.receives(containing=number)
    assert "your unit co-handles it" in co_card["text"]
    await d2.receives(containing="is assigned to 交通局")
    row = await suggestion(stack.runtime, number)
    assert (row.state, row.term_months, row.term_reason) == (
        "assigned",
        5,
        "Two departments must agree on the site",
    )
    # The ledger on the page shows the chain, each step by whom.
    await page.get_by_role("link", name=number).click()
    steps = page.get_by_test_id("ledger-step")
    assert await steps.evaluate_all("ss => ss.map(s => s.dataset.action)") == [
        "create",
        "file",
        "prepare",
        "publish",
    ]
    await expect(steps.last).to_contain_text("congress office: 办公室小张")
