"""Unit officers join their unit by invitation, end to end through the sandbox: staff pick the unit
(buttons or code), the officer opens the link, is recorded in the unit and greeted with its name;
forged, stale and malformed presses are refused and audited."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from bot.network import dump_yaml, import_network
from bot.runtime.app import Runtime
from bot.sandbox import Sandbox
from storage.models import AuditEntry, Role, UnitOfficer
from tests.e2e.test_staff_roles import ADMIN, audit, make_staff, payload_in, person_of
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]

UNITS = {
    "units": [
        {"code": "JTJ", "name": "交通运输局", "kind": "government", "categories": ["transport"]},
        {
            "code": "GLJ",
            "name": "公路管理局",
            "kind": "government",
            "categories": ["transport"],
            "parent": "JTJ",
        },
        {"code": "FY", "name": "人民法院", "kind": "court", "categories": ["disputes"]},
    ]
}


async def import_units(runtime: Runtime, tmp_path: Path) -> dict[str, int]:
    """The units file through the real import; code → id."""
    path = tmp_path / "units.yaml"
    path.write_text(dump_yaml(UNITS), encoding="utf-8")
    await import_network(runtime.services.sessionmaker, path)
    async with runtime.services.uow() as uow:
        return {u.code: u.id for u in await uow.units.all()}


async def officers_of(runtime: Runtime, unit_id: int) -> list[int]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(UnitOfficer.person_id).where(UnitOfficer.unit_id == unit_id))
        return sorted(rows.all())


async def test_staff_invite_an_officer_to_a_unit_who_is_recorded_and_greeted_with_it(
    sandbox: Sandbox, liaison: Runtime, people: Make, tmp_path: Path
) -> None:
    units = await import_units(liaison, tmp_path)
    admin, staff = people(ADMIN, "管理员"), people(401, "小刘")
    officer, second = people(403, "王科长"), people(404, "Li", "en")
    await make_staff(admin, staff)

    await staff.command("invite")
    await staff.receives(containing="邀请对方成为")
    await staff.press("承办单位工作人员")
    picker = await staff.receives(containing="邀请到哪个承办单位")
    labels = [b["text"] for row in picker["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["人民法院 (FY)", "公路管理局 (GLJ)", "交通运输局 (JTJ)"]
    await staff.press("交通运输局 (JTJ)")
    sent = await staff.receives(containing="t.me/")
    assert "承办单位工作人员 – 交通运输局" in sent["text"]

    await officer.start(payload_in(sent))
    await officer.receives(containing="欢迎您，王科长！您已登记为交通运输局的承办单位工作人员")
    officer_person = await person_of(liaison, 403)
    assert Role.UNIT_OFFICER in officer_person.role_set
    assert await officers_of(liaison, units["JTJ"]) == [officer_person.id]
    added = await audit(liaison, "unit.officer_added")
    assert [(e.object_id, e.detail["unit"]) for e in added] == [(str(units["JTJ"]), "JTJ")]

    await officer.start()
    await officer.receives(containing="您所在的承办单位：交通运输局。")

    # A second officer of the same unit, by typed code.
    await staff.command("invite", "unit JTJ")
    await second.start(payload_in(await staff.receives(containing="交通运输局")))
    await second.receives(containing="You are now registered as an officer of 交通运输局")
    second_person = await person_of(liaison, 404)
    assert await officers_of(liaison, units["JTJ"]) == sorted([officer_person.id, second_person.id])
    await second.start()
    await second.receives(containing="Your unit: 交通运输局.")

    # The same officer invited again to the same unit: nothing new, the link stays unused.
    await staff.command("invite", "unit JTJ")
    await officer.start(payload_in(await staff.receives(containing="交通运输局")))
    await officer.receives(containing="您已是交通运输局的工作人员")
    assert await officers_of(liaison, units["JTJ"]) == sorted([officer_person.id, second_person.id])


async def test_unit_choices_are_checked_and_refusals_audited(
    sandbox: Sandbox, liaison: Runtime, people: Make, tmp_path: Path
) -> None:
    units = await import_units(liaison, tmp_path)
    admin, staff, someone = people(ADMIN, "管理员"), people(401, "小刘"), people(405, "路人", "en")
    await make_staff(admin, staff)

    await staff.command("invite", "unit")  # no code: the picker
    await staff.receives(containing="邀请到哪个承办单位")
    await staff.command("invite", "unit NOPE")
    await staff.receives(containing="没有该编号的承办单位")

    # A constituent forging a unit button is refused: only staff invite.
    await someone.command("invite")
    refusal = await someone.receives(containing="Only congress staff can invite people")
    forged = await someone.press(data=f"invu:{units['JTJ']}", forge=True, message_id=refusal["message_id"])
    assert "Only congress staff" in (await forged.answer()).get("text", "")

    # Staff pressing a unit that no longer exists (stale) or data that is not a unit id (malformed).
    await staff.command("invite")
    menu = await staff.receives(containing="邀请对方成为")
    stale = await staff.press(data="invu:999999", forge=True, message_id=menu["message_id"])
    assert "没有该编号的承办单位" in (await stale.answer()).get("text", "")
    malformed = await staff.press(data="invu:JTJ", forge=True, message_id=menu["message_id"])
    assert "失效" in (await malformed.answer()).get("text", "")

    refused = await audit(liaison, "invitation.refused")
    # Each person's refusals in their order; two people's chats are handled side by side, so the audit may
    # interleave them (a forged press is audited as it is answered, while staff's next command runs).
    reasons = sorted(((e.actor_telegram_id, e.detail.get("reason")) for e in refused), key=lambda r: r[0])
    assert reasons == [
        (401, "unit_required"),
        (401, "unknown_unit"),
        (401, "unknown_unit"),
        (401, "malformed"),
        (405, "not_permitted"),
        (405, "not_permitted"),
    ]
    async with liaison.services.uow() as uow:
        assert (await uow.session.scalars(select(UnitOfficer))).all() == []
        created = await uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "invitation.created")
        )
        assert [e.detail["role"] for e in created.all()] == ["staff"]  # no officer link was issued


async def test_without_units_staff_are_told_where_units_come_from(
    sandbox: Sandbox, liaison: Runtime, people: Make
) -> None:
    admin = people(ADMIN, "管理员")
    await admin.command("invite")
    await admin.receives(containing="邀请对方成为")
    await admin.press("承办单位工作人员")
    told = await admin.receives(containing="还没有承办单位")
    assert not (told.get("reply_markup") or {}).get("inline_keyboard")  # no buttons to press
