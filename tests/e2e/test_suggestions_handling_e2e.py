"""办理 through the sandbox: the lead unit signs for its task card, records 三见面 contacts the deputy
confirms or disputes, sees the co-unit's opinion on its card, answers with each result class; the deputy
rates (satisfied closes; dissatisfied sends it back once, then to staff, who reassign it); staff grant
more time or deny a request; the reminders climb the ladder rung by rung. Every new button is pressed
by the wrong role, the wrong unit and on a stale state, and refused with an alert and audited.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201), committee member M1 钱志强 (102, added here to
the transport committee), constituent 周小梅 (301); user 900001 is admin and staff. Units (added here):
U1 交通局 (officer 王科长 501, head 局长 504), U2 公路局 (Officer Li 502, in English), U3 水利局 (赵科长 503).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.suggestions.assign import AssignmentService
from storage.models import (
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Unit,
    UnitCategory,
)
from storage.models.suggestions import Suggestion, SuggestionAnswer
from tests.e2e.flows import opinion, started, submit
from tests.e2e.test_suggestions_assign_e2e import alert, file, refusals, row
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
STAFF = 900001
ZONE = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """The bot as wired, with three units (U1 leads transport by 归口, U2 co-handles), their officers, and
    M1 on the transport committee that supervises transport suggestions."""
    async with network.services.uow() as uow:
        units = [
            Unit(code=c, name=n, kind="government")
            for c, n in (("U1", "交通局"), ("U2", "公路局"), ("U3", "水利局"))
        ]
        uow.session.add_all(units)
        officers = [
            Person(name=n, telegram_id=t)
            for n, t in (("王科长", 501), ("Officer Li", 502), ("赵科长", 503), ("局长", 504))
        ]
        uow.session.add_all(officers)
        await uow.flush()
        uow.session.add_all([UnitCategory(unit_id=u.id, category="transport") for u in units[:2]])
        for unit, officer in zip([*units, units[0]], officers, strict=True):
            uow.session.add(PersonRole(person_id=officer.id, role=Role.UNIT_OFFICER.value))
            await uow.units.add_officer(unit.id, officer.id, head=officer.telegram_id == 504)
        committee = await uow.session.scalar(select(SpecialCommittee).where(SpecialCommittee.code == "TRAF"))
        member = await uow.people.by_telegram_id(102)
        assert committee is not None and member is not None
        uow.session.add(SpecialCommitteeMember(committee_id=committee.id, person_id=member.id))
        await uow.commit()
    return network


async def published(bot: Runtime, staff: SandboxUser, *suggestions: Suggestion) -> list[Suggestion]:
    """Prepared for U1 (U2 co-handles) by the service, published by staff in chat (the 交办会)."""
    async with bot.services.uow() as uow:
        staff_person = await uow.people.by_telegram_id(STAFF)
        u1, u2 = await uow.units.by_code("U1"), await uow.units.by_code("U2")
        assert staff_person is not None and u1 is not None and u2 is not None
        for s in suggestions:
            done = await AssignmentService(uow).prepare(
                s.id, staff_person.id, u1.id, [u2.id], bot.services.clock.now()
            )
            assert done.ok, done.refusal
        await uow.commit()
    await staff.command("suggestions", "publish")
    await staff.receives(containing="交办会已发出")
    return [await row(bot, s.id) for s in suggestions]


def labels(message: dict[str, Any]) -> list[str]:
    return [b["text"] for r in (message["reply_markup"] or {}).get("inline_keyboard", []) for b in r]


def data_of(message: dict[str, Any], label: str) -> str:
    return next(
        str(b["callback_data"])
        for r in (message["reply_markup"] or {}).get("inline_keyboard", [])
        for b in r
        if b["text"] == label
    )


async def fresh(user: SandboxUser, text: str) -> dict[str, Any]:
    """A new message containing `text` (a prompt whose buttons were pressed comes back as an edit)."""
    return await user.receives(containing=text, where=lambda m: not m["edited"])


def today(bot: Runtime) -> date:
    return bot.services.clock.now().astimezone(ZONE).date()


async def sign(lead: SandboxUser, d1: SandboxUser, s: Suggestion) -> dict[str, Any]:
    """签收 on the task card; the card turns into the handling card in place."""
    card = await lead.receives(containing=f"新交办任务：建议 {s.number}")
    assert labels(card) == ["✍️ 签收", "🙅 非本单位职责"]
    await lead.press("✍️ 签收", message_id=card["message_id"])
    handling = await lead.receives(
        containing="状态：办理中", where=lambda m: m["message_id"] == card["message_id"]
    )
    await d1.receives(containing=f"交通局已签收您的建议 {s.number}")
    return handling


async def answer(lead: SandboxUser, card: dict[str, Any], klass: str, text: str, *extra: str) -> None:
    """📝 on the card, the class, the text, then B's day or C's reason (typed), then ✅ 发送."""
    await lead.press("📝 答复", message_id=card["message_id"])
    await fresh(lead, "请选择办理结果类别")
    await lead.press(klass)
    await fresh(lead, "请输入答复正文")
    await lead.send(text)
    for typed in extra:
        await fresh(lead, "须")
        await lead.send(typed)
    await fresh(lead, "然后按“发送”")
    await lead.press("✅ 发送")
    await lead.receives(containing="的答复已发送给代表")


async def test_sign_for_and_the_three_contacts(bot: Runtime, people: Make) -> None:
    staff, d1, sender = people(STAFF, "办公室小张"), people(201, "孙建国"), people(301, "周小梅")
    lead, co, other, member = (
        people(501, "王科长"),
        people(502, "Officer Li", "en"),
        people(503, "赵科长"),
        people(102, "钱志强"),
    )
    head = people(504, "局长")
    await started(staff, d1, sender, lead, other, member, head)
    await started(co, lang="en")
    [s] = await published(bot, staff, await file(bot, 201, "修建候车亭"))
    co_card = await co.receives(containing=f"Suggestion {s.number}")
    assert labels(co_card) == ["💬 Send our opinion"]
    await member.receives(containing="由贵委对口督办")

    # Wrong role, wrong unit: 签收 by the deputy, the co-unit, another unit, a constituent.
    for user in (d1, co, other, sender):
        await alert(user, f"sg:ht:s:{s.id}")
    # The co-unit waits for the lead unit's signature; "more time" waits for it too.
    assert "has not signed" in await alert(co, f"sg:ht:o:{s.id}")
    await alert(lead, f"sg:u:t:{s.id}")
    card = await sign(lead, d1, s)
    assert labels(card) == ["🙅 非本单位职责", "⏳ 申请延期", "🤝 记录见面", "📝 答复"]
    assert (await row(bot, s.id)).signed_at is not None
    await alert(lead, f"sg:ht:s:{s.id}")  # stale: signed for already
    for user in (d1, co, other):  # only the lead unit records contacts
        await alert(user, f"sg:ht:c:{s.id}")

    # 办前沟通: by phone, today, confirmed by the deputy.
    day = today(bot).isoformat()
    await lead.press("🤝 记录见面", message_id=card["message_id"])
    await fresh(lead, "哪个阶段")
    await alert(other, f"sg:hd:st:{s.id}:before")  # no dialog in that chat: stale
    await lead.press("办前沟通")
    await fresh(lead, "见面方式")
    await alert(lead, f"sg:hd:st:{s.id}:during")  # a button of the step before: refused
    await lead.press("电话")
    await fresh(lead, "哪一天")
    await lead.press("📅 今天")
    await fresh(lead, "见面情况摘要")
    await lead.send("电话沟通，了解候车亭选址诉求")
    await lead.receives(containing=f"已记录建议 {s.number} 的见面情况")
    before = await d1.receives(containing="电话沟通，了解候车亭选址诉求")
    assert (
        "办前沟通" in before["text"] and day in before["text"] and labels(before) == ["✅ 确认", "❌ 有异议"]
    )
    confirm = data_of(before, "✅ 确认")
    for user in (lead, other, sender):
        await alert(user, confirm)
    await d1.press("✅ 确认", message_id=before["message_id"])
    await d1.receives(containing="您已确认这次见面")
    await lead.receives(containing=f"孙建国代表确认了建议 {s.number} {day} 的见面记录（办前沟通）")
    assert "已答复过" in await alert(d1, confirm)  # stale: judged already

    # 办中协商: a visit on a typed day (not in the future), disputed with a reason; the committee is copied.
    await lead.press("🤝 记录见面", message_id=card["message_id"])
    await fresh(lead, "哪个阶段")
    await lead.press("办中协商")
    await fresh(lead, "见面方式")
    await lead.press("走访")
    await fresh(lead, "哪一天")
    await lead.send((today(bot) + timedelta(days=1)).isoformat())
    await lead.receives(containing="该日期不可用")
    await lead.send("明天")
    await lead.receives(containing="请按 2026-03-05 的格式输入日期")
    await lead.send(day)
    await fresh(lead, "见面情况摘要")
    await lead.send("到村口现场走访")
    await lead.receives(containing=f"已记录建议 {s.number} 的见面情况")
    during = await d1.receives(containing="到村口现场走访")
    await d1.press("❌ 有异议", message_id=during["message_id"])
    await d1.receives(containing="有异议的理由")
    await d1.send("当天并未走访")
    await d1.receives(containing="您已对这次见面记录提出异议")
    told = await lead.receives(containing=f"孙建国代表对建议 {s.number} {day} 的见面记录（办中协商）有异议")
    assert "理由：当天并未走访" in told["text"]
    copied = await member.receives(containing="孙建国代表对交通局就建议")
    assert "理由：当天并未走访" in copied["text"]
    await alert(d1, data_of(during, "❌ 有异议"))  # stale: disputed already

    # 办后回访: a meeting; Cancel half-way leaves nothing; then recorded and confirmed.
    await lead.press("🤝 记录见面", message_id=card["message_id"])
    await fresh(lead, "哪个阶段")
    await lead.press("办后回访")
    await fresh(lead, "见面方式")
    await lead.press("✖️ 取消")
    await lead.receives(containing="已取消，未发送任何内容")
    await lead.press("🤝 记录见面", message_id=card["message_id"])
    await fresh(lead, "哪个阶段")
    await lead.press("办后回访")
    await fresh(lead, "见面方式")
    await lead.press("座谈")
    await fresh(lead, "哪一天")
    await lead.press("📅 今天")
    await fresh(lead, "见面情况摘要")
    await lead.send("座谈回访，代表认可进展")
    await lead.receives(containing=f"已记录建议 {s.number} 的见面情况")
    after = await d1.receives(containing="座谈回访，代表认可进展")
    await d1.press("✅ 确认", message_id=after["message_id"])
    confirmed = await lead.receives(containing="的见面记录（办后回访）")

    # The card (📋 on the notice) shows the three contacts with the deputy's verdicts.
    await lead.press("📋 任务卡", message_id=confirmed["message_id"])
    shown = await lead.receives(containing="🤝 三见面记录")
    text = shown["text"]
    assert "办前沟通" in text and "办中协商" in text and "办后回访" in text
    assert text.count("✅ 代表已确认") == 2 and "❌ 代表有异议 (当天并未走访)" in text
    for user in (d1, other, sender):  # the card is the units' only
        await alert(user, f"sg:ht:v:{s.id}")
    # /suggestions lists the unit's suggestions for its officers.
    await lead.command("suggestions")
    listed = await lead.receives(containing="贵单位承办的建议")
    assert s.number in listed["text"] and labels(listed) == [f"📋 {s.number}"]

    reasons = await refusals(bot, "suggestion.")
    assert sum(r["action"] == "suggestion.sign_for" for r in reasons) == 5
    assert {r["reason"] for r in reasons if r["action"] == "suggestion.sign_for"} == {
        "not_permitted",
        "no_relation",
        "stale_state",
    }
    assert any(r["action"] == "suggestion.co_opinion" and r["reason"] == "stale_state" for r in reasons)
    assert sum(r["action"] == "suggestion.confirm_contact" for r in reasons) == 4
    assert any(
        r["action"] == "suggestion.dispute_contact" and r["reason"] == "already_answered" for r in reasons
    )
    assert sum(r.get("reason") == "stale_dialog" for r in reasons) == 1
    assert sum(r.get("reason") == "not_unit" for r in reasons) == 3


async def test_co_opinion_and_an_answer_of_each_class(bot: Runtime, people: Make) -> None:
    staff, d1, sender = people(STAFF, "办公室小张"), people(201, "孙建国"), people(301, "周小梅")
    lead, co, other, member = (
        people(501, "王科长"),
        people(502, "Officer Li", "en"),
        people(503, "赵科长"),
        people(102, "钱志强"),
    )
    head = people(504, "局长")
    await started(staff, d1, sender, lead, other, member, head)
    await started(co, lang="en")
    tracking = await submit(sender, "村口公交站没有候车亭", "交通出行")
    held = await d1.receives(containing=tracking)
    await d1.press("✅ 受理", message_id=held["message_id"])
    await sender.receives(containing="已受理")
    source = await opinion(bot, tracking)
    sa, sb, sc = await published(
        bot,
        staff,
        await file(bot, 201, "修建候车亭", source.id),
        await file(bot, 201, "拓宽村道"),
        await file(bot, 201, "新建桥梁"),
    )
    await sender.receives(containing=f"由您的意见 {tracking} 转成的建议 {sa.number} 已交办交通局")
    cards = {s.id: await sign(lead, d1, s) for s in (sa, sb, sc)}

    # The co-unit's opinion, with a photo, reaches the lead unit and shows on its card.
    co_card = await co.receives(containing=f"Suggestion {sa.number}")
    await co.press("💬 Send our opinion", message_id=co_card["message_id"])
    await fresh(co, "Type your unit's opinion")
    await co.send("建议统筹农村公路养护资金")
    await fresh(co, "Attached: 0")
    await co.send_photo()
    await co.receives(containing="Attached (1)")
    await alert(other, f"sg:hd:ok:{sa.id}")  # another chat holds no dialog
    await co.press("✅ Send")
    await co.receives(containing=f"opinion on suggestion {sa.number} went to the lead unit")
    got = await lead.receives(containing="协办单位公路局对建议")
    assert "建议统筹农村公路养护资金" in got["text"] and "附件 1 个" in got["text"]
    await lead.receives(where=lambda m: m["kind"] == "photo")
    await lead.press("📋 任务卡", message_id=got["message_id"])
    shown = await lead.receives(containing="💬 协办意见")
    assert "公路局: 建议统筹农村公路养护资金" in shown["text"]
    for user in (co, other, d1):  # only the lead unit answers
        await alert(user, f"sg:ht:a:{sa.id}")
    for user in (lead, other, d1):  # only a co-unit sends an opinion
        await alert(user, f"sg:ht:o:{sa.id}")

    # A: the deputy gets the answer with its class and the rating buttons; the committee its text; the
    # opinion's sender only the class.
    await answer(lead, cards[sa.id], "A类：已解决或基本解决", "候车亭已建成并投入使用。")
    got = await d1.receives(containing=f"交通局对您的建议 {sa.number}")
    assert "A类：已解决或基本解决" in got["text"] and "候车亭已建成并投入使用。" in got["text"]
    assert labels(got) == ["😊 满意", "🙂 基本满意", "😞 不满意"]
    committee = await member.receives(containing=f"交通局已答复孙建国代表的建议 {sa.number}")
    assert "候车亭已建成并投入使用。" in committee["text"]
    follower = await sender.receives(
        containing=f"由您的意见 {tracking} 转成的建议 {sa.number} 已由交通局答复"
    )
    assert (
        "A类" in follower["text"]
        and "候车亭已建成" not in follower["text"]
        and "孙建国" not in follower["text"]
    )
    rate = data_of(got, "😊 满意")
    for user in (lead, co, sender, other):
        await alert(user, rate)
    await d1.press("😊 满意", message_id=got["message_id"])
    await d1.receives(containing="该建议已销号")
    await lead.receives(containing=f"就建议 {sa.number}《修建候车亭》的答复评价为：对答复满意")
    await sender.receives(containing=f"建议 {sa.number} 已办结销号")
    await member.receives(containing="已销号：孙建国代表对交通局答复的评价为：对答复满意")
    closed = await row(bot, sa.id)
    assert (closed.state, closed.closing_action, closed.result_class) == ("closed", "rate_satisfied", "A")
    assert closed.recheck_due_on is not None and closed.first_answer_on_time is True
    await alert(d1, rate)  # stale: rated already
    await alert(d1, data_of(got, "🙂 基本满意"))
    await alert(lead, f"sg:ht:a:{sa.id}")  # stale: answer after closing
    await alert(lead, f"sg:ht:c:{sa.id}")  # stale: a contact after closing

    # B: a planned day typed (not in the past); basically satisfied.
    planned = (today(bot) + timedelta(days=200)).isoformat()
    await lead.press("📝 答复", message_id=cards[sb.id]["message_id"])
    await fresh(lead, "请选择办理结果类别")
    await lead.press("B类：列入计划逐步解决")
    await fresh(lead, "请输入答复正文")
    await lead.send("拓宽工程已列入明年计划。")
    await fresh(lead, "计划解决时间")
    await lead.send((today(bot) - timedelta(days=1)).isoformat())
    await lead.receives(containing="该日期不可用")
    await lead.send(planned)
    await fresh(lead, "然后按“发送”")
    await lead.press("✅ 发送")
    got = await d1.receives(containing=f"交通局对您的建议 {sb.number}")
    assert "B类" in got["text"] and f"计划解决时间：{planned}" in got["text"]
    await d1.press("🙂 基本满意", message_id=got["message_id"])
    await d1.receives(containing="对答复基本满意")
    b = await row(bot, sb.id)
    assert (b.state, b.closing_action, b.planned_on, b.recheck_due_on) == (
        "closed",
        "rate_basic",
        date.fromisoformat(planned),
        date.fromisoformat(planned),
    )

    # C: a reason typed and a document attached; the deputy receives both.
    await lead.press("📝 答复", message_id=cards[sc.id]["message_id"])
    await fresh(lead, "请选择办理结果类别")
    await lead.press("C类：因条件限制留作参考")
    await fresh(lead, "请输入答复正文")
    await lead.send("新建桥梁需省级立项。")
    await fresh(lead, "C类答复须说明")
    await lead.send("资金和立项条件暂不具备")
    await fresh(lead, "然后按“发送”")
    await lead.send_document(b"plan", "plan.pdf")
    await lead.receives(containing="已附 1 个附件")
    await lead.press("✅ 发送")
    await lead.receives(containing="的答复已发送给代表")
    got = await d1.receives(containing=f"交通局对您的建议 {sc.number}")
    assert "C类" in got["text"] and "理由：资金和立项条件暂不具备" in got["text"]
    await d1.receives(where=lambda m: m["kind"] == "document")
    async with bot.services.uow() as uow:
        answers = (await uow.session.scalars(select(SuggestionAnswer).order_by(SuggestionAnswer.id))).all()
    assert [(a.result_class, a.round, len(a.attachments or [])) for a in answers] == [
        ("A", 1, 0),
        ("B", 1, 0),
        ("C", 1, 1),
    ]

    reasons = await refusals(bot, "suggestion.")
    assert sum(r["action"] == "suggestion.answer" for r in reasons) == 4
    assert sum(r["action"] == "suggestion.rate_satisfied" for r in reasons) == 5
    assert any(r["action"] == "suggestion.rate_basic" and r["reason"] == "stale_state" for r in reasons)
    assert sum(r["action"] == "suggestion.co_opinion" for r in reasons) == 3


async def test_dissatisfied_rehandled_then_staff_reassign(bot: Runtime, people: Make) -> None:
    staff, d1 = people(STAFF, "办公室小张"), people(201, "孙建国")
    lead, other, member = people(501, "王科长"), people(503, "赵科长"), people(102, "钱志强")
    co, head = people(502, "Officer Li", "en"), people(504, "局长")
    await started(staff, d1, lead, other, member, head)
    await started(co, lang="en")
    [s] = await published(bot, staff, await file(bot, 201, "修建候车亭"))
    await member.receives(containing="由贵委对口督办")
    card = await sign(lead, d1, s)
    await answer(lead, card, "A类：已解决或基本解决", "已建成。")
    got = await d1.receives(containing=f"交通局对您的建议 {s.number}")
    for user in (lead, other):
        await alert(user, data_of(got, "😞 不满意"))
    await d1.press("😞 不满意", message_id=got["message_id"])
    await d1.receives(containing="不满意的理由")
    await d1.send("候车亭没有顶棚")
    done = await d1.receives(containing="已退回承办单位重新办理")
    rehandled = await row(bot, s.id)
    assert (rehandled.state, rehandled.rehandle_count, rehandled.rating) == ("rehandling", 1, "dissatisfied")
    assert rehandled.due_on is not None and rehandled.due_on.isoformat() in done["text"]
    assert rehandled.next_warning_at is not None
    back = await lead.receives(containing="退回贵单位重新办理")
    assert "理由：候车亭没有顶棚" in back["text"] and rehandled.due_on.isoformat() in back["text"]
    await member.receives(containing="已退回重新办理")
    await alert(d1, data_of(got, "😊 满意"))  # stale: the old answer is being re-handled

    # The re-handled answer (round 2), dissatisfied again: to staff.
    await lead.press("📋 任务卡", message_id=back["message_id"])
    again = await lead.receives(containing="状态：重新办理中")
    await answer(lead, again, "A类：已解决或基本解决", "已加装顶棚。")
    got = await d1.receives(containing=f"交通局重新办理后对您的建议 {s.number}")
    await d1.press("😞 不满意", message_id=got["message_id"])
    await d1.send("顶棚漏雨")
    await d1.receives(containing="现由人大办公室审查处理")
    review = await staff.receives(containing=f"孙建国代表对交通局就建议 {s.number}")
    assert "理由：顶棚漏雨" in review["text"] and labels(review) == ["🔁 改办", "🏁 销号"]
    await lead.receives(containing="仍不满意，现由人大办公室审查处理")
    await member.receives(containing="仍不满意，交人大办公室审查处理")
    assert (await row(bot, s.id)).state == "staff_review"

    # Staff reassign it to 水利局 with the assignment picker (wrong roles refused).
    for user in (lead, d1, other):
        await alert(user, f"sg:hs:r:{s.id}")
    await staff.press("🔁 改办", message_id=review["message_id"])
    picker = await staff.receives(containing="主办单位：公路局")  # the 归口 proposal, without 交通局
    assert "🔁 改办" in labels(picker)
    await staff.press("⌨️ 输入单位编号")
    await staff.send("U1")
    await staff.receives(containing="主办单位：交通局")
    await staff.press("🔁 改办")  # the same lead unit: refused
    await staff.send("U3")
    await staff.receives(containing="主办单位：水利局")
    await staff.press("🔁 改办")
    await staff.receives(containing=f"已办：建议 {s.number} 现为“已交办”")
    new_card = await other.receives(containing=f"新交办任务：建议 {s.number}")
    assert labels(new_card) == ["✍️ 签收", "🙅 非本单位职责"]
    await lead.receives(containing="已改由水利局主办，贵单位不再主办")
    await d1.receives(containing=f"您的建议 {s.number}《修建候车亭》已改由水利局主办")
    await member.receives(containing=f"建议 {s.number}《修建候车亭》已改由水利局主办")
    moved = await row(bot, s.id)
    assert moved.state == "assigned" and moved.signed_at is None and moved.due_on is not None
    await alert(lead, f"sg:ht:s:{s.id}")  # the old lead unit: no longer its task
    await alert(staff, f"sg:hs:r:{s.id}")  # stale: reassigned already

    reasons = await refusals(bot, "suggestion.")
    assert sum(r["action"] == "suggestion.reassign" for r in reasons) == 5
    assert any(r["action"] == "suggestion.reassign" and r.get("detail") == "same_lead" for r in reasons)
    assert sum(r["action"] == "suggestion.rate_dissatisfied" for r in reasons) == 2


async def test_more_time_granted_and_requests_denied(bot: Runtime, people: Make) -> None:
    staff, d1 = people(STAFF, "办公室小张"), people(201, "孙建国")
    lead, other, member = people(501, "王科长"), people(503, "赵科长"), people(102, "钱志强")
    co, head = people(502, "Officer Li", "en"), people(504, "局长")
    await started(staff, d1, lead, other, member, head)
    await started(co, lang="en")
    s1, s2 = await published(bot, staff, await file(bot, 201, "修建候车亭"), await file(bot, 201, "拓宽村道"))
    card1, card2 = await sign(lead, d1, s1), await sign(lead, d1, s2)

    await lead.press("⏳ 申请延期", message_id=card1["message_id"])
    await lead.send("需跨部门协调")
    asked = await staff.receives(containing=f"主办单位交通局申请延期办理建议 {s1.number}")
    assert labels(asked) == ["✅ 同意延期", "✋ 不同意"]
    for user in (lead, d1, other):
        await alert(user, f"sg:hs:g:{s1.id}")
        await alert(user, f"sg:hs:m:{s1.id}:5")
    await staff.press("✅ 同意延期", message_id=asked["message_id"])
    months = await staff.receives(containing="请选择新的期限")
    assert labels(months) == ["4 个月", "5 个月", "6 个月"]
    await staff.press("5 个月")
    await staff.receives(containing="作出决定的理由")
    await staff.send("涉及跨年预算")
    assigned = (await row(bot, s1.id)).assigned_at
    assert assigned is not None
    due = _months(assigned.astimezone(ZONE).date(), 5).isoformat()
    await staff.receives(containing=f"现为“办理中”，办理期限 {due}")
    granted = await lead.receives(containing=f"办理期限延至 {due}（自交办起 5 个月）")
    assert "理由：涉及跨年预算" in granted["text"]
    await d1.receives(containing=f"已获准延期，办理期限延至 {due}")
    await member.receives(containing=f"已获准延期，办理期限延至 {due}")
    extended = await row(bot, s1.id)
    assert (extended.state, extended.term_months, extended.due_on) == ("handling", 5, date.fromisoformat(due))
    await alert(staff, f"sg:hs:g:{s1.id}")  # stale: decided already
    await alert(staff, f"sg:hs:m:{s1.id}:6")

    # "Not ours" denied: the unit keeps it. Then more time asked and denied.
    await lead.press("🙅 非本单位职责", message_id=card2["message_id"])
    await lead.send("属于公路局")
    asked = await staff.receives(containing=f"主办单位交通局提出建议 {s2.number}")
    assert labels(asked) == ["🔁 改办", "✋ 不同意"]
    await alert(lead, f"sg:hs:dr:{s2.id}")
    await staff.press("✋ 不同意", message_id=asked["message_id"])
    await staff.receives(containing="作出决定的理由")
    await staff.send("属于交通局职责")
    await staff.receives(containing=f"建议 {s2.number} 现为“办理中”")
    kept = await lead.receives(containing="仍由贵单位主办")
    assert "理由：属于交通局职责" in kept["text"]
    await lead.press("⏳ 申请延期", message_id=card2["message_id"])
    await lead.send("需要调研")
    asked = await staff.receives(containing=f"主办单位交通局申请延期办理建议 {s2.number}")
    await staff.press("✋ 不同意", message_id=asked["message_id"])
    await staff.send("期限充足")
    await lead.receives(containing=f"人大办公室未批准建议 {s2.number}")
    assert (await row(bot, s2.id)).state == "handling"
    await alert(staff, f"sg:hs:de:{s2.id}")  # stale

    reasons = await refusals(bot, "suggestion.")
    assert sum(r["action"] == "suggestion.grant_extension" for r in reasons) == 8
    assert sum(r["action"] == "suggestion.deny_reassign" for r in reasons) == 1
    assert sum(r["action"] == "suggestion.deny_extension" for r in reasons) == 1


def _months(day: date, months: int) -> date:
    from bot.suggestions.deadlines import add_months

    return add_months(day, months)


async def _at(bot: Runtime, clock: ManualClock, day: date) -> None:
    """Move the clock to 10:00 on `day` in Shanghai (out of quiet hours), then sweep."""
    target = datetime.combine(day, time(10, 0), tzinfo=ZONE)
    clock.advance(target - bot.services.clock.now())
    await bot.sweep()


async def test_reminders_climb_the_ladder_once_per_rung(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    staff, d1 = people(STAFF, "办公室小张"), people(201, "孙建国")
    lead, head, member = people(501, "王科长"), people(504, "局长"), people(102, "钱志强")
    await started(staff, d1, lead, head, member)
    await started(people(502, "Officer Li", "en"), lang="en")
    [s] = await published(bot, staff, await file(bot, 201, "修建候车亭"))
    await member.receives(containing="由贵委对口督办")
    await sign(lead, d1, s)
    assert s.due_on is not None
    await head.receives(containing=f"新交办任务：建议 {s.number}")  # the head officer is an officer too

    await _at(bot, clock, s.due_on - timedelta(days=30))  # green: nobody
    await _at(bot, clock, s.due_on - timedelta(days=5))  # yellow: the officer
    warned = await lead.receives(containing=f"贵单位承办的建议 {s.number}")
    assert "🟡 临近期限" in warned["text"] and labels(warned) == ["📋 任务卡"]
    await bot.sweep()
    await head.receives_nothing()
    await _at(bot, clock, s.due_on + timedelta(days=1))  # red: and the head officer
    for user in (lead, head):
        assert "🔴 已超期" in (await user.receives(containing=f"贵单位承办的建议 {s.number}"))["text"]
    await staff.receives_nothing()
    await _at(bot, clock, s.due_on + timedelta(days=8))  # red a week: and staff and the committee
    for user in (lead, head):
        await user.receives(containing=f"贵单位承办的建议 {s.number}")
    for user in (staff, member):
        assert "交交通局办理的建议" in (await user.receives(containing=s.number or ""))["text"]
    await _at(bot, clock, s.due_on + timedelta(days=40))  # every rung warned: nothing more
    for user in (lead, head, staff, member):
        await user.receives_nothing()
    async with bot.services.uow() as uow:
        events = await uow.suggestions.events(s.id)
    assert [e.note for e in events if e.action == "warn"] == ["yellow:0", "red:1", "red:2"]
