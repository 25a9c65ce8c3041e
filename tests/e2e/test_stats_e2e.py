"""/stats through the sandbox: staff get the figures in their language; others a polite, audited refusal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from storage.models import AuditEntry, Role
from storage.unit_of_work import UnitOfWork
from tests.kit import SandboxUser
from tests.test_stats import seeded

Make = Callable[..., SandboxUser]
STAFF = 900001


@pytest.fixture
def clock() -> ManualClock:
    """10:00 on 2026-03-01 in Shanghai: "this month" is March, "last month" February (local months)."""
    target = datetime(2026, 3, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))
    return ManualClock(target - datetime.now(UTC))


@pytest.fixture
async def stats_bot(liaison: Runtime) -> Runtime:
    """The bot (bot/runtime/wiring.py lists /stats) with the statistics data set of tests/test_stats.py."""
    await seeded(lambda: UnitOfWork(liaison.services.sessionmaker))
    return liaison


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


async def test_staff_sees_figures_in_their_language(stats_bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "Office", "en")
    await staff.command("stats", "2026-01-01 2026-02-28")
    report = await staff.receives(containing="Statistics 2026-01-01 – 2026-02-28")
    text = report["text"]
    assert "Received: 7" in text and "Handled: 4 (57.1%)" in text
    assert "Accepted on time: 3 of 4" in text and "Answered on time: 3 of 4" in text
    assert "Dissatisfied: 1; reopenings: 1" in text
    assert "Time to close: median 70 h, 90% within 436 h" in text and "p90" not in text
    assert "Transport: received 4, resolved 2" in text and "transport" not in text
    assert "Duty days: 5" in text
    assert "Receptions: 5, people received 47, opinions collected on paper 11" in text
    # sent escaped, shown as the name
    assert (
        "乙镇<工作站>: opinions via the bot 2, on paper 6, resolved 0; duty days 2, receptions 2 (28 people)"
        in text
    )
    await staff.receives_nothing()  # the unknown-command fallback did not answer too
    viewed = await audit(stats_bot, "stats.viewed")
    assert len(viewed) == 1 and viewed[0].allowed and viewed[0].detail["start"] == "2026-01-01"


async def test_zh_all_time_and_usage(stats_bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "办公室")
    await staff.command("stats")
    report = await staff.receives(containing="统计（全部时间）")
    text = report["text"]
    assert "收到意见：9 件" in text and "接待群众：7 次，接待 56 人，纸质收集意见 16 条" in text
    assert "孙建国：经机器人收到意见 6，纸质收集 4，解决 2；进站值班 3 天，接待 3 次（25 人）" in text
    assert "交通出行：收到 6，解决 2" in text and "教育：收到 2，解决 0" in text and "transport" not in text
    assert "受理用时：中位数 4 小时，90% 在 30 小时内" in text and "p90" not in text
    await staff.command("stats", "yesterday")
    await staff.receives(containing="用法：/stats")


async def test_non_staff_refused_politely_and_audited(stats_bot: Runtime, people: Make) -> None:
    constituent = people(301, "周小梅")
    await constituent.command("stats")
    await constituent.receives(containing="抱歉，统计数据仅供人大工作人员查看")
    await constituent.receives_nothing()
    refused = await audit(stats_bot, "stats.refused")
    assert len(refused) == 1 and refused[0].allowed is False and refused[0].actor_telegram_id == 301


async def test_an_administrator_no_longer_staff_is_refused_as_the_console_refuses(
    stats_bot: Runtime, people: Make
) -> None:
    """One `is_staff`: the STAFF role decides, for /stats as for the console, /queue and /broadcast."""
    officer = people(302, "前工作人员")
    await officer.start()
    await officer.receives()
    async with stats_bot.services.uow() as uow:
        person = await uow.people.by_telegram_id(302)
        assert person is not None
        await uow.people.grant(person, Role.ADMIN)  # an administrator whose STAFF role was taken away
        await uow.commit()
    await officer.command("stats")
    await officer.receives(containing="抱歉，统计数据仅供人大工作人员查看")
    refused = await audit(stats_bot, "stats.refused")
    assert len(refused) == 1 and refused[0].actor_telegram_id == 302


def buttons(message: dict[str, Any]) -> list[list[str]]:
    return [[b["text"] for b in row] for row in message["reply_markup"]["inline_keyboard"]]


async def test_periods_and_by_month_through_the_buttons(stats_bot: Runtime, people: Make) -> None:
    """The period buttons edit the report in place; periods are local months in Shanghai."""
    staff = people(STAFF, "Office", "en")
    await staff.command("stats")
    report = await staff.receives(containing="Statistics, all time")
    assert buttons(report) == [
        ["This month", "Last month"],
        ["This year", "• All time"],
        ["📅 By month", "🏠 Stations"],
    ]

    await staff.press("Last month")
    last = await staff.receives(containing="Statistics 2026-02-01 – 2026-02-28")
    assert last["edited"] and last["message_id"] == report["message_id"]
    # O3 (Jan 31 17:00 UTC) is February in Shanghai; O7 (Feb 28 16:30 UTC) is March.
    assert "Received: 4" in last["text"] and "Education: received 2" in last["text"]
    assert buttons(last)[0] == ["This month", "• Last month"]

    await staff.press("This month")
    march = await staff.receives(containing="Statistics 2026-03-01 – 2026-03-31")
    assert "Received: 1" in march["text"] and "Transport: received 1" in march["text"]

    await staff.press("📅 By month")
    months = await staff.receives(containing="by month")
    assert months["text"].splitlines() == [
        "Statistics 2026-03-01 – 2026-03-31, by month",
        "2026-03: received 1, handled 0, answered on time 1 of 1, resolved 0",
    ]
    assert buttons(months) == [
        ["• This month", "Last month"],
        ["This year", "All time"],
        ["📊 Summary", "🏠 Stations"],
    ]

    await staff.press("This year")  # the view stays by month
    year = await staff.receives(containing="Statistics 2026-01-01 – 2026-12-31, by month")
    assert year["text"].splitlines()[1:] == [
        "2026-01: received 3, handled 2, answered on time 2 of 2, resolved 2",
        "2026-02: received 4, handled 2, answered on time 1 of 2, resolved 0",
        "2026-03: received 1, handled 0, answered on time 1 of 1, resolved 0",
    ]
    await staff.press("📊 Summary")
    summary = await staff.receives(containing="Statistics 2026-01-01 – 2026-12-31")
    assert "Received: 8" in summary["text"] and "by month" not in summary["text"]
    await staff.receives_nothing()
    seen = await audit(stats_bot, "stats.viewed")
    assert [(e.detail["start"], e.detail["end"]) for e in seen] == [
        (None, None),
        ("2026-02-01", "2026-02-28"),
        ("2026-03-01", "2026-03-31"),
        ("2026-03-01", "2026-03-31"),
        ("2026-01-01", "2026-12-31"),
        ("2026-01-01", "2026-12-31"),
    ]


async def test_a_typed_period_by_month_in_chinese(stats_bot: Runtime, people: Make) -> None:
    staff = people(STAFF, "办公室")
    await staff.command("stats", "2026-01-01 2026-02-28")
    await staff.receives(containing="统计 2026-01-01 – 2026-02-28")
    await staff.press("📅 按月")
    months = await staff.receives(containing="按月")
    assert months["text"].splitlines() == [
        "统计 2026-01-01 – 2026-02-28，按月",
        "2026-01：收到 3 件，已办理 2 件，按时答复 2 / 2，解决 2 件",
        "2026-02：收到 4 件，已办理 2 件，按时答复 1 / 2，解决 0 件",
    ]
    assert buttons(months) == [["本月", "上月"], ["今年", "全部时间"], ["📊 汇总", "🏠 联络站"]]


async def test_presses_by_non_staff_or_with_forged_days_are_refused_and_audited(
    stats_bot: Runtime, people: Make
) -> None:
    constituent = people(301, "周小梅")
    await constituent.command("stats")  # refused: a message to press a forged button on
    await constituent.receives(containing="抱歉，统计数据仅供人大工作人员查看")
    answer = await (await constituent.press(data="stat:tm", forge=True)).answer()
    assert answer["show_alert"] and answer["text"] == "抱歉，统计数据仅供人大工作人员查看。"
    await constituent.receives_nothing()
    staff = people(STAFF, "Office", "en")
    await staff.command("stats")
    await staff.receives(containing="Statistics, all time")
    for forged in ("stat:c:s:20260230", "stat:c:s:20260301:20260101", "stat:nope"):
        answer = await (await staff.press(data=forged, forge=True)).answer()
        assert answer["show_alert"] and answer["text"] == "This button is no longer valid."
    await staff.receives_nothing()
    refused = await audit(stats_bot, "stats.refused")
    assert [(e.actor_telegram_id, e.allowed, e.detail.get("reason")) for e in refused] == [
        (301, False, None),  # the typed /stats
        (301, False, "not_staff"),
        (STAFF, False, "bad_period"),
        (STAFF, False, "bad_period"),
        (STAFF, False, "malformed"),
    ]
    assert refused[1].detail["data"] == "stat:tm"
    assert len(await audit(stats_bot, "stats.viewed")) == 1  # only the typed /stats
