"""交办 through the sandbox: staff see the queue in /suggestions, return one with a reason (the filer is
told it), assign another with the lead and co-unit the 归口 table proposes, publish at the 交办会; both
units' officers get their cards, the filer and the linked opinion's sender are told, the opinion leaves
its clock. Wrong role, wrong unit and stale presses are refused and audited.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201), D2 Deputy Wu (202); constituent 周小梅 (301);
user 900001 is admin and staff. The units and their officers (501, 502) are added here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.suggestions.assign import AssignmentService
from bot.suggestions.service import Draft
from storage.models import AuditEntry, Person, PersonRole, Role, Unit, UnitCategory
from storage.models.suggestions import Suggestion
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
STAFF = 900001


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    """The bot as wired, with two transport units (交通局 proposed to lead, 公路局 to co-handle) and
    a water unit, one officer each."""
    async with network.services.uow() as uow:
        units = [
            Unit(code=c, name=n, kind="government")
            for c, n in (("U1", "交通局"), ("U2", "公路局"), ("U3", "水利局"))
        ]
        uow.session.add_all(units)
        officers = [
            Person(name=n, telegram_id=t) for n, t in (("王科长", 501), ("Officer Li", 502), ("赵科长", 503))
        ]
        uow.session.add_all(officers)
        await uow.flush()
        uow.session.add_all(
            [
                UnitCategory(unit_id=units[0].id, category="transport", lead=True),  # the network's `leads`
                UnitCategory(unit_id=units[1].id, category="transport"),
            ]
        )
        for unit, officer in zip(units, officers, strict=True):
            uow.session.add(PersonRole(person_id=officer.id, role=Role.UNIT_OFFICER.value))
            await uow.units.add_officer(unit.id, officer.id)
        await uow.commit()
    return network


async def file(runtime: Runtime, telegram_id: int, title: str, opinion_id: int | None = None) -> Suggestion:
    """A filed suggestion (filing itself is tested in test_suggestions_e2e.py)."""
    async with runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(telegram_id)
        assert person is not None
        draft = Draft(
            title, f"{title}：详情", "transport", source_opinion_ids=(opinion_id,) if opinion_id else ()
        )
        outcome = await AssignmentService(uow).file(person.id, draft, runtime.services.clock.now())
        await uow.commit()
        assert outcome.suggestion is not None, outcome.refusal
        return outcome.suggestion


async def row(runtime: Runtime, suggestion_id: int) -> Suggestion:
    async with runtime.services.uow() as uow:
        found = await uow.session.get(Suggestion, suggestion_id)
        assert found is not None
        return found


async def refusals(runtime: Runtime, prefix: str) -> list[dict[str, Any]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action.like(prefix + "%"), AuditEntry.allowed.is_(False))
            .order_by(AuditEntry.id)
        )
        return [{"action": e.action, **(e.detail or {})} for e in rows]


async def alert(user: SandboxUser, data: str) -> str:
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer["show_alert"], answer
    return str(answer["text"])


async def test_return_assign_and_publish_at_the_jiaobanhui(bot: Runtime, people: Make) -> None:
    staff, d1, d2 = people(STAFF, "办公室小张"), people(201, "孙建国"), people(202, "Deputy Wu", "en")
    sender = people(301, "周小梅")
    lead_officer, co_officer, other_officer = (
        people(501, "王科长"),
        people(502, "Officer Li", "en"),
        people(503, "赵科长"),
    )
    await started(staff, d1, sender, lead_officer, other_officer)
    await started(d2, co_officer, lang="en")
    tracking = await submit(sender, "村口公交站没有候车亭", "交通出行")
    card = await d1.receives(containing=tracking)
    await d1.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="已受理")
    source = await opinion(bot, tracking)
    returned = await file(bot, 202, "Bus shelter")
    assigned = await file(bot, 201, "修建候车亭", source.id)

    # Wrong role: a deputy sees their own list, and forged queue presses are refused.
    await d1.command("suggestions")
    await d1.receives(containing="📋 您的建议")
    await alert(d1, f"sg:q:a:{assigned.id}")
    await alert(lead_officer, f"sg:q:r:{assigned.id}")

    await staff.command("suggestions")
    await staff.receives(containing=f"{returned.number}")
    queue = await staff.receives(containing=f"{assigned.number}")
    assert "孙建国" in queue["text"] and "交通出行" in queue["text"]
    await staff.receives(containing="请先交办建议")

    # Return with a reason: the filer is told the reason.
    await staff.press(data=f"sg:q:r:{returned.id}")
    await staff.receives(containing="请输入退回建议")
    await staff.send("请补充调研材料")
    await staff.receives(containing="已退回提出代表")
    told = await d2.receives(containing="was returned by the congress office")
    assert "Reason: 请补充调研材料" in told["text"]
    assert (await row(bot, returned.id)).state == "returned"
    # Stale: Return again on the old card.
    await alert(staff, f"sg:q:r:{returned.id}")

    # Assign: the 归口 table proposes 交通局 to lead and 公路局 to co-handle.
    await staff.press(data=f"sg:q:a:{assigned.id}")
    picker = await staff.receives(containing="主办单位：交通局")
    assert "协办单位：公路局" in picker["text"] and "办理期限：3 个月" in picker["text"]
    # Wrong unit / wrong role: another officer presses the picker's buttons.
    await alert(other_officer, f"sg:k:ok:{assigned.id}:1")
    # Any unit by its code: an unknown code is said so; the first code typed leads.
    await staff.press("⌨️ 输入单位编号")
    await staff.receives(containing="第一个为主办")
    await staff.send("U9")
    await staff.receives(containing="没有编号为 U9 的承办单位")
    await staff.send("U3 U1")
    await staff.receives(containing="主办单位：水利局")
    await staff.send("U1 U2")
    await staff.receives(containing="协办单位：公路局")
    # A term over three months without a reason is refused; then the reason is typed.
    await staff.press("5 个月")
    await staff.receives(containing="须说明理由")
    await staff.press("✅ 拟定交办")  # the picker still waits for the reason: refused by the lifecycle
    await staff.send("涉及多部门协调")
    await staff.receives(containing="涉及多部门协调")
    await staff.press("✅ 拟定交办")
    await staff.receives(containing="已拟定由交通局主办")
    await d1.receives(containing="已拟定交交通局办理")
    assert (await row(bot, assigned.id)).state == "prepared"
    await lead_officer.receives_nothing()
    # Stale: the picker's buttons once it is prepared.
    await alert(staff, f"sg:k:ok:{assigned.id}:1")

    # Only staff publish.
    await d1.command("suggestions", "publish")
    await d1.receives(containing="您无权交办")
    assert (await row(bot, assigned.id)).state == "prepared"
    await staff.command("suggestions")
    await staff.receives(containing="1 件已拟定的建议待交办会发出")
    await staff.press("📣 发出 1 件已拟定建议")
    await staff.receives(containing=f"交办会已发出：{assigned.number}")

    published = await row(bot, assigned.id)
    assert published.state == "assigned" and published.due_on is not None and published.term_months == 5
    due = published.due_on.isoformat()
    task = await lead_officer.receives(containing=f"新交办任务：建议 {assigned.number}")
    assert (
        "代表：孙建国" in task["text"]
        and f"办理期限：{due}" in task["text"]
        and "协办单位：公路局" in task["text"]
    )
    assert "修建候车亭：详情" in task["text"]
    co_card = await co_officer.receives(containing=f"Suggestion {assigned.number}")
    assert "co-handles" in co_card["text"] and "交通局" in co_card["text"]
    await d1.receives(containing=f"已交办交通局，办理期限 {due}")
    await sender.receives(containing=f"由您的意见 {tracking} 转成的建议 {assigned.number} 已交办交通局")
    await other_officer.receives_nothing()
    after = await opinion(bot, tracking)
    assert after.state == "escalated" and after.answer_deadline is None
    # Stale: the publish button pressed again publishes nothing more.
    await alert(staff, "sg:p:1")

    # "Not ours" from the task card: only the lead unit's officer, with a reason, once; staff told.
    await alert(other_officer, f"sg:u:n:{assigned.id}")
    await alert(co_officer, f"sg:u:n:{assigned.id}")
    await lead_officer.press("🙅 非本单位职责", message_id=task["message_id"])
    await lead_officer.receives(containing="不属于贵单位职责的理由")
    await lead_officer.send("属于公路局的养护范围")
    await lead_officer.receives(containing=f"已报送人大办公室：建议 {assigned.number}")
    asked = await staff.receives(containing=f"主办单位交通局提出建议 {assigned.number}")
    assert "理由：属于公路局的养护范围" in asked["text"]
    assert (await row(bot, assigned.id)).state == "reassign_requested"
    await alert(lead_officer, f"sg:u:n:{assigned.id}")  # stale: asked already

    reasons = await refusals(bot, "suggestion.")
    assert (
        sum(r["action"] == "suggestion.request_reassign" and r["reason"] == "no_relation" for r in reasons)
        == 2
    )
    assert any(r["action"] == "suggestion.request_reassign" and r["reason"] == "stale_state" for r in reasons)
    assert {
        "action": "suggestion.prepare",
        "reason": "no_relation",
        "detail": "not_staff",
        "state": "filed",
    } in reasons
    assert any(r["action"] == "suggestion.return" and r["reason"] == "no_relation" for r in reasons)
    assert any(r["action"] == "suggestion.return" and r["reason"] == "stale_state" for r in reasons)
    assert any(r.get("reason") == "not_staff" and r["action"] == "suggestion.refused" for r in reasons)
    assert any(r["action"] == "suggestion.publish" for r in reasons)
    assert any(r["action"] == "suggestion.prepare" and r["reason"] == "term_invalid" for r in reasons)
    assert any(r.get("reason") == "stale_picker" for r in reasons)
    assert any(r.get("reason") == "nothing_prepared" for r in reasons)
