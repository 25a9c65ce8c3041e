"""The whole suggestion loop in one story, through the sandbox: a constituent's opinion becomes a deputy's
suggestion with a co-signer (提出), is published to the units at the 交办会 (交办), signed for, met about
and answered A (办理), rated satisfied and re-checked six months on (监督, 销号, 回头看) — and the
opinion's sender hears of every step without ever seeing anyone's words but their own.

Network (tests/data/network_e2e.yaml) with the units of the handling tests: D1 孙建国 (201) files, D3
李秀英 (203) co-signs, 周小梅 (301) sent the opinion, 王科长 (501) is the lead unit's officer, 钱志强 (102)
sits on the transport committee, 900001 is staff.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from storage.models.suggestions import Suggestion, SuggestionEvent
from tests.e2e.flows import opinion, started, submit
from tests.e2e.test_suggestions_handling_e2e import (
    STAFF,
    Make,
    answer,
    bot,  # noqa: F401 - the fixture: units U1 (lead by 归口), U2, U3, their officers, the committee member
    fresh,
    labels,
    published,
    row,
    sign,
    today,
)

NUMBER = re.compile(r"S-\d{4}-\d{4}")


async def test_an_opinion_becomes_a_suggestion_answered_closed_and_rechecked(
    bot: Runtime,  # noqa: F811
    people: Make,
    clock: ManualClock,
) -> None:
    staff, d1, d3 = people(STAFF, "办公室小张"), people(201, "孙建国"), people(203, "李秀英")
    sender, lead, member = people(301, "周小梅"), people(501, "王科长"), people(102, "钱志强")
    co, head = people(502, "Officer Li", "en"), people(504, "局长")
    await started(staff, d1, d3, sender, lead, member, head)
    await started(co, lang="en")

    # 提出: the opinion, accepted, escalated into a suggestion that D3 co-signs.
    tracking = await submit(sender, "村口公交站没有候车亭，雨天老人孩子淋雨", "交通出行")
    card = await d1.receives(containing=tracking)
    await d1.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="已受理")
    accepted = await d1.receives(containing=tracking, where=lambda m: "⬆️ 转为建议" in labels(m))
    await d1.press("⬆️ 转为建议", message_id=accepted["message_id"])
    await d1.receives(containing=f"由意见 {tracking} 转为建议")
    await d1.send("关于在村口公交站修建候车亭的建议")
    await d1.receives(containing="意见原文（将作为建议正文提交）")
    await d1.press("✔️ 使用此正文")
    await d1.receives(containing="请选择建议的类别")
    await d1.press("交通出行")
    await d1.receives(containing="附议/联名")
    await d1.send("D3")
    await d1.receives(containing="附件（照片、文件、调研材料）")
    await d1.press("➡️ 下一步")
    await d1.receives(containing="请核对您的建议")
    await d1.press("✅ 提交")
    await d1.receives(containing="正在等待附议代表答复：李秀英")
    invite = await d3.receives(containing="邀请您附议建议《关于在村口公交站修建候车亭的建议》")
    await d3.press("✅ 附议", message_id=invite["message_id"])
    filed = await d1.receives(containing="已正式提交，编号")
    found = NUMBER.search(filed["text"])
    assert found is not None
    number = found.group(0)
    await sender.receives(containing=f"您的意见 {tracking} 已转为代表建议 {number}")
    await staff.receives(containing=f"新建议 {number}")
    [suggestion] = list(await _suggestions(bot))
    assert suggestion.source_opinion_ids == [(await opinion(bot, tracking)).id]
    # Until staff accept it, the opinion keeps its own clock.
    assert (await opinion(bot, tracking)).state == "accepted"

    # 交办: prepared for U1 (U2 co-handles), published at the 交办会; the opinion leaves its clock.
    [s] = await published(bot, staff, suggestion)
    assert s.state == "assigned" and s.committee_id is not None and s.due_on is not None
    await d1.receives(containing=number, where=lambda m: "交通局" in m["text"])
    heard = await sender.receives(containing=number, where=lambda m: tracking in m["text"])
    assert "交通局" in heard["text"] and "孙建国" not in heard["text"]
    await member.receives(containing="由贵委对口督办")
    assert (await opinion(bot, tracking)).state == "escalated"

    # 办理: signed for, 办前沟通 confirmed by the deputy, answered A.
    handling = await sign(lead, d1, s)
    await lead.press("🤝 记录见面", message_id=handling["message_id"])
    await fresh(lead, "哪个阶段")
    await lead.press("办前沟通")
    await fresh(lead, "见面方式")
    await lead.press("电话")
    await fresh(lead, "哪一天")
    await lead.press("📅 今天")
    await fresh(lead, "见面情况摘要")
    await lead.send("电话沟通候车亭选址")
    met = await d1.receives(containing="电话沟通候车亭选址")
    await d1.press("✅ 确认", message_id=met["message_id"])
    await lead.receives(containing=f"孙建国代表确认了建议 {number} {today(bot).isoformat()} 的见面记录")
    await answer(lead, handling, "A类：已解决或基本解决", "候车亭已于本月建成并投入使用。")
    answered = await d1.receives(containing=f"交通局对您的建议 {number}")
    assert "候车亭已于本月建成并投入使用" in answered["text"]
    told = await sender.receives(containing=number, where=lambda m: "A类" in m["text"])
    assert "候车亭已于本月建成" not in told["text"]  # the sender hears the class, not the unit's words
    await d3.receives(containing=number, where=lambda m: "A类" in m["text"] or "答复" in m["text"])

    # 监督 / 销号: the deputy is satisfied; the suggestion closes with its 回头看 day six months on.
    await d1.press("😊 满意", message_id=answered["message_id"])
    await lead.receives(containing=number, where=lambda m: "满意" in m["text"])
    await sender.receives(containing=number, where=lambda m: "销号" in m["text"])
    closed = await row(bot, s.id)
    assert (closed.state, closed.rating, closed.closing_action) == ("closed", "satisfied", "rate_satisfied")
    assert closed.result_class == "A" and closed.first_answer_on_time is True
    assert closed.recheck_due_on is not None

    # 回头看: nothing before the day; on it, the deputy confirms it stayed solved.
    assert await bot.recheck() == 0
    clock.advance(timedelta(days=(closed.recheck_due_on - today(bot)).days + 1))
    assert await bot.recheck() == 1
    recheck = await d1.receives(containing="回头看", where=lambda m: number in m["text"])
    await d1.press("✅ 仍已解决", message_id=recheck["message_id"])
    await d1.receives(containing=f"建议 {number} 所提问题仍已解决")
    done = await row(bot, s.id)
    assert (done.state, done.recheck_outcome) == ("rechecked", "confirmed")
    await sender.command("my", tracking)
    mine = await sender.receives(containing=tracking, where=lambda m: number in m["text"])
    assert "A类" in mine["text"]

    # The ledger holds every step in order, each by the relation that took it.
    steps = [(e.action, e.actor_kind) for e in await _events(bot, s.id)]
    assert [a for a, _ in steps if a not in ("warn",)] == [
        "create",
        "invite_cosigners",
        "cosign",
        "file",
        "prepare",
        "publish",
        "sign_for",
        "record_contact",
        "confirm_contact",
        "answer",
        "rate_satisfied",
        "start_recheck",
        "recheck_confirm",
    ]
    assert dict(steps)["answer"] == "lead_officer" and dict(steps)["start_recheck"] == "system"


async def _suggestions(runtime: Runtime) -> list[Suggestion]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(Suggestion).order_by(Suggestion.id)))


async def _events(runtime: Runtime, suggestion_id: int) -> list[SuggestionEvent]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(SuggestionEvent)
            .where(SuggestionEvent.suggestion_id == suggestion_id)
            .order_by(SuggestionEvent.at, SuggestionEvent.id)
        )
        return list(rows)
