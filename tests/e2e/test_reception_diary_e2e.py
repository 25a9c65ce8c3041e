"""The reception diary (民情日记) through the sandbox: visitors registered at a station and on a home visit,
their matters answered on the spot or sent on as opinions that reach deputies, the bound visitor's card,
the unbound visitor's one-time link, the derived counts, and refused presses (wrong role, stale).

Network (tests/data/network_e2e.yaml): D1 孙建国 (201, linked to C1) and D2 Deputy Wu (202, transport) at
V1 丙村人大代表联络站; D3 李秀英 (203) at V2 丁村人大代表联络站; constituent C1 周小梅 (301), bound in Telegram.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from sqlalchemy import select

from bot.network import import_network
from bot.network.export import dump_yaml
from bot.receptions.figures import Figures, figures
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import (
    AuditEntry,
    ChatSession,
    InboxUpdate,
    Opinion,
    OutboxMessage,
    Person,
    Reception,
    ReceptionMatter,
    ReceptionVisitor,
    VisitorLink,
)
from tests.conftest import BLNS
from tests.e2e.conftest import NETWORK
from tests.e2e.flows import TEXTS
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
V1, V2 = "丙村人大代表联络站", "丁村人大代表联络站"
LINK = re.compile(r"start=(vis_[A-Za-z0-9_-]+)")


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    return network


def local_today(clock: ManualClock) -> date:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def new(msg: dict[str, Any]) -> bool:
    return not msg["edited"]


async def rows(runtime: Runtime, model: Any) -> list[Any]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(model).order_by(model.id)))


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(found.all())


async def person_of(runtime: Runtime, telegram_id: int) -> Person:
    async with runtime.services.uow() as uow:
        found = await uow.people.by_telegram_id(telegram_id)
        assert found is not None
        return found


async def holder_telegram_id(runtime: Runtime, opinion: Opinion) -> int:
    async with runtime.services.uow() as uow:
        assert opinion.holder_deputy_id is not None
        deputy = await uow.people.deputy(opinion.holder_deputy_id)
        assert deputy is not None and deputy.person.telegram_id is not None
        return deputy.person.telegram_id


def buttons(msg: dict[str, Any]) -> list[str]:
    return [b["text"] for row in (msg["reply_markup"] or {}).get("inline_keyboard", []) for b in row]


async def open_diary(deputy: SandboxUser, station: str = V1) -> dict[str, Any]:
    """/reception for a deputy of one station: today's entry there at once."""
    await deputy.command("reception")
    return await deputy.receives(where=new, containing=f"📒 民情日记 · {station}")


async def test_three_visitors_two_opinions_reach_deputies_one_answered_on_the_spot(
    bot: Runtime, people: Make, clock: ManualClock, sandbox: Sandbox
) -> None:
    d1, d2, c1 = people(201, "孙建国"), people(202, "Deputy Wu", "en"), people(301, "周小梅")
    today = local_today(clock)
    await d2.start()  # D2 has talked to the bot before (it may write to them)
    await d2.receives()
    # C1 is bound in Telegram and shares her phone with the bot herself.
    await c1.share_contact("+8613900000301")
    await c1.receives(containing="已保存您的手机号码")

    hub = await open_diary(d1)
    assert f"📒 民情日记 · {V1} · {today}" in hub["text"]
    assert "来访 0 人 · 事项 0 件：当场答复 0 件，转为意见 0 件" in hub["text"]
    assert buttons(hub) == [
        "➕ 登记来访群众",
        "🏁 结束今天",
        "🏠 走访",
        "📋 最近的民情日记",
        "✖️ 退出民情日记",
    ]
    [diary] = await rows(bot, Reception)
    assert (diary.kind, diary.state, diary.day, diary.legacy) == ("station", "open", today, False)

    # Visitor 1: named, phone with consent, bound in Telegram (C1): the matter becomes her opinion.
    await d1.press("➕ 登记来访群众")
    await d1.receives(where=new, containing="第 1 位来访群众：请输入姓名")
    await d1.send("周小梅")
    await d1.receives(where=new, containing="周小梅：电话可留可不留")
    await d1.press("📞 群众同意：登记电话")
    await d1.receives(where=new, containing="请输入来访群众的电话号码")
    await d1.send("12345")
    await d1.receives(where=new, containing="这不是可以登记的电话号码")
    await d1.send("139 0000 0301")  # as a person types it: the project's E.164 form is stored
    got = await d1.receives(where=new, containing="已登记第 1 位来访群众：周小梅 · +8613900000301")
    assert "对方已在 Telegram 上" in got["text"] and "反映了什么" in got["text"]
    await d1.send("村口公交站牌被撞倒了，请尽快修复")
    card = await d1.receives(where=new, containing="事项：\n村口公交站牌被撞倒了，请尽快修复")
    assert "类别：交通出行（根据内容推测，可在下方修改）" in card["text"]
    assert "✓ 交通出行" in buttons(card)
    await d1.press("📨 转为意见")
    sent = await d1.receives(where=new, containing="📨 已转为意见")
    assert "来访群众已在 Telegram 收到这件意见的卡片" in sent["text"]
    filed = await c1.receives(containing="📒 接待时为您登记的意见：丙村人大代表联络站")
    assert "村口公交站牌被撞倒了，请尽快修复" in filed["text"]
    first = (await rows(bot, Opinion))[0]
    assert first.tracking_no in filed["text"] and first.tracking_no in sent["text"]
    assert (first.sender_person_id, first.source, first.anonymous) == (
        (await person_of(bot, 301)).id,
        "station_reception",
        False,
    )
    assert first.recorded_by_person_id == (await person_of(bot, 201)).id
    assert first.state == "routed" and first.route_reason == "linked_contact"  # C1 is D1's constituent
    task = await d1.receives(where=new, containing=first.tracking_no)  # D1 holds it: the task card
    assert "村口公交站牌被撞倒了" in task["text"]
    await d1.receives(where=new, containing="这位群众还有其他事项吗")

    # Visitor 2: anonymous, not in Telegram: a stand-in files it, and D1 gets the link card to hand over.
    await d1.press("👤 下一位")
    await d1.receives(where=new, containing="第 2 位来访群众")
    await d1.press("🙈 匿名")
    await d1.receives(where=new, containing="已登记第 2 位来访群众：🙈 匿名")
    await d1.send("邻居之间因为宅基地的矛盾吵架")
    card = await d1.receives(where=new, containing="邻居之间因为宅基地")
    assert "类别：矛盾纠纷（根据内容推测" in card["text"]
    await d1.press("📨 转为意见")
    await d1.receives(where=new, containing="📨 已转为意见")
    handover = await d1.receives(where=new, containing="🎫 给来访群众")
    found = LINK.search(handover["text"])
    assert found is not None
    payload = found.group(1)
    second = (await rows(bot, Opinion))[1]
    assert second.anonymous and second.source == "station_reception"
    # Routed at V1: no field matches "disputes", so the less loaded deputy (D2) holds it: the task card
    # has the text, the sender is "anonymous".
    assert await holder_telegram_id(bot, second) == 202 and second.route_reason == "least_loaded"
    task = await d2.receives(where=new, containing=second.tracking_no)
    assert "邻居之间因为宅基地" in task["text"] and "From: anonymous" in task["text"]
    await d1.receives(where=new, containing="这位群众还有其他事项吗")

    # Visitor 3: named, no phone; the category changed by hand; answered on the spot.
    await d1.press("👤 下一位")
    await d1.receives(where=new, containing="第 3 位来访群众")
    await d1.send("吴  大\n海")  # one line, blanks folded
    await d1.receives(where=new, containing="吴 大 海：电话可留可不留")
    await d1.press("⏭ 不留电话")
    await d1.receives(where=new, containing="已登记第 3 位来访群众：吴 大 海。")
    await d1.send("想问问今年的医保缴费什么时候截止")
    await d1.receives(where=new, containing="想问问今年的医保缴费")
    await d1.press("社会保障")
    edited = await d1.receives(containing="类别：社会保障\n")
    assert edited["edited"] and "✓ 社会保障" in buttons(edited)
    await d1.press("✅ 当场答复")
    await d1.receives(where=new, containing="请输入您当场的答复")
    await d1.send("答" * 2999 + "😀")  # 3,001 UTF-16 units, as Telegram counts them
    await d1.receives(where=new, containing="共 3001 个字，最多 3000 个字")
    await d1.send("年底前都可以在村委会或手机上缴纳")
    done = await d1.receives(where=new, containing="✅ 已记录为当场答复（社会保障）")
    assert "这位群众还有其他事项吗" in done["text"]

    # The day closed: its counts are derived from the registrations; the summary lists every visitor.
    await d1.press("🏁 结束今天")
    summary = await d1.receives(where=new, containing="🏁 今天的民情日记已结束")
    assert "来访 3 人 · 事项 3 件：当场答复 1 件，转为意见 2 件" in summary["text"]
    assert "1. 周小梅 · +8613900000301" in summary["text"] and "3. 吴 大 海" in summary["text"]
    assert f"→ 📨 {first.tracking_no}" in summary["text"] and f"→ 📨 {second.tracking_no}" in summary["text"]
    assert "✅ 当场答复：年底前都可以在村委会或手机上缴纳" in summary["text"]
    # An anonymous visitor's matter goes to its holder's chat only: D1 registered it, D2 holds it.
    assert (
        "邻居之间因为宅基地" not in summary["text"]
        and "2. 🙈 匿名\n   • 矛盾纠纷 — （仅办理代表可见）" in summary["text"]
    )
    async with bot.services.uow() as uow:
        by_deputy, by_station, total = await figures(uow.session, today, today)
    expected = Figures(receptions=1, people=3, matters=3, resolved=1, routed=2)
    assert total == expected and by_station[diary.station_id] == expected
    assert by_deputy == {diary.deputy_id: expected}
    [closed] = await rows(bot, Reception)
    assert closed.state == "closed" and closed.people is None  # nothing typed

    # The unbound visitor opens the link as a new user: bound to the opinion, they see it.
    visitor = people(401, "新用户")
    await visitor.start(payload)
    await visitor.receives(containing="✅ 您现在可以跟进接待时（丙村人大代表联络站")
    shown = await visitor.receives(containing=second.tracking_no)
    assert "邻居之间因为宅基地" in shown["text"]
    opinion = (await rows(bot, Opinion))[1]
    assert opinion.sender_person_id == (await person_of(bot, 401)).id
    [_, anonymous_visitor, _] = await rows(bot, ReceptionVisitor)
    assert anonymous_visitor.person_id == opinion.sender_person_id and not anonymous_visitor.stand_in
    assert len(await rows(bot, Person)) == len({p.id for p in await rows(bot, Person)})
    await visitor.command("my")
    await visitor.receives(containing=second.tracking_no)
    # ... once: the same link again is refused, and audited without its token
    other = people(402, "别人")
    await other.start(payload)
    await other.receives(containing="这个链接已经用过了")
    [refused] = await audit(bot, "reception.link_refused")
    assert refused.detail["reason"] == "used" and payload[4:] not in json.dumps(refused.detail)

    # The one-time link is kept in no table in clear: not the card sent, not the /start handled.
    async with bot.services.uow() as uow:
        outbox = [json.dumps(r.payload) for r in await uow.session.scalars(select(OutboxMessage))]
        inbox = [json.dumps(r.payload) for r in await uow.session.scalars(select(InboxUpdate))]
        links = list(await uow.session.scalars(select(VisitorLink)))
    secret = payload.removeprefix("vis_")
    assert not [t for t in [*outbox, *inbox] if secret in t]
    assert [link.used_at is not None for link in links] == [True] and links[0].token_hash != secret

    # A stale press: closing the closed day again (its old card's button) is refused and audited.
    press = await d1.press(data=f"rd:d:x:{diary.id}", forge=True)
    answer = await press.answer()
    assert answer["show_alert"] and answer["text"] == "这一天的民情日记已经结束。"
    assert [e.detail["reason"] for e in await audit(bot, "reception.refused")] == ["final"]
    assert not [v for v in sandbox.violations()]


async def test_wrong_roles_are_refused_answered_and_audited(bot: Runtime, people: Make) -> None:
    d1, d2, d3, c1 = (
        people(201, "孙建国"),
        people(202, "Deputy Wu", "en"),
        people(203, "李秀英"),
        people(301, "周小梅"),
    )
    await open_diary(d1)
    [diary] = await rows(bot, Reception)
    await d2.start()
    await d2.receives()
    # A constituent keeps no diary, and cannot use one.
    await c1.command("reception")
    await c1.receives(where=new, containing="抱歉，只有人大代表、站点联络员和站长以及工作人员可以记民情日记")
    for data in (
        f"rd:d:v:{diary.id}",
        f"rd:d:x:{diary.id}",
        f"rd:d:o:{diary.id}",
        "rd:ls",
        "rd:s:next:deadbeef",
        "rd:c:deadbeef:transport",
        f"rd:st:deadbeef:{diary.station_id}",
    ):
        answer = await (await c1.press(data=data, forge=True)).answer()
        assert answer["show_alert"] and answer["text"], data
    # A deputy of another station (D3 at V2): no relation to V1's entry, nor may they open one there.
    await open_diary(d3, V2)
    for data in (f"rd:d:v:{diary.id}", f"rd:d:x:{diary.id}", f"rd:d:o:{diary.id}"):
        answer = await (await d3.press(data=data, forge=True)).answer()
        assert answer["text"] == "这份民情日记不归您使用。", data
    async with bot.services.uow() as uow:
        chat = await uow.session.get(ChatSession, 203)
        assert chat is not None
        key = chat.data["cursor"]["key"]
    await d3.press("🏠 走访")
    await d3.receives(where=new, containing="🏠 走访。您在哪里")
    answer = await (await d3.press(data=f"rd:st:{key}:{diary.station_id}", forge=True)).answer()
    assert answer["text"] == "民情日记的这一步已经结束。"  # (no station step now), and never V1's
    # A deputy of the same station may register visitors in it, but not close D1's day.
    answer = await (await d2.press(data=f"rd:d:x:{diary.id}", forge=True)).answer()
    assert answer["text"] == "Only the deputy who keeps this diary, or staff, may do that."
    await d2.press(data=f"rd:d:v:{diary.id}", forge=True)
    await d2.receives(where=new, containing="Visitor 1: their name?")
    # Forged and stale data: a key of another dialog, unknown kinds, a category that does not exist
    for data in ("rd:s:spot:deadbeef", "rd:c:deadbeef:transport", "rd:d:q:1", "rd:c:k:../x", "rd:st:k:-1"):
        answer = await (await d2.press(data=data, forge=True)).answer()
        assert answer["show_alert"] and answer["text"], data
    answer = await (await d2.press(data="rd:zz", forge=True)).answer()  # no kind: the bot's fallback
    assert answer["text"] == "This button is no longer valid."
    [unknown] = await audit(bot, "callback.unknown")
    assert unknown.detail["data"] == "rd:zz" and unknown.actor_telegram_id == 202
    reasons = [(e.actor_telegram_id, e.detail["reason"]) for e in await audit(bot, "reception.refused")]
    assert reasons == [
        (301, "not_a_receiver"),  # the command
        (301, "no_relation"),
        (301, "no_relation"),
        (301, "no_relation"),
        (301, "not_a_receiver"),  # the list
        (301, "not_a_receiver"),  # a step of a dialog
        (301, "not_a_receiver"),  # a category
        (301, "not_a_receiver"),  # a station
        (203, "no_relation"),
        (203, "no_relation"),
        (203, "no_relation"),
        (203, "wrong_step"),  # no station step now (and V1 is not D3's anyway: the service's own test)
        (202, "not_permitted"),
        (202, "stale"),
        (202, "stale"),
        (202, "malformed"),
        (202, "malformed"),
        (202, "malformed"),
    ]
    assert all(not e.allowed for e in await audit(bot, "reception.refused"))
    assert await rows(bot, ReceptionVisitor) == []


async def test_a_home_visit(bot: Runtime, people: Make, clock: ManualClock) -> None:
    d3 = people(203, "李秀英")
    await open_diary(d3, V2)
    await d3.press("🏠 走访")
    await d3.receives(where=new, containing="请输入地点")
    await d3.send("x" * 101)
    await d3.receives(where=new, containing="共 101 个字，最多 100 个字")
    await d3.send("怒江边 <张家>")
    await d3.receives(where=new, containing="地点：怒江边 <张家>。可以发送位置")
    await d3.send_location(25.91, 98.91)
    hub = await d3.receives(where=new, containing="📒 走访 · 怒江边 <张家>")
    assert "来访 0 人" in hub["text"]
    await d3.press("➕ 登记来访群众")
    await d3.receives(where=new, containing="第 1 位来访群众")
    await d3.send("张大爷")
    await d3.receives(where=new, containing="张大爷：电话可留可不留")
    await d3.press("⏭ 不留电话")
    await d3.receives(where=new, containing="已登记第 1 位来访群众：张大爷")
    await d3.send("家门口的排水沟堵了，一下雨就积水")
    await d3.receives(where=new, containing="家门口的排水沟堵了")
    await d3.press("📨 转为意见")
    await d3.receives(where=new, containing="📨 已转为意见")
    await d3.receives(where=new, containing="🎫 给来访群众")
    await d3.press("🏁 结束今天")
    summary = await d3.receives(where=new, containing="🏁 今天的民情日记已结束")
    assert "📒 走访 · 怒江边 <张家>" in summary["text"] and "来访 1 人 · 事项 1 件" in summary["text"]
    station_entry, visit = await rows(bot, Reception)
    assert (visit.kind, visit.place, visit.station_id, visit.latitude, visit.longitude) == (
        "home_visit",
        "怒江边 <张家>",
        None,
        25.91,
        98.91,
    )
    assert station_entry.state == "open"  # the station's entry stays open, empty: it counts for nothing
    [opinion] = await rows(bot, Opinion)
    assert opinion.source == "home_visit" and opinion.station_id == station_entry.station_id
    assert await holder_telegram_id(bot, opinion) == 203  # routed at D3's station, where only D3 sits
    stand_in = (await rows(bot, ReceptionVisitor))[0]
    assert stand_in.stand_in and stand_in.name == "张大爷"
    async with bot.services.uow() as uow:
        sender = await uow.people.get(opinion.sender_person_id)
        _, _, total = await figures(uow.session, None, None)
    assert sender is not None and "张大爷" not in sender.name  # the holder's card never names them
    assert total == Figures(home_visits=1, people=1, matters=1, routed=1)


async def test_staff_keep_a_diary_at_any_station_and_the_registrar_cannot_open_the_link(
    bot: Runtime, people: Make
) -> None:
    admin, d3 = people(900001, "Office", "en"), people(203, "李秀英")
    await d3.start()  # the deputy at V2, who will hold the opinion
    await d3.receives()
    await admin.command("reception")
    ask = await admin.receives(where=new, containing="Where are you receiving constituents today?")
    assert "type a station's code" in ask["text"]
    await admin.send("nope")
    await admin.receives(where=new, containing="There is no station with the code nope.")
    await admin.send("v2")
    await admin.receives(where=new, containing=f"📒 Reception diary · {V2}")
    await admin.press("➕ Visitor")
    await admin.receives(where=new, containing="Visitor 1: their name?")
    await admin.press("🙈 Anonymous")
    await admin.receives(where=new, containing="Visitor 1 registered: 🙈 anonymous.")
    await admin.send("The bridge railing is broken")
    await admin.receives(where=new, containing="Category: Urban and rural construction (guessed")
    await admin.press("📨 Send as opinion")
    card = await admin.receives(where=new, containing="🎫 For the visitor")
    found = LINK.search(card["text"])
    assert found is not None
    await admin.command("start", found.group(1))
    await admin.receives(where=new, containing="This card is for the visitor: hand it over")
    await admin.press("✖️ Leave the diary")
    await admin.receives(where=new, containing="You left the diary; it stays open.")
    [diary] = await rows(bot, Reception)
    assert diary.deputy_id is None and diary.recorded_by_person_id == (await person_of(bot, 900001)).id
    [link] = await rows(bot, VisitorLink)
    assert link.used_at is None  # still the visitor's to open
    await admin.command("reception", "list")
    listed = await admin.receives(where=new, containing="Your recent diary entries:")
    assert f"1. {diary.day} · {V2} · open" in listed["text"]
    await admin.press("📖 1")
    shown = await admin.receives(where=new, containing=f"📒 Reception diary · {V2}")
    assert "1. 🙈 anonymous" in shown["text"] and "The bridge railing is broken" not in shown["text"]


async def test_a_draft_survives_the_diary_and_an_expired_dialog_lets_messages_through(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    draft = TEXTS["zh"]["draft"]
    d1 = people(201, "孙建国")
    await d1.send("村口路灯坏了")
    await d1.receives(where=new, containing=draft)
    await d1.command("reception")
    await d1.receives(where=new, containing="您尚未提交的意见草稿已保留，退出民情日记后恢复")
    await d1.send_photo("一张照片")  # not what the diary asks for: a hint, the dialog stays
    await d1.receives(where=new, containing="请输入文字，或使用上方的按钮")
    await d1.send("你好")  # between visitors, typed text is no visitor: a hint
    await d1.receives(where=new, containing="民情日记正在等您点上方的按钮")
    await d1.press("✖️ 退出民情日记")
    left = await d1.receives(where=new, containing="您已退出民情日记，日记仍未结束")
    assert "您尚未提交的意见草稿已恢复" in left["text"]
    await d1.send("已经一个月了")
    card = await d1.receives(where=new, containing=draft)
    assert "村口路灯坏了" in card["text"] and "已经一个月了" in card["text"]

    # Left alone for over two hours, the dialog lets the next message through to the draft.
    await d1.command("reception")
    await d1.receives(where=new, containing="📒 民情日记")
    await d1.press("➕ 登记来访群众")
    await d1.receives(where=new, containing="第 1 位来访群众")
    clock.advance(timedelta(hours=2, minutes=1))
    await d1.send("还有水沟堵了")
    await d1.receives(where=new, containing="民情日记超过两小时没有操作，已退出")
    card = await d1.receives(where=new, containing=draft)
    assert "还有水沟堵了" in card["text"] and "村口路灯坏了" in card["text"]
    assert await rows(bot, ReceptionVisitor) == []  # the name was never typed
    # ... and a press of its buttons is refused as expired, not acted on
    await d1.command("reception")
    await d1.receives(where=new, containing="📒 民情日记")
    await d1.press("🏠 走访")
    await d1.receives(where=new, containing="🏠 走访。您在哪里")
    clock.advance(timedelta(hours=3))
    answer = await (await d1.press("✖️ 退出民情日记")).answer()
    assert answer["show_alert"] and "超过两小时没有操作" in answer["text"]
    await d1.receives(where=new, containing="您尚未提交的意见草稿已恢复")


async def test_a_stations_liaison_officer_keeps_its_diary(bot: Runtime, people: Make, tmp_path: Path) -> None:
    """V1's liaison officer (联络员, from the network file) registers there; V2's diary is not theirs."""
    data = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    data["constituents"].append({"code": "LO1", "name": "联络员丙", "telegram_id": 152})
    [v1] = [s for s in data["stations"] if s["code"] == "V1"]
    v1["liaisons"] = ["LO1"]
    path = tmp_path / "network_liaison.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    await import_network(bot.services.sessionmaker, path)
    officer, d3 = people(152, "联络员丙"), people(203, "李秀英")
    await d1_started(people)
    await open_diary(d3, V2)
    hub = await open_diary(officer)  # one station: today's entry at V1 at once
    assert buttons(hub)[:2] == ["➕ 登记来访群众", "🏁 结束今天"]
    await officer.press("➕ 登记来访群众")
    await officer.receives(where=new, containing="第 1 位来访群众")
    await officer.press("🙈 匿名")
    await officer.receives(where=new, containing="反映了什么")
    await officer.send("村里的路灯坏了好几盏")
    await officer.receives(where=new, containing="村里的路灯坏了好几盏")
    await officer.press("📨 转为意见")
    await officer.receives(where=new, containing="📨 已转为意见")
    await officer.receives(where=new, containing="🎫 给来访群众")
    entries = {r.recorded_by_person_id: r for r in await rows(bot, Reception)}
    mine = entries[(await person_of(bot, 152)).id]
    theirs = entries[(await person_of(bot, 203)).id]
    assert mine.deputy_id is None and mine.kind == "station"  # an officer is no deputy: the station's entry
    [opinion] = await rows(bot, Opinion)
    assert (
        opinion.recorded_by_person_id == mine.recorded_by_person_id and opinion.station_id == mine.station_id
    )
    answer = await (await officer.press(data=f"rd:d:v:{theirs.id}", forge=True)).answer()
    assert answer["text"] == "这份民情日记不归您使用。"
    [refused] = await audit(bot, "reception.refused")
    assert (refused.actor_telegram_id, refused.detail["reason"]) == (152, "no_relation")


async def d1_started(people: Make) -> None:
    """D1 and D2 have talked to the bot (so it may send them task cards)."""
    for uid, name in ((201, "孙建国"), (202, "Deputy Wu")):
        user = people(uid, name)
        await user.start()
        await user.receives()


def naughty() -> list[str]:
    """BLNS as a Telegram client sends it: trimmed, no blanks, no /commands."""
    corpus = json.loads(BLNS.read_text(encoding="utf-8"))
    assert isinstance(corpus, list) and len(corpus) > 500
    return [s.strip() for s in corpus if s.strip() and not s.strip().startswith("/")]


async def test_naughty_matters_and_answers_are_shown_and_stored_exactly(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    """Every BLNS string as a matter: the card shows it byte-exact (escaped right); as the answer given
    on the spot, it is stored exactly. Five deputies at once, a new visitor every 19 matters."""
    strings = naughty()
    deputies = [people(uid, f"代表{uid}") for uid in (101, 102, 201, 202, 203)]
    failures: list[str] = []

    async def visitor(deputy: SandboxUser, first: bool = False) -> None:
        await deputy.press("➕ 登记来访群众" if first else "👤 下一位")
        await deputy.receives(where=new, containing="来访群众：请输入姓名", timeout=10)
        await deputy.press("🙈 匿名")
        await deputy.receives(where=new, containing="反映了什么", timeout=10)

    async def work(deputy: SandboxUser, items: list[tuple[int, str]]) -> None:
        await deputy.command("reception")
        await deputy.receives(where=new, containing="📒 民情日记 · ", timeout=10)
        await visitor(deputy, first=True)
        for count, (index, text) in enumerate(items, 1):
            try:
                await deputy.send(text)
                card = await deputy.receives(where=new, containing="事项：", timeout=10)
                if not card["text"].startswith("事项：\n" + text + "\n\n类别："):
                    failures.append(f"#{index} {text!r}: card shows {card['text'][:200]!r}")
                await deputy.press("✅ 当场答复")
                await deputy.receives(where=new, containing="请输入您当场的答复", timeout=10)
                await deputy.send(text)
                await deputy.receives(where=new, containing="✅ 已记录为当场答复", timeout=10)
                if count % 19 == 0:
                    await visitor(deputy)
            except AssertionError as exc:
                failures.append(f"#{index} {text!r}: {str(exc)[:600]}")
                return

    indexed = list(enumerate(strings))
    await asyncio.gather(*(work(d, indexed[i :: len(deputies)]) for i, d in enumerate(deputies)))
    violations = [f"{v.method}: {v.description}" for v in sandbox.violations()]
    assert not failures and not violations, "\n".join(failures + violations)
    stored = sorted((m.text, m.answer) for m in await rows(bot, ReceptionMatter))
    assert stored == sorted((text, text) for text in strings)
