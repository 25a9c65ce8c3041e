"""The demo serves the staff console on its own port, and `/console` hands out links to it."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp

from bot.runtime.clock import ManualClock
from bot.runtime.demo import DEMO_STAFF, Demo
from tests.kit import SandboxUser, assert_no_violations, runtime_probe, watching

LINK = re.compile(r"(http://127\.0\.0\.1:(\d+)/console/login/[A-Za-z0-9_-]+)")


def daytime() -> ManualClock:
    """10:00 in Shanghai today: outside quiet hours."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


async def test_the_console_link_of_the_demo_opens_the_console(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    async with Demo(port=0, database=database, clock=daytime()) as demo:
        assert demo.sandbox is not None
        with watching(demo.sandbox, runtime_probe(demo.runtime)):
            staff = SandboxUser(demo.sandbox, DEMO_STAFF.id)
            await staff.command("console")
            reply = await staff.receives(containing="/console/login/")
            found = LINK.search(reply["text"])
            assert found is not None, reply["text"]
            link, port = found.group(1), int(found.group(2))
            assert link.startswith(f"{demo.console_url}/console/login/")
            assert port != 8081  # the old, unserved default
            async with aiohttp.ClientSession() as http:
                async with http.get(link, allow_redirects=False) as page:
                    assert page.status == 200
                    html = await page.text()
                assert 'method="post"' in html.lower() and DEMO_STAFF.name in html  # the sign-in button
                async with http.get(demo.console_url, allow_redirects=False) as root:
                    assert root.status == 302 and root.headers["Location"] == "/console/"
                # The public Open311 reads are served beside it, as on the bot's web server.
                async with http.get(f"{demo.console_url}/open311/v2/services.json") as services:
                    assert services.status == 200
                    codes = {service["service_code"] for service in await services.json()}
                assert "urban_construction" in codes
                # The web chat links staff to the console.
                async with http.get(demo.url) as chat:
                    chat_page = await chat.text()
                assert f'href="{demo.console_url}/console/"' in chat_page
                assert 'data-testid="console-link"' in chat_page
        assert_no_violations(demo.sandbox)
