"""The console's station page in Debian's Chromium: a deputy sends evidence in chat; staff edit the profile
and the "六有" checklist, upload a photo, assign an inspector and record an inspection with a
rectification item; the deputy gets the item in Telegram (the sandbox) and reports it done; staff confirm
it on the page. The photo archive shows both photos — the one sent in chat fetched through the bot — and
the three ledgers sit together. Any script error or CSP violation fails the test.

The bot runs against the sandbox with the e2e network (tests/data/network_e2e.yaml) and serves the
console on its own web server, as `liaison run` does (tests/browser/test_console.py's stack).
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio
from PIL import Image
from playwright.async_api import Browser, expect

from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from tests.e2e.flows import started
from tests.e2e.test_console_e2e import STAFF_ID, ConsoleStack, start_stack
from tests.kit import runtime_probe, watching

from .conftest import daytime_clock
from .test_console import Watched, log_in, open_page, user

pytestmark = pytest.mark.asyncio(loop_scope="session")

REFUSED_FORM = re.compile(r"status of (422|409) ")
ITEM = re.compile(r"整改项 #(\d+)")


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
    watched = await open_page(browser)
    try:
        yield watched
        assert [e for e in watched.unexpected() if not REFUSED_FORM.search(e)] == []
    finally:
        await watched.context.close()


async def test_staff_keep_a_station_and_its_rectification_list(
    sandbox: Sandbox, stack: ConsoleStack, office: Watched, clock: ManualClock, tmp_path: Path
) -> None:
    staff, d1, m1 = (
        user(sandbox, STAFF_ID, "办公室小张"),
        user(sandbox, 201, "孙建国"),
        user(sandbox, 102, "钱志强"),
    )
    await started(staff, d1, m1)
    # The deputy sends evidence of the venue in chat.
    await d1.command("station")
    await d1.receives(containing="丙村人大代表联络站")
    await d1.press("📎 上传佐证")
    await d1.receives(containing="哪一项上传佐证材料")
    await d1.press("有场地")
    await d1.receives(containing="“有场地”的照片或文件")
    await d1.send_photo("接待室外景")
    await d1.receives(containing="已保存（本次 1 个）")
    await d1.press("✅ 完成")
    await d1.receives(containing="已保存佐证材料 1 个")

    page = office.page
    await log_in(page, staff)
    await page.get_by_test_id("nav-stations").click()
    await page.get_by_test_id("stations-q").fill("丙村")
    await page.get_by_test_id("stations-search").click()
    await expect(page.get_by_test_id("station-row")).to_have_count(1)
    await page.get_by_test_id("station-link").click()
    await expect(page.get_by_test_id("station-name")).to_have_text("丙村人大代表联络站")

    # Profile: the map point must be whole; then saved.
    await page.get_by_test_id("address").fill("丙村村委会二楼")
    await page.get_by_test_id("hours-mon").fill("9:00–12:00")
    await page.get_by_test_id("latitude").fill("")
    await page.get_by_test_id("profile-save").click()
    await expect(page.get_by_test_id("error")).to_contain_text("地图位置需同时填写纬度")
    await page.get_by_test_id("latitude").fill("25.81")
    await page.get_by_test_id("address").fill("丙村村委会二楼")
    await page.get_by_test_id("hours-mon").fill("9:00–12:00")
    await page.get_by_test_id("profile-save").click()
    await expect(page.get_by_test_id("flash")).to_have_text("概况已保存。")
    await expect(page.get_by_test_id("address")).to_have_value("丙村村委会二楼")

    # 六有: the venue and the rules are met; a photo of the equipment uploaded.
    await page.get_by_test_id("met-venue").check()
    await page.get_by_test_id("met-rules").check()
    await page.get_by_test_id("note-funds").fill("经费未落实")
    await page.get_by_test_id("standards-save").click()
    await expect(page.get_by_test_id("flash")).to_have_text("“六有”清单已保存。")
    await expect(page.get_by_test_id("met")).to_have_text("2 / 6")
    photo = tmp_path / "设备.png"
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 120, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())
    await page.get_by_test_id("upload-item").select_option("equipment")
    await page.get_by_test_id("upload-file").set_input_files(str(photo))
    await page.get_by_test_id("upload-caption").fill("电脑和投影仪")
    await page.get_by_test_id("upload-submit").click()
    await expect(page.get_by_test_id("flash")).to_have_text("文件已保存。")
    photos = page.get_by_test_id("archive-photo")
    await expect(photos).to_have_count(2)
    for index in range(2):  # both load: the upload from the database, the chat's through the bot's getFile
        await expect(photos.nth(index)).to_have_js_property("complete", True)
        assert await photos.nth(index).evaluate("img => img.naturalWidth") > 0
    await expect(page.get_by_test_id("standard").filter(has_text="有场地")).to_contain_text("照片")

    # An inspector, then an inspection with one rectification item for 孙建国.
    await page.get_by_test_id("inspector-person").select_option(label="钱志强 · M1")
    await page.get_by_test_id("inspector-add").click()
    await expect(page.get_by_test_id("inspector")).to_have_count(1)
    await page.get_by_test_id("inspection-inspector").select_option(label="钱志强")
    await page.get_by_test_id("kind-spot_check").check()
    await page.get_by_test_id("kind-files").check()
    await page.get_by_test_id("inspection-findings").fill("民情日记缺两个月")
    today = clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
    await page.get_by_test_id("item-text-1").fill("补齐民情日记")
    await page.get_by_test_id("item-due-1").fill((today + timedelta(days=7)).isoformat())
    await page.get_by_test_id("item-who-1").select_option(label="孙建国")
    await page.get_by_test_id("inspection-submit").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("检查已记录")
    await expect(page.get_by_test_id("inspection")).to_have_count(1)
    item = page.get_by_test_id("item")
    await expect(item).to_have_attribute("data-state", "open")

    # The deputy hears of it in Telegram and reports it done.
    card = await d1.receives(containing="站点检查给您留下一项整改任务")
    found = ITEM.search(card["text"])
    assert found is not None and "补齐民情日记" in card["text"]
    await d1.press(f"✅ #{found.group(1)} 已整改")
    await d1.receives(containing="请发送整改情况说明")
    await d1.send("已补齐")
    await d1.receives(containing="已报告整改完成")
    await m1.receives(containing="一项整改已报告完成")

    # Staff confirm it on the page: three ledgers together, the item's history, no button left.
    await page.reload()
    await expect(item).to_have_attribute("data-state", "reported")
    await page.get_by_test_id("item-confirm").click()
    await expect(page.get_by_test_id("flash")).to_contain_text("整改项已更新")
    await expect(item).to_have_attribute("data-state", "confirmed")
    await expect(page.get_by_test_id("item-state")).to_have_text("已确认完成")
    await expect(item).to_contain_text("已补齐")
    await expect(page.get_by_test_id("item-confirm")).to_have_count(0)
    await d1.receives(containing="此整改项已确认完成")
    await expect(page.get_by_test_id("archive-file")).to_have_count(2)
