"""/stats through the sandbox: staff get the figures in their language; others a polite, audited refusal."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from storage.models import AuditEntry, Role
from storage.unit_of_work import UnitOfWork
from tests.kit import SandboxUser
from tests.test_stats import seeded

Make = Callable[..., SandboxUser]
STAFF = 900001


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
    assert "Hours to close, median 70 / p90 436" in text
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
    assert "收到意见：9 件" in text and "接待选民：7 次，接待 56 人，纸质收集意见 16 条" in text
    assert "孙建国：经机器人收到意见 6，纸质收集 4，解决 2；进站值班 3 天，接待 3 次（25 人）" in text
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
