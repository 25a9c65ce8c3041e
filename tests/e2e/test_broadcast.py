"""/broadcast through the sandbox: ~30 recipients each get the notice once; progress, report, refusals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from bot import broadcasts
from bot.app import Runtime
from bot.i18n import translator
from bot.sandbox import Sandbox
from handlers.broadcast import register
from storage.models import AuditEntry, Broadcast, OutboxMessage, OutboxStatus
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
STAFF = 900001
STARTED = (101, 102, 201, 202, 301)  # network people who opened the bot; 203 never did
EXTRAS = range(400, 423)  # 23 more users with a Telegram account
NOTICE = "<b>会议通知</b>: meeting at 9:00 & bring the docs"


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    register(network.application)
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
    assert preview["entities"] in (None, [])
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
    await staff.press("某联络站的选民…")
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
