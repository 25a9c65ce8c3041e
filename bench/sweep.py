"""The opinions' reminder sweep over many overdue opinions: how long one sweep takes, and whether every
overdue opinion is warned.

A small network (one station, two deputies, the committee member who contacts one of them, a presidium
member above, staff, the category's special committee with one member) and, written in bulk: `--stuck`
opinions already warned up to the presidium (the lowest ids, as long-forgotten ones would be), then
`--overdue` opinions an hour past their accept deadline, not warned yet. Printed: each sweep (the
service's `sweep()` and commit) until one warns nothing, with the opinions it warned, the notices and
its time (a sweep warns at most `WARN_MOST`, 1,000, opinions: one bounded transaction); then, on a
fresh copy, one whole `sweep_once` as the bot runs it every minute (the notices rendered in each
recipient's language and written to the outbox). The garbage collector is tuned as `liaison run` tunes it.

    .venv/bin/python bench/sweep.py [--database postgresql://postgres@127.0.0.1/bench] [--overdue 1200]

The database is emptied first (PostgreSQL: its public schema is dropped); default a temporary SQLite file.
Runs on code before #25 too (where opinions have no `next_warning_at`), for the figures before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker  # noqa: E402

from bot.opinions import sla  # noqa: E402
from bot.opinions.service import OpinionService  # noqa: E402
from bot.runtime.app import sweep_once, tune_gc_for_serving  # noqa: E402
from bot.runtime.context import Services  # noqa: E402
from bot.runtime.settings import load_settings  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    ContactLink,
    ContactTier,
    Deputy,
    DeputyStation,
    Opinion,
    OpinionEvent,
    Person,
    PersonRole,
    Role,
    SpecialCommittee,
    SpecialCommitteeMember,
    Station,
)
from storage.unit_of_work import UnitOfWork  # noqa: E402

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
DEADLINE = T0 + timedelta(hours=24)
NOW = DEADLINE + timedelta(hours=1)  # red: past the deadline, the committee member told too
HAS_NEXT = hasattr(Opinion, "next_warning_at")  # False on code before #25


async def fresh(database: str) -> async_sessionmaker[AsyncSession]:
    engine = create_engine(database)
    if database.startswith("postgresql"):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    return create_sessionmaker(engine)


async def populate(sessionmaker: async_sessionmaker[AsyncSession], stuck: int, overdue: int) -> None:
    async with sessionmaker() as s:
        station = Station(code="V1", name="村联络站", kind="village")
        s.add(station)
        await s.flush()
        names = ["群众", "代表甲", "代表乙", "常委", "主任", "工作人员", "专委委员"]
        people = {n: Person(name=n, station_id=station.id, telegram_id=1000 + i) for i, n in enumerate(names)}
        s.add_all(people.values())
        await s.flush()
        s.add(PersonRole(person_id=people["工作人员"].id, role=Role.STAFF.value))
        a = Deputy(person_id=people["代表甲"].id, level="township", fields=["water"])
        b = Deputy(person_id=people["代表乙"].id, level="township", fields=[])
        committee = SpecialCommittee(code="AG", name="农业农村委员会", categories=["water"])
        s.add_all([a, b, committee])
        await s.flush()
        link = ContactTier
        s.add_all(
            [
                DeputyStation(deputy_id=a.id, station_id=station.id),
                DeputyStation(deputy_id=b.id, station_id=station.id),
                SpecialCommitteeMember(committee_id=committee.id, person_id=people["专委委员"].id),
                ContactLink(
                    tier=link.COMMITTEE_DEPUTY.value,
                    from_person_id=people["常委"].id,
                    to_person_id=people["代表甲"].id,
                ),
                ContactLink(
                    tier=link.PRESIDIUM_COMMITTEE.value,
                    from_person_id=people["主任"].id,
                    to_person_id=people["常委"].id,
                ),
            ]
        )
        await s.flush()

        def row(n: int, last_warning: str | None) -> dict[str, object]:
            values: dict[str, object] = {
                "tracking_no": f"LX-2026-{n:06d}",
                "sender_person_id": people["群众"].id,
                "station_id": station.id,
                "category": "water",
                "text": "井水干了",
                "state": "routed",
                "holder_deputy_id": a.id if n % 2 else b.id,
                "created_at": T0,
                "accept_deadline": DEADLINE,
                "last_warning": last_warning,
            }
            if HAS_NEXT:
                values["next_warning_at"] = sla.next_warning_at(  # type: ignore[attr-defined]
                    sla.SlaPolicy(), "routed", DEADLINE, None, "water", last_warning
                )
            return values

        rows = [row(n, "red:2") for n in range(1, stuck + 1)]
        rows += [row(n, None) for n in range(stuck + 1, stuck + overdue + 1)]
        for start in range(0, len(rows), 5_000):
            await s.execute(insert(Opinion), rows[start : start + 5_000])
        await s.commit()


async def warned_count(sessionmaker: async_sessionmaker[AsyncSession]) -> int:
    async with sessionmaker() as s:
        found = await s.scalar(
            select(func.count(func.distinct(OpinionEvent.opinion_id))).where(OpinionEvent.action == "warn")
        )
        return int(found or 0)


async def service_sweeps(database: str, stuck: int, overdue: int, most: int) -> None:
    sessionmaker = await fresh(database)
    await populate(sessionmaker, stuck, overdue)
    tune_gc_for_serving()  # as `liaison run` does once started
    clock = sla.FixedClock(NOW)
    for n in range(1, most + 1):
        started = time.perf_counter()
        async with UnitOfWork(sessionmaker) as uow:
            notes = await OpinionService(uow, clock=clock).sweep()
            await uow.commit()
        took = time.perf_counter() - started
        opinions = len({note.opinion_id for note in notes})
        print(f"  sweep {n}: {opinions:>6,} opinions warned, {len(notes):>6,} notices, {took:7.3f} s")
        if not notes:
            break
    total = await warned_count(sessionmaker)
    print(f"  warned in all: {total:,} of {overdue:,} overdue ({overdue - total:,} never)")
    await sessionmaker.kw["bind"].dispose()


async def whole_sweep(database: str, stuck: int, overdue: int) -> None:
    sessionmaker = await fresh(database)
    await populate(sessionmaker, stuck, overdue)
    settings = load_settings(bot_token="", database_url=database, webhook_url="", webhook_secret="")
    services = Services(settings, sessionmaker, clock=sla.FixedClock(NOW))
    tune_gc_for_serving()
    started = time.perf_counter()
    queued = await sweep_once(services)
    took = time.perf_counter() - started
    print(f"  sweep_once (service + notices rendered into the outbox): {queued:,} notices, {took:.3f} s")
    await sessionmaker.kw["bind"].dispose()


async def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", default="", help="emptied first; default a temporary SQLite file")
    parser.add_argument("--overdue", type=int, default=1_200)
    parser.add_argument("--stuck", type=int, default=600)
    parser.add_argument("--sweeps", type=int, default=4, help="at most this many sweeps")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database = args.database or f"sqlite+aiosqlite:///{folder}/sweep.db"
        if database.startswith("postgresql://"):
            database = "postgresql+asyncpg://" + database.removeprefix("postgresql://")
        backend = "postgresql" if database.startswith("postgresql") else "sqlite"
        # A new SQLite file for the second run; PostgreSQL's schema is dropped by `fresh`.
        second = database if args.database else f"sqlite+aiosqlite:///{folder}/whole.db"
        print(
            f"{backend}: {args.stuck:,} opinions warned to the top already (lowest ids), "
            f"{args.overdue:,} overdue not warned; next_warning_at: {'yes' if HAS_NEXT else 'no (before #25)'}"
        )
        await service_sweeps(database, args.stuck, args.overdue, args.sweeps)
        await whole_sweep(second, args.stuck, args.overdue)


if __name__ == "__main__":
    asyncio.run(main())
