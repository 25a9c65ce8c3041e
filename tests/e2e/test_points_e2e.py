"""Performance points (履职积分) end to end through the sandbox: a deputy checks in on the day and /points
shows the line at once with its source, beside a missed duty day and a reception; staff look a deputy up
by code (audited); a constituent is refused (audited); a long year pages within 4096 UTF-16 units, and
every forged or stale page press is refused with an alert and audited.

The network is tests/data/network_e2e.yaml with station heads (tests/e2e/test_duty_e2e.py's
`with_heads`): V1 has D1 孙建国 (201) and D2 Deputy Wu (202); D3 李秀英 (203) serves at V2; C1 周小梅 (301)
is a constituent; 900001 is staff. Texts are the zh_Hans ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.kit.text_limits import MESSAGE_LIMIT, utf16_len
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from storage.models import AuditEntry, Reception, ReceptionVisitor
from storage.models.opinions import Duty
from storage.models.points import ActivityRecord, Attendance
from tests.e2e.flows import started
from tests.e2e.test_duty_e2e import ids, local_today, put_on_duty, with_heads
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
D1, D2, D3, C1, STAFF = 201, 202, 203, 301, 900001
STATION = "丙村人大代表联络站"


@pytest.fixture
def clock() -> ManualClock:
    """10:00 in Shanghai today — or on 2 January when today is New Year's Day, so yesterday is this year's."""
    now = datetime.now(UTC)
    local = now.astimezone(ZoneInfo("Asia/Shanghai"))
    target = local.replace(hour=10, minute=0, second=0, microsecond=0)
    if (target.month, target.day) == (1, 1):
        target += timedelta(days=1)
    return ManualClock(target - local)


async def audited(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(rows.all())


async def refused(user: SandboxUser, data: str, containing: str) -> None:
    """A forged or stale press: answered with an alert naming why."""
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer.get("show_alert") and containing in answer.get("text", ""), answer


async def test_a_deputy_sees_the_check_in_of_today_at_once_with_its_source(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    d1 = people(D1, "孙建国")
    await started(d1)
    today, found = local_today(network), await ids(network)
    yesterday = today - timedelta(days=1)
    await put_on_duty(network, "D1", "V1", today)
    async with network.services.uow() as uow:
        # Rostered yesterday and never checked in: a deduction; three visitors registered in yesterday's diary.
        uow.session.add(Duty(deputy_id=found["D1"], station_id=found["V1"], date=yesterday))
        diary = Reception(deputy_id=found["D1"], station_id=found["V1"], day=yesterday)
        uow.session.add(diary)
        await uow.session.flush()
        uow.session.add_all(
            ReceptionVisitor(reception_id=diary.id, number=n, anonymous=True) for n in (1, 2, 3)
        )
        await uow.commit()
    await d1.command("duty")
    days = await d1.receives(containing="🗓 您即将到来的值班日")
    await d1.press("✅ 签到", message_id=days["message_id"])
    await d1.receives(containing="签到：计为一次进站履职")
    await d1.send_location(25.8, 98.8)
    await d1.receives(containing="📍 已记录本次签到的位置")
    # Nothing computed at night yet: /points computes the deputy's own lines as it answers.
    await d1.command("points")
    shown = await d1.receives(containing="年度履职积分")
    text = shown["text"]
    assert f"{today.year}年度履职积分 · 孙建国 (D1)" in text
    assert "总分：2" in text  # +2 check-in, −3 missed, +3 people received
    assert f"✅ {today.isoformat()} 进站履职 · {STATION} +2" in text
    assert f"➖ {yesterday.isoformat()} 值班未到岗 · {STATION} −3" in text
    assert f"✅ {yesterday.isoformat()} 接待群众 3 人 · {STATION} +3" in text
    assert "· 进站履职: 1 → +2" in text or "· 进站履职：1 → +2" in text
    assert shown["reply_markup"] is None  # one page
    # The previous year, asked for by number: nothing there.
    await d1.command("points", str(today.year - 1))
    await d1.receives(containing=f"{today.year - 1}年度尚无积分记录。")
    assert await audited(network, "points.viewed") == []  # one's own points are not an audited look-up
    # The nightly job computes every deputy's lines of the year: the same three for D1.
    assert await network.points() == 3
    async with network.services.uow() as uow:
        assert await uow.points.computed_at(today.year) is not None
        lines = await uow.points.lines(today.year, found["D1"])
        assert sorted((line.kind, line.points) for line in lines) == [
            ("duty_check_in", 2),
            ("duty_missed", -3),
            ("visitor", 3),
        ]


async def test_staff_look_a_deputy_up_and_a_constituent_is_refused(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    staff, c1, d3 = people(STAFF, "办公室小张"), people(C1, "周小梅"), people(D3, "李秀英")
    await started(staff, c1, d3)
    today, found = local_today(network), await ids(network)
    async with network.services.uow() as uow:
        uow.session.add(
            Reception(deputy_id=found["D2"], station_id=found["V1"], day=today, legacy=True, people=4)
        )
        await uow.commit()
    await staff.command("points")
    await staff.receives(containing="请在 /points 后加上代表代码查看其积分")
    await staff.command("points", "D2")
    shown = await staff.receives(containing="年度履职积分 · Deputy Wu (D2)")
    assert f"✅ {today.isoformat()} 接待群众 4 人 · {STATION} +4" in shown["text"]
    await staff.command("points", "NOPE")
    await staff.receives(containing="没有使用此代码的代表。")
    await staff.command("points", "D2 1999")
    await staff.receives(containing="积分只记录 2000 年至下一年度。")
    viewed = await audited(network, "points.viewed")
    assert [(e.object_id, e.detail["year"]) for e in viewed] == [(str(found["D2"]), today.year)]
    # A constituent has no points, and may not look at a deputy's.
    await c1.command("points")
    await c1.receives(containing="履职积分只记录代表的履职情况，仅代表本人和人大工作人员可以查看。")
    await c1.command("points", "D2")
    await c1.receives(containing="只有人大工作人员可以查看其他代表的积分。")
    # A deputy may not look at another deputy's either.
    await d3.command("points", "D2")
    await d3.receives(containing="只有人大工作人员可以查看其他代表的积分。")
    refusals = [(e.actor_telegram_id, e.detail["reason"]) for e in await audited(network, "points.refused")]
    assert refusals == [(C1, "not_deputy"), (C1, "not_staff"), (D3, "not_staff")]


async def test_a_long_year_pages_within_the_limit_and_wrong_presses_are_refused(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    d2, d3, c1, staff = (
        people(D2, "Wu"),
        people(D3, "李秀英"),
        people(C1, "周小梅"),
        people(STAFF, "办公室小张"),
    )
    await started(d2, d3, c1, staff)
    today, found = local_today(network), await ids(network)
    titles = [f"第{i:02d}期代表履职能力提升培训班" + "（乡村振兴与基层治理专题）" * 10 for i in range(60)]
    async with network.services.uow() as uow:
        for i, title in enumerate(titles):
            activity = ActivityRecord(
                kind="training", day=date(today.year, 1, 1) + timedelta(days=i % 30), title=title
            )
            uow.session.add(activity)
            await uow.session.flush()
            uow.session.add(Attendance(activity_id=activity.id, deputy_id=found["D2"]))
        await uow.commit()
    await d2.command("points")
    first = await d2.receives(containing="年度履职积分")
    assert "总分：180" in first["text"] and "· 参加培训: 60 → +180" in first["text"]
    pages, seen = [first], first
    while any(
        b["text"] == "▶️" for row in (seen["reply_markup"] or {}).get("inline_keyboard", []) for b in row
    ):
        await d2.press("▶️", message_id=first["message_id"])
        seen = await d2.receives(containing="年度履职积分")
        pages.append(seen)
    assert len(pages) >= 3
    assert all(utf16_len(p["text"]) <= MESSAGE_LIMIT for p in pages)
    assert f"第 {len(pages)}/{len(pages)} 页" in pages[-1]["text"]
    shown = [t for t in titles for p in pages if t in p["text"]]
    assert sorted(shown) == sorted(titles)  # every line once, on one page
    await d2.press("◀️", message_id=first["message_id"])
    back = await d2.receives(containing="年度履职积分")
    assert back["text"] == pages[-2]["text"]
    # Forged presses: another deputy, a constituent; staff may; gone deputy; a year out of range.
    page = f"pt:{found['D2']}:{today.year}:1"
    await refused(d3, page, "只有人大工作人员可以查看其他代表的积分。")
    await refused(c1, page, "只有人大工作人员可以查看其他代表的积分。")
    await staff.press(data=page, forge=True)
    assert "第 2/" in (await staff.receives(containing="年度履职积分"))["text"]
    await refused(staff, f"pt:999999:{today.year}:0", "没有使用此代码的代表。")
    await refused(d2, f"pt:{found['D2']}:1999:0", "积分只记录 2000 年至下一年度。")
    await refused(d2, "pt:x:y", "这个按钮已失效")
    reasons = sorted(str(e.detail["reason"]) for e in await audited(network, "points.refused"))
    assert reasons == ["bad_year", "malformed", "not_found", "not_staff", "not_staff"]
