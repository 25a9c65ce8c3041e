"""三色预警 end to end: deadlines, the escalation ladder, quiet hours, auto-close and a restart.

The clock is a ManualClock (10:00 in Shanghai at the start); the runtime's sweep is run on demand with
`.sweep()`. The default policy: accept within 24 h, yellow when under 20 % of the window is left,
red past the deadline (deputy + the committee member who contacts them, and a copy to the members of
the category's special committee), presidium after 3 days overdue, quiet hours 22:00-08:00 for
non-urgent notices, auto-close 14 days after an unconfirmed answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bot.network import dump_yaml, import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from tests.e2e.conftest import NETWORK
from tests.e2e.flows import events, opinion, started, submit, submitted
from tests.kit import SandboxUser, runtime_probe, watching

Make = Callable[..., SandboxUser]
HOUR = timedelta(hours=1)
# The sender reads the table at least once a second: a notice held for the morning arrives well
# within this once due. (That it is held is checked on the outbox: receives_nothing waits until no
# due row is left unsent, by the bot's clock.)
DUE_WAIT = 6.0


def local_time(runtime: Runtime, moment: datetime) -> str:
    """A deadline as the notices show it (the congress's zone)."""
    return moment.astimezone(runtime.services.policy.tz).strftime("%Y-%m-%d %H:%M")


def move_to_local(runtime: Runtime, clock: ManualClock, hour: int, minute: int = 0, *, days: int = 0) -> None:
    """Move the clock forward to hour:minute local time, `days` local days from now."""
    zone = runtime.services.policy.tz
    local = clock.now().astimezone(zone)
    target = (local + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    assert target > local, (target, local)
    clock.advance(target - local)


async def warnings_of(runtime: Runtime, opinion_id: int) -> list[str | None]:
    return [e.reason for e in await events(runtime, opinion_id) if e.action == "warn"]


async def seat_on_agri(runtime: Runtime, folder: Path) -> None:
    """Add S1 (Telegram 104), a committee member on no ladder, to the agriculture committee (AGRI)."""
    data = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    data["deputies"].append(
        {"code": "S1", "name": "郑农委", "level": "prefecture", "telegram_id": 104, "stations": ["H1"],
         "roles": ["committee_member"]}
    )  # fmt: skip
    next(c for c in data["committees"] if c["code"] == "AGRI")["members"] = ["S1"]
    path = folder / "network_agri.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    await import_network(runtime.services.sessionmaker, path)


async def test_yellow_then_red_then_presidium_each_once(
    network: Runtime, people: Make, clock: ManualClock, tmp_path: Path
) -> None:
    clock.advance(4 * HOUR)  # 14:00: every step below falls outside quiet hours
    await seat_on_agri(network, tmp_path)
    sender, d1 = people(301, "周小梅"), people(201, "孙建国")
    m1, p1, s1 = people(102, "Qian", "en"), people(101, "赵立新"), people(104, "郑农委")
    await started(sender, d1, p1, s1)
    await started(m1, lang="en")
    tracking, receipt = await submitted(sender, "水库大坝有裂缝", "农业农村")
    assert "已交给孙建国代表" in receipt
    await d1.receives(containing=tracking)
    row = await opinion(network, tracking)
    assert row.accept_deadline is not None
    deadline = local_time(network, row.accept_deadline)

    # 20 h of 24: under a fifth of the window left -> yellow, to the holder only.
    clock.advance(20 * HOUR)
    await network.sweep()
    yellow = await d1.receives(containing="🟡")
    assert yellow["text"] == f"🟡 意见 {tracking}（孙建国）：期限 {deadline} 即将到期。"
    assert await network.sweep() == 0
    await d1.receives_nothing()
    await m1.receives_nothing()
    await p1.receives_nothing()
    await s1.receives_nothing()  # the special committee hears of red only

    # Past the deadline -> red: the holder and the committee member who contacts them (M1),
    # and a copy to S1 on the agriculture committee, the category's special committee.
    clock.advance(5 * HOUR)
    await network.sweep()
    red = await d1.receives(containing="🔴")
    assert red["text"] == f"🔴 意见 {tracking}（孙建国）已超期：期限为 {deadline}。"
    red_m1 = await m1.receives(containing="🔴")
    assert red_m1["text"] == f"🔴 Opinion {tracking} (孙建国) is overdue: the deadline was {deadline}."
    copy = await s1.receives(containing="🔴")
    assert copy["text"] == (
        f"🔴 抄送农业农村委员会：意见 {tracking}（农业农村 · 丙村人大代表联络站 · 承办：孙建国）"
        f"已超期 1小时0分钟，期限为 {deadline}。供专委会督办知悉，由承办人办理。"
    )
    assert not copy.get("reply_markup")  # a copy to supervise, not the deputy's task
    assert await network.sweep() == 0
    await d1.receives_nothing()
    await m1.receives_nothing()
    await p1.receives_nothing()
    await s1.receives_nothing()

    # A day overdue is still the same rung: nothing new.
    clock.advance(24 * HOUR)
    assert await network.sweep() == 0

    # 3+ days overdue -> the ladder reaches the presidium (P1), everyone below is told again.
    clock.advance(2 * 24 * HOUR + HOUR)
    await network.sweep()
    top = await p1.receives(containing="🔴")
    assert top["text"] == f"🔴 意见 {tracking}（孙建国）已超期：期限为 {deadline}。"
    await d1.receives(containing="🔴")
    await m1.receives(containing="🔴")
    await s1.receives(containing="已超期 3天2小时")
    assert await network.sweep() == 0
    await p1.receives_nothing()
    await d1.receives_nothing()
    await m1.receives_nothing()
    await s1.receives_nothing()
    # The sender hears nothing of the internal ladder.
    await sender.receives_nothing()

    row = await opinion(network, tracking)
    assert row.state == "routed" and row.last_warning == "red:2"
    assert await warnings_of(network, row.id) == ["yellow:0", "red:1", "red:2"]


async def test_accepting_stops_the_accept_warnings_and_the_answer_clock_runs(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    clock.advance(4 * HOUR)
    sender, d1, m1 = people(301, "Zhou", "en"), people(201, "Sun", "en"), people(102, "Qian", "en")
    await started(sender, d1, m1, lang="en")
    tracking = await submit(sender, "The well water tastes of iron", "Health care", lang="en")
    card = await d1.receives(containing=tracking)
    clock.advance(25 * HOUR)
    await network.sweep()
    await d1.receives(containing="🔴")
    await m1.receives(containing="🔴")
    await d1.press("✅ Accept", message_id=card["message_id"])
    await sender.receives(containing="accepted your opinion")
    row = await opinion(network, tracking)
    assert row.state == "accepted" and row.last_warning is None and row.answer_deadline is not None
    assert await network.sweep() == 0  # the accept clock stopped; 7 days to answer
    # 6 days on the answer clock (of 7): yellow for the answer deadline.
    clock.advance(6 * 24 * HOUR)
    await network.sweep()
    warning = await d1.receives(containing="🟡")
    assert f"the deadline {local_time(network, row.answer_deadline)} is near" in warning["text"]
    await m1.receives_nothing()


async def test_quiet_hours_hold_non_urgent_notices_until_eight(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    sender, d1 = people(301, "周小梅"), people(201, "孙建国")
    await started(sender, d1)
    move_to_local(network, clock, 23, 0)
    # The answer to the sender's own Submit says who holds it, and the deputy's new card is urgent:
    # both go at once.
    tracking, receipt = await submitted(sender, "深夜广场舞噪音扰民", "其他")
    assert f"已提交，编号 {tracking}。已交给孙建国代表" in receipt
    card = await d1.receives(containing=tracking)
    # The deputy accepts at night: the sender's "accepted" notice is not urgent and waits for 08:00.
    await d1.press("✅ 受理", message_id=card["message_id"])
    await d1.receives(containing="办理中")
    await sender.receives_nothing()
    move_to_local(network, clock, 7, 55, days=1)
    await sender.receives_nothing()
    move_to_local(network, clock, 8, 0)
    clock.advance(timedelta(seconds=5))
    await sender.receives(containing=f"孙建国代表已受理您的意见 {tracking}", timeout=DUE_WAIT)


async def test_a_warning_due_in_quiet_hours_waits_for_the_morning(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    sender, d1 = people(301, "Zhou", "en"), people(201, "Sun", "en")
    await started(sender, d1, lang="en")
    tracking = await submit(sender, "Stray dogs at the school gate", "Other", lang="en")  # at 10:00
    await d1.receives(containing=tracking)
    move_to_local(network, clock, 6, 0, days=1)  # 20 h later: yellow, but 06:00 is quiet
    await network.sweep()
    row = await opinion(network, tracking)
    assert row.last_warning == "yellow:0"  # decided and recorded now...
    await d1.receives_nothing()  # ...delivered only after quiet hours
    assert await network.sweep() == 0
    move_to_local(network, clock, 8, 1)
    warning = await d1.receives(containing="🟡", timeout=DUE_WAIT)
    assert tracking in warning["text"] and "is near" in warning["text"]
    await d1.receives_nothing()  # once


async def test_auto_close_fourteen_days_after_an_unconfirmed_answer(
    network: Runtime, people: Make, clock: ManualClock
) -> None:
    sender, deputy = people(301, "Zhou", "en"), people(201, "孙建国")
    await started(sender, lang="en")
    await started(deputy)
    tracking, receipt = await submitted(sender, "The bridge railing is loose", "Transport", lang="en")
    assert f"Submitted as {tracking}. It is with deputy 孙建国" in receipt
    card = await deputy.receives(containing=tracking)
    await deputy.press("✅ 受理", message_id=card["message_id"])
    await sender.receives(containing="accepted your opinion")
    await deputy.receives(containing="办理中")  # the card, edited in place with the new buttons
    await deputy.press("💬 答复", message_id=card["message_id"])
    await deputy.receives(containing="请用一条消息输入对")
    await deputy.send("已安排维修队下周加固。")
    await deputy.receives(containing="答复预览")
    await deputy.press("📤 发送")
    await deputy.receives(containing="答复已发送")
    await deputy.receives(containing="已答复")  # the card, edited in place
    answer = await sender.receives(containing="已安排维修队下周加固。")
    assert "Are you satisfied with the answer?" in answer["text"]
    # The sender never presses a verdict.
    clock.advance(14 * 24 * HOUR - HOUR)
    assert await network.sweep() == 0
    assert (await opinion(network, tracking)).state == "answered"
    clock.advance(2 * HOUR)
    # Several sweeps at once (e.g. two workers): the opinion is closed, and announced, once.
    await asyncio.gather(*(network.sweep() for _ in range(3)))
    await sender.receives(
        containing=f"Opinion {tracking} was closed: there was no confirmation within 14 days of the answer."
    )
    await deputy.receives(containing=f"意见 {tracking} 已办结：答复后 14 天内未收到评价。")
    closed_card = await deputy.receives(containing="已办结 · 期限")  # the card, edited: no buttons left
    assert closed_card["message_id"] == card["message_id"] and not closed_card.get("reply_markup")
    row = await opinion(network, tracking)
    assert row.state == "closed" and row.satisfaction is None and row.closed_at is not None
    assert [e.action for e in await events(network, row.id)][-2:] == ["answer", "auto_close"]
    assert await network.sweep() == 0
    await sender.receives_nothing()
    await deputy.receives_nothing()
    # The verdict buttons under the answer are stale now: refused, nothing changes.
    press = await sender.press("✅ Satisfied", message_id=answer["message_id"])
    assert (await press.answer())["text"] == "This opinion is already closed."
    assert (await opinion(network, tracking)).satisfaction is None


async def test_concurrent_sweeps_warn_once(network: Runtime, people: Make, clock: ManualClock) -> None:
    """Two sweeps at once (two workers, or the timer and a manual run) must not double a warning."""
    clock.advance(4 * HOUR)
    sender, d1, m1 = people(301, "周小梅"), people(201, "孙建国"), people(102, "Qian", "en")
    await started(sender, d1)
    await started(m1, lang="en")
    tracking = await submit(sender, "桥面塌陷", "交通出行")
    await d1.receives(containing=tracking)
    clock.advance(25 * HOUR)
    await asyncio.gather(network.sweep(), network.sweep(), network.sweep())
    await d1.receives(containing="🔴")
    await m1.receives(containing="🔴")
    await d1.receives_nothing()
    await m1.receives_nothing()
    assert await warnings_of(network, (await opinion(network, tracking)).id) == ["red:1"]


@asynccontextmanager
async def running(sandbox: Sandbox, db_url: str, clock: ManualClock, **kw: float) -> AsyncIterator[Runtime]:
    """A Runtime built like the `liaison` fixture, on a database the test controls."""
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids="900001",
        webhook_url="",
        webhook_secret="",
    )
    kw.setdefault("digest_every", 0)
    runtime = Runtime(settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=5, **kw)
    await runtime.start()
    try:
        with watching(sandbox, runtime_probe(runtime)):
            yield runtime
    finally:
        await runtime.stop()


async def test_deadlines_survive_a_restart(
    sandbox: Sandbox, db_url: str, clock: ManualClock, people: Make
) -> None:
    clock.advance(4 * HOUR)
    sender, d1, m1 = people(301, "周小梅"), people(201, "Sun", "en"), people(102, "钱志强")
    async with running(sandbox, db_url, clock, sweep_every=0) as first:
        await import_network(first.services.sessionmaker, NETWORK)
        await started(sender, m1)
        await started(d1, lang="en")
        tracking, receipt = await submitted(sender, "停电三天无人处理", "其他")
        assert "已交给" in receipt
        card = await d1.receives(containing=tracking)
        assert (await opinion(first, tracking)).last_warning is None

    # Down for a day: the deadline passes while nobody runs.
    clock.advance(25 * HOUR)
    # The new process re-arms its timer from the database: its first sweep (1 s after start) fires.
    async with running(sandbox, db_url, clock) as second:
        red = await d1.receives(containing="🔴", timeout=DUE_WAIT)
        assert red["text"].startswith(f"🔴 Opinion {tracking} (孙建国) is overdue")
        await m1.receives(containing=f"🔴 意见 {tracking}（孙建国）已超期")
        assert await second.sweep() == 0
        # The old card still works after the restart.
        await d1.press("✅ Accept", message_id=card["message_id"])
        await sender.receives(containing="孙建国代表已受理您的意见")
        row = await opinion(second, tracking)
        assert row.state == "accepted" and row.last_warning is None
        assert await warnings_of(second, row.id) == ["red:1"]
