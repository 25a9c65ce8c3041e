"""Staff roles and onboarding end to end: /invite, one-time links, and refused links, through the sandbox."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.sandbox import Sandbox
from storage.models import AuditEntry, Deputy, Person, Role, Unit
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
LINK = re.compile(r"https://t\.me/(\w+)\?start=(inv_[A-Za-z0-9_-]+)")
ADMIN = 900001


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.all())


async def person_of(runtime: Runtime, telegram_id: int) -> Person:
    async with runtime.services.uow() as uow:
        found = await uow.people.by_telegram_id(telegram_id)
        assert found is not None, telegram_id
        return found


async def add_unit(runtime: Runtime, code: str = "JTJ", name: str = "交通运输局") -> None:
    """A handling unit to invite an officer to (tests/e2e/test_units_e2e.py imports them from a file)."""
    async with runtime.services.uow() as uow:
        uow.session.add(Unit(code=code, name=name, kind="government"))
        await uow.commit()


def payload_in(message: dict[str, object]) -> str:
    found = LINK.search(str(message["text"]))
    assert found, message
    assert found.group(1) == "liaison_sandbox_bot"
    return found.group(2)


async def link_by_button(user: SandboxUser, label: str) -> str:
    """/invite, press the role button; the message turns into the link."""
    await user.command("invite")
    await user.receives(containing="邀请对方成为")
    await user.press(label)
    return payload_in(await user.receives(containing="t.me/"))


async def make_staff(admin: SandboxUser, staff: SandboxUser) -> None:
    """The administrator invites `staff`, who opens the link."""
    payload = await link_by_button(admin, "人大工作人员")
    await staff.start(payload)
    await staff.receives(containing="您已登记为人大工作人员")


async def test_admin_invites_staff_who_invites_a_committee_member_and_a_unit_officer(
    sandbox: Sandbox, liaison: Runtime, people: Make
) -> None:
    admin, staff = people(ADMIN, "管理员"), people(401, "小刘")
    member, officer = people(402, "Member", "en"), people(403, "王科长")
    await make_staff(admin, staff)
    assert {Role.STAFF, Role.CONSTITUENT} <= (await person_of(liaison, 401)).role_set
    assert any(c["command"] == "invite" for c in sandbox.commands("chat", chat_id=401))

    payload = await link_by_button(staff, "常委会组成人员")
    await member.start(payload)
    await member.receives(containing="You are now registered as a standing-committee member")
    assert Role.COMMITTEE_MEMBER in (await person_of(liaison, 402)).role_set

    await add_unit(liaison)
    await staff.command("invite", "unit JTJ 24h")  # a unit officer's invitation names their unit
    sent = await staff.receives(containing="承办单位工作人员")
    await officer.start(payload_in(sent))
    await officer.receives(containing="您已登记为交通运输局的承办单位工作人员")
    officer_person = await person_of(liaison, 403)
    assert Role.UNIT_OFFICER in officer_person.role_set
    assert not any(c["command"] == "invite" for c in sandbox.commands("chat", chat_id=403))

    granted = await audit(liaison, "role.granted")
    invited = [(e.detail["role"], e.object_id) for e in granted if e.detail.get("source") == "invitation"]
    assert invited == [
        ("staff", str((await person_of(liaison, 401)).id)),
        ("committee_member", str((await person_of(liaison, 402)).id)),
        ("unit_officer", str(officer_person.id)),
    ]
    assert len(await audit(liaison, "invitation.created")) == 3


async def test_staff_invites_an_imported_deputy_by_code(
    sandbox: Sandbox, network: Runtime, people: Make
) -> None:
    async with network.services.uow() as uow:
        record = await uow.people.add(Person(name="王新", code="D9"))
        uow.session.add(Deputy(person_id=record.id, level="township"))
        await uow.people.grant(record, Role.DEPUTY)
        await uow.commit()
        record_id = record.id
    admin, deputy = people(ADMIN, "管理员"), people(404, "Wang Xin")
    await admin.command("invite", "deputy")
    await admin.receives(containing="请发送 /invite deputy 加代表编号")
    await admin.command("invite", "deputy D1")  # already on Telegram
    await admin.receives(containing="该记录已绑定 Telegram 账号")
    await admin.command("invite", "deputy NOPE")
    await admin.receives(containing="没有该编号的导入记录")
    await admin.command("invite", "deputy D9")
    sent = await admin.receives(containing="王新")
    assert "邀请身份：人大代表" in sent["text"] and "仅限一人使用" in sent["text"]

    await deputy.start()
    await deputy.receives(containing="您好")
    await deputy.start(payload_in(sent))
    await deputy.receives(containing="欢迎您，王新代表！")
    linked = await person_of(network, 404)
    assert linked.id == record_id and linked.code == "D9" and linked.deputy is not None
    assert Role.CONSTITUENT in linked.role_set  # what the temporary record had moves over
    assert any(c["command"] == "tasks" for c in sandbox.commands("chat", chat_id=404))
    await deputy.command("tasks")
    await deputy.receives()
    assert [e.object_id for e in await audit(network, "binding.invitation")] == [str(record_id)]


async def test_non_staff_cannot_invite(sandbox: Sandbox, liaison: Runtime, people: Make) -> None:
    admin, staff, someone = people(ADMIN, "管理员"), people(401, "小刘"), people(405, "路人", "en")
    await someone.command("invite")
    await someone.receives(containing="Only congress staff can invite people")
    await someone.command("invite", "staff")
    refusal = await someone.receives(containing="Only congress staff can invite people")
    forged = await someone.press(data="inv:staff", forge=True, message_id=refusal["message_id"])
    assert "Only congress staff" in (await forged.answer()).get("text", "")

    await make_staff(admin, staff)
    await staff.command("invite")
    keyboard = await staff.receives(containing="邀请对方成为")
    labels = [b["text"] for row in keyboard["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "人大代表",
        "常委会组成人员",
        "承办单位工作人员",
        "站长",
        "联络员",
    ]  # no staff: admins only
    await staff.command("invite", "staff")
    await staff.receives(containing="只有管理员可以邀请工作人员")
    await staff.command("invite", "unit 99d")
    await staff.receives(containing="有效期须在 1h 到 30d 之间")
    refused = await audit(liaison, "invitation.refused")
    assert len(refused) == 5 and not any(e.allowed for e in refused)
    assert Role.STAFF not in (await person_of(liaison, 405)).role_set


async def test_expired_link_is_refused(
    sandbox: Sandbox, liaison: Runtime, people: Make, clock: ManualClock
) -> None:
    admin, late = people(ADMIN, "管理员"), people(406, "迟到")
    await add_unit(liaison)
    await admin.command("invite")
    await admin.receives(containing="邀请对方成为")
    await admin.press("承办单位工作人员")
    await admin.receives(containing="邀请到哪个承办单位")
    await admin.press("交通运输局 (JTJ)")
    payload = payload_in(await admin.receives(containing="t.me/"))
    clock.advance(timedelta(hours=72, minutes=1))
    await late.start(payload)
    await late.receives(containing="该邀请链接已过期")
    assert Role.UNIT_OFFICER not in (await person_of(liaison, 406)).role_set
    assert [e.detail["reason"] for e in await audit(liaison, "invitation.refused")] == ["expired"]


async def test_reused_link_is_refused(sandbox: Sandbox, liaison: Runtime, people: Make) -> None:
    admin, first, second = people(ADMIN, "管理员"), people(407, "甲"), people(408, "Second", "en")
    payload = await link_by_button(admin, "常委会组成人员")
    await first.start(payload)
    await first.receives(containing="常委会组成人员")
    await second.start(payload)
    await second.receives(containing="This invitation link has already been used")
    await first.start(payload)
    await first.receives(containing="该邀请链接已被使用")
    assert Role.COMMITTEE_MEMBER not in (await person_of(liaison, 408)).role_set
    reasons = [e.detail["reason"] for e in await audit(liaison, "invitation.refused")]
    assert reasons == ["used", "used"]


async def test_forged_token_is_refused_and_plain_start_still_works(
    sandbox: Sandbox, liaison: Runtime, people: Make
) -> None:
    user = people(409, "伪造")
    await user.start("inv_AAAAAAAAAAAAAAAAAAAAAA")
    await user.receives(containing="该邀请链接无效")
    await user.start("inv_x")
    await user.receives(containing="该邀请链接无效")
    await user.start()
    await user.receives(containing="您好")
    await user.start("d_NOPE")
    await user.receives(containing="这个链接无效或已过期")
    assert Role.STAFF not in (await person_of(liaison, 409)).role_set
    assert [e.detail["reason"] for e in await audit(liaison, "invitation.refused")] == ["unknown", "unknown"]
