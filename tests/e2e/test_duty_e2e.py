"""Duty rosters (进站值班) end to end through the sandbox: a roster published by the station's head in
chat and one imported from a sheet, the reminder the evening before (quiet hours), a swap asked,
accepted and approved, the check-in, routing's duty rule, a constituent's /duty, and every new button
refused for the wrong person or when stale — answered and audited.

The network is tests/data/network_e2e.yaml with station heads added: 站长甲 (150) heads V1 (deputies
D1 孙建国 201 and D2 Deputy Wu 202), 站长乙 (151) heads V2 (D3 李秀英 203). Texts are the zh_Hans ones.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select

from bot.duty.roster import shift_month
from bot.duty.service import DutyService
from bot.network import import_network
from bot.network.export import dump_yaml
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.stats.service import compute_stats
from storage.models import AuditEntry, Deputy, Person, Station
from storage.models.duty import DutySwap
from storage.models.opinions import Duty
from tests.e2e.conftest import NETWORK
from tests.e2e.flows import opinion, started, submitted
from tests.kit import SandboxUser

Make = Callable[..., SandboxUser]
HEAD, OTHER_HEAD, D1, D2, D3, C1, STAFF = 150, 151, 201, 202, 203, 301, 900001
DUE_WAIT = 6.0  # the sender reads the table at least once a second


async def with_heads(runtime: Runtime, folder: Path) -> None:
    """The e2e network with a head for V1 and one for V2 (and V1's liaison officer), imported."""
    data = yaml.safe_load(NETWORK.read_text(encoding="utf-8"))
    data["constituents"] += [
        {"code": "SH1", "name": "站长甲", "telegram_id": HEAD, "station": "V1"},
        {"code": "SH2", "name": "站长乙", "telegram_id": OTHER_HEAD, "station": "V2"},
        {"code": "LO1", "name": "联络员丙", "telegram_id": 152},
    ]
    for station in data["stations"]:
        if station["code"] == "V1":
            station.update(head="SH1", liaisons=["LO1"])
        if station["code"] == "V2":
            station["head"] = "SH2"
    path = folder / "network_heads.yaml"
    path.write_text(dump_yaml(data), encoding="utf-8")
    await import_network(runtime.services.sessionmaker, path)


async def ids(runtime: Runtime) -> dict[str, int]:
    async with runtime.services.uow() as uow:
        deputies = await uow.session.execute(
            select(Person.code, Deputy.id).join(Deputy, Deputy.person_id == Person.id)
        )
        stations = await uow.session.execute(select(Station.code, Station.id))
        return {**dict(deputies.all()), **dict(stations.all())}  # type: ignore[arg-type]


def local_today(runtime: Runtime) -> date:
    return runtime.services.policy.local_today(runtime.services.clock.now())


async def roster_of(runtime: Runtime, station: str) -> set[tuple[str, date]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.execute(
            select(Person.code, Duty.date)
            .join(Deputy, Deputy.id == Duty.deputy_id)
            .join(Person, Person.id == Deputy.person_id)
            .join(Station, Station.id == Duty.station_id)
            .where(Station.code == station)
        )
        return {(code, day) for code, day in rows.all()}


async def put_on_duty(runtime: Runtime, deputy: str, station: str, day: date) -> int:
    """The head of the station puts the deputy on duty (the service the chat and console use)."""
    found = await ids(runtime)
    async with runtime.services.uow() as uow:
        head = await uow.station_officers.head_of(found[station])
        assert head is not None
        service = DutyService(uow, runtime.services.settings.zone)
        outcome = await service.add_days(
            head, found[station], found[deputy], [day], runtime.services.clock.now(), source="test"
        )
        assert outcome.ok and outcome.duty is not None, outcome
        await uow.commit()
        return outcome.duty.id


async def refusals(runtime: Runtime) -> list[tuple[str, str]]:
    async with runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "duty.refused", AuditEntry.allowed.is_(False))
        )
        return [(str(e.detail.get("stage")), str(e.detail.get("reason"))) for e in rows]


async def refused(user: SandboxUser, data: str, containing: str) -> None:
    """A forged or stale press: answered with an alert naming why."""
    answer = await (await user.press(data=data, forge=True)).answer()
    assert answer.get("show_alert") and containing in answer.get("text", ""), answer


def move_to_local(runtime: Runtime, clock: ManualClock, hour: int, minute: int = 0, *, days: int = 0) -> None:
    zone = runtime.services.policy.tz
    local = clock.now().astimezone(zone)
    target = (local + timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)
    assert target > local, (target, local)
    clock.advance(target - local)


async def test_the_head_publishes_a_roster_in_chat_and_the_deputy_sees_it(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    head, d1 = people(HEAD, "站长甲"), people(D1, "孙建国")
    await started(head, d1)
    today = local_today(network)
    await head.command("roster")
    month = await head.receives(containing="📅 丙村人大代表联络站 值班表")
    assert f"{today.year}-{today.month:02d}" in month["text"] and "本月尚无值班安排" in month["text"]
    year, mon = shift_month(today.year, today.month, 1)
    await head.press(f"{year}-{mon:02d} ▶️", message_id=month["message_id"])
    await head.receives(containing=f"{year}-{mon:02d}")
    await head.press("✏️ 孙建国", message_id=month["message_id"])
    grid = await head.receives(containing="🗓 孙建国在丙村人大代表联络站的值班")
    await head.press("10", message_id=grid["message_id"])
    again = await head.receives(containing="🗓 孙建国")
    labels = [b["text"] for row in again["reply_markup"]["inline_keyboard"] for b in row]
    assert "✓10" in labels
    # Every Tuesday of that month, in one tap.
    await head.press("🔁二", message_id=grid["message_id"])
    await head.receives(containing="🗓 孙建国")
    tuesdays = {date(year, mon, d) for d in range(1, 32) if _is(year, mon, d, 1)}
    assert await roster_of(network, "V1") == {("D1", date(year, mon, 10))} | {("D1", t) for t in tuesdays}
    # The 10th off again.
    await head.press("✓10", message_id=grid["message_id"])
    await head.receives(containing="🗓 孙建国")
    assert await roster_of(network, "V1") == {("D1", t) for t in tuesdays if t.day != 10}
    await d1.command("duty")
    days = await d1.receives(containing="🗓 您即将到来的值班日")
    first = min(t for t in tuesdays if (t - today).days <= 62)
    assert first.isoformat() in days["text"] and "丙村人大代表联络站" in days["text"]


def _is(year: int, month: int, day: int, weekday: int) -> bool:
    try:
        return date(year, month, day).weekday() == weekday
    except ValueError:
        return False


async def test_a_roster_imported_from_a_sheet_all_or_nothing(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    head = people(HEAD, "站长甲")
    await started(head)
    today = local_today(network)
    day, until = today + timedelta(days=3), today + timedelta(days=30)
    await head.command("roster")
    await head.receives(containing="值班表")
    await head.press("📥 导入排班表")
    await head.receives(containing="请以文件形式（CSV 或 XLSX）发送排班表")
    bad = (
        "station,deputy,date,weekday,from,to\n"
        f"V1,D1,{day.isoformat()},,,\n"
        f"V2,D3,{day.isoformat()},,,\n"  # not this head's station
        f"V1,D3,{day.isoformat()},,,\n"  # not a deputy of V1
        f"V1,D9,{day.isoformat()},,,\n"
    )
    await head.send_document(bad.encode(), "roster.csv")
    refusal = await head.receives(containing="排班表未被接受，未添加任何值班日")
    assert "row 3 (V2, D3): you may not publish the roster of V2" in refusal["text"]
    assert "row 4 (V1, D3): D3 is not a deputy of V1" in refusal["text"]
    assert "row 5 (V1, D9): unknown deputy 'D9'" in refusal["text"]
    assert await roster_of(network, "V1") == set()  # nothing, not even the good row
    assert ("import", "bad_sheet") in await refusals(network)
    good = (
        "联络站,代表,日期,星期,开始,结束\n"
        f"V1,D1,{day.isoformat()},,,\n"
        f"V1,D2,,{day.isoweekday()},{today.isoformat()},{until.isoformat()}\n"
    )
    await head.press("📥 导入排班表")
    await head.receives(containing="请以文件形式")
    await head.send_document(good.encode("utf-8-sig"), "排班.csv")
    done = await head.receives(containing="📥 排班表已导入")
    weekly = {
        today + timedelta(days=n) for n in range(31) if (today + timedelta(days=n)).weekday() == day.weekday()
    }
    assert await roster_of(network, "V1") == {("D1", day)} | {("D2", d) for d in weekly}
    assert f"新增 {1 + len(weekly)} 个值班日" in done["text"]
    await head.press("📥 导入排班表")
    await head.receives(containing="请以文件形式")
    await head.send_document(good.encode("utf-8-sig"), "排班.csv")
    assert "新增 0 个值班日" in (await head.receives(containing="📥 排班表已导入"))["text"]


async def test_the_reminder_goes_the_evening_before_and_waits_out_quiet_hours(
    network: Runtime, people: Make, clock: ManualClock, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    d2 = people(D2, "Wu")
    await started(d2)
    today = local_today(network)
    await put_on_duty(network, "D2", "V1", today + timedelta(days=1))
    assert await network.duty_reminders() == 0  # 10:00: too early
    await d2.receives_nothing()
    move_to_local(network, clock, 18, 0)
    assert await network.duty_reminders() == 1
    reminder = await d2.receives(containing="⏰ 明天")
    assert (today + timedelta(days=1)).isoformat() in reminder["text"] and "丙村人大代表联络站" in reminder[
        "text"
    ]
    assert await network.duty_reminders() == 0  # once
    # The check-in button works on the day only.
    answer = await (await d2.press("✅ 签到", message_id=reminder["message_id"])).answer()
    assert "只能在值班当天签到" in answer.get("text", "")
    # A day put on the roster late in the evening: its reminder waits for 08:00.
    await put_on_duty(network, "D2", "V1", today + timedelta(days=2))
    move_to_local(network, clock, 23, 0, days=1)
    assert await network.duty_reminders() == 1
    await d2.receives_nothing()
    move_to_local(network, clock, 7, 59, days=1)
    await d2.receives_nothing()
    move_to_local(network, clock, 8, 0)
    clock.advance(timedelta(seconds=5))
    late = await d2.receives(containing="⏰ 明天", timeout=DUE_WAIT)
    assert (today + timedelta(days=2)).isoformat() in late["text"]


async def test_check_in_on_the_day_with_a_place_counts_as_a_duty_visit(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    d2, d3 = people(D2, "Wu"), people(D3, "李秀英")
    await started(d2, d3)
    today = local_today(network)
    duty_id = await put_on_duty(network, "D2", "V1", today)
    await put_on_duty(network, "D2", "V1", today + timedelta(days=1))  # rostered, never checked in
    # Another station's deputy cannot check in for D2.
    await refused(d3, f"dt:ci:{duty_id}", "此按钮不是给您的")
    await d2.command("duty")
    days = await d2.receives(containing="🗓 您即将到来的值班日")
    await d2.press("✅ 签到", message_id=days["message_id"])
    done = await d2.receives(containing="签到：计为一次进站履职")
    assert "丙村人大代表联络站" in done["text"]
    await d2.send_location(25.8, 98.8)
    await d2.receives(containing="📍 已记录本次签到的位置")
    await refused(d2, f"dt:ci:{duty_id}", "已经处理过")  # twice: stale
    async with network.services.uow() as uow:
        row = await uow.duty.get(duty_id)
        assert row is not None and row.checked_in_at is not None
        assert (row.check_in_latitude, row.check_in_longitude) == (25.8, 98.8)
        stats = await compute_stats(
            uow.session, today, today + timedelta(days=1), network.services.settings.zone
        )
    assert stats["totals"]["duty_days"] == 1  # the check-in, not the two rostered days
    assert ("check_in", "no_relation") in await refusals(network)
    assert ("check_in", "stale_state") in await refusals(network)


async def test_a_swap_asked_accepted_and_approved_with_every_wrong_press_refused(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    head, other_head = people(HEAD, "站长甲"), people(OTHER_HEAD, "站长乙")
    d1, d2, d3, c1 = people(D1, "孙建国"), people(D2, "Wu"), people(D3, "李秀英"), people(C1, "周小梅")
    await started(head, other_head, d1, d2, d3, c1)
    day = local_today(network) + timedelta(days=5)
    duty_id = await put_on_duty(network, "D1", "V1", day)
    await d1.command("duty")
    days = await d1.receives(containing="🗓 您即将到来的值班日")
    await d1.press(f"🔁 调换 {day.strftime('%m-%d')}", message_id=days["message_id"])
    await d1.receives(containing="请哪位代表替您")
    await d1.press("Deputy Wu")
    await d1.receives(containing="🔁 您已请Deputy Wu替您")
    asked = await d2.receives(containing="🔁 孙建国请您替其在丙村人大代表联络站值班")
    async with network.services.uow() as uow:
        swap = await uow.session.scalar(select(DutySwap).where(DutySwap.duty_id == duty_id))
        assert swap is not None and swap.state == "requested"
        swap_id = swap.id
    # Wrong people: a constituent, a deputy of another station, the head of another station.
    for user in (c1, d3, other_head):
        await refused(user, f"dt:sx:accept:{swap_id}", "此按钮不是给您的")
    await refused(head, f"dt:sx:approve:{swap_id}", "已经处理过")  # before the partner agreed: stale
    await d2.press("✅ 同意代班", message_id=asked["message_id"])
    await d1.receives(containing="Deputy Wu同意替您在丙村人大代表联络站值班")
    card = await head.receives(containing="的值班调换：孙建国 → Deputy Wu，双方已同意")
    await refused(other_head, f"dt:sx:approve:{swap_id}", "此按钮不是给您的")
    await refused(d2, f"dt:sx:approve:{swap_id}", "此按钮不是给您的")
    await head.press("✅ 批准", message_id=card["message_id"])
    await head.receives(containing="已批准：值班已调换")
    await d1.receives(containing="✅ 调换已批准")
    await d2.receives(containing="✅ 调换已批准")
    await refused(head, f"dt:sx:approve:{swap_id}", "这次调换已经处理过了")  # twice: final
    assert await roster_of(network, "V1") == {("D2", day)}
    stages = await refusals(network)
    assert [s for s in stages if s[0] == "swap:accept"] == [("swap:accept", "no_relation")] * 3
    assert ("swap:approve", "final") in stages and ("swap:approve", "stale_state") in stages


async def test_routing_s_duty_rule_fires_on_a_rostered_day_and_not_on_others(
    network: Runtime, people: Make, clock: ManualClock, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    visitor, d1, d2 = people(420, "马群众"), people(D1, "孙建国"), people(D2, "Wu")
    await started(d1, d2)
    await visitor.start(payload="s_V1")
    await visitor.receives(containing="您已关联联络站")
    await put_on_duty(network, "D2", "V1", local_today(network))
    tracking, receipt = await submitted(visitor, "村口路灯坏了", "教育")
    assert "已交给Deputy Wu代表" in receipt
    await d2.receives(containing=tracking)
    assert (await opinion(network, tracking)).route_reason == "station_duty"
    move_to_local(network, clock, 10, 0, days=1)  # nobody is on duty tomorrow
    second, _ = await submitted(visitor, "学校门口积水", "教育")
    await d1.receives(containing=second)  # D2 holds one already: the less loaded D1, not the roster
    assert (await opinion(network, second)).route_reason == "least_loaded"


async def test_constituents_see_who_is_on_duty_at_their_station(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    c1, walker, liaison = people(C1, "周小梅"), people(431, "林走"), people(152, "联络员丙")
    await started(c1)
    today = local_today(network)
    await put_on_duty(network, "D2", "V1", today)
    await put_on_duty(network, "D1", "V1", today + timedelta(days=3))
    await put_on_duty(network, "D1", "V1", today + timedelta(days=9))  # beyond the week
    await c1.command("duty")
    week = await c1.receives(containing="🏠 丙村人大代表联络站")
    assert "今日值班：Deputy Wu" in week["text"]
    assert f"{(today + timedelta(days=3)).isoformat()}" in week["text"] and "孙建国" in week["text"]
    assert (today + timedelta(days=9)).isoformat() not in week["text"]
    await walker.command("duty")
    await walker.receives(containing="您尚未关联联络站")
    await liaison.command("duty")  # a liaison officer without a station of their own: theirs
    assert "今日值班：Deputy Wu" in (await liaison.receives(containing="🏠 丙村人大代表联络站"))["text"]


async def test_every_roster_button_is_refused_for_the_wrong_person(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    await with_heads(network, tmp_path)
    other_head, d2, c1, staff = (
        people(OTHER_HEAD, "站长乙"),
        people(D2, "Wu"),
        people(C1, "周小梅"),
        people(STAFF, "Staff"),
    )
    await started(other_head, d2, c1, staff)
    found = await ids(network)
    v1, d1 = found["V1"], found["D1"]
    day = local_today(network) + timedelta(days=4)
    ymd, ym = day.year * 10000 + day.month * 100 + day.day, day.year * 100 + day.month
    for user in (other_head, d2, c1):  # another station's head, a deputy, a constituent
        await refused(user, f"dt:m:{v1}:{ym}", "只有站长或人大工作人员可以修改本站排班")
        await refused(user, f"dt:g:{v1}:{d1}:{ym}", "只有站长或人大工作人员可以修改本站排班")
        await refused(user, f"dt:t:{v1}:{d1}:{ymd}", "只有站长或人大工作人员可以修改本站排班")
        await refused(user, f"dt:w:{v1}:{d1}:{ym}:1", "只有站长或人大工作人员可以修改本站排班")
        await refused(user, f"dt:i:{v1}", "只有站长或人大工作人员可以修改本站排班")
    await refused(c1, f"dt:t:{v1}:{d1}:20261399", "失效")  # forged data
    assert await roster_of(network, "V1") == set()
    async with network.services.uow() as uow:
        n = await uow.session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "duty.refused")
        )
    assert n == 16
    # Staff may: any station, by its code.
    await staff.command("roster", "V1")
    await staff.receives(containing="📅 丙村人大代表联络站 值班表")
    await staff.press(data=f"dt:t:{v1}:{d1}:{ymd}", forge=True)
    await staff.receives(containing="🗓 孙建国")
    assert await roster_of(network, "V1") == {("D1", day)}


async def test_a_station_head_and_a_liaison_officer_join_by_invitation(
    network: Runtime, people: Make, tmp_path: Path
) -> None:
    """`/invite station_head CODE`, `/invite liaison CODE`: the opener is recorded at that station; the
    new head publishes its roster."""
    await with_heads(network, tmp_path)
    staff, newcomer, helper = people(STAFF, "Staff"), people(440, "新站长"), people(441, "新联络员")
    await started(staff)
    await staff.command("invite")
    await staff.receives(containing="邀请对方成为")
    await staff.press("站长")
    await staff.receives(containing="哪个联络站？请发送 /invite station_head")
    await staff.command("invite", "station_head NOPE")
    await staff.receives(containing="没有这个编号的联络站")
    await staff.command("invite", "station_head V2")
    link = await staff.receives(containing="t.me/")
    payload = str(link["text"]).split("start=")[1].split()[0]
    await newcomer.start(payload)
    welcome = await newcomer.receives(containing="您现在是丁村人大代表联络站的站长")
    assert "/roster" in welcome["text"]
    async with network.services.uow() as uow:
        found = await ids(network)
        head = await uow.station_officers.head_of(found["V2"])
        assert head is not None and head.telegram_id == 440  # replaces 站长乙
    await newcomer.command("roster")
    await newcomer.receives(containing="📅 丁村人大代表联络站 值班表")
    await staff.command("invite", "liaison V1")
    payload = str((await staff.receives(containing="t.me/"))["text"]).split("start=")[1].split()[0]
    await helper.start(payload)
    await helper.receives(containing="您现在是丙村人大代表联络站的联络员")
    await helper.command("duty")
    await helper.receives(containing="🏠 丙村人大代表联络站")
    await helper.command("roster")  # a liaison officer does not publish the roster
    await helper.receives(containing="只有站长或人大工作人员可以发布排班表")
    assert ("roster", "not_manager") in await refusals(network)
