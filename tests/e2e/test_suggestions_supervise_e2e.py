"""监督 through the sandbox: the committee's /supervise view with colours, overdue first, paged; a
reminder and a comment reaching the lead unit's officer; the office asked to step in; staff 销号 with a
reason; 回头看 of a B answer on its planned date and of A answers six months on (the injected clock moved),
one confirmed, one reopened and concluded by the committee; /ledger as an XLSX workbook; the opinion's
sender seeing the suggestion in /my. Every new button pressed by the wrong role, the wrong committee and
in a stale state is refused with an alert and audited.

Network (tests/data/network_e2e.yaml): M1 钱志强 (102) sits on the transport committee here, P1 赵立新 (101)
on the agriculture one; D1 孙建国 (201) files, D2 Deputy Wu (202); constituent 周小梅 (301); 900001 is
staff. Units 交通局 (officer 王科长, 501) and 公路局 (502) are added here. Handling (sign for, answer, rating)
is another part's, so its rows are written by tests/suggestions/seed.py.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from bot.suggestions.numbering import local_day
from storage.models import AuditEntry, SpecialCommitteeMember
from storage.models.suggestions import Suggestion
from storage.unit_of_work import UnitOfWork
from tests.e2e.flows import opinion, started, submit
from tests.e2e.test_start import chat_menu
from tests.kit import SandboxUser
from tests.suggestions import seed

Make = Callable[..., SandboxUser]
STAFF, MEMBER, OTHER_MEMBER, FILER, DEPUTY, SENDER, OFFICER, CO_OFFICER = (
    900001,
    102,
    101,
    201,
    202,
    301,
    501,
    502,
)


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """Two transport units with an officer each; M1 on the transport committee, P1 on agriculture."""
    async with network.services.uow() as u:
        for telegram_id, name in ((OFFICER, "王科长"), (CO_OFFICER, "李科长")):
            await seed.person(u, name, telegram_id)
        await seed.unit(u, "U1", "交通局", await _pid(u, OFFICER), ["transport"])
        await seed.unit(u, "U2", "公路局", await _pid(u, CO_OFFICER), ["transport"])
        for code, telegram_id in (("TRAF", MEMBER), ("AGRI", OTHER_MEMBER)):
            committee = await u.network.committee_id(code)
            assert committee is not None
            u.session.add(
                SpecialCommitteeMember(committee_id=committee, person_id=await _pid(u, telegram_id))
            )
        await u.commit()
    return network


async def _pid(u: UnitOfWork, telegram_id: int) -> int:
    person = await u.people.by_telegram_id(telegram_id)
    assert person is not None, telegram_id
    return person.id


async def assigned(
    bot: Runtime, days_ago: int, title: str, *, opinion_id: int | None = None, signed: bool = True
) -> Suggestion:
    """A transport suggestion of D1, published `days_ago` at the 交办会 to 交通局 (公路局 co-handling)."""
    at = bot.services.clock.now() - timedelta(days=days_ago)
    async with bot.services.uow() as u:
        filer, staff = await _pid(u, FILER), await _pid(u, STAFF)
        lead = await u.units.by_code("U1")
        co = await u.units.by_code("U2")
        assert lead is not None and co is not None
        ids = [opinion_id] if opinion_id else []
        s = await seed.published(u, filer, staff, lead.id, at, title=title, co_ids=[co.id], opinion_ids=ids)
        if signed:
            await seed.signed(
                u, s, await _pid(u, OFFICER), min(at + timedelta(hours=2), bot.services.clock.now())
            )
        await u.commit()
        return s


async def answer(bot: Runtime, suggestion_id: int, klass: str, *, rate: str | None = None, **kw: Any) -> None:
    """The lead unit's answer now (and the deputy's rating), as handling writes them."""
    now = bot.services.clock.now()
    async with bot.services.uow() as u:
        s = await u.session.get(Suggestion, suggestion_id)
        assert s is not None
        await seed.answered(u, s, await _pid(u, OFFICER), klass, now, **kw)
        if rate is not None:
            await seed.rated(u, s, rate, now)
        await u.commit()


async def row(bot: Runtime, suggestion_id: int) -> Suggestion:
    async with bot.services.uow() as u:
        found = await u.session.get(Suggestion, suggestion_id)
        assert found is not None
        return found


async def alert(user: SandboxUser, data: str, containing: str = "") -> str:
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer["show_alert"], answer
    assert containing in str(answer["text"]), answer
    return str(answer["text"])


async def refusals(bot: Runtime) -> list[dict[str, Any]]:
    async with bot.services.uow() as u:
        rows = await u.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like("suggestion.%"), AuditEntry.allowed.is_(False))
            .order_by(AuditEntry.id)
        )
        return [{"action": e.action, "actor": e.actor_person_id, **(e.detail or {})} for e in rows]


async def test_the_committee_supervises_and_reminds(bot: Runtime, people: Make, sandbox: Sandbox) -> None:
    staff, member, other_member = (
        people(STAFF, "办公室小张"),
        people(MEMBER, "钱志强"),
        people(OTHER_MEMBER, "赵立新"),
    )
    filer, sender, officer, co_officer = (
        people(FILER, "孙建国"),
        people(SENDER, "周小梅"),
        people(OFFICER, "王科长"),
        people(CO_OFFICER, "李科长"),
    )
    await started(staff, member, other_member, filer, sender, officer, co_officer)
    green = await assigned(bot, 10, "修建候车亭")
    red = await assigned(bot, 100, "修缮村道")
    yellow = await assigned(bot, 80, "增设路灯")
    assert {"supervise"} <= set(await chat_menu(sandbox, MEMBER))
    assert "ledger" in await chat_menu(sandbox, STAFF) and "ledger" not in await chat_menu(sandbox, MEMBER)

    await member.command("supervise")
    view = await member.receives(containing="督办")
    text = str(view["text"])
    assert (
        text.index(f"🔴 {red.number}") < text.index(f"🟡 {yellow.number}") < text.index(f"🟢 {green.number}")
    )
    assert f"期限 {green.due_on.isoformat()}" in text and text.count("交通局") == 3  # type: ignore[union-attr]
    labels = [[b["text"] for b in r] for r in view["reply_markup"]["inline_keyboard"]]
    assert labels[0] == [f"💬 {red.number}", f"🔔 {red.number}", f"⬆️ {red.number}"]

    # Wrong committee, wrong role: the agriculture member, the filer, the unit's officer, a constituent.
    await other_member.command("supervise")
    await other_member.receives(containing="目前没有需要督办的建议")
    for stranger in (other_member, filer, officer, sender):
        await alert(stranger, f"sgv:a:r:{red.id}", "不归您督办")
        await alert(stranger, f"sgv:a:c:{red.id}", "不归您督办")
    await alert(staff, f"sgv:a:e:{red.id}", "不归您督办")  # only the committee asks the office
    await alert(other_member, f"sgv:a:e:{red.id}", "不归您督办")
    await sender.command("supervise")
    await sender.receives(containing="仅供专门委员会组成人员和人大工作人员使用")

    # 🔔 Remind: the lead unit's officer is told at once; not twice within 12 hours.
    await member.press(f"🔔 {red.number}")
    await member.receives(containing=f"已就建议 {red.number} 催办主办单位")
    reminder = await officer.receives(containing=f"催办：建议 {red.number}")
    assert "钱志强 请贵单位按时答复" in reminder["text"]
    await alert(member, f"sgv:a:r:{red.id}", "不足 12 小时")

    # 💬 Comment: typed next, reaches the officer, is in the ledger.
    await member.press(f"💬 {green.number}")
    await member.receives(containing=f"对建议 {green.number} 主办单位的督办意见")
    await member.send("请在月底前<完成>设计")
    await member.receives(containing=f"您对建议 {green.number} 的督办意见已发送给主办单位")
    comment = await officer.receives(containing=f"建议 {green.number}")
    assert "钱志强 的督办意见：\n请在月底前<完成>设计" in comment["text"]

    # ⬆️ Ask the office: staff get it with the reason and may act from it.
    await member.press(f"⬆️ {yellow.number}")
    await member.receives(containing="提请人大工作人员介入")
    await member.send("单位两次催办未回应")
    await member.receives(containing=f"已提请人大工作人员介入建议 {yellow.number}")
    asked = await staff.receives(containing=f"提请人大工作人员介入建议 {yellow.number}")
    assert "理由：单位两次催办未回应" in asked["text"] and "主办单位 交通局" in asked["text"]
    staff_buttons = [b["text"] for r in asked["reply_markup"]["inline_keyboard"] for b in r]
    assert staff_buttons == ["💬 督办意见", "🔔 催办"]
    await co_officer.receives_nothing()
    await filer.receives_nothing()

    # Stale: the officer answered in the meantime; remind and comment are refused.
    await answer(bot, red.id, "A")
    await alert(member, f"sgv:a:c:{red.id}", "状态已变化")
    await alert(staff, f"sgv:a:r:{red.id}", "状态已变化")
    await alert(member, f"sgv:a:e:{red.id}", "状态已变化")

    # Paged when long: nine more make two pages; ▶️ edits the view in place.
    for i in range(9):
        await assigned(bot, 5 + i, f"第{i}件")
    await member.command("supervise")
    first = await member.receives(containing="第 1 页，共 2 页")
    await member.press("▶️", message_id=first["message_id"])
    second = await member.receives(containing="第 2 页，共 2 页")
    assert second["message_id"] == first["message_id"] and "◀️" in str(second["reply_markup"])
    await alert(sender, "sgv:pg:1", "仅供专门委员会")

    refused = await refusals(bot)
    strangers = ("no_relation", "not_permitted")
    assert sum(r["action"] == "suggestion.remind" and r["reason"] in strangers for r in refused) == 4
    assert any(r["action"] == "suggestion.remind" and r.get("detail") == "reminded_recently" for r in refused)
    assert any(r["action"] == "suggestion.ask_escalation" and r["reason"] == "not_permitted" for r in refused)
    assert any(r["action"] == "suggestion.comment" and r["reason"] == "stale_state" for r in refused)
    assert any(r["action"] == "suggestion.supervise" for r in refused)
    assert any(r["action"] == "suggestion.refused" and r["reason"] == "not_supervising" for r in refused)


async def test_close_recheck_ledger_and_the_senders_view(
    bot: Runtime, people: Make, sandbox: Sandbox, clock: ManualClock
) -> None:
    staff, member, other_member = (
        people(STAFF, "办公室小张"),
        people(MEMBER, "钱志强"),
        people(OTHER_MEMBER, "赵立新"),
    )
    filer, deputy, sender = (
        people(FILER, "孙建国"),
        people(DEPUTY, "Deputy Wu", "en"),
        people(SENDER, "周小梅"),
    )
    officer = people(OFFICER, "王科长")
    await started(staff, member, other_member, filer, sender, officer)
    await started(deputy, lang="en")
    tracking = await submit(sender, "村口公交站没有候车亭", "交通出行")
    card = await filer.receives(containing=tracking)
    await filer.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="已受理")
    made = await assigned(bot, 0, "修建候车亭", opinion_id=(await opinion(bot, tracking)).id)
    kept = await assigned(bot, 40, "修缮村道")
    back = await assigned(bot, 40, "增设路灯")
    planned = await assigned(bot, 40, "拓宽道路")
    await answer(bot, made.id, "A")
    await answer(bot, kept.id, "A", rate="satisfied")
    await answer(bot, back.id, "A", rate="basic")
    plan_day = local_day(clock.now() + timedelta(days=20))
    await answer(bot, planned.id, "B", rate="satisfied", planned_on=plan_day)

    # The sender's /my shows the suggestion their opinion became, its state and class.
    await sender.command("my", tracking)
    mine = await sender.receives(containing=tracking)
    assert f"已转为建议 {made.number}：已答复 · A类：已解决或基本解决" in mine["text"]

    # 🏁 销号 by staff with a reason: the committee may not; the reason reaches the filer and the unit.
    for stranger in (member, officer, filer, sender):
        await alert(stranger, f"sgv:a:x:{made.id}", "不归您督办")
    await staff.command("supervise")
    await staff.receives(containing=f"🏁 {made.number}")
    await staff.press(f"🏁 {made.number}")
    await staff.receives(containing=f"未经代表测评而对建议 {made.number} 销号的理由")
    await staff.send("代表长期外出，经现场核实已解决")
    await staff.receives(containing=f"建议 {made.number} 已销号")
    told = await filer.receives(containing=f"您的建议 {made.number}")
    assert "已由人大工作人员销号" in told["text"] and "理由：代表长期外出，经现场核实已解决" in told["text"]
    await officer.receives(containing=f"建议 {made.number}《修建候车亭》已由人大工作人员销号")
    await member.receives(containing=f"建议 {made.number}《修建候车亭》已由人大工作人员销号")
    await sender.receives(containing=f"由您的意见 {tracking} 转成的建议 {made.number} 已由人大工作人员销号")
    closed = await row(bot, made.id)
    assert (closed.state, closed.closing_action, closed.closing_reason) == (
        "closed",
        "close",
        "代表长期外出，经现场核实已解决",
    )
    await alert(staff, f"sgv:a:x:{made.id}", "状态已变化")  # stale: closed already
    await sender.command("my", tracking)
    assert "已销号 · A类" in (await sender.receives(containing=tracking))["text"]

    # 回头看 of B on its planned date: nothing before it, the card on it.
    assert await bot.recheck() == 0
    clock.advance(timedelta(days=19))
    assert await bot.recheck() == 0
    clock.advance(timedelta(days=1))
    assert await bot.recheck() == 1
    b_card = await filer.receives(containing=f"建议 {planned.number}")
    assert "B类" in b_card["text"] and f"计划于 {plan_day.isoformat()} 解决" in b_card["text"]
    await filer.press("✅ 仍已解决", message_id=b_card["message_id"])
    await filer.receives(containing=f"建议 {planned.number} 所提问题仍已解决")

    # 回头看 of the A answers six months after closing.
    clock.advance(timedelta(days=170))
    assert await bot.recheck() == 3  # the one staff closed, and the two rated
    cards = {}
    for _ in range(3):
        got = await filer.receives(containing="回头看")
        cards[next(n for n in (made.number, kept.number, back.number) if f"{n}" in got["text"])] = got
    assert (await row(bot, kept.id)).state == "recheck"

    # Confirmed: only the filer, once.
    await alert(deputy, f"sgv:rc:y:{kept.id}", "Only the deputy who filed")
    await alert(member, f"sgv:rc:y:{kept.id}", "只有提出这件建议的代表")
    await filer.press("✅ 仍已解决", message_id=cards[kept.number]["message_id"])
    await filer.receives(containing=f"建议 {kept.number} 所提问题仍已解决，回头看结束")
    await member.receives(containing=f"代表确认建议 {kept.number}")
    await officer.receives(containing=f"代表确认建议 {kept.number}")
    await alert(filer, f"sgv:rc:y:{kept.id}", "状态已变化")

    # Reopened with a reason, then concluded by the committee.
    await alert(deputy, f"sgv:rc:n:{back.id}", "Only the deputy who filed")
    await alert(officer, f"sgv:rc:n:{back.id}", "只有提出这件建议的代表")
    await filer.press("🔁 问题再现", message_id=cards[back.number]["message_id"])
    await filer.receives(containing=f"建议 {back.number} 所提问题再次出现的情况")
    await filer.send("路灯又坏了三盏")
    edited = await filer.receives(containing=f"建议 {back.number} 回头看发现问题")
    assert edited["message_id"] == cards[back.number]["message_id"] and not edited["reply_markup"]
    reopened = await member.receives(containing=f"代表反映建议 {back.number}")
    assert "理由：路灯又坏了三盏" in reopened["text"]
    await staff.receives(containing=f"代表反映建议 {back.number}")
    await officer.receives(containing=f"代表反映建议 {back.number}")
    await alert(filer, f"sgv:rc:n:{back.id}", "状态已变化")  # reopened already
    await alert(other_member, f"sgv:a:k:{back.id}", "不归您督办")
    await alert(filer, f"sgv:a:k:{back.id}", "不归您督办")
    await member.press("☑️ 回头看结论", message_id=reopened["message_id"])
    await member.receives(containing=f"建议 {back.number} 回头看的结论")
    await member.send("已督促交通局更换路灯")
    await member.receives(containing=f"建议 {back.number} 的回头看已作出结论")
    concluded = await filer.receives(containing=f"建议 {back.number}《增设路灯》的回头看已由 钱志强 作出结论")
    assert "结论：已督促交通局更换路灯" in concluded["text"]
    assert (await row(bot, back.id)).recheck_outcome == "concluded"
    await alert(member, f"sgv:a:k:{back.id}", "状态已变化")

    # The ledger: staff only, an XLSX workbook with a row per suggestion and its events.
    await filer.command("ledger")
    await filer.receives(containing="台账仅供人大工作人员使用")
    await staff.command("ledger")
    sent = await staff.receives(containing="代表建议台账（立项—督办—销号）：共 4 件")
    assert sent["message"]["document"]["file_name"] == "ledger.xlsx"
    data = sandbox.state.files[sent["message"]["document"]["file_id"]].data
    book = load_workbook(io.BytesIO(data), read_only=True)
    rows, events = (list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets)
    assert [r[0] for r in rows[1:]] == [made.number, kept.number, back.number, planned.number]
    by_number = {r[0]: r for r in rows[1:]}
    assert by_number[made.number][7] == "回头看" and by_number[made.number][17:] == (
        "人大工作人员决定",
        "代表长期外出，经现场核实已解决",
    )
    assert by_number[kept.number][7] == "回头看已完成" and by_number[kept.number][17] == "代表测评：满意"
    assert by_number[back.number][13:15] == ("A", "对答复基本满意")
    assert any(
        e[0] == back.number and e[3] == "回头看办结" and e[7] == "已督促交通局更换路灯" for e in events
    )
    cells = [str(c) for r in rows + events for c in r if c is not None]
    assert not any("周小梅" in c or "王科长" in c for c in cells)

    refused = await refusals(bot)
    assert any(r["action"] == "suggestion.close" and r["reason"] == "not_permitted" for r in refused)
    assert any(r["action"] == "suggestion.close" and r["reason"] == "stale_state" for r in refused)
    assert any(r["action"] == "suggestion.recheck_confirm" and r["reason"] == "no_relation" for r in refused)
    assert any(r["action"] == "suggestion.recheck_confirm" and r["reason"] == "final" for r in refused)
    assert any(r["action"] == "suggestion.recheck_reopen" and r["reason"] == "stale_state" for r in refused)
    assert any(r["action"] == "suggestion.conclude_recheck" and r["reason"] == "no_relation" for r in refused)
    assert any(r["action"] == "suggestion.ledger" and r["reason"] == "not_staff" for r in refused)
