"""Filing after the first File, through the sandbox: staff merge a duplicate (its filer, the target's filer
and its opinion's sender told; the sender then follows the target); a returned suggestion revised and
filed again under its number, another withdrawn; staff file a paper suggestion for a deputy found by
name; a deputy group files jointly; silent co-signers reminded once after three days and filed without
after seven (the clock moved). Every new button is refused for the wrong person (another deputy, a
constituent, an officer) and for a stale state, answered and audited.

Network (tests/data/network_e2e.yaml): D1 孙建国 (201) and D2 Deputy Wu (202) form group g1 农业代表小组;
D3 李秀英 (203); constituent 周小梅 (301); user 900001 is admin and staff. Added here: group g2
交通专业小组 (D2, D3), deputy 李明 (D9, no chat), unit U1 交通局 with officer 王科长 (501).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.suggestions.assign import AssignmentService
from bot.suggestions.service import Draft
from storage.models import (
    AuditEntry,
    ChatSession,
    Deputy,
    DeputyGroup,
    GroupMembership,
    Person,
    PersonRole,
    Role,
    Unit,
    UnitCategory,
)
from storage.models.suggestions import Suggestion, SuggestionCosigner
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
STAFF = 900001
NUMBER = re.compile(r"S-\d{4}-\d{4}")


@pytest.fixture
async def bot(network: Runtime) -> Runtime:
    async with network.services.uow() as uow:
        unit = Unit(code="U1", name="交通局", kind="government")
        officer = Person(name="王科长", telegram_id=501)
        liming = Person(name="李明", code="D9")
        uow.session.add_all([unit, officer, liming])
        await uow.flush()
        uow.session.add_all(
            [
                UnitCategory(unit_id=unit.id, category="transport"),
                PersonRole(person_id=officer.id, role=Role.UNIT_OFFICER.value),
                Deputy(person_id=liming.id, level="township"),
            ]
        )
        await uow.units.add_officer(unit.id, officer.id)
        group = DeputyGroup(code="g2", name="交通专业小组", field="transport")
        uow.session.add(group)
        await uow.flush()
        for code in ("D2", "D3"):
            person = await uow.people.by_code(code)
            assert person is not None and person.deputy is not None
            uow.session.add(GroupMembership(group_id=group.id, deputy_id=person.deputy.id))
        await uow.commit()
    return network


async def file(
    runtime: Runtime,
    telegram_id: int,
    title: str,
    *,
    opinion_id: int | None = None,
    cosigners: tuple[int, ...] = (),
) -> Suggestion:
    """A suggestion filed through the service (filing in chat is tested in test_suggestions_e2e.py)."""
    async with runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(telegram_id)
        assert person is not None
        invited = [await uow.people.by_telegram_id(t) for t in cosigners]
        draft = Draft(
            title,
            f"{title}：详情",
            "transport",
            cosigner_person_ids=tuple(p.id for p in invited if p is not None),
            source_opinion_ids=(opinion_id,) if opinion_id else (),
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


async def refusals(runtime: Runtime, action: str) -> list[dict[str, Any]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == action, AuditEntry.allowed.is_(False))
            .order_by(AuditEntry.id)
        )
        return [dict(e.detail or {}) for e in rows]


async def alert(user: SandboxUser, data: str) -> str:
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer["show_alert"], answer
    return str(answer["text"])


async def chat_state(runtime: Runtime, chat_id: int) -> str | None:
    async with runtime.services.uow() as uow:
        session = await uow.session.get(ChatSession, chat_id)
        return session.state if session is not None else None


async def form_key(runtime: Runtime, chat_id: int) -> str:
    async with runtime.services.uow() as uow:
        session = await uow.session.get(ChatSession, chat_id)
        assert session is not None and session.state == "sgf", session
        return str(session.data["form"]["key"])


async def test_staff_merge_a_duplicate_and_its_sender_follows_the_target(bot: Runtime, people: Make) -> None:
    staff, d1, d2 = people(STAFF, "办公室小张"), people(201, "孙建国"), people(202, "Deputy Wu", "en")
    sender, officer = people(301, "周小梅"), people(501, "王科长")
    await started(staff, d1, sender, officer)
    await started(d2, lang="en")
    tracking = await submit(sender, "村口公交站没有候车亭", "交通出行")
    task = await d1.receives(containing=tracking)
    await d1.press("✅ 受理", message_id=task["message_id"])
    await sender.receives(containing="已受理")
    source = await opinion(bot, tracking)
    target = await file(bot, 202, "Bus shelter at V1")
    dup = await file(bot, 201, "修建候车亭", opinion_id=source.id)

    # Wrong role: a deputy, a constituent, an officer press Merge or its confirmation.
    for user in (d1, sender, officer):
        await alert(user, f"sg:mg:s:{dup.id}")
    await alert(d2, f"sg:mg:y:{dup.id}:{target.id}")
    await alert(officer, f"sg:mg:c:{dup.id}:{target.id}")

    await staff.command("suggestions")
    card = await staff.receives(containing=f"{dup.number}")
    assert "🔗 并案" in [b["text"] for r in card["reply_markup"]["inline_keyboard"] for b in r]
    await staff.press("🔗 并案", message_id=card["message_id"])
    prompt = await staff.receives(containing=f"将 {dup.number}《修建候车亭》并入哪件建议")
    assert f"{target.number} · Bus shelter at V1" in str(prompt["reply_markup"])
    await staff.send("S-2099-0001")
    await staff.receives(containing="没有这个编号的建议")
    await staff.send(str(dup.number))
    await staff.receives(containing="建议不能并入它自己")
    await staff.send(str(target.number).lower())
    typed = await staff.receives(containing=f"并入 {target.number}《Bus shelter at V1》")
    assert await chat_state(bot, STAFF) is None  # the confirmation holds the choice now
    # Or the candidate of the same category, pressed: the same confirmation.
    await staff.press(f"{target.number} · Bus shelter at V1", message_id=prompt["message_id"])
    await staff.receives(containing=f"并入 {target.number}《Bus shelter at V1》")
    await staff.press("🔗 确定并案")
    await staff.receives(containing=f"建议 {dup.number} 已并入 {target.number}")

    told = await d1.receives(containing=f"您的建议 {dup.number}《修建候车亭》")
    assert f"已并入该建议：您现为 {target.number} 的附议代表" in told["text"]
    mine = await d2.receives(containing="was merged into yours")
    assert "by deputy 孙建国" in mine["text"] and str(target.number) in mine["text"]
    await sender.receives(containing=f"由您的意见 {tracking} 转成的建议 {dup.number} 已并入")
    merged, joined = await row(bot, dup.id), await row(bot, target.id)
    assert merged.state == "merged" and merged.merged_into_id == target.id
    assert joined.source_opinion_ids == [source.id]

    # Stale: the other confirmation, Merge on the merged one's old card.
    stale = await (await staff.press("🔗 确定并案", message_id=typed["message_id"])).answer()
    assert stale["show_alert"] and stale["text"] == "现在无法操作：该建议已有变化，或您无权并案。"
    await alert(staff, f"sg:mg:s:{dup.id}")

    # The sender follows the target now: its assignment reaches them.
    async with bot.services.uow() as uow:
        staff_person = await uow.people.by_telegram_id(STAFF)
        unit = await uow.units.by_code("U1")
        assert staff_person is not None and unit is not None
        await AssignmentService(uow).prepare(
            target.id, staff_person.id, unit.id, [], bot.services.clock.now()
        )
        await uow.commit()
    await staff.command("suggestions", "publish")
    await staff.receives(containing=f"交办会已发出：{target.number}")
    await sender.receives(containing=f"由您的意见 {tracking} 转成的建议 {target.number} 已交办交通局")
    await officer.receives(containing=f"新交办任务：建议 {target.number}")
    assert (await opinion(bot, tracking)).state == "escalated"

    reasons = [r["reason"] for r in await refusals(bot, "suggestion.merge")]
    assert reasons.count("no_relation") == 5
    assert reasons[-2:] == ["final", "stale_state"]  # the confirmation again; Merge on the merged one
    assert reasons.count("merge_target_invalid") == 2  # the unknown number and itself


async def test_returned_then_revised_and_filed_again_or_withdrawn(bot: Runtime, people: Make) -> None:
    staff, d1, d2 = people(STAFF, "办公室小张"), people(201, "孙建国"), people(202, "Deputy Wu", "en")
    sender, officer = people(301, "周小梅"), people(501, "王科长")
    await started(staff, d1, sender, officer)
    await started(d2, lang="en")
    revised = await file(bot, 201, "修缮村道")
    dropped = await file(bot, 202, "Street lights", cosigners=(201,))
    async with bot.services.uow() as uow:  # d1 co-signs d2's; it is filed
        d1_person = await uow.people.by_telegram_id(201)
        assert d1_person is not None
        await AssignmentService(uow).answer_cosign(dropped.id, d1_person.id, True, bot.services.clock.now())
        await uow.commit()
    dropped = await row(bot, dropped.id)

    for suggestion in (revised, dropped):
        await staff.press(data=f"sg:q:r:{suggestion.id}", forge=True)
        await staff.receives(containing="请输入退回建议")
        await staff.send("请补充调研材料")
        await staff.receives(containing="已退回提出代表")
    notice = await d1.receives(containing=f"您的建议 {revised.number}《修缮村道》已被人大办公室退回")
    labels = [b["text"] for r in notice["reply_markup"]["inline_keyboard"] for b in r]
    assert labels == ["✏️ 修改后重新提交", "🗑 撤回"]
    # Wrong person: another deputy (a co-signer of the other), staff, a constituent, an officer.
    for user in (d2, staff, sender, officer):
        await alert(user, f"sg:fc:e:{revised.id}")

    await d1.press("✏️ 修改后重新提交", message_id=notice["message_id"])
    title = await d1.receives(containing=f"修改建议 {revised.number}")
    assert "当前标题：修缮村道" in title["text"]
    await d1.press("✔️ 保留")
    text_step = await d1.receives(containing="当前正文")
    assert "修缮村道：详情" in text_step["text"]
    await d1.send("补充：已调研丙村三处破损路段。")
    category = await d1.receives(containing="当前类别：交通出行")
    assert "✓ 交通出行" in str(category["reply_markup"])
    await d1.press("✔️ 保留")
    await d1.receives(containing="附件（照片、文件、调研材料）")  # no co-signer step: they stay
    await d1.press("➡️ 下一步")
    preview = await d1.receives(containing=f"正在修改 {revised.number}：重新提交后编号不变")
    assert "补充：已调研丙村三处破损路段。" in preview["text"]
    await d1.press("✅ 重新提交")
    await d1.receives(containing=f"建议 {revised.number}《修缮村道》已重新提交")
    await staff.receives(containing=f"孙建国 代表修改并重新提交了建议 {revised.number}")
    again = await row(bot, revised.id)
    assert (again.state, again.number, again.text) == (
        "filed",
        revised.number,
        "补充：已调研丙村三处破损路段。",
    )
    # Stale: Revise on the old notice (it would file twice).
    await alert(d1, f"sg:fc:e:{revised.id}")

    # The other: withdrawn from its returned notice, after a confirmation.
    withdraw = await d2.receives(containing=f"Your suggestion {dropped.number}")
    for user in (d1, sender, officer):  # its co-signer, a constituent, an officer
        await alert(user, f"sg:fc:wy:{dropped.id}")
    await alert(staff, f"sg:fc:w:{dropped.id}")
    await d2.press("🗑 Withdraw", message_id=withdraw["message_id"])
    await d2.receives(containing="This cannot be undone")
    await d2.press("🗑 Yes, withdraw it")
    await d2.receives(containing=f"Suggestion {dropped.number} «Street lights» is withdrawn")
    await d1.receives(containing=f"Deputy Wu 代表撤回了建议 {dropped.number}")
    await staff.receives(containing=f"Deputy Wu 代表撤回了建议 {dropped.number}")
    assert (await row(bot, dropped.id)).state == "withdrawn"
    await alert(d2, f"sg:fc:wy:{dropped.id}")  # stale: withdrawn already
    await alert(d2, f"sg:fc:e:{dropped.id}")

    refile = [r["reason"] for r in await refusals(bot, "suggestion.refile")]
    assert refile == [*["no_relation"] * 4, "stale_state", "final"]  # refiled twice; the withdrawn one
    withdrawn = [r["reason"] for r in await refusals(bot, "suggestion.withdraw")]
    assert withdrawn == [*["no_relation"] * 4, "final"]


async def test_staff_file_a_paper_suggestion_for_a_deputy_found_by_name(bot: Runtime, people: Make) -> None:
    staff, d1, d3, sender = (
        people(STAFF, "办公室小张"),
        people(201, "孙建国"),
        people(203, "李秀英"),
        people(301, "周小梅"),
    )
    await started(staff, d1, d3, sender)
    await staff.command("suggest")
    await staff.receives(containing="代哪位代表提出")
    await staff.send("王")
    await staff.receives(containing="没有编号或姓名为「王」的代表")
    await staff.send("李")
    choices = await staff.receives(containing="请选择是哪位代表")
    assert "李秀英 (D3)" in str(choices["reply_markup"]) and "李明 (D9)" in str(choices["reply_markup"])
    key = await form_key(bot, STAFF)
    async with bot.services.uow() as uow:
        constituent = await uow.people.by_telegram_id(301)
        assert constituent is not None
    # Forged: a constituent picked; a deputy pressing staff's pick (it is not their form).
    await alert(staff, f"sg:dp:{key}:{constituent.id}")
    await alert(d1, f"sg:dp:{key}:{constituent.id}")
    officer = people(501, "王科长")
    await started(officer)
    await alert(officer, f"sg:dp:{key}:{constituent.id}")  # an officer: not their form
    await staff.press("李秀英 (D3)")
    await staff.receives(containing="请输入建议的标题")
    stale = choices["reply_markup"]["inline_keyboard"][1][0]["callback_data"]
    assert await alert(staff, stale) == "这个按钮已失效。"  # the deputy is chosen already
    await staff.send("关于丁村饮水工程的建议")
    await staff.receives(containing="请输入建议的正文")
    await staff.send("丁村饮水管道老化，建议更换。")
    await staff.receives(containing="请选择建议的类别")
    await staff.press("交通出行")
    await staff.receives(containing="附件（照片、文件、调研材料）")  # paper co-signers signed already
    await staff.press("➡️ 下一步")
    preview = await staff.receives(containing="请核对您的建议")
    assert "纸质建议，代 李秀英 代表录入" in preview["text"]
    await staff.press("✅ 提交")
    done = await staff.receives(containing="已代 李秀英 代表录入纸质建议")
    number = NUMBER.search(done["text"])
    assert number is not None
    await d3.receives(
        containing=f"人大办公室已代您录入纸质建议《关于丁村饮水工程的建议》，编号 {number.group(0)}"
    )
    async with bot.services.uow() as uow:
        paper = await uow.suggestions.by_number(number.group(0))
        recorder = await uow.people.by_telegram_id(STAFF)
        filer = await uow.people.by_telegram_id(203)
        assert paper is not None and recorder is not None and filer is not None
        assert paper.on_behalf_of_paper and paper.recorded_by_person_id == recorder.id
        assert paper.filer_person_id == filer.id
    assert {r["reason"] for r in await refusals(bot, "suggestion.refused")} >= {
        "not_paper_deputy",
        "stale_form",
    }


async def test_a_deputy_group_files_jointly(bot: Runtime, people: Make) -> None:
    d1, d2, d3, staff = (
        people(201, "孙建国"),
        people(202, "Deputy Wu", "en"),
        people(203, "李秀英"),
        people(STAFF, "办公室小张"),
    )
    await started(d1, d3, staff)
    await started(d2, lang="en")
    await d1.command("suggest")
    await d1.receives(containing="请输入建议的标题")
    await d1.send("关于农机补贴的建议")
    await d1.receives(containing="请输入建议的正文")
    await d1.send("建议提高丘陵地区小型农机补贴比例。")
    await d1.receives(containing="请选择建议的类别")
    await d1.press("交通出行")
    step = await d1.receives(containing="也可以与您所在的代表小组联名提出")
    labels = [b["text"] for r in step["reply_markup"]["inline_keyboard"] for b in r]
    assert "👥 与「农业代表小组」联名（2 人）" in labels and not any("交通专业小组" in x for x in labels)
    key = await form_key(bot, 201)
    async with bot.services.uow() as uow:
        g2 = await uow.network.group_id("g2")
    await alert(d1, f"sg:gr:{key}:{g2}")  # not a member of g2
    await alert(d2, f"sg:gr:{key}:{g2}")  # not their form
    sender = people(301, "周小梅")
    await started(sender)
    await alert(sender, f"sg:gr:{key}:{g2}")  # a constituent
    await d1.press("👥 与「农业代表小组」联名（2 人）")
    await d1.receives(containing="附件（照片、文件、调研材料）")
    await alert(d1, step["reply_markup"]["inline_keyboard"][0][0]["callback_data"])  # stale: past that step
    await d1.press("➡️ 下一步")
    preview = await d1.receives(containing="请核对您的建议")
    assert (
        "由代表小组「农业代表小组」联名提出" in preview["text"] and "附议代表：Deputy Wu" in preview["text"]
    )
    await d1.press("✅ 提交")
    await d1.receives(containing="正在等待附议代表答复：Deputy Wu")
    card = await d2.receives(containing="invites you to co-sign")
    assert "Filed jointly by the group 农业代表小组" in card["text"]
    await d2.press("✅ Co-sign")
    filed = await d1.receives(containing="已正式提交，编号")
    number = NUMBER.search(filed["text"])
    assert number is not None
    queued = await staff.receives(containing=f"新建议 {number.group(0)}")
    assert "由代表小组「农业代表小组」联名提出" in queued["text"]
    await staff.command("suggestions")
    queue = await staff.receives(containing=number.group(0))
    assert "由代表小组「农业代表小组」联名提出" in queue["text"]
    assert [r["reason"] for r in await refusals(bot, "suggestion.refused")] == [
        "not_group_member",
        "stale_form",
        "stale_form",
        "wrong_step",
    ]


async def test_silent_cosigners_are_reminded_once_and_filed_without(
    bot: Runtime, people: Make, clock: ManualClock
) -> None:
    d1, d2, d3 = people(201, "孙建国"), people(202, "Deputy Wu", "en"), people(203, "李秀英")
    staff, sender, officer = people(STAFF, "办公室小张"), people(301, "周小梅"), people(501, "王科长")
    await started(d1, d3, staff, sender, officer)
    await started(d2, lang="en")
    waiting = await file(bot, 201, "修缮村道", cosigners=(202, 203))

    clock.advance(timedelta(days=2, hours=23))
    assert await bot.cosign_reminders() == 0
    clock.advance(timedelta(hours=1))
    assert await bot.cosign_reminders() == 1
    reminder = await d2.receives(containing="Reminder: deputy 孙建国 asked you to co-sign")
    await d3.receives(containing="提醒：孙建国 代表邀请您附议建议《修缮村道》")
    status = await d1.receives(containing="仍在等待以下代表答复：Deputy Wu, 李秀英")
    assert "已提醒他们" in status["text"]
    labels = [b["text"] for r in status["reply_markup"]["inline_keyboard"] for b in r]
    assert labels == ["📨 不等未答复的代表，直接提交", "🗑 撤回"]
    # Too early (day 3 of 7): the date is said.
    early = await alert(d1, f"sg:fc:l:{waiting.id}")
    assert early.startswith("自 ") and "起，您可以不等未答复的代表直接提交" in early
    await d2.press("✅ Co-sign", message_id=reminder["message_id"])
    await d1.receives(containing="✅ Deputy Wu 已附议您的建议")
    assert await bot.cosign_reminders() == 0  # once only
    await d3.receives_nothing()

    clock.advance(timedelta(days=4))
    # Wrong person: a co-signer, staff, a constituent, an officer.
    for user in (d2, staff, sender, officer):
        await alert(user, f"sg:fc:l:{waiting.id}")
    await d1.press("📨 不等未答复的代表，直接提交", message_id=status["message_id"])
    done = await d1.receives(containing="已提交（未等未答复的代表）")
    number = NUMBER.search(done["text"])
    assert number is not None
    await d3.receives(containing="孙建国 代表未等您答复即已提交建议《修缮村道》：对您的附议邀请已失效")
    await d2.receives(containing=f"Suggestion {number.group(0)}")
    await staff.receives(containing=f"新建议 {number.group(0)}")
    # Stale: the lapsed co-signer's card, the button again.
    await alert(d3, f"sg:s:y:{waiting.id}")
    await alert(d1, f"sg:fc:l:{waiting.id}")
    async with bot.services.uow() as uow:
        rows = await uow.session.scalars(
            select(SuggestionCosigner).where(SuggestionCosigner.suggestion_id == waiting.id)
        )
        assert sorted(r.state for r in rows) == ["confirmed", "lapsed"]
    reasons = [r["reason"] for r in await refusals(bot, "suggestion.lapse_cosigners")]
    assert reasons == ["cosigners_not_overdue", *["no_relation"] * 4, "stale_state"]
