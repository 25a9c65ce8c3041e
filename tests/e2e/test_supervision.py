"""Supervision in chat end to end: /queue and the picker, /overdue with Remind and Reassign, refusals, digest.

The network (tests/data/network_e2e.yaml): V1 has D1 (孙建国, agriculture, linked to C1) and D2
(Deputy Wu); V2 has D3 (李秀英); M1 (Qian) contacts D1-D3. User 900001 is admin and staff. The clock
starts at 10:00 Shanghai; accept within 24 h, yellow under 4.8 h left, red after the deadline.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.opinions.digest import DIGEST_ACTION, digest_due, send_digests
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from storage.models import AuditEntry, Deputy, Person
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser, wait_idle

Make = Callable[..., SandboxUser]
HOUR = timedelta(hours=1)
STAFF_ONLY = "抱歉，此功能仅供人大工作人员使用。"
NO_LONGER_VALID = "这个按钮已失效。"


@pytest.fixture
async def sup(network: Runtime) -> Runtime:
    """The bot with the network (its wiring holds the supervision handlers)."""
    return network


async def deputy_id(runtime: Runtime, code: str) -> int:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
        )
    assert found is not None, code
    return int(found)


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.all())


async def triaged(sender: SandboxUser) -> str:
    """A constituent without a station writes: the opinion lands in the triage queue."""
    await sender.start()
    await sender.receives(containing="Which liaison station is yours?")
    return await submit(sender, "Where do I report a broken bridge?", "Other", lang="en")


async def at_station(user: SandboxUser, station: str) -> None:
    await user.start(payload=f"s_{station}")
    await user.receives(containing="您已关联联络站")


async def test_queue_assign_to_a_picked_deputy(sup: Runtime, people: Make) -> None:
    staff, d3 = people(900001, "办公室小张"), people(203, "李秀英")
    await started(staff, d3)
    sender = people(416, "Nomad", "en")
    tracking = await triaged(sender)
    await staff.receives(containing="需要指定代表")

    await staff.command("queue")
    listing = await staff.receives(containing="待分派队列")
    assert tracking in listing["text"] and "其他" in listing["text"] and "未关联联络站" in listing["text"]
    await staff.press(f"👤 分派 {tracking}")
    picker = await staff.receives(containing="交给哪位代表")
    labels = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    assert "李秀英 · 在办 0 件" in labels

    await staff.press("李秀英 · 在办 0 件")
    card = await d3.receives(containing=tracking)
    assert "Where do I report a broken bridge?" in card["text"]
    await sender.receives(containing=f"Your opinion {tracking} was transferred to deputy 李秀英")
    await staff.receives(containing=f"✅ {tracking} 已交给李秀英")
    row = await opinion(sup, tracking)
    assert row.holder_deputy_id == await deputy_id(sup, "D3") and row.state == "transferred"
    assert len(await audit(sup, "supervision.assign")) == 1

    # The queue's Assign button is stale now: refused, audited, nothing changes.
    stale = await staff.press(f"👤 分派 {tracking}", message_id=listing["message_id"])
    assert (await stale.answer())["text"] == "这条意见的状态已经变化，这个按钮不再适用。"
    # So is the picker's other deputy (a second staff member's stale picker, say).
    d1 = await deputy_id(sup, "D1")
    again = await staff.press(data=f"sv:to:{row.id}:{d1}:0", forge=True)
    assert (await again.answer())["text"] == "这条意见的状态已经变化，这个按钮不再适用。"
    refused = await audit(sup, "supervision.press.as") + await audit(sup, "supervision.press.to")
    assert len(refused) == 2 and all(not r.allowed and r.detail["reason"] == "stale_state" for r in refused)
    assert (await opinion(sup, tracking)).holder_deputy_id == await deputy_id(sup, "D3")
    await staff.command("queue")
    await staff.receives(containing="待分派队列为空")


async def test_non_staff_are_refused_and_audited(sup: Runtime, people: Make) -> None:
    staff, d1 = people(900001, "办公室小张"), people(201, "孙建国")
    constituent = people(301, "周小梅")
    await started(staff, d1, constituent)
    tracking = await triaged(people(416, "Nomad", "en"))
    row = await opinion(sup, tracking)
    me = await deputy_id(sup, "D1")

    await constituent.command("queue")
    await constituent.receives(containing=STAFF_ONLY)
    await d1.command("overdue")
    await d1.receives(containing=STAFF_ONLY)
    for user, data in (
        (d1, f"sv:to:{row.id}:{me}:0"),
        (d1, f"sv:as:{row.id}:0"),
        (constituent, f"sv:rm:{row.id}:0"),
        (constituent, "sv:to:999999:1:0"),
    ):
        press = await user.press(data=data, forge=True)
        assert (await press.answer())["text"] == STAFF_ONLY
    assert (await opinion(sup, tracking)).holder_deputy_id is None
    commands = await audit(sup, "supervision.queue") + await audit(sup, "supervision.overdue")
    presses = [r for code in ("to", "as", "rm") for r in await audit(sup, f"supervision.press.{code}")]
    assert len(commands) == 2 and len(presses) == 4
    assert all(not r.allowed and r.detail["reason"] == "not_staff" for r in commands + presses)
    # Garbage data from staff is refused too.
    junk = await staff.press(data="sv:zz:abc", forge=True)
    assert (await junk.answer())["text"] == NO_LONGER_VALID
    assert len(await audit(sup, "supervision.press.zz")) == 1


async def test_overdue_colours_remind_and_reassign(sup: Runtime, people: Make, clock: ManualClock) -> None:
    staff, d1, d2, d3 = (
        people(900001, "办公室小张"),
        people(201, "孙建国"),
        people(202, "Wu", "en"),
        people(203, "李秀英"),
    )
    c1, visitor = people(301, "周小梅"), people(417, "马村民")
    await started(staff, d1, d3, c1)
    m1 = people(102, "Qian", "en")  # the sweep copies red warnings to the supervisor
    await started(d2, m1, lang="en")
    late = await submit(c1, "灌溉水渠堵塞", "农业农村")  # linked contact: D1
    await d1.receives(containing=late)
    clock.advance(6 * HOUR)  # 16:00
    await at_station(visitor, "V2")
    near = await submit(visitor, "村口路灯不亮", "城乡建设")  # V2: D3
    await d3.receives(containing=near)
    clock.advance(timedelta(hours=19, minutes=30))  # 11:30 next day: late 25.5 h old, near 19.5 h

    await staff.command("overdue")
    listing = await staff.receives(containing="临期和超期事项")
    text = listing["text"]
    assert f"🔴 {late}" in text and f"🟡 {near}" in text
    assert "丙村人大代表联络站 · 👤 孙建国" in text and "丁村人大代表联络站 · 👤 李秀英" in text

    reminded = await staff.press(f"⏰ 提醒 {late}")
    assert (await reminded.answer())["text"] == "已向孙建国发送提醒。"
    ping = await d1.receives(containing="人大常委会办公室提醒您")
    assert late in ping["text"] and "已超期" in ping["text"] and ping["text"].startswith("🔴")
    remind_rows = await audit(sup, "supervision.remind")
    assert len(remind_rows) == 1 and remind_rows[0].object_id == str((await opinion(sup, late)).id)

    await staff.press(f"↪️ 改派 {late}")
    picker = await staff.receives(containing="交给哪位代表")
    labels = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    assert labels[0] == "Deputy Wu · 在办 0 件"  # same station first, the holder left out
    assert not any(label.startswith("孙建国") for label in labels)
    await staff.press("Deputy Wu · 在办 0 件")
    card = await d2.receives(containing=late)
    assert "灌溉水渠堵塞" in card["text"]
    await d1.receives(containing="已不再由您办理")
    await c1.receives(containing="Deputy Wu")
    row = await opinion(sup, late)
    assert row.holder_deputy_id == await deputy_id(sup, "D2") and row.accept_deadline is not None

    # The list's Remind for the old holder is stale now.
    stale = await staff.press(f"⏰ 提醒 {late}", message_id=listing["message_id"])
    assert (await stale.answer())["text"] == "这条意见的状态已经变化，这个按钮不再适用。"
    assert len(await audit(sup, "supervision.remind")) == 1
    refused = await audit(sup, "supervision.press.rm")
    assert len(refused) == 1 and not refused[0].allowed


async def test_reassign_offers_the_chain_first_then_deputies_of_other_stations(
    sup: Runtime, people: Make, clock: ManualClock
) -> None:
    """V2's only deputy holds the opinion: the picker offers H1 above it, then everyone else (one ranking
    with the console's), where the per-level walk offered the chain alone."""
    staff, d1, d3, visitor = (
        people(900001, "办公室小张"),
        people(201, "孙建国"),
        people(203, "李秀英"),
        people(417, "马村民"),
    )
    await started(staff, d1, d3)
    await at_station(visitor, "V2")
    tracking = await submit(visitor, "村口路灯不亮", "城乡建设")
    await d3.receives(containing=tracking)
    clock.advance(timedelta(hours=20))  # yellow

    await staff.command("overdue")
    await staff.receives(containing="临期和超期事项")
    await staff.press(f"↪️ 改派 {tracking}")
    picker = await staff.receives(containing="交给哪位代表")
    labels = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "赵立新 · 在办 0 件",  # H1, above V2
        "钱志强 · 在办 0 件",
        "孙建国 · 在办 0 件",  # V1: not on V2's chain
        "Deputy Wu · 在办 0 件",
    ]
    await staff.press("孙建国 · 在办 0 件")
    await d1.receives(containing=tracking)
    await staff.receives(containing=f"✅ {tracking} 已交给孙建国")
    assert (await opinion(sup, tracking)).holder_deputy_id == await deputy_id(sup, "D1")


async def test_digest_once_a_day_after_half_past_eight(
    sup: Runtime, people: Make, clock: ManualClock
) -> None:
    staff, m1, d1, c1 = (
        people(900001, "办公室小张"),
        people(102, "Qian", "en"),
        people(201, "孙建国"),
        people(301, "周小梅"),
    )
    await started(staff, d1, c1)
    await started(m1, lang="en")
    mine = await submit(c1, "灌溉水渠堵塞", "农业农村")
    await d1.receives(containing=mine)
    await triaged(people(416, "Nomad", "en"))
    services = sup.services

    async def run() -> int:
        async with services.uow() as uow:
            sent = await send_digests(uow, services.settings, services.clock.now(), policy=services.policy)
            await uow.commit()
        services.outbox_wakeup.set()
        return sent

    # 10:00: today's digest is due; it goes to the staff member and M1 (P1 contacts no deputy).
    assert await run() == 2
    first = await staff.receives(containing="每日简报")
    assert "待分派：1" in first["text"] and "昨日新增：0" in first["text"]
    assert await run() == 0
    await m1.receives(containing="Daily digest")

    # Next day: nothing at 08:00, then the digest at 08:30, once.
    zone = services.policy.tz
    local = clock.now().astimezone(zone)
    clock.advance((local + timedelta(days=1)).replace(hour=8, minute=0) - local)
    async with services.uow() as uow:
        assert not await digest_due(uow, clock.now(), services.policy)
    assert await run() == 0
    clock.advance(timedelta(minutes=30))
    async with services.uow() as uow:
        assert await digest_due(uow, clock.now(), services.policy)
    assert await run() == 2
    assert await run() == 0
    digest = await staff.receives(containing="每日简报")
    for line in ("昨日新增：2", "待分派：1", "🟡 临期：2", "🔴 超期：0", "昨日答复：0"):
        assert line in digest["text"], digest["text"]
    lines = await m1.receives(containing="Daily digest")
    assert "孙建国: 1 open · 🟡 1 · 🔴 0" in lines["text"], lines["text"]
    assert "李秀英: 0 open · 🟡 0 · 🔴 0" in lines["text"]
    async with services.uow() as uow:
        assert not await digest_due(uow, clock.now(), services.policy)
    assert len(await audit(sup, DIGEST_ACTION)) == 4
    await wait_idle(staff.sandbox)  # anything queued by mistake is delivered by now
    for user, title in ((staff, "每日简报"), (m1, "Daily digest")):
        got = [m for m in user.transcript() if m["sender"] == "bot" and title in (m["text"] or "")]
        assert len(got) == 2, got
