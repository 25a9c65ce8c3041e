"""Screenshots of the demo page for the README: `python scripts/screenshots.py [--out docs]`.

Starts the offline demo (sandbox, bot, web chat) on a fresh database in a temporary folder, plays a
constituent filing an opinion, and photographs the page with Playwright on Chromium at 1280 px and
390 px wide: docs/demo-1280.png (the deputy's task card) and docs/demo-390.png (the constituent's
chat). Chromium is the system's (/usr/bin/chromium, or LIAISON_CHROMIUM); nothing is downloaded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.async_api import Page, async_playwright, expect

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.runtime.clock import DemoClock  # noqa: E402
from bot.runtime.demo import Demo  # noqa: E402

CHROMIUM = os.environ.get("LIAISON_CHROMIUM", "/usr/bin/chromium")
CONSTITUENT = 2000001  # 赵金光 in the example network
DEPUTY = 1000003  # 陶芳荣, the deputy linked to them
OPINION = "村口的路灯坏了三个月，晚上很危险"
TRACKING = re.compile(r"LX-\d{4}-\d{6}")


def morning_clock() -> DemoClock:
    """10:00 in Shanghai today: outside quiet hours, so every notice goes out at once."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return DemoClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


async def pick(page: Page, user_id: int) -> None:
    await page.get_by_test_id(f"person-{user_id}").click()
    await expect(page.get_by_test_id("composer")).to_be_visible()


async def file_opinion(page: Page) -> str:
    """The constituent writes and submits; returns the tracking number."""
    await pick(page, CONSTITUENT)
    await page.get_by_test_id("message-input").fill(OPINION)
    await page.get_by_test_id("send").click()
    bots = page.locator("[data-testid='message'][data-sender='bot']")
    await expect(bots.filter(has_text=OPINION).last).to_be_visible()
    await page.get_by_test_id("inline-button").filter(has_text="提交").last.click()
    done = bots.filter(has_text=TRACKING).last
    category = bots.filter(has_text="类别").get_by_test_id("inline-button").filter(has_text="城乡建设")
    await expect(done.or_(category.last)).to_be_visible()
    if not await done.count():  # this version asks for a category before filing
        await category.last.click()
    await expect(done).to_be_visible()
    found = TRACKING.search(await done.inner_text())
    return found.group(0) if found else ""


async def shoot(out: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as folder:
        demo = Demo(port=0, database=f"sqlite+aiosqlite:///{Path(folder) / 'demo.db'}", clock=morning_clock())
        url = await demo.start()
        try:
            async with async_playwright() as pw:
                browser = await pw.chromium.launch(
                    executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"]
                )
                wide = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
                wide.set_default_timeout(15_000)
                await wide.goto(url)
                tracking = await file_opinion(wide)
                await pick(wide, DEPUTY)
                card = wide.locator("[data-testid='message'][data-sender='bot']").filter(has_text=tracking)
                await expect(card.last).to_be_visible()
                shots = [out / "demo-1280.png", out / "demo-390.png"]
                await wide.screenshot(path=str(shots[0]))
                narrow = await browser.new_page(
                    viewport={"width": 390, "height": 844},
                    device_scale_factor=2,
                    locale="zh-CN",
                    is_mobile=True,
                )
                narrow.set_default_timeout(15_000)
                await narrow.goto(f"{url}/#user={CONSTITUENT}")
                receipt = narrow.locator("[data-testid='message'][data-sender='bot']").filter(
                    has_text=tracking
                )
                await expect(receipt.last).to_be_visible()
                await narrow.screenshot(path=str(shots[1]))
                await browser.close()
        finally:
            await demo.stop()
    return shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs", help="folder for the PNGs (default: docs/)"
    )
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for path in asyncio.run(shoot(args.out)):
        print(path)


if __name__ == "__main__":
    main()
