"""The demo's building blocks without a browser: data folder, people of the network, page escaping,
and a demo database kept from one run to the next."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer

from bot.runtime.clock import ManualClock
from bot.runtime.demo import Demo, default_database_url, network_people
from bot.sandbox import Sandbox
from bot.webchat import DemoPerson, create_webchat_app
from tests.kit import SandboxUser, assert_no_violations, runtime_probe, watching


def test_database_lives_in_the_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'liaison' / 'demo.db'}"
    assert (tmp_path / "data" / "liaison").is_dir()


def test_example_network_people_by_role() -> None:
    people = {p.id: p for p in network_people()}
    assert {p.role for p in people.values()} == {"constituent", "deputy", "committee_member", "presidium"}
    assert people[1000001].role == "presidium"  # D0001 is both presidium and committee member
    assert people[1000002].role == "committee_member"
    assert {i for i, p in people.items() if p.role == "deputy"} == {1000003, 1000004, 1000005, 1000006}
    assert {i for i, p in people.items() if p.role == "constituent"} == set(range(2000001, 2000006))
    # Contact link D0038 → C0001…C0005: the demo constituents' opinions go to 陶芳荣 (1000003).
    assert {people[i].deputies for i in range(2000001, 2000006)} == {("陶芳荣",)}
    assert all(p.deputies == () for p in people.values() if p.role != "constituent")


async def test_page_escapes_names_and_refuses_non_json_posts() -> None:
    sandbox = Sandbox()
    sandbox.add_user(42, "<script>x</script>", language_code="zh-hans")
    app = create_webchat_app(sandbox, [DemoPerson(42, "<script>x</script>", "constituent")])
    async with TestClient(TestServer(app)) as client:
        page = await client.get("/")
        html = await page.text()
        assert "<script>x</script>" not in html
        assert "&lt;script&gt;x&lt;/script&gt;" in html
        assert "script-src 'self'" in page.headers["Content-Security-Policy"]
        english = await (await client.get("/?lang=en")).text()
        assert "Constituents" in english
        form_post = await client.post("/api/users/42/send", data={"text": "hi"})
        assert form_post.status == 415
        unknown = await client.post("/api/users/43/send", json={"text": "hi"})
        assert unknown.status == 400
        sent = await client.post("/api/users/42/send", json={"text": "/start"})
        assert (await sent.json())["text"] == "/start"
        feed = await (await client.get("/api/chats/42?since=0")).json()
        assert [e["kind"] for e in feed["events"]] == ["message"]


def next_2am_in_shanghai() -> datetime:
    """Ahead of real time: the bot stamps some rows with the wall clock, so its clock must not lag."""
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    target = local.replace(hour=2, minute=0, second=0, microsecond=0)
    return target if target > local else target + timedelta(days=1)


def clock_at(moment: datetime) -> ManualClock:
    return ManualClock(moment - datetime.now(UTC))


async def test_a_kept_database_carries_over_to_the_next_run(tmp_path: Path) -> None:
    """Run 1 at 02:00 leaves a notice waiting for the morning; run 2 at 10:00 delivers it and hears
    the constituent, as Telegram would (it remembers the opened chat and keeps counting updates)."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    night_time = next_2am_in_shanghai()
    async with Demo(port=0, database=database, clock=clock_at(night_time)) as night:
        assert night.sandbox is not None
        sender, deputy = SandboxUser(night.sandbox, 2000001), SandboxUser(night.sandbox, 1000003)
        await sender.send("村口的路灯坏了")
        await sender.receives(containing="类别：城乡建设（根据内容推测")
        await sender.press("📤 提交")
        done = await sender.receives(containing="已提交，编号")
        assert "已交给陶芳荣代表" in done["text"]  # the answer to Submit itself: at once, even at night
        card = await deputy.receives(containing="村口的路灯坏了")
        await deputy.press("✅ 受理", message_id=card["message_id"])
        await deputy.receives(containing="办理中")
        with watching(night.sandbox, runtime_probe(night.runtime)):
            await sender.receives_nothing()  # "…已受理…" waits for the end of quiet hours
        first_run_updates = night.sandbox.state.next_update_id
        assert_no_violations(night.sandbox)

    async with Demo(port=0, database=database, clock=clock_at(night_time + timedelta(hours=8))) as day:
        assert day.sandbox is not None
        assert day.sandbox.state.next_update_id > first_run_updates
        sandbox = day.sandbox
        deadline = time.monotonic() + 10  # the held notice may go out while the demo starts

        def delivered() -> bool:
            return any("陶芳荣代表已受理您的意见" in (m["text"] or "") for m in sandbox.transcript(2000001))

        while not delivered() and (remaining := deadline - time.monotonic()) > 0:
            await sandbox.wait_for_change(remaining)
        assert delivered()
        sender = SandboxUser(sandbox, 2000001)
        await sender.send("/help")
        await sender.receives()
        assert_no_violations(day.sandbox)
