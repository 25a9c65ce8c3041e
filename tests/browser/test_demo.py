"""The demo's building blocks without a browser: data folder, people of the network, page escaping,
and a demo database kept from one run to the next; and, in a real browser, a demo restarted on its
database showing every chat as it was, with a deputy's old task card whose buttons still work."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from aiohttp.test_utils import TestClient, TestServer
from playwright.async_api import Browser, expect

from bot.runtime.clock import ManualClock
from bot.runtime.demo import Demo, default_database_url, network_people
from bot.sandbox import Sandbox
from bot.webchat import DemoPerson, create_webchat_app
from tests.kit import SandboxUser, assert_no_violations, runtime_probe, wait_idle, watching

from .conftest import ChatPage, daytime_clock


def test_database_lives_in_the_user_data_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_database_url() == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'liaison' / 'demo.db'}"
    assert (tmp_path / "data" / "liaison").is_dir()


def test_example_network_people_by_role() -> None:
    people = {p.id: p for p in network_people()}
    assert {p.role for p in people.values()} == {
        "constituent",
        "deputy",
        "unit_officer",
        "special_committee",
        "committee_member",
        "presidium",
    }
    assert people[1000001].role == "presidium"  # D0001 is both presidium and committee member
    # A seat on a special committee outranks the standing committee: D0008 sits on LAW, D0011 on TRANS.
    assert people[1000002].role == "special_committee" and people[1000002].affiliation == "监察和司法委员会"
    assert people[1000007].role == "special_committee" and people[1000007].affiliation == "交通运输工作委员会"
    assert people[1000008].role == "committee_member"  # D0035 sits on no special committee
    assert {(p.id, p.affiliation) for p in people.values() if p.role == "unit_officer"} == {
        (4000001, "州交通运输局"),
        (4000002, "州住房和城乡建设局"),
    }
    assert {i for i, p in people.items() if p.role == "deputy"} == {1000003, 1000004, 1000005, 1000006}
    assert {i for i, p in people.items() if p.role == "constituent"} == set(range(2000001, 2000006))
    # Contact link D0038 → C0001…C0005: the demo constituents' opinions go to 陶芳荣 (1000003).
    assert {people[i].deputies for i in range(2000001, 2000006)} == {("陶芳荣",)}
    assert all(p.deputies == () for p in people.values() if p.role != "constituent")
    assert all(p.affiliation == "" for p in people.values() if p.role in ("constituent", "deputy"))


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
        # Update ids continue (the officials' chats are open already: no new /start at this start).
        assert day.sandbox.state.next_update_id >= first_run_updates
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


CONSTITUENT = 2000001  # 赵金光 (C0001)
DEPUTY = 1000003  # 陶芳荣 (D0038), linked to the demo constituents: their opinions come to her
OPINION = "桥头的护栏断了，孩子上学很危险"
TRACKING = re.compile(r"LX-\d{4}-\d{6}")


async def file_opinion(chat: ChatPage, demo: Demo) -> str:
    """As the constituent, in the page: write, Submit (one tap files it); the tracking number."""
    assert demo.sandbox is not None
    sandbox = demo.sandbox
    await chat.pick(CONSTITUENT)
    await chat.send(OPINION)
    await chat.expect_bot(OPINION)  # the draft card
    await chat.press("📤 提交")
    deadline = time.monotonic() + 15
    while (remaining := deadline - time.monotonic()) > 0:
        await wait_idle(sandbox)
        card = [m for m in sandbox.transcript(DEPUTY) if OPINION in (m["text"] or "")]
        if card:
            found = TRACKING.search(card[-1]["text"])
            assert found is not None, card[-1]["text"]
            return found.group(0)
        await sandbox.wait_for_change(min(remaining, 0.5))
    raise AssertionError(f"no task card reached the deputy: {sandbox.transcript(DEPUTY)[-3:]}")


async def shown_texts(chat: ChatPage) -> list[str]:
    """What the page shows of the current chat, bubble by bubble."""
    return [" ".join(t.split()) for t in await chat.messages.all_inner_texts()]


@pytest.mark.asyncio(loop_scope="session")
async def test_a_restarted_demo_shows_every_chat_and_old_buttons_work(
    browser: Browser, tmp_path: Path
) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    context = await browser.new_context(locale="zh-CN", viewport={"width": 1180, "height": 820})
    page = await context.new_page()
    page.set_default_timeout(10_000)
    chat = ChatPage(page)
    page.on("pageerror", lambda exc: chat.console_errors.append(f"page error: {exc}"))

    async with Demo(port=0, database=database, clock=daytime_clock()) as first:
        assert first.sandbox is not None
        with watching(first.sandbox, runtime_probe(first.runtime)):
            await chat.open(first.url)
            tracking = await file_opinion(chat, first)
            await wait_idle(first.sandbox)
            constituent_before = await shown_texts(chat)
            await chat.pick(DEPUTY)
            card = await chat.expect_bot(tracking)
            await expect(card).to_contain_text("等待受理")
            deputy_before = await shown_texts(chat)
            deputy_transcript = first.sandbox.transcript(DEPUTY)
            updates_before = first.sandbox.state.next_update_id
        assert_no_violations(first.sandbox)

    async with Demo(port=0, database=database, clock=daytime_clock()) as second:
        assert second.sandbox is not None
        sandbox = second.sandbox
        with watching(sandbox, runtime_probe(second.runtime)):
            await wait_idle(sandbox)
            # Telegram's side came back as it was: same messages, ids counting on, nothing handled twice.
            assert sandbox.transcript(DEPUTY) == deputy_transcript
            assert sandbox.state.next_update_id >= updates_before
            await chat.open(second.url)
            await chat.pick(CONSTITUENT)
            await expect(chat.user_messages.filter(has_text=OPINION)).to_have_count(1)
            assert await shown_texts(chat) == constituent_before
            await chat.pick(DEPUTY)
            card = chat.bot_messages.filter(has_text=tracking)
            await expect(card).to_have_count(1)  # the old card, not a second one
            assert await shown_texts(chat) == deputy_before
            message_id = await card.get_attribute("data-message-id")

            # The old card's button works: the card is edited in place, the constituent is told.
            await card.get_by_test_id("inline-button").filter(has_text="✅ 受理").click()
            edited = page.locator(f"[data-testid='message'][data-message-id='{message_id}']")
            await expect(edited).to_contain_text("办理中")
            await expect(edited.get_by_test_id("inline-button").filter(has_text="💬 答复")).to_have_count(1)
            await expect(page.get_by_test_id("toast-text")).to_contain_text("已受理")
            await chat.pick(CONSTITUENT)
            await chat.expect_bot(f"陶芳荣代表已受理您的意见 {tracking}")
            new_ids = [m["message_id"] for m in sandbox.transcript(DEPUTY)]
            assert len(new_ids) == len(set(new_ids))  # no message id handed out twice
        assert_no_violations(sandbox)
    assert chat.console_errors == []
    await context.close()
