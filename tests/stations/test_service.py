"""The station service on SQLite and PostgreSQL: a rectification item walked through its lifecycle (report,
reopen, report, confirm) with every refusal audited and the history kept; the day-before reminder
(once per deadline, quiet hours holding it back); inspections checked all or nothing; the profile,
"六有" and rules as staff edit them and each relation reads them.

Network (tests/data/network_e2e.yaml): V1 with deputies D1 孙建国 and D2 Deputy Wu, V2 with D3 李秀英;
M1 钱志强 (committee member) inspects V1, P1 赵立新 inspects V2; C1 周小梅 is a constituent; a staff
member is added. The clock stands at 10:00 Shanghai on 10 March 2026.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import import_network
from bot.opinions.sla import SlaPolicy
from bot.runtime.settings import load_settings
from bot.stations import notices
from bot.stations.lifecycle import Action, RectificationState, RefusalReason
from bot.stations.service import (
    FileDraft,
    InspectionDraft,
    InspectionProblem,
    ItemDraft,
    Notice,
    Relation,
    StationService,
)
from bot.stations.standards import Problem, StandardItem
from bot.stations.upkeep import StationUpkeep
from storage.models import AuditEntry, OutboxMessage, Person, Role
from storage.models.stations import FileKind, RectificationEvent, StationFile
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

NETWORK = ROOT / "tests" / "data" / "network_e2e.yaml"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 3, 10)
ZONE = "Asia/Shanghai"
Uow = Callable[[], UnitOfWork]


@dataclass
class World:
    staff: int
    m1: int
    p1: int
    d1: int
    d2: int
    d3: int
    c1: int
    v1: int
    v2: int


async def pid(u: UnitOfWork, code: str) -> int:
    person = await u.people.by_code(code)
    assert person is not None, code
    return person.id


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> World:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=900001))
        await u.people.grant(staff, Role.STAFF)
        v1, v2 = [await u.network.station_by_code(c) for c in ("V1", "V2")]
        assert v1 is not None and v2 is not None
        m1, p1 = await pid(u, "M1"), await pid(u, "P1")
        await u.stations.assign(v1.id, m1, staff.id)
        await u.stations.assign(v2.id, p1, staff.id)
        world = World(
            staff.id,
            m1,
            p1,
            await pid(u, "D1"),
            await pid(u, "D2"),
            await pid(u, "D3"),
            await pid(u, "C1"),
            v1.id,
            v2.id,
        )
        await u.commit()
    return world


async def person(u: UnitOfWork, person_id: int) -> Person:
    found = await u.people.get(person_id)
    assert found is not None
    return found


def draft(
    world: World, *, due: date = TODAY + timedelta(days=7), who: int | None = None, **kw: object
) -> InspectionDraft:
    base: dict[str, object] = {
        "station_id": world.v1,
        "inspector_person_id": world.m1,
        "held_on": TODAY,
        "kinds": ("spot_check", "files"),
        "findings": "档案不全，接待室漏雨",
        "items": (ItemDraft("修缮接待室屋顶", due, who or world.d1),),
    }
    return InspectionDraft(**{**base, **kw})  # type: ignore[arg-type]


async def record(uow: Uow, world: World, **kw: object) -> int:
    async with uow() as u:
        outcome = await StationService(u, zone=ZONE).record_inspection(
            draft(world, **kw), await person(u, world.m1), T0
        )
        await u.commit()
    assert outcome.ok, outcome
    assert [n.recipient_person_id for n in outcome.notices] == [world.d1]
    return outcome.items[0].id


async def act(uow: Uow, item_id: int, action: Action, who: int, note: str = "", **kw: object):  # type: ignore[no-untyped-def]
    async with uow() as u:
        outcome = await StationService(u, zone=ZONE).act(
            item_id, action, await person(u, who), T0, note=note, **kw
        )  # type: ignore[arg-type]
        await u.commit()
    return outcome


async def refused_audits(uow: Uow) -> list[tuple[str, int | None, str]]:
    async with uow() as u:
        rows = await u.session.scalars(
            select(AuditEntry).where(AuditEntry.allowed.is_(False)).order_by(AuditEntry.id)
        )
        return [(e.action, e.actor_person_id, e.detail.get("reason", "")) for e in rows]


async def test_an_item_is_reported_reopened_reported_again_and_confirmed(uow: Uow, world: World) -> None:
    item_id = await record(uow, world)
    # Refused: no note, someone else's item, an inspector of another station, a constituent, too early.
    assert (
        await act(uow, item_id, Action.REPORT, world.d1)
    ).refusal.reason is RefusalReason.EVIDENCE_REQUIRED
    assert (
        await act(uow, item_id, Action.REPORT, world.d2, "我修的")
    ).refusal.reason is RefusalReason.NO_RELATION
    assert (await act(uow, item_id, Action.CONFIRM, world.p1)).refusal.reason is RefusalReason.NO_RELATION
    assert (await act(uow, item_id, Action.REPORT, world.c1, "x")).refusal.reason is RefusalReason.NO_RELATION
    assert (await act(uow, item_id, Action.CONFIRM, world.m1)).refusal.reason is RefusalReason.STALE_STATE
    assert (await act(uow, item_id, Action.CONFIRM, world.d1)).refusal.reason is RefusalReason.NOT_PERMITTED
    reported = await act(uow, item_id, Action.REPORT, world.d1, "已请施工队修好")
    assert reported.ok and reported.item.state == RectificationState.REPORTED
    assert reported.notices == [Notice(world.m1, "rectification.reported", item_id)]
    assert (await act(uow, item_id, Action.REOPEN, world.m1)).refusal.reason is RefusalReason.REASON_REQUIRED
    reopened = await act(uow, item_id, Action.REOPEN, world.m1, "墙角仍在渗水")
    assert reopened.ok and reopened.item.state == RectificationState.REOPENED
    assert reopened.item.reopen_reason == "墙角仍在渗水"
    assert reopened.notices == [Notice(world.d1, "rectification.reopened", item_id)]
    photo = FileDraft(FileKind.PHOTO, "tg-photo-1", "u1", caption="修好后")
    again = await act(uow, item_id, Action.REPORT, world.d1, files=[photo])
    assert again.ok and again.item.state == RectificationState.REPORTED
    confirmed = await act(uow, item_id, Action.CONFIRM, world.m1)
    assert confirmed.ok and confirmed.item.state == RectificationState.CONFIRMED
    assert confirmed.notices == [Notice(world.d1, "rectification.confirmed", item_id)]
    twice = await act(uow, item_id, Action.CONFIRM, world.m1)
    assert twice.refusal.reason is RefusalReason.FINAL
    staff_late = await act(uow, item_id, Action.REOPEN, world.staff, "再看看")
    assert staff_late.refusal.reason is RefusalReason.FINAL
    async with uow() as u:
        events = (
            await u.session.scalars(
                select(RectificationEvent)
                .where(RectificationEvent.rectification_id == item_id)
                .order_by(RectificationEvent.id)
            )
        ).all()
        files = (
            await u.session.scalars(select(StationFile).where(StationFile.rectification_id == item_id))
        ).all()
    assert [(e.action, e.to_state, e.actor_kind) for e in events] == [
        ("report", "reported", "responsible"),
        ("reopen", "reopened", "inspector"),
        ("report", "reported", "responsible"),
        ("confirm", "confirmed", "inspector"),
    ]
    assert [(f.telegram_file_id, f.caption, f.station_id) for f in files] == [
        ("tg-photo-1", "修好后", world.v1)
    ]
    reasons = [(a, who, r) for a, who, r in await refused_audits(uow)]
    assert reasons == [
        ("rectification.report", world.d1, "evidence_required"),
        ("rectification.report", world.d2, "no_relation"),
        ("rectification.confirm", world.p1, "no_relation"),
        ("rectification.report", world.c1, "no_relation"),
        ("rectification.confirm", world.m1, "stale_state"),
        ("rectification.confirm", world.d1, "not_permitted"),
        ("rectification.reopen", world.m1, "reason_required"),
        ("rectification.confirm", world.m1, "final"),
        ("rectification.reopen", world.staff, "final"),
    ]


async def test_staff_confirm_any_station_and_a_missing_item_is_refused(uow: Uow, world: World) -> None:
    item_id = await record(uow, world)
    assert (await act(uow, item_id, Action.REPORT, world.d1, "好了")).ok
    assert (await act(uow, item_id, Action.CONFIRM, world.staff)).ok
    assert (await act(uow, 999_999, Action.CONFIRM, world.staff)).refusal.reason is RefusalReason.NOT_FOUND
    async with uow() as u:
        check = await StationService(u, zone=ZONE).check(item_id, Action.REPORT, await person(u, world.d1))
    assert check is not None and check.reason is RefusalReason.FINAL


async def test_the_reminder_goes_out_the_day_before_once_per_deadline(uow: Uow, world: World) -> None:
    item_id = await record(uow, world, due=TODAY + timedelta(days=3))

    async def remind(at: datetime) -> list[Notice]:
        async with uow() as u:
            found = await StationService(u, zone=ZONE).remind_due(at)
            await u.commit()
        return found

    assert await remind(T0) == []
    assert await remind(T0 + timedelta(days=1)) == []  # two days before
    day_before = T0 + timedelta(days=2)
    assert await remind(day_before) == [Notice(world.d1, "rectification.due_tomorrow", item_id)]
    assert await remind(day_before + timedelta(hours=1)) == []  # once
    assert await remind(day_before + timedelta(days=1)) == []  # nor again on the day
    # A new deadline is reminded again; a reported item is not (the inspector has it).
    async with uow() as u:
        item = await u.stations.item(item_id)
        assert item is not None
        item.due_on = TODAY + timedelta(days=10)
        await u.commit()
    assert await remind(T0 + timedelta(days=9)) == [Notice(world.d1, "rectification.due_tomorrow", item_id)]
    other = await record(uow, world, due=TODAY + timedelta(days=5))
    assert (await act(uow, other, Action.REPORT, world.d1, "好了")).ok
    assert await remind(T0 + timedelta(days=4)) == []


async def test_a_reminder_in_quiet_hours_waits_for_the_morning(uow: Uow, world: World) -> None:
    item_id = await record(uow, world, due=TODAY + timedelta(days=1))
    late = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai, the day before the deadline
    settings = load_settings(database_url="sqlite:///unused.db", timezone=ZONE)
    async with uow() as u:
        found = await StationService(u, zone=ZONE).remind_due(late)
        assert found == [Notice(world.d1, "rectification.due_tomorrow", item_id)]
        assert await notices.deliver(u, found, settings, SlaPolicy(zone=ZONE), late) == 1
        await u.commit()
    async with uow() as u:
        row = (await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc()))).first()
    assert row is not None and row.chat_id == 201
    assert "明天" in row.payload["text"] or "tomorrow" in row.payload["text"]
    assert row.not_before == datetime(2026, 3, 11, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai


async def test_inspections_are_checked_all_or_nothing(uow: Uow, world: World) -> None:
    async def attempt(actor: int, **kw: object) -> tuple[InspectionProblem | None, object]:
        async with uow() as u:
            outcome = await StationService(u, zone=ZONE).record_inspection(
                draft(world, **kw), await person(u, actor), T0
            )
            await u.commit()
        return outcome.problem, outcome.invalid.problem if outcome.invalid else None

    P = InspectionProblem
    assert await attempt(world.p1, inspector_person_id=world.p1) == (P.NOT_INSPECTOR, None)  # P1 inspects V2
    assert await attempt(world.m1, inspector_person_id=world.p1) == (
        P.NOT_INSPECTOR,
        None,
    )  # for someone else
    assert await attempt(world.staff, inspector_person_id=world.staff) == (
        P.NOT_INSPECTOR,
        None,
    )  # chat: assigned only
    assert await attempt(world.m1, kinds=()) == (P.NO_KIND, None)
    assert await attempt(world.m1, kinds=("guess",)) == (P.NO_KIND, None)
    assert await attempt(world.m1, held_on=TODAY + timedelta(days=1)) == (P.DAY, Problem.FUTURE)
    assert await attempt(world.m1, findings="   ") == (P.FINDINGS, Problem.EMPTY)
    assert await attempt(world.m1, due=TODAY) == (P.ITEM_DUE, Problem.NOT_AFTER_TODAY)
    assert await attempt(world.m1, who=world.d3) == (P.RESPONSIBLE, None)  # D3 is V2's
    assert await attempt(world.m1, who=world.c1) == (P.RESPONSIBLE, None)
    # Staff in the console: any station, themselves as the inspector; a staff member may be responsible.
    assert await attempt(world.staff, inspector_person_id=world.staff, source="console", who=world.staff) == (
        None,
        None,
    )
    async with uow() as u:
        assert len(await u.stations.inspections(world.v1)) == 1
        # The form saved twice is one inspection.
        service = StationService(u, zone=ZONE)
        first = await service.record_inspection(draft(world, dialog_key="k1"), await person(u, world.m1), T0)
        second = await service.record_inspection(draft(world, dialog_key="k1"), await person(u, world.m1), T0)
        assert first.inspection is not None and second.inspection is not None
        assert first.inspection.id == second.inspection.id and second.notices == []
        assert len(await u.stations.inspections(world.v1)) == 2


async def test_the_profile_as_staff_edit_it_and_each_relation_reads_it(uow: Uow, world: World) -> None:
    async with uow() as u:
        service, staff = StationUpkeep(u, zone=ZONE), await person(u, world.staff)
        d1 = await person(u, world.d1)
        refused = await service.save_profile(
            world.v1, d1, address="x", hours={}, hours_note="", point=None, now=T0
        )
        assert refused is not None and refused.problem is Problem.NOT_ALLOWED
        assert (
            await service.save_profile(
                world.v1,
                staff,
                address="丙村村委会二楼",
                hours={"mon": "9:00–12:00", "sat": "", "xxx": "ignored"},
                hours_note="每月15日代表接待日",
                point=(25.81, 98.81),
                now=T0,
            )
            is None
        )
        too_long = await service.save_profile(
            world.v1, staff, address="地" * 301, hours={}, hours_note="", point=None, now=T0
        )
        assert too_long is not None and too_long.problem is Problem.TOO_LONG
        checklist = {item: (item in (StandardItem.VENUE, StandardItem.RULES), "") for item in StandardItem}
        checklist[StandardItem.FUNDS] = (False, "经费未落实")
        assert await service.save_standards(world.v1, staff, checklist, T0) is None
        assert (
            await service.add_rules(
                world.v1, staff, [("民情日记制度", "每次接待都要记录"), ("值班制度", "")], T0
            )
            is None
        )
        assert (await service.add_rules(world.v1, staff, [("  ", "x")], T0)).problem is Problem.EMPTY  # type: ignore[union-attr]
        await service.add_evidence(
            world.v1, StandardItem.VENUE, d1, FileDraft(FileKind.PHOTO, "tg-1", "u"), T0
        )
        assert (
            await service.add_evidence(
                world.v1, None, await person(u, world.d3), FileDraft(FileKind.PHOTO, "tg-2"), T0
            )
            is None
        )
        await u.commit()
    await record(uow, world)
    async with uow() as u:
        service = StationService(u, zone=ZONE)
        seen = await service.view(world.v1, await person(u, world.d1), TODAY + timedelta(days=8))
        assert seen is not None and seen.relations == {Relation.DEPUTY}
        assert seen.profile is not None and seen.profile.address == "丙村村委会二楼"
        assert seen.hours == {"mon": "9:00–12:00"}
        assert (seen.station.latitude, seen.station.longitude) == (25.81, 98.81)
        assert seen.met == 2 and [s.files for s in seen.standards] == [1, 0, 0, 0, 0, 0]
        assert next(s for s in seen.standards if s.item is StandardItem.FUNDS).note == "经费未落实"
        assert [r.title for r in seen.rules] == ["民情日记制度", "值班制度"]
        assert seen.inspectors == ["钱志强"]
        assert [(v.overdue, v.actions) for v in seen.items] == [(True, (Action.REPORT,))]  # red: past its day
        inspector = await service.view(world.v1, await person(u, world.m1), TODAY)
        assert inspector is not None and inspector.relations == {Relation.INSPECTOR}
        assert [v.actions for v in inspector.items] == [()]
        for stranger in (world.c1, world.d3, world.p1):
            assert await service.view(world.v1, await person(u, stranger), TODAY) is None
