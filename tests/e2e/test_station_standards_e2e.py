"""Station standards and inspection through the sandbox: an inspector records an inspection with /inspect
(station, kinds, day, findings, a photo, a rectification item with its deadline and responsible deputy);
the deputy reports it done, the inspector reopens it with a reason, the deputy reports again with a photo
and the inspector confirms — a second Confirm is refused as stale; the day before a deadline the deputy
is reminded once (the injected clock moved); a deputy reads their station with /station (rules, map,
evidence sent in chat); and every new button, pressed by a constituent, a deputy of another station or
an inspector not assigned to the station, is refused with an alert and audited.

Network (tests/data/network_e2e.yaml): V1 丙村人大代表联络站 with D1 孙建国 (201) and D2 Deputy Wu (202,
English); V2 with D3 李秀英 (203); M1 钱志强 (102, committee member) inspects V1 and P1 赵立新 (101) inspects
V2 (assigned here); 周小梅 (301) is a constituent; 900001 is staff.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from bot.stations.service import InspectionDraft, ItemDraft, StationService
from storage.models import AuditEntry
from storage.models.stations import Rectification, RectificationEvent, StationFile, StationRule
from tests.e2e.flows import started
from tests.e2e.test_start import chat_menu
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
STAFF, M1, P1, D1, D2, D3, C1 = 900001, 102, 101, 201, 202, 203, 301
V1 = "丙村人大代表联络站"
ITEM = re.compile(r"整改项 #(\d+)")


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """M1 inspects V1, P1 inspects V2 (assigned by staff, as the console does); V1 has rules and a point."""
    async with network.services.uow() as u:
        v1, v2 = [await u.network.station_by_code(c) for c in ("V1", "V2")]
        m1, p1 = [await u.people.by_telegram_id(t) for t in (M1, P1)]
        assert v1 is not None and v2 is not None and m1 is not None and p1 is not None
        await u.stations.assign(v1.id, m1.id, None)
        await u.stations.assign(v2.id, p1.id, None)
        await u.stations.add_rules(
            [
                StationRule(
                    station_id=v1.id, position=1, title="民情日记制度", body="每次接待都要记入民情日记。"
                )
            ]
        )
        await u.commit()
    return network


def local_today(clock: ManualClock) -> date:
    return clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()


def new(msg: dict[str, Any]) -> bool:
    return not msg["edited"]


def buttons(msg: dict[str, Any]) -> list[str]:
    markup = msg.get("reply_markup") or {}
    return [b["text"] for row in markup.get("inline_keyboard", []) for b in row]


def data_of(msg: dict[str, Any], text: str) -> str:
    for row in (msg.get("reply_markup") or {}).get("inline_keyboard", []):
        for b in row:
            if b["text"] == text:
                return str(b["callback_data"])
    raise AssertionError(f"no button {text!r} in {buttons(msg)}")


async def alert(user: SandboxUser, data: str, containing: str = "") -> str:
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer["show_alert"], answer
    assert containing in str(answer["text"]), answer
    return str(answer["text"])


async def refusals(bot: Runtime) -> int:
    async with bot.services.uow() as u:
        return int(
            await u.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.allowed.is_(False)))
            or 0
        )


async def item_row(bot: Runtime, item_id: int) -> Rectification:
    async with bot.services.uow() as u:
        found = await u.session.get(Rectification, item_id)
        assert found is not None
        return found


async def inspect(m1: SandboxUser, today: date) -> dict[str, Any]:
    """M1's /inspect up to Save, with one item for 孙建国 due in 7 days; returns the saved reply."""
    await m1.command("inspect")
    ask = await m1.receives(where=new, containing="检查哪个站点")
    assert buttons(ask) == [V1, "✖️ 取消"]  # only the station assigned to M1
    await m1.press(V1)
    kinds = await m1.receives(where=new, containing="这次检查做了哪些")
    nothing = await (await m1.press("➡️ 下一步")).answer()  # nothing ticked yet
    assert nothing["show_alert"] and nothing["text"] == "请至少勾选一种检查方式。"
    await m1.press("⬜ 随机抽查", message_id=kinds["message_id"])
    await m1.receives(where=lambda m: "☑️ 随机抽查" in buttons(m))  # the same message, ticked
    await m1.press("⬜ 查阅档案", message_id=kinds["message_id"])
    await m1.receives(where=lambda m: "☑️ 查阅档案" in buttons(m))
    await m1.press("➡️ 下一步", message_id=kinds["message_id"])
    await m1.receives(where=new, containing="检查日期是哪天")
    await m1.send(str(today + timedelta(days=1)))
    await m1.receives(where=new, containing=f"日期不能晚于今天（今天是 {today}）")
    await m1.press(f"今天（{today}）")
    await m1.receives(where=new, containing="发现了哪些问题")
    await m1.send("接待室屋顶漏雨，民情日记缺两个月")
    await m1.receives(where=new, containing="检查时拍摄的照片")
    await m1.send("这不是照片")
    await m1.receives(where=new, containing="请发送照片或文件")
    await m1.send_photo("漏雨的屋顶")
    await m1.receives(where=new, containing="文件已保存（1 个）")
    await m1.press("➡️ 下一步")
    await m1.receives(where=new, containing="请输入一项需要整改的内容")
    await m1.send("修缮接待室屋顶")
    due = await m1.receives(where=new, containing="整改期限是哪天")
    assert buttons(due)[:3] == [f"+{n} 天（{today + timedelta(days=n)}）" for n in (7, 14, 30)]
    await m1.send(str(today))
    await m1.receives(where=new, containing="整改期限必须晚于今天")
    await m1.press(f"+7 天（{today + timedelta(days=7)}）")
    who = await m1.receives(where=new, containing="由谁负责整改")
    assert sorted(buttons(who)[:2]) == sorted(["Deputy Wu", "孙建国"])  # V1's deputies, not D3
    await m1.press("孙建国")
    listed = await m1.receives(where=new, containing="1. 修缮接待室屋顶")
    assert "孙建国" in listed["text"]
    await m1.press("🏁 没有更多整改项")
    check = await m1.receives(where=new, containing="请核对检查记录")
    assert "随机抽查、查阅档案" in check["text"] and "文件：1 个" in check["text"]
    await m1.press("✅ 保存")
    return await m1.receives(where=new, containing="的检查已保存，共 1 项整改")


async def test_an_item_is_reported_reopened_reported_again_and_confirmed(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    m1, d1, d2 = people(M1, "钱志强"), people(D1, "孙建国"), people(D2, "Deputy Wu", "en")
    await started(m1, d1)
    await started(d2, lang="en")
    today = local_today(clock)
    await inspect(m1, today)
    card = await d1.receives(containing="站点检查给您留下一项整改任务")
    found = ITEM.search(card["text"])
    assert found is not None
    item_id = int(found.group(1))
    assert "修缮接待室屋顶" in card["text"] and f"整改期限：{today + timedelta(days=7)}" in card["text"]
    assert buttons(card) == [f"✅ #{item_id} 已整改"]
    await d2.receives_nothing()  # not D2's item
    # Done: a note follows.
    await d1.press(f"✅ #{item_id} 已整改")
    await d1.receives(where=new, containing=f"整改项 #{item_id}：请发送整改情况说明")
    await d1.send("已请施工队修好屋顶")
    await d1.receives(where=new, containing="已报告整改完成")
    check = await m1.receives(containing="一项整改已报告完成，请核实")
    assert "整改情况：已请施工队修好屋顶" in check["text"] and "已报告完成" in check["text"]
    assert buttons(check) == [f"✅ #{item_id} 确认完成", f"↩️ #{item_id} 退回重改"]
    # Reopen: a reason follows; the deputy hears it with the Done button again.
    await m1.press(f"↩️ #{item_id} 退回重改", message_id=check["message_id"])
    await m1.receives(where=new, containing="为什么未整改到位")
    await m1.send("墙角仍在渗水")
    await m1.receives(where=new, containing="已退回重新整改")
    back = await d1.receives(containing="此整改项被退回，请重新整改")
    assert "退回理由：墙角仍在渗水" in back["text"] and buttons(back) == [f"✅ #{item_id} 已整改"]
    # Done again, with a photo this time (its caption is the note).
    await d1.press(f"✅ #{item_id} 已整改", message_id=back["message_id"])
    await d1.receives(where=new, containing="请发送整改情况说明")
    await d1.send_photo("墙角已做防水")
    await d1.receives(where=new, containing="已报告整改完成")
    again = await m1.receives(containing="一项整改已报告完成")
    assert "整改情况：墙角已做防水" in again["text"]
    await m1.press(f"✅ #{item_id} 确认完成", message_id=again["message_id"])
    edited = await m1.receives(containing="状态：已确认完成")
    assert buttons(edited) == []  # the card in place, without buttons
    await d1.receives(containing="此整改项已确认完成：")
    # Stale: Confirm once more (the older card still has the button).
    before = await refusals(bot)
    text = await alert(m1, data_of(check, f"✅ #{item_id} 确认完成"), "已确认完成")
    assert text == "此整改项已确认完成。"
    assert await refusals(bot) == before + 1
    row = await item_row(bot, item_id)
    assert row.state == "confirmed" and row.report_note == "墙角已做防水"
    async with bot.services.uow() as u:
        events = (
            await u.session.scalars(
                select(RectificationEvent.action)
                .where(RectificationEvent.rectification_id == item_id)
                .order_by(RectificationEvent.id)
            )
        ).all()
        photos = (await u.session.scalars(select(StationFile).order_by(StationFile.id))).all()
    assert list(events) == ["report", "reopen", "report", "confirm"]
    assert [(p.inspection_id is not None, p.rectification_id) for p in photos] == [
        (True, None),
        (False, item_id),
    ]


async def test_the_day_before_the_deadline_the_deputy_is_reminded_once(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    d1, d2 = people(D1, "孙建国"), people(D2, "Deputy Wu", "en")
    await started(d1)
    await started(d2, lang="en")
    today = local_today(clock)
    async with bot.services.uow() as u:
        v1 = await u.network.station_by_code("V1")
        m1, deputy, wu = [await u.people.by_telegram_id(t) for t in (M1, D1, D2)]
        assert v1 is not None and m1 is not None and deputy is not None and wu is not None
        items = (
            ItemDraft("补齐民情日记", today + timedelta(days=3), deputy.id),
            ItemDraft("Hang the sign", today + timedelta(days=5), wu.id),
        )
        draft = InspectionDraft(v1.id, m1.id, today, ("files",), "民情日记缺两个月", items)
        outcome = await StationService(u, zone="Asia/Shanghai").record_inspection(draft, m1, clock.now())
        assert outcome.ok
        await u.commit()
    assert await bot.station_reminders() == 0
    clock.advance(timedelta(days=1))  # two days before: nothing yet
    assert await bot.station_reminders() == 0
    await d1.receives_nothing()
    clock.advance(timedelta(days=1))  # the day before
    assert await bot.station_reminders() == 1
    reminder = await d1.receives(containing=f"提醒：此整改项明天（{today + timedelta(days=3)}）到期")
    assert "补齐民情日记" in reminder["text"] and buttons(reminder)[0].endswith("已整改")
    assert await bot.station_reminders() == 0  # once
    await d1.receives_nothing()
    clock.advance(timedelta(days=2))  # Deputy Wu's, in English
    assert await bot.station_reminders() == 1
    english = await d2.receives(containing="Reminder: this item is due tomorrow")
    assert "Hang the sign" in english["text"] and buttons(english) == [f"✅ #{outcome.items[1].id} Done"]


async def test_a_deputy_reads_their_station_and_adds_evidence(
    bot: Runtime, people: Make, sandbox: Sandbox
) -> None:
    d1, d2, c1 = people(D1, "孙建国"), people(D2, "Deputy Wu", "en"), people(C1, "周小梅")
    await started(d1, c1)
    await started(d2, lang="en")
    assert "station" in await chat_menu(sandbox, D1)  # a deputy's menu
    await d1.command("station")
    card = await d1.receives(containing=V1)
    assert "制度：1 项" in card["text"] and "“六有”：6 项中 0 项达标" in card["text"]
    assert (
        "❌ 有场地" in card["text"]
        and "包抓人员：钱志强" in card["text"]
        and "地图位置：25.80000, 98.80000" in card["text"]
    )
    assert buttons(card) == ["📜 制度", "📍 地图", "📎 上传佐证"]
    await d1.press("📜 制度")
    rules = await d1.receives(where=new, containing="民情日记制度")
    assert "每次接待都要记入民情日记" in rules["text"]
    await d1.press("📍 地图")
    located = await d1.receives(where=lambda m: m["message"].get("location") is not None)
    assert located["message"]["location"]["latitude"] == pytest.approx(25.8)
    await d1.press("📎 上传佐证")
    picker = await d1.receives(where=new, containing="哪一项上传佐证材料")
    assert buttons(picker)[:2] == ["有场地", "有人员"]
    await d1.press("有场地")
    await d1.receives(where=new, containing="“有场地”的照片或文件")
    await d1.send("文字不行")
    await d1.receives(where=new, containing="请发送照片或文件作为佐证材料")
    await d1.send_photo("接待室")
    await d1.receives(where=new, containing="已保存（本次 1 个）")
    await d1.send_document(b"%PDF-1.4 minimal", "制度上墙.pdf")
    await d1.receives(where=new, containing="已保存（本次 2 个）")
    await d1.press("✅ 完成")
    await d1.receives(where=new, containing="已保存佐证材料 2 个")
    await d1.command("station")
    after = await d1.receives(where=new, containing=V1)
    assert "❌ 有场地 · 2 个文件" in after["text"]
    async with bot.services.uow() as u:
        kept = (await u.session.scalars(select(StationFile).order_by(StationFile.id))).all()
    assert [(f.kind, f.standard_item, f.file_name) for f in kept] == [
        ("photo", "venue", None),
        ("document", "venue", "制度上墙.pdf"),
    ]
    await d2.command("station")
    english = await d2.receives(containing="Rules (制度): 1")
    assert "A venue (有场地) · 2 file(s)" in english["text"]
    await c1.command("station")
    await c1.receives(containing="只有本站代表、包抓人员和人大工作人员可以在这里查看站点概况")
    await c1.command("inspect")
    await c1.receives(containing="您还没有分片包抓的站点")


async def test_every_new_button_refuses_the_wrong_people(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    m1, d1 = people(M1, "钱志强"), people(D1, "孙建国")
    c1, d3, p1 = people(C1, "周小梅"), people(D3, "李秀英"), people(P1, "赵立新")
    await started(m1, d1, c1, d3, p1)
    assert "inspect" in await chat_menu(m1.sandbox, M1)  # a committee member's menu
    today = local_today(clock)
    async with bot.services.uow() as u:
        v1 = await u.network.station_by_code("V1")
        m1_person, deputy = [await u.people.by_telegram_id(t) for t in (M1, D1)]
        assert v1 is not None and m1_person is not None and deputy is not None
        draft = InspectionDraft(
            v1.id,
            m1_person.id,
            today,
            ("visits",),
            "走访群众",
            (ItemDraft("公示栏更新", today + timedelta(days=7), deputy.id),),
        )
        outcome = await StationService(u, zone="Asia/Shanghai").record_inspection(
            draft, m1_person, clock.now()
        )
        await u.commit()
    item_id, sid = outcome.items[0].id, v1.id
    await m1.command("inspect")
    form = await m1.receives(where=new, containing="检查哪个站点")
    key = data_of(form, V1).split(":")[2]
    forged = [
        f"stn:v:rules:{sid}", f"stn:v:map:{sid}", f"stn:v:ev:{sid}", f"stn:ev:{sid}:venue", f"stn:ed:{sid}",
        f"stn:f:next:{key}", f"stn:f:ok:{key}", f"stn:fs:{key}:{sid}", f"stn:fk:{key}:files",
        f"stn:fd:{key}:{today}", f"stn:fu:{key}:7", f"stn:fw:{key}:{deputy.id}",
        f"stn:r:rep:{item_id}", f"stn:r:ok:{item_id}", f"stn:r:re:{item_id}",
    ]  # fmt: skip
    for user in (c1, d3, p1):  # a constituent, a deputy of another station, an inspector of another station
        for data in forged:
            before = await refusals(bot)
            await alert(user, data)
            assert await refusals(bot) == before + 1, (user.id, data)
    # Report done only by the responsible deputy; Confirm and Reopen only by the station's inspector.
    d1_alert = await alert(d1, f"stn:r:ok:{item_id}")
    assert d1_alert == "只有责任人、本站包抓人员和工作人员可以处理此整改项。"
    await alert(m1, f"stn:r:rep:{item_id}", "只有责任人")
    await alert(m1, f"stn:r:ok:{item_id}", "已有新进展")  # stale: nothing reported yet
    # An inspector's own form refuses a station not assigned to them, and forged data that does not parse.
    await p1.command("inspect")
    own = await p1.receives(where=new, containing="检查哪个站点")
    p1_key = data_of(own, "丁村人大代表联络站").split(":")[2]
    await alert(p1, f"stn:fs:{p1_key}:{sid}", "请从给出的按钮中选择")
    await alert(p1, "stn:r:ok:abc", "这个按钮已失效")
    async with bot.services.uow() as u:
        rows = (await u.session.scalars(select(AuditEntry).where(AuditEntry.allowed.is_(False)))).all()
    by_people = {r.actor_telegram_id for r in rows}
    assert {C1, D3, P1, D1, M1} <= by_people
    assert (await item_row(bot, item_id)).state == "open"  # nothing moved
