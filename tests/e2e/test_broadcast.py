"""/broadcast through the sandbox: ~30 recipients each get the notice once; progress, report, refusals."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import re
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from bot.broadcasts import service as broadcasts
from bot.kit.i18n import translator
from bot.network import import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from storage.db import create_engine, create_sessionmaker
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastAck,
    Deputy,
    DeputyLevel,
    DeputyStation,
    OutboxMessage,
    OutboxStatus,
    Person,
)
from tests.e2e.conftest import NETWORK
from tests.kit import SandboxUser, runtime_probe, watching

Make = Callable[..., SandboxUser]
STAFF = 900001
STARTED = (101, 102, 201, 202, 301)  # network people who opened the bot; 203 never did
EXTRAS = range(400, 423)  # 23 more users with a Telegram account
NOTICE = "<b>会议通知</b>: meeting at 9:00 & bring the docs"


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """The bot with the network imported (/broadcast is in the real wiring)."""
    return network


async def refresh_until_done(runtime: Runtime, within: float = 10.0) -> None:
    """What the periodic sweep does: refresh the progress until the broadcast is done."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        async with runtime.services.uow() as uow:
            await broadcasts.refresh_progress(uow, runtime.services.settings)
            await uow.commit()
            open_ = await uow.session.scalar(
                select(func.count()).select_from(Broadcast).where(Broadcast.status == "sending")
            )
        runtime.services.outbox_wakeup.set()
        if not open_:
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the broadcast did not finish")


async def status_of(runtime: Runtime, broadcast_id: int) -> str | None:
    async with runtime.services.uow() as uow:
        found = await uow.session.get(Broadcast, broadcast_id)
        return found.status if found else None


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_everyone_gets_it_once_and_the_report_counts_blocked(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    staff = people(STAFF, "Office", "en")
    await staff.start()
    users = [people(i, f"User {i}") for i in (*STARTED, *EXTRAS)]
    never_started = people(203, "李秀英")
    for user in users:
        await user.start()
    for user in users:
        await user.receives()  # the welcome
    await staff.receives()

    await staff.command("broadcast")
    await staff.receives(containing="Send the text of the notice")
    await staff.send(NOTICE)
    await staff.receives(containing="Who should receive this notice?")
    await staff.press("Everyone with a Telegram account")
    preview = await staff.receives(containing=NOTICE)  # escaped: shown as typed
    # The only formatting is the official head's office name; the notice's own tags are text.
    assert [e["type"] for e in preview["entities"]] == ["bold"]
    assert preview["text"].startswith("📢 Notice from People’s Congress Standing Committee · ")
    # 5 network people + 23 extras + the staff member + 203 (imported with a Telegram id).
    await staff.receives(containing="Recipients: 30")
    with sandbox.expect_error(code=403, count=1):  # 203 never opened the bot: a report entry
        await staff.press("Confirm and send")
        await staff.receives(containing="Notice #1: sending")
        for user in users:
            await user.receives(containing=NOTICE)
        await refresh_until_done(bot)
    report = await staff.receives(containing="Report on notice #1 (Everyone with a Telegram account)")
    assert "Sent: 29" in report["text"]
    assert "Blocked (never started the bot, or blocked it): 1" in report["text"]
    assert "Failed: 0" in report["text"]
    await staff.receives(containing="▓▓▓▓▓▓▓▓▓▓ 30 / 30 · 1 failed")

    for user in [*users, staff]:
        got = [m for m in user.transcript() if m["sender"] == "bot" and NOTICE in (m["text"] or "")]
        assert len(got) == (2 if user is staff else 1), user.id  # the staff also saw the preview
    assert not [m for m in never_started.transcript() if m["sender"] == "bot"]
    async with bot.services.uow() as uow:
        rows = await uow.session.execute(
            select(OutboxMessage.status, func.count())
            .where(OutboxMessage.broadcast_id == 1)
            .group_by(OutboxMessage.status)
        )
        assert dict(rows.all()) == {OutboxStatus.SENT: 29, OutboxStatus.BLOCKED: 1}
        done = await uow.session.get(Broadcast, 1)
        assert done is not None and (done.status, done.sent, done.blocked) == ("done", 29, 1)
    created = await audit(bot, "broadcast.created")
    assert len(created) == 1 and created[0].detail == {"audience": "all", "total": 30}


async def test_photo_to_a_level_and_a_station(bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "办公室")
    await staff.start()
    await staff.receives()
    township = [people(i, f"Deputy {i}") for i in (202, 203)]
    constituent = people(301, "周小梅")
    for user in (*township, constituent):
        await user.start()
        await user.receives()

    await staff.command("broadcast")
    await staff.receives(containing="请发送通知内容")
    await staff.send_photo("Photo notice")
    await staff.receives(containing="这条通知发给谁")
    await staff.press("按级别选择代表…")
    await staff.receives(containing="发给哪一级的代表")
    await staff.press("乡镇级")
    await staff.receives(containing="Photo notice")  # the preview
    await staff.receives(containing="收件人：2")
    await staff.press("确认发送")
    for user in township:
        got = await user.receives(containing="Photo notice")
        assert got["message"].get("photo")
    await refresh_until_done(bot)
    await staff.receives(containing="已发送：2")

    await staff.command("broadcast")
    await staff.receives(containing="请发送通知内容")
    await staff.send("Station notice")
    await staff.receives(containing="这条通知发给谁")
    await staff.press("某联络站的群众…")
    await staff.receives(containing="请输入联络站编号")
    await staff.send("nowhere")
    await staff.receives(containing="没有这个编号的联络站")
    await staff.send("t1")  # the township's villages included
    await staff.receives(containing="收件人：1")
    await staff.press("确认发送")
    await constituent.receives(containing="Station notice")
    await refresh_until_done(bot)
    await staff.receives(containing="已发送：1")
    for user in township:
        await user.receives_nothing()


async def test_cancel_button_while_sending(bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "Office", "en")
    await staff.start()
    await staff.receives()
    async with bot.services.uow() as uow:
        person = await uow.people.by_telegram_id(STAFF)
        assert person is not None
        made = await broadcasts.create(
            uow,
            person=person,
            chat_id=STAFF,
            text="never sent",
            photo=None,
            audience=broadcasts.Audience(broadcasts.DEPUTIES),
        )
        await broadcasts.announce(uow, made, translator("en"))
        # Hold the notice's rows back, as if the queue were long (the test clock runs ahead by hours).
        await uow.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == made.id)
            .values(not_before=datetime.now(UTC) + timedelta(days=2))
        )
        await uow.commit()
    bot.services.outbox_wakeup.set()
    await staff.receives(containing="Notice #1: sending…\n░░░░░░░░░░ 0 / 5")
    answer = await (await staff.press("Cancel the notice")).answer()
    assert answer["text"] == "The notice was cancelled."
    report = await staff.receives(containing="Report on notice #1 (All deputies)")
    assert "Sent: 0" in report["text"] and "Cancelled before sending: 5" in report["text"]
    answer = await (await staff.press(data=f"bc:x:{made.id}", forge=True)).answer()
    assert answer["text"] == "This notice is no longer being sent."
    async with bot.services.uow() as uow:
        counts = await broadcasts.progress(uow, made.id)
    assert (counts.total, counts.cancelled, counts.pending) == (5, 5, 0)
    assert len(await audit(bot, "broadcast.cancelled")) == 1


async def test_non_staff_refused_and_forged_buttons_refused(bot: Runtime, people: Make) -> None:
    deputy = people(201, "孙建国")
    await deputy.start()
    await deputy.receives()
    await deputy.command("broadcast")
    await deputy.receives(containing="抱歉，只有人大工作人员可以发送通知")
    await deputy.receives_nothing()
    answer = await (await deputy.press(data="bc:ok", forge=True)).answer()
    assert answer["show_alert"] and "仅供人大工作人员" in answer["text"]
    answer = await (await deputy.press(data="bc:x:1", forge=True)).answer()
    assert answer["show_alert"]
    refused = await audit(bot, "broadcast.refused")
    assert [(r.allowed, r.actor_telegram_id, r.detail["stage"]) for r in refused] == [
        (False, 201, "command"),
        (False, 201, "button:ok"),
        (False, 201, "button:x"),
    ]
    async with bot.services.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(Broadcast)) == 0


def buttons(message: dict[str, object]) -> list[str]:
    markup = message.get("reply_markup") or {}
    assert isinstance(markup, dict)
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


async def test_document_to_a_group_a_committee_and_a_station_s_deputies(bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "Office", "en")
    await staff.start()
    await staff.receives()
    d1, d2, d3 = (people(i, f"Deputy {i}") for i in (201, 202, 203))
    for user in (d1, d2, d3):
        await user.start()
        await user.receives()

    await staff.command("broadcast")
    await staff.receives(containing="or a photo or document with a caption")
    await staff.send_document(b"%PDF-1.4 agenda", "agenda.pdf", caption="Agenda <attached>")
    await staff.receives(containing="Who should receive this notice?")
    await staff.press("A deputy group…")
    listing = await staff.receives(containing="Which deputy group?")
    assert buttons(listing) == ["农业代表小组", "« Back"]
    await staff.press("农业代表小组")
    preview = await staff.receives(containing="Agenda <attached>")
    assert preview["kind"] == "document"
    await staff.receives(containing="Audience: Deputy group 农业代表小组. Recipients: 2")
    await staff.press("Confirm and send")
    for user in (d1, d2):
        got = await user.receives(containing="Agenda <attached>")
        assert got["kind"] == "document" and got["message"]["document"]["file_name"] == "agenda.pdf"
    await refresh_until_done(bot)
    await staff.receives(containing="Report on notice #1 (Deputy group 农业代表小组)")

    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send("Traffic committee notice")
    await staff.receives(containing="Who should receive")
    await staff.press("Deputies of a special committee…")
    listing = await staff.receives(containing="which special committee?")
    assert buttons(listing) == ["农业农村委员会", "交通委员会", "« Back"]
    await staff.press("« Back")  # back to the menu, then in again
    await staff.receives(containing="Who should receive")
    await staff.press("Deputies of a special committee…")
    await staff.receives(containing="which special committee?")
    await staff.press("交通委员会")
    await staff.receives(containing="Traffic committee notice")
    await staff.receives(containing="Audience: Deputies in contact with 交通委员会. Recipients: 1")
    await staff.press("Confirm and send")
    await d2.receives(containing="Traffic committee notice")
    await refresh_until_done(bot)
    await staff.receives(containing="Report on notice #2")

    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send("Township notice")
    await staff.receives(containing="Who should receive")
    await staff.press("Deputies of a station…")
    await staff.receives(containing="Type the code of the station")
    await staff.send("NOPE")
    await staff.receives(containing="There is no station with this code")
    await staff.send("t1")  # the township and its villages
    await staff.receives(containing="Township notice")
    await staff.receives(containing="Deputies of 乙镇人大代表工作站 and its stations below. Recipients: 3")
    await staff.press("Confirm and send")
    for user in (d1, d2, d3):
        await user.receives(containing="Township notice")
    await refresh_until_done(bot)
    await staff.receives(containing="Report on notice #3")
    for user in (d1, d2, d3):
        await user.receives_nothing()
    created = [(e.detail["audience"], e.detail["total"]) for e in await audit(bot, "broadcast.created")]
    assert created == [("group:g1", 2), ("scom:TRAF", 1), ("sdep:T1", 3)]
    forged = await (await staff.press(data="bc:a:group:999", forge=True)).answer()
    assert forged["text"] == "This draft is no longer available."


async def test_schedule_by_preset_and_typed_time_cancel_and_start(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    staff = people(STAFF, "Office", "en")
    await staff.start()
    await staff.receives()
    d1, d2 = people(201, "Deputy 201"), people(202, "Deputy 202")
    for user in (d1, d2):
        await user.start()
        await user.receives()
    zone = ZoneInfo("Asia/Shanghai")
    tomorrow = (clock.now().astimezone(zone) + timedelta(days=1)).date()

    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send("Meeting at 9")
    await staff.receives(containing="Who should receive")
    await staff.press("A deputy group…")
    await staff.receives(containing="Which deputy group?")
    await staff.press("农业代表小组")
    await staff.receives(containing="Meeting at 9")
    prompt = await staff.receives(containing="Recipients: 2")
    assert buttons(prompt) == [  # no paid tier: off
        "Confirm and send",
        "Schedule for later…",
        "☐ Ask recipients to confirm receipt",
        "Cancel",
    ]
    await staff.press("Schedule for later…")
    presets = await staff.receives(containing="Recipients: 2")  # the same message, other buttons
    # The test clock stands at 10:00 in Shanghai: tonight 20:00 is still ahead.
    assert buttons(presets) == [
        "In 1 hour",
        "Tonight 20:00",
        "Tomorrow 08:30",
        "Type a date and time…",
        "« Back",
    ]
    await staff.press("Tomorrow 08:30")
    await staff.receives(
        containing=f"Notice #1 is scheduled for {tomorrow:%Y-%m-%d} 08:30 (Asia/Shanghai time). "
        "Audience: Deputy group 农业代表小组; 2 recipients now"
    )

    await staff.command("broadcast")
    listed = await staff.receives(containing="Scheduled notices:")
    assert f"#1 · {tomorrow:%Y-%m-%d} 08:30 · Deputy group 农业代表小组" in listed["text"]
    assert buttons(listed) == ["Cancel #1"]
    await staff.receives(containing="Send the text")
    await staff.send("Second notice")
    await staff.receives(containing="Who should receive")
    await staff.press("All deputies")
    await staff.receives(containing="Second notice")
    await staff.receives(containing="Recipients: 5")
    await staff.press("Schedule for later…")
    await staff.receives(containing="Recipients: 5")
    await staff.press("Type a date and time…")
    await staff.receives(containing="as YYYY-MM-DD HH:MM in Asia/Shanghai time")
    await staff.send("tomorrow morning")
    await staff.receives(containing="Please type the date and time as YYYY-MM-DD HH:MM")
    await staff.send("2001-01-01 08:00")
    await staff.receives(containing="That time has already passed")
    await staff.send(f"{tomorrow + timedelta(days=200):%Y-%m-%d} 08:00")
    await staff.receives(containing="more than 90 days ahead")
    await staff.send(f"{tomorrow + timedelta(days=1):%Y-%m-%d} 09:15")
    scheduled = await staff.receives(containing="Notice #2 is scheduled for")
    assert f"{tomorrow + timedelta(days=1):%Y-%m-%d} 09:15" in scheduled["text"]
    answer = await (await staff.press("Cancel the scheduled notice")).answer()
    assert answer["text"] == "The scheduled notice #2 was cancelled; nothing was sent."
    await staff.receives(containing="The scheduled notice #2 was cancelled")

    # What the periodic job does (it may run too: the assertions hold either way).
    await broadcasts.send_due_broadcasts(bot.services)
    assert await status_of(bot, 1) == "scheduled"  # not yet
    await d1.receives_nothing()
    clock.advance(timedelta(hours=22, minutes=30))  # tomorrow 08:30
    await broadcasts.send_due_broadcasts(bot.services)
    await staff.receives(containing="Notice #1: sending…")
    for user in (d1, d2):
        await user.receives(containing="Meeting at 9")
    await refresh_until_done(bot)
    report = await staff.receives(containing="Report on notice #1 (Deputy group 农业代表小组)")
    assert "Sent: 2" in report["text"]
    clock.advance(timedelta(days=3))
    await broadcasts.send_due_broadcasts(bot.services)  # #2 was cancelled, #1 went once
    assert (await status_of(bot, 1), await status_of(bot, 2)) == ("done", "cancelled")
    for user in (d1, d2):
        await user.receives_nothing()
    answer = await (await staff.press(data="bc:x:2", forge=True)).answer()
    assert answer["text"] == "This notice is no longer being sent."
    assert [e.object_id for e in await audit(bot, "broadcast.scheduled")] == ["1", "2"]
    assert [e.detail for e in await audit(bot, "broadcast.cancelled")] == [{"scheduled": True}]
    assert [e.object_id for e in await audit(bot, "broadcast.started")] == ["1"]


@contextlib.asynccontextmanager
async def running(
    sandbox: Sandbox, db_url: str, clock: ManualClock, broadcast_every: float = 2.0, **overrides: object
) -> AsyncIterator[Runtime]:
    """The bot as the `liaison` fixture builds it, with other settings (and a stop of its own)."""
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids=str(STAFF),
        webhook_url="",
        webhook_secret="",
        **overrides,
    )
    paid = settings.paid_broadcast_rate if settings.allow_paid_broadcast else 0.0
    pacing = Pacing(chat_rate=50, chat_burst=50, paid_rate=paid)
    runtime = Runtime(
        settings,
        clock=clock,
        pacing=pacing,
        poll_timeout=5,
        digest_every=0,
        sweep_every=0,
        broadcast_every=broadcast_every,
    )
    await runtime.start()
    try:
        with watching(sandbox, runtime_probe(runtime)):
            yield runtime
    finally:
        await runtime.stop()


async def compose(runtime: Runtime, staff: SandboxUser, audience: list[SandboxUser], text: str) -> None:
    """The network imported, everyone has opened the bot, and the staff member has written `text`."""
    await import_network(runtime.services.sessionmaker, NETWORK)
    for user in (staff, *audience):
        await user.start()
        await user.receives()
    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send(text)
    await staff.receives(containing="Who should receive")


async def test_a_scheduled_notice_survives_a_restart(
    sandbox: Sandbox, db_url: str, clock: ManualClock, people: Make
) -> None:
    staff = people(STAFF, "Office", "en")
    deputy = people(202, "Deputy Wu")
    people(203, "李秀英")  # has Telegram, never opened the bot
    async with running(sandbox, db_url, clock) as first:
        await import_network(first.services.sessionmaker, NETWORK)
        for user in (staff, deputy):
            await user.start()
            await user.receives()
        await staff.command("broadcast")
        await staff.receives(containing="Send the text")
        await staff.send("After the restart")
        await staff.receives(containing="Who should receive")
        await staff.press("Deputies by level…")
        await staff.receives(containing="Deputies of which level?")
        await staff.press("Township")
        await staff.receives(containing="After the restart")
        await staff.receives(containing="Recipients: 2")
        await staff.press("Schedule for later…")
        await staff.receives(containing="Recipients: 2")
        await staff.press("In 1 hour")
        await staff.receives(containing="Notice #1 is scheduled for")
    clock.advance(timedelta(hours=2))  # its time comes while the bot is down
    with sandbox.expect_error(code=403, count=1):  # 203 never opened the bot
        async with running(sandbox, db_url, clock) as second:
            await broadcasts.send_due_broadcasts(second.services)
            await deputy.receives(containing="After the restart")
            await refresh_until_done(second)
            report = await staff.receives(containing="Report on notice #1 (Township deputies)")
            assert (
                "Sent: 1" in report["text"]
                and "Blocked (never started the bot, or blocked it): 1" in report["text"]
            )
            listing = await staff.receives(containing="Undelivered recipients of notice #1: 1")
            data = sandbox.state.files[listing["message"]["document"]["file_id"]].data
            assert listing["message"]["document"]["file_name"] == "notice-1-undelivered.csv"
            assert data.decode("utf-8-sig").splitlines() == [
                "telegram_id,name,code,status,error",
                "203,李秀英,D3,blocked,Forbidden: bot can't initiate conversation with a user",
            ]
            await broadcasts.send_due_broadcasts(second.services)
            await deputy.receives_nothing()
            started = await _audit_at(db_url, "broadcast.started")
            assert [e.object_id for e in started] == ["1"]  # started once, after the restart


async def test_urgent_paid_tier_when_enabled(
    sandbox: Sandbox, db_url: str, clock: ManualClock, people: Make
) -> None:
    staff = people(STAFF, "Office", "en")
    users = [people(i, f"User {i}") for i in (*STARTED, *EXTRAS)]
    people(203, "李秀英")  # never opened the bot
    async with running(
        sandbox,
        db_url,
        clock,
        allow_paid_broadcast=True,
        paid_broadcast_min_audience=29,
        paid_broadcast_rate=500,
    ) as runtime:
        await compose(runtime, staff, users, "Flood warning")
        await staff.press("All deputies")  # 5: too few for the paid tier
        await staff.receives(containing="Flood warning")
        small = await staff.receives(containing="Recipients: 5")
        assert buttons(small) == [
            "Confirm and send",
            "Schedule for later…",
            "☐ Ask recipients to confirm receipt",
            "Cancel",
        ]
        answer = await (await staff.press(data="bc:paid", forge=True)).answer()
        assert answer["show_alert"] and answer["text"] == "The paid tier is not available here."
        await staff.press("Cancel")
        await staff.receives(containing="The notice was not sent.")

        await staff.command("broadcast")
        await staff.receives(containing="Send the text")
        await staff.send("Flood warning")
        await staff.receives(containing="Who should receive", where=lambda m: not m["edited"])
        await staff.press("Everyone with a Telegram account")
        await staff.receives(containing="Flood warning")
        large = await staff.receives(containing="Recipients: 30")
        assert "☐ Urgent: paid tier, up to 500/s" in buttons(large)
        await staff.press("☐ Urgent: paid tier, up to 500/s")
        ticked = await staff.receives(containing="Recipients: 30")
        assert "☑ Urgent: paid tier, up to 500/s" in buttons(ticked)
        with sandbox.expect_error(code=403, count=1):  # 203 never opened the bot
            await staff.press("Confirm and send")
            await staff.receives(containing="Notice #1: sending… (paid tier)")
            for user in users:
                await user.receives(containing="Flood warning")
            await refresh_until_done(runtime)
        await staff.receives(containing="Report on notice #1")
    calls = [
        c for c in sandbox.calls("sendMessage") if c["params"].get("text", "").endswith("\n\nFlood warning")
    ]
    # The 30 recipients (203's call refused with 403) went on the paid tier; the 2 previews did not.
    paid = [c for c in calls if c["params"].get("allow_paid_broadcast") is True]
    assert sorted(c["params"]["chat_id"] for c in paid) == sorted([u.id for u in users] + [STAFF, 203])
    previews = [c for c in calls if c not in paid]
    assert [c["params"]["chat_id"] for c in previews] == [STAFF, STAFF]
    refused = await _audit_at(db_url, "broadcast.refused")
    assert [r.detail["stage"] for r in refused] == ["button:paid"]
    created = await _audit_at(db_url, "broadcast.created")
    assert created[0].detail == {"audience": "all", "total": 30, "paid": True}


async def _audit_at(db_url: str, action: str) -> list[AuditEntry]:
    engine = create_engine(db_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return list(await session.scalars(select(AuditEntry).where(AuditEntry.action == action)))
    finally:
        await engine.dispose()


async def test_a_confirmed_notice_goes_at_once(
    sandbox: Sandbox, db_url: str, clock: ManualClock, people: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression: a notice's rows are written in bulk, so the inbox never handed them to the sender,
    which found them only at its next periodic read of the table (up to a second after Confirm)."""
    monkeypatch.setattr("bot.runtime.outbox.SCAN_EVERY", 120.0)  # no periodic read, no job rings the bell
    staff = people(STAFF, "Office", "en")
    deputies = [people(tg, f"Deputy {tg}") for tg in (202, 203)]
    async with running(sandbox, db_url, clock, broadcast_every=0) as runtime:
        await compose(runtime, staff, deputies, "Right away")
        await staff.press("Deputies by level…")
        await staff.receives(containing="Deputies of which level?")
        await staff.press("Township")
        await staff.receives(containing="Recipients: 2")
        await staff.press("Confirm and send")
        for deputy in deputies:
            await deputy.receives(containing="Right away")


# ------------------------------------------------------------------ reach: who has no Telegram account


async def add_deputy(
    runtime: Runtime,
    code: str,
    name: str,
    phone: str | None,
    station: str,
    level: DeputyLevel = DeputyLevel.TOWNSHIP,
) -> None:
    """A deputy on the roster without a Telegram account (as most are at first)."""
    async with runtime.services.uow() as uow:
        person = await uow.people.add(Person(name=name, code=code, phone=phone))
        deputy = Deputy(person_id=person.id, level=level, fields=[])
        uow.session.add(deputy)
        await uow.flush()
        found = await uow.network.station_by_code(station)
        assert found is not None
        uow.session.add(DeputyStation(deputy_id=deputy.id, station_id=found.id))
        await uow.commit()


async def test_the_preview_counts_those_without_telegram_and_the_report_lists_them(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    staff = people(STAFF, "Office", "en")
    deputy = people(202, "Deputy Wu")
    people(203, "李秀英")  # has Telegram, never opened the bot
    for user in (staff, deputy):
        await user.start()
        await user.receives()
    await add_deputy(bot, "D8", "王小二", "+8613800000008", "V2")
    await add_deputy(bot, "D9", "=HYPERLINK(1)", None, "V1")
    await add_deputy(bot, "N1", "全国代表", None, "H1", DeputyLevel.NATIONAL)

    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send("Township meeting")
    await staff.receives(containing="Who should receive")
    await staff.press("Deputies by level…")
    await staff.receives(containing="Deputies of which level?")
    await staff.press("National")  # no one of them can be reached: listed at once, no notice
    await staff.receives(containing="Deputies of which level?")  # its buttons taken off
    await staff.receives(containing="No one in “National deputies” has a Telegram account")
    nobody = await staff.receives(containing="Without a Telegram account: 1")
    data = sandbox.state.files[nobody["message"]["document"]["file_id"]].data.decode("utf-8-sig")
    assert data.splitlines()[1:] == ["全国代表,N1,National,甲县人大代表之家,"]
    await staff.press("Deputies by level…")
    await staff.receives(containing="Deputies of which level?")
    await staff.press("Township")
    await staff.receives(containing="Township meeting")
    prompt = await staff.receives(containing="Recipients: 2 (people with a Telegram account)")
    assert "Without a Telegram account yet: 2 of the audience." in prompt["text"]
    with sandbox.expect_error(code=403, count=1):  # 203 never opened the bot
        await staff.press("Confirm and send")
        await deputy.receives(containing="Township meeting")
        await refresh_until_done(bot)
    report = await staff.receives(containing="Report on notice #1 (Township deputies)")
    assert (
        "No Telegram account yet (not sent; listed in the file below, to reach another way): 2"
        in (report["text"])
    )
    await staff.receives(containing="Undelivered recipients of notice #1: 1")
    listing = await staff.receives(containing="Without a Telegram account, not sent notice #1: 2")
    assert listing["message"]["document"]["file_name"] == "notice-1-no-telegram.csv"
    data = sandbox.state.files[listing["message"]["document"]["file_id"]].data.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data))) == [
        ["name", "code", "level", "station", "phone"],
        ["'=HYPERLINK(1)", "D9", "Township", "丙村人大代表联络站", ""],  # a formula defused
        ["王小二", "D8", "Township", "丁村人大代表联络站", "'+8613800000008"],  # the office's roster
    ]


# ------------------------------------------------------------------------- "received" (收到)


async def refresh_now(runtime: Runtime) -> None:
    """The periodic refresh, without waiting out the pace between edits of the progress message."""
    async with runtime.services.uow() as uow:
        await broadcasts.refresh_progress(uow, runtime.services.settings, every=timedelta(0))
        await uow.commit()
    runtime.services.outbox_wakeup.set()


async def test_a_notice_asks_for_received_counts_each_once_and_reminds_once(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    staff = people(STAFF, "Office", "en")
    d1, d2 = people(201, "孙建国"), people(202, "Deputy Wu", "en")
    constituent = people(301, "周小梅")
    for user in (staff, d1, d2, constituent):
        await user.start()
        await user.receives()

    await staff.command("broadcast")
    await staff.receives(containing="Send the text")
    await staff.send("Meeting at 9")
    await staff.receives(containing="Who should receive")
    await staff.press("A deputy group…")
    await staff.receives(containing="Which deputy group?")
    await staff.press("农业代表小组")
    await staff.receives(containing="Meeting at 9")
    await staff.receives(containing="Recipients: 2")
    await staff.press("☐ Ask recipients to confirm receipt")
    ticked = await staff.receives(containing="Recipients: 2")
    assert "☑ Ask recipients to confirm receipt" in buttons(ticked)
    await staff.press("Confirm and send")

    zh = await d1.receives(containing="Meeting at 9")
    assert re.fullmatch(r"📢 人大常委会通知 · \d{4}-\d{2}-\d{2}\n\nMeeting at 9", zh["text"])
    assert buttons(zh) == ["✅ 收到"]
    en = await d2.receives(containing="Meeting at 9")
    assert en["text"].startswith("📢 Notice from People’s Congress Standing Committee · ")
    assert buttons(en) == ["✅ Received"]
    await refresh_until_done(bot)
    await staff.receives(containing="Report on notice #1")
    done = await staff.receives(containing="✅ Received: 0 / 2", where=lambda m: m["edited"])
    assert buttons(done) == ["📋 Who has not confirmed", "🔔 Remind them (once)"]

    answer = await (await d1.press("✅ 收到")).answer()
    assert answer["text"] == "谢谢，已确认收到。" and not answer["show_alert"]
    pressed = await d1.receives(containing="Meeting at 9", where=lambda m: m["edited"])
    assert buttons(pressed)[0].startswith("✅ 已确认收到 · ")
    again = await (await d1.press(data="bc:rcv:1")).answer()  # the relabelled button, pressed again
    assert again["show_alert"] and again["text"] == "您已确认收到这条通知。"
    stranger = await (await constituent.press(data="bc:rcv:1", forge=True)).answer()
    assert stranger["show_alert"] and stranger["text"] == "这条通知不是发给您的。"
    sender = await (await staff.press(data="bc:rcv:1", forge=True)).answer()
    assert sender["text"] == "This notice was not sent to you."
    gone = await (await d1.press(data="bc:rcv:99", forge=True)).answer()
    assert gone["show_alert"]
    await refresh_now(bot)
    await staff.receives(containing="✅ Received: 1 / 2")

    await staff.press("📋 Who has not confirmed")
    silent = await staff.receives(containing="Not yet confirmed, notice #1: 1")
    assert "Deputy Wu (D2)" in silent["text"] and "孙建国" not in silent["text"]
    not_staff = await (await d1.press(data="bc:rem:1", forge=True)).answer()
    assert not_staff["show_alert"]
    reminded = await (await staff.press("🔔 Remind them (once)")).answer()
    assert reminded["text"] == "Reminder sent to 1."
    reminder = await d2.receives(containing="⏰ Reminder: please confirm that you received this notice.")
    assert reminder["message"]["reply_to_message"]["message_id"] == en["message_id"]
    assert buttons(reminder) == ["✅ Received"]
    progress = await staff.receives(containing="reminded once")
    assert buttons(progress) == ["📋 Who has not confirmed"]
    twice = await (await staff.press(data="bc:rem:1", forge=True)).answer()
    assert twice["show_alert"] and twice["text"] == "A reminder was already sent; only one is allowed."
    await (await d2.press("✅ Received")).answer()
    await refresh_now(bot)
    await staff.receives(containing="✅ Received: 2 / 2 · reminded once")
    await d1.receives_nothing()

    async with bot.services.uow() as uow:
        acks = (await uow.session.execute(select(BroadcastAck.telegram_id).order_by(BroadcastAck.id))).all()
    assert [a for (a,) in acks] == [201, 202]
    assert [e.actor_telegram_id for e in await audit(bot, "broadcast.acknowledged")] == [201, 202]
    assert [e.detail for e in await audit(bot, "broadcast.reminded")] == [{"count": 1}]
    refused = [(e.actor_telegram_id, e.detail.get("reason")) for e in await audit(bot, "broadcast.refused")]
    assert refused == [
        (201, "once"),
        (301, "not_permitted"),
        (STAFF, "not_permitted"),
        (201, "stale_state"),
        (201, "not_staff"),
        (STAFF, "once"),
    ]
