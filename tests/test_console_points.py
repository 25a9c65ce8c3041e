"""The console's performance points pages over HTTP, on SQLite and PostgreSQL: the ranking and its filters
(station, level, group), a deputy's lines with links to their sources, the rule table edited (a new
revision, the history with who and old/new, a past year closed), last year's table copied, staff
adjustments, meetings recorded with attendees, the yearly XLSX, the CSRF check, staff only, English.

The network is tests/data/network_e2e.yaml: V1 has D1 孙建国 (county, group g1) and D2 Deputy Wu
(township, g1); D3 李秀英 (township) serves at V2; P1, M1 at H1. The clock stands at 10:00 Shanghai on
Tuesday 10 March 2026.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.web import ROOT, make_console_app
from bot.network import import_network
from bot.opinions.sla import FixedClock
from bot.runtime.context import Services
from storage.models import (
    AuditEntry,
    Deputy,
    Opinion,
    Person,
    PersonRole,
    Reception,
    ReceptionVisitor,
    Role,
    Station,
)
from storage.models.opinions import Duty
from storage.models.points import PointAdjustment
from storage.unit_of_work import UnitOfWork
from tests.test_console_suggestions import NETWORK, STAFF_TG, Console, Host, settings, sign_in

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
Uow = Callable[[], UnitOfWork]
ROW = re.compile(r'data-testid="points-row" data-code="([^"]*)" data-total="(-?\d+)" data-rank="(\d+)"')


@pytest.fixture
async def ids(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> dict[str, int]:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=STAFF_TG))
        await u.people.grant(staff, Role.STAFF)
        deputies = await u.session.execute(
            select(Person.code, Deputy.id).join(Deputy, Deputy.person_id == Person.id)
        )
        stations = await u.session.execute(select(Station.code, Station.id))
        found: dict[str, int] = {**dict(deputies.all()), **dict(stations.all())}  # type: ignore[arg-type]
        found["staff"] = staff.id
        v1, v2 = found["V1"], found["V2"]
        # D1: two check-ins and a missed day; D2: one check-in and 5 people received; D3: 7 people.
        u.session.add(Duty(deputy_id=found["D1"], station_id=v1, date=date(2026, 3, 2), checked_in_at=T0))
        u.session.add(Duty(deputy_id=found["D1"], station_id=v1, date=date(2026, 3, 3), checked_in_at=T0))
        u.session.add(Duty(deputy_id=found["D1"], station_id=v1, date=date(2026, 3, 4)))
        u.session.add(Duty(deputy_id=found["D2"], station_id=v1, date=date(2026, 3, 5), checked_in_at=T0))
        # D2's entry is from before registration (its typed count); D3 registered seven visitors.
        u.session.add(
            Reception(deputy_id=found["D2"], station_id=v1, day=date(2026, 3, 6), legacy=True, people=5)
        )
        diary = Reception(deputy_id=found["D3"], station_id=v2, day=date(2026, 3, 6))
        u.session.add(diary)
        await u.session.flush()
        u.session.add_all(
            ReceptionVisitor(reception_id=diary.id, number=n, anonymous=True) for n in range(1, 8)
        )
        c1 = await u.people.by_code("C1")
        assert c1 is not None
        opinion = Opinion(
            tracking_no="LX-2026-000001",
            sender_person_id=c1.id,
            category="transport",
            text="路灯坏了",
            holder_deputy_id=found["D1"],
            state="closed",
            satisfaction="satisfied",
            answered_at=datetime(2026, 3, 3, 2, tzinfo=UTC),
            answer_deadline=datetime(2026, 3, 8, 2, tzinfo=UTC),
            closed_at=datetime(2026, 3, 4, 2, tzinfo=UTC),
        )
        u.session.add(opinion)
        await u.session.flush()
        found["opinion"] = opinion.id
        await u.commit()
    return found


@pytest.fixture
async def console(
    ids: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], uow: Uow
) -> AsyncIterator[Console]:
    clock = FixedClock(T0)
    services = Services(settings(), sessionmaker, clock=clock)
    app = web.Application()
    app.add_subapp(ROOT, make_console_app(Host(services)))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        yield Console(client, await sign_in(client, uow, clock, STAFF_TG))


def ranked(page: str) -> list[tuple[str, int, int]]:
    return [(code, int(total), int(rank)) for code, total, rank in ROW.findall(page)]


async def audit(uow: Uow, action: str) -> list[AuditEntry]:
    async with uow() as u:
        return list((await u.session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def recompute(console: Console, year: int = 2026) -> None:
    status, location, _ = await console.post("/points/recompute", {"year": str(year)})
    assert status == 303 and location.startswith(f"{ROOT}/points?year={year}&done=recomputed"), location


async def test_the_ranking_is_filtered_by_station_level_and_group(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    status, page = await console.get("/points?year=2026")
    assert status == 200 and "尚未计算" in page
    await recompute(console)
    status, page = await console.get("/points?year=2026&done=recomputed&n=8")
    assert "本年度积分已重新计算：共 8 条。" in page
    # D1: 2×2 check-ins − 3 missed + 2 on time + 1 satisfied = 4; D2: 2 + 5 = 7; D3: 7; P1, M1: 0.
    assert ranked(page) == [("D2", 7, 1), ("D3", 7, 1), ("D1", 4, 3), ("M1", 0, 4), ("P1", 0, 4)]
    _, page = await console.get(f"/points?year=2026&station={ids['V1']}")
    assert ranked(page) == [("D2", 7, 1), ("D1", 4, 2)]
    _, page = await console.get("/points?year=2026&level=township")
    assert ranked(page) == [("D2", 7, 1), ("D3", 7, 1)]
    async with uow() as u:
        (group_id, _, _), *_ = await u.points.group_choices()
    _, page = await console.get(f"/points?year=2026&group={group_id}&level=county")
    assert ranked(page) == [("D1", 4, 1)]
    _, page = await console.get("/points?year=2026&level=bogus&station=x")  # unknown filters are dropped
    assert len(ranked(page)) == 5
    _, page = await console.get("/points?year=2025")
    assert [total for _, total, _ in ranked(page)] == [0] * 5
    recomputed = await audit(uow, "points.recomputed")
    assert [(e.actor_person_id, e.object_id, e.detail["lines"]) for e in recomputed] == [
        (ids["staff"], "2026", 8)
    ]


async def test_a_deputys_lines_link_to_their_sources(console: Console, ids: dict[str, int], uow: Uow) -> None:
    status, page = await console.get(f"/points/deputy/{ids['D1']}?year=2026")
    assert status == 200 and "孙建国" in page and 'data-testid="points-total">4<' in page
    sources = re.findall(r'data-testid="points-line" data-kind="([a-z_]+)" data-source="([a-z]+:\d+)"', page)
    assert sorted(kind for kind, _ in sources) == [
        "duty_check_in",
        "duty_check_in",
        "duty_missed",
        "opinion_on_time",
        "opinion_satisfied",
    ]
    assert f'href="{ROOT}/duty?station=V1&amp;month=2026-03"' in page
    assert f'href="{ROOT}/opinions/{ids["opinion"]}"' in page and "LX-2026-000001" in page
    status, _ = await console.get("/points/deputy/999999?year=2026")
    assert status == 404
    viewed = await audit(uow, "points.viewed")
    assert [(e.object_id, e.detail["year"]) for e in viewed] == [(str(ids["D1"]), 2026)]


async def test_rules_are_edited_by_revision_with_their_history_and_a_past_year_is_closed(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    status, page = await console.get("/points/rules?year=2026")
    assert status == 200 and "积分规则" in page and "进站履职" in page
    assert 'data-kind="duty_check_in" data-points="2" data-revision="1"' in page
    form = {"year": "2026", "kind": "duty_check_in", "points": "4", "cap": "", "active": "1"}
    status, location, _ = await console.post("/points/rules/edit", form)
    assert status == 303 and location == f"{ROOT}/points/rules?year=2026&done=saved"
    _, page = await console.get("/points/rules?year=2026&done=saved")
    assert 'data-kind="duty_check_in" data-points="4" data-revision="2"' in page
    history = page.split('data-testid="rules-history"')[1]
    assert (
        "办公室小张" in history and "2 · 上限 — · 计分" in history and "4 · 上限 — · 计分 (版本 2)" in history
    )
    # The year's lines are priced by the new revision: D1's two check-ins are worth 4 each.
    _, page = await console.get(f"/points/deputy/{ids['D1']}?year=2026")
    assert 'data-testid="points-total">8<' in page
    # Refusals: a deduction that adds, words instead of numbers, last year's closed table.
    status, _, page = await console.post("/points/rules/edit", {**form, "kind": "duty_missed", "points": "2"})
    assert status == 400 and "扣分项不能加分" in page
    status, _, page = await console.post("/points/rules/edit", {**form, "points": "four"})
    assert status == 400
    status, _, page = await console.post("/points/rules/edit", {**form, "year": "2025"})
    assert status == 400 and "往年的积分规则保持不变" in page
    status, _, page = await console.post("/points/rules/edit", {**form, "year": "2030"})
    assert status == 400 and "积分只记录 2000 年至下一年度。" in page
    _, page = await console.get("/points/rules?year=2025")
    assert 'data-testid="rules-closed"' in page and "rule-save" not in page
    # The form's token is checked: a forged one changes nothing.
    status, _, _ = await console.post("/points/rules/edit", [*form.items(), ("csrf", "forged")])
    assert status == 403
    # Copy last year's (2025 has the default table now that it was shown): the check-in back to 2.
    status, location, _ = await console.post("/points/rules/copy", {"year": "2026"})
    assert status == 303 and location.endswith("done=copied&n=1")
    async with uow() as u:
        rule = next(r for r in await u.points.rules(2026) if r.kind == "duty_check_in")
        assert (rule.points, rule.revision) == (2, 3)
    refusals = sorted(str(e.detail["reason"]) for e in await audit(uow, "points.refused"))
    assert refusals == ["deduction_positive", "past_year"]
    changed = await audit(uow, "points.rule_changed") + await audit(uow, "points.rule_copied")
    assert [(e.detail["old"]["points"], e.detail["new"]["points"]) for e in changed] == [(2, 4), (4, 2)]


async def test_an_adjustment_needs_a_reason_and_a_form_token(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    path = f"/points/deputy/{ids['D2']}/adjust"
    status, location, _ = await console.post(
        path, {"year": "2026", "points": "+5", "reason": "市人大培训授课"}
    )
    assert status == 303 and location == f"{ROOT}/points/deputy/{ids['D2']}?year=2026&done=adjusted"
    _, page = await console.get(location.removeprefix(ROOT))
    assert (
        "已记录此次调整。" in page and "市人大培训授课" in page and 'data-testid="points-total">12<' in page
    )
    status, location, _ = await console.post(path, {"year": "2026", "points": "−2", "reason": "重复登记"})
    assert status == 303
    status, _, page = await console.post(path, {"year": "2026", "points": "0", "reason": "零"})
    assert status == 400 and "调整分值须为" in page
    status, _, page = await console.post(path, {"year": "2026", "points": "3", "reason": ""})
    assert status == 400 and "请填写调整理由" in page
    status, _, page = await console.post(path, {"year": "2030", "points": "3", "reason": "未来"})
    assert status == 400 and "积分只记录 2000 年至下一年度。" in page
    status, _, _ = await console.post(
        path, [("year", "2026"), ("points", "9"), ("reason", "x"), ("csrf", "forged")]
    )
    assert status == 403
    async with uow() as u:
        rows = (await u.session.scalars(select(PointAdjustment).order_by(PointAdjustment.id))).all()
        assert [(r.points, r.reason, r.created_by_person_id) for r in rows] == [
            (5, "市人大培训授课", ids["staff"]),
            (-2, "重复登记", ids["staff"]),
        ]
    adjusted = await audit(uow, "points.adjusted")
    assert [(e.object_id, e.detail["points"], e.detail["reason"]) for e in adjusted] == [
        (str(ids["D2"]), 5, "市人大培训授课"),
        (str(ids["D2"]), -2, "重复登记"),
    ]
    await recompute(console)
    _, page = await console.get("/points?year=2026")
    assert ("D2", 10, 1) in ranked(page)


async def test_meetings_are_recorded_with_their_attendees(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    form = {"kind": "training", "day": "2026-03-09", "title": "新任代表履职培训", "codes": "D1, D3 NOPE"}
    status, _, page = await console.post("/points/activities", form)
    assert status == 400 and "以下代码没有对应的代表：NOPE" in page and "新任代表履职培训" in page
    status, _, page = await console.post("/points/activities", {**form, "day": "2026-03-11", "codes": "D1"})
    assert status == 400 and "不能是将来的日期" in page
    status, location, _ = await console.post("/points/activities", {**form, "codes": "D1，D3"})
    assert status == 303 and "done=recorded&n=2" in location
    _, page = await console.get(location.removeprefix(ROOT))
    assert re.findall(r'data-testid="attendee" data-code="(\w+)"', page) == ["D1", "D3"]
    activity = location.removeprefix(ROOT).split("?")[0]
    status, location, _ = await console.post(f"{activity}/attendees", {"codes": "D2 D3"})
    assert status == 303 and location.endswith("done=added&n=1")
    _, page = await console.get(f"/points/deputy/{ids['D2']}?year=2026")
    assert "参加培训" in page and "新任代表履职培训" in page and 'data-testid="points-total">10<' in page
    _, page = await console.get(activity)
    remove = re.search(r'action="/console(/points/attendance/\d+/remove)"', page.split('data-code="D3"')[1])
    assert remove is not None
    status, location, _ = await console.post(remove.group(1), {})
    assert status == 303 and location == f"{ROOT}{activity}?done=removed"
    _, page = await console.get(activity)
    assert re.findall(r'data-testid="attendee" data-code="(\w+)"', page) == ["D1", "D2"]
    _, page = await console.get("/points/activities?year=2026")
    assert "新任代表履职培训" in page
    status, _, page = await console.post("/points/attendance/999999/remove", {})
    assert status == 404 and "该参加代表的记录已不存在。" in page
    recorded = await audit(uow, "points.activity_recorded")
    assert [(e.detail["kind"], e.detail["title"]) for e in recorded] == [("training", "新任代表履职培训")]
    assert len(await audit(uow, "points.attendance_removed")) == 1
    refusals = sorted(str(e.detail["reason"]) for e in await audit(uow, "points.refused"))
    assert refusals == ["bad_day", "not_found", "unknown_codes"]


async def test_the_yearly_table_as_offices_publish_it(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    await console.post(
        f"/points/deputy/{ids['D3']}/adjust", {"year": "2026", "points": "1", "reason": "补录"}
    )
    await recompute(console)
    sheet = load_workbook(io.BytesIO(await console.file("/points?year=2026&format=xlsx"))).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    head = rows[0]
    assert head[:5] == ["姓名", "编码", "层级", "联络站", "代表小组"]
    assert head[5:7] == ["进站履职（次数）", "进站履职（积分）"]
    assert head[-3:] == ["人工调整", "总分", "排名"]
    assert len(head) == 5 + 2 * 9 + 3
    by_code = {r[1]: dict(zip(head, r, strict=True)) for r in rows[1:]}
    assert [r[1] for r in rows[1:]] == ["D3", "D2", "D1", "M1", "P1"]
    d1, d3 = by_code["D1"], by_code["D3"]
    assert (d1["姓名"], d1["联络站"], d1["代表小组"], d1["层级"]) == (
        "孙建国",
        "丙村人大代表联络站",
        "农业代表小组",
        "县级",
    )
    assert (d1["进站履职（次数）"], d1["进站履职（积分）"], d1["值班未到岗（未签到、未换班）（积分）"]) == (
        2,
        4,
        -3,
    )
    assert (d1["总分"], d1["排名"]) == (4, 3)
    assert (d3["接待群众（次数）"], d3["人工调整"], d3["总分"], d3["排名"]) == (7, 1, 8, 1)
    exported = await audit(uow, "console.export")
    assert [(e.detail["list"], e.detail["format"], e.detail["rows"]) for e in exported] == [
        ("points-2026", "xlsx", 5)
    ]


async def test_only_staff_reach_the_pages_and_forms(console: Console, ids: dict[str, int], uow: Uow) -> None:
    async with uow() as u:
        await u.session.execute(
            delete(PersonRole).where(
                PersonRole.person_id == ids["staff"], PersonRole.role == Role.STAFF.value
            )
        )
        await u.commit()
    status, _ = await console.get("/points")
    assert status == 303
    status, _, _ = await console.post(f"/points/deputy/{ids['D2']}/adjust", {"points": "5", "reason": "x"})
    assert status == 403
    status, _, _ = await console.post(
        "/points/rules/edit", {"year": "2026", "kind": "visitor", "points": "5"}
    )
    assert status == 403
    async with uow() as u:
        assert (await u.session.scalars(select(PointAdjustment))).all() == []
        assert await u.points.rules(2026) == []


async def test_the_pages_in_english(
    ids: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], uow: Uow, console: Console
) -> None:
    async with uow() as u:
        staff = await u.people.by_telegram_id(STAFF_TG)
        assert staff is not None
        staff.language = "en"
        await u.commit()
    status, page = await console.get("/points?year=2026")
    assert status == 200 and "Performance points" in page and "Recompute the year now" in page
    _, page = await console.get("/points/rules?year=2026")
    assert "Duty check-in (进站履职)" in page and "A duty day at a station, checked in on the day." in page
    _, page = await console.get(f"/points/deputy/{ids['D1']}?year=2026")
    assert "Every line" in page and "Adjust by hand" in page
