"""Broadcast service: audiences, one transaction for the notice and its rows, progress and report."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import broadcasts as svc
from bot.i18n import translator
from bot.network import import_network
from storage.models import Broadcast, OutboxMessage, OutboxStatus, Person, Role
from storage.repositories import UnitOfWork

NETWORK = Path(__file__).resolve().parent / "data" / "network_e2e.yaml"
EN = translator("en")


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
    for forged in (None, "", "level:emperor", "all:x", "deputies:1", "station:", "nobody"):
        assert svc.parse_audience(forged) is None
    assert svc.describe(svc.Audience("level", "township"), EN) == "Township deputies"
    assert svc.describe(svc.Audience("station", "V1"), EN, "<V1>") == "Constituents of &lt;V1&gt;"


def test_progress_line() -> None:
    b = Broadcast(id=7, status="sending")
    p = svc.Progress(total=3000, pending=1800, sent=1198, blocked=1, failed=1, cancelled=0)
    assert svc.render_progress(EN, b, p) == "Notice #7: sending…\n▓▓▓▓░░░░░░ 1,200 / 3,000 · 2 failed"


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
        assert rows[0].payload["text"] == "&lt;b&gt;Meet&lt;/b&gt; &amp; greet"
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
    assert row.payload == {"chat_id": 101, "photo": "FILE", "parse_mode": "HTML", "caption": "a&lt;b"}


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
            "Blocked (never started the bot, or blocked it): 1\nFailed: 2"
        )
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
