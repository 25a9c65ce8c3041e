"""Performance points at the notes' scale: one year of the example prefecture (291 deputies), with a third of
the notes' three-year figures — ≈1,500 duty check-ins (and ≈300 missed days), ≈3,700 visitors in ≈900
receptions, ≈400 opinions answered (on time, late, red), ≈180 suggestions, 24 meetings and trainings of
≈50 deputies each — written in bulk, then timed:

- recompute: the whole year's lines (what the nightly job and the console's button do);
- deputy: one deputy's lines (what `/points` and the console's deputy page do before reading);
- ranking: the ranking read from the stored lines (two GROUP BYs), and the same figures computed on read
  (gather + price, no write) for comparison;
- statement: one deputy's year read from the stored lines.

Measured (2 cores shared with other work, load ≈ 8; median of 5), visitors registered in the diary:
SQLite — the year 165 ms (4,787 lines), one deputy 10 ms, the ranking from stored lines 12 ms, every line
computed on read 46 ms, a deputy's year 1 ms; PostgreSQL — 412 ms, 16 ms, 12 ms, 48 ms, 3 ms. So the
lines are stored (point_line): the ranking and the yearly table are two GROUP BYs whatever the size, each
line keeps its id and rule revision for the console, and writing a year is cheap enough to do after
every staff change and nightly; `/points` recomputes only the asking deputy's lines so a check-in shows
at once.

    .venv/bin/python bench/points.py [--database postgresql://postgres@127.0.0.1/test_points] [--repeat 5]

The database is migrated to head and seeded once (one that has receptions already is used as it is); by
default a temporary SQLite file.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from bot.network import import_network  # noqa: E402
from bot.points.reading import ranking, statement  # noqa: E402
from bot.points.rules import price, year_span  # noqa: E402
from bot.points.service import PointsService  # noqa: E402
from bot.points.sources import gather  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.models import (  # noqa: E402
    Deputy,
    DeputyStation,
    Opinion,
    OpinionEvent,
    Person,
    Reception,
    ReceptionVisitor,
)
from storage.models.opinions import Duty  # noqa: E402
from storage.models.points import ActivityRecord, Attendance  # noqa: E402
from storage.models.suggestions import Suggestion  # noqa: E402
from storage.unit_of_work import UnitOfWork  # noqa: E402

ZONE = ZoneInfo("Asia/Shanghai")
YEAR = 2025
NOW = datetime(2026, 3, 10, 2, tzinfo=UTC)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZONE).astimezone(UTC)


async def seed(u: UnitOfWork, rng: random.Random) -> None:
    """A year of records for the example network, in bulk."""
    rows = (
        await u.session.execute(
            select(Deputy.id, Deputy.person_id, DeputyStation.station_id).join(DeputyStation)
        )
    ).all()
    home = {d: s for d, _, s in rows}
    person = {d: p for d, p, _ in rows}
    deputies = sorted(home)
    sender = await u.session.scalar(select(Person.id).where(~Person.id.in_(person.values())).limit(1))
    day = lambda: date(YEAR, 1, 1) + timedelta(days=rng.randrange(365))  # noqa: E731
    duties = list(dict.fromkeys((d, home[d], day()) for d in rng.choices(deputies, k=1850)))
    await u.session.execute(
        insert(Duty),
        [
            {
                "deputy_id": d,
                "station_id": s,
                "date": when,
                "checked_in_at": at(when) if rng.random() < 0.83 else None,
            }
            for d, s, when in duties
        ],
    )
    await u.session.execute(
        insert(Reception),
        [
            {"deputy_id": d, "station_id": home[d], "day": day(), "kind": "station", "opinions_paper": 0}
            for d in rng.choices(deputies, k=900)
        ],
    )
    entries = (await u.session.execute(select(Reception.id).order_by(Reception.id))).scalars().all()
    await u.session.execute(
        insert(ReceptionVisitor),
        [
            {"reception_id": r, "number": n, "anonymous": True}
            for r in entries
            for n in range(1, rng.randint(1, 7) + 1)
        ],
    )
    opinions = []
    for n in range(400):
        d, when = rng.choice(deputies), day()
        accepted = at(when, 9)
        deadline = accepted + timedelta(days=7)
        late = rng.random() < 0.15
        answered = deadline + timedelta(hours=5) if late else accepted + timedelta(days=rng.randint(1, 6))
        satisfied = rng.random() < 0.6
        opinions.append(
            {
                "tracking_no": f"LX-{YEAR}-{n + 1:06d}",
                "sender_person_id": sender,
                "station_id": home[d],
                "category": "transport",
                "text": "…",
                "anonymous": False,
                "public": False,
                "holder_deputy_id": d,
                "state": "closed" if satisfied else "answered",
                "satisfaction": "satisfied" if satisfied else None,
                "created_at": accepted,
                "accepted_at": accepted,
                "answered_at": answered,
                "answer_deadline": deadline,
                "closed_at": answered + timedelta(days=1) if satisfied else None,
            }
        )
    await u.session.execute(insert(Opinion), opinions)
    made = (
        await u.session.execute(select(Opinion.id, Opinion.holder_deputy_id, Opinion.answer_deadline))
    ).all()
    events = []
    for opinion_id, holder, deadline in made:
        events.append(_event(opinion_id, holder, deadline - timedelta(hours=20), "yellow:0"))
        if rng.random() < 0.2:
            events.append(_event(opinion_id, holder, deadline + timedelta(hours=1), "red:1"))
    await u.session.execute(insert(OpinionEvent), events)
    await u.session.execute(
        insert(Suggestion),
        [
            {
                "title": "建议",
                "text": "…",
                "category": "transport",
                "filer_person_id": person[d],
                "state": "filed",
                "number": f"S-{YEAR}-{n + 1:04d}",
                "filed_at": at(day()),
                "on_behalf_of_paper": False,
                "warned_rung": 0,
                "rehandle_count": 0,
            }
            for n, d in enumerate(rng.choices(deputies, k=180))
        ],
    )
    for n in range(24):
        activity = ActivityRecord(kind="meeting" if n % 2 else "training", day=day(), title=f"活动{n}")
        u.session.add(activity)
        await u.session.flush()
        await u.session.execute(
            insert(Attendance),
            [{"activity_id": activity.id, "deputy_id": d} for d in rng.sample(deputies, 50)],
        )


def _event(opinion_id: int, holder: int, when: datetime, reason: str) -> dict[str, object]:
    return {
        "opinion_id": opinion_id,
        "at": when,
        "action": "warn",
        "from_state": "accepted",
        "to_state": "accepted",
        "from_holder_id": holder,
        "reason": reason,
    }


async def timed(label: str, repeat: int, work: Callable[[], Awaitable[object]]) -> None:
    times = []
    result: object = None
    for _ in range(repeat):
        started = time.perf_counter()
        result = await work()
        times.append(time.perf_counter() - started)
    print(f"{label:<34} median {statistics.median(times) * 1000:8.1f} ms   ({result})")


async def main(database: str | None, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = database or f"sqlite+aiosqlite:///{folder}/points.db"
        if url.startswith("postgresql://"):
            url = "postgresql+asyncpg://" + url.removeprefix("postgresql://")
        engine = create_engine(url)
        await migrate.upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        await import_network(sessionmaker, ROOT / "examples" / "network.yaml")
        async with UnitOfWork(sessionmaker) as u:
            if not await u.session.scalar(select(Reception.id).limit(1)):
                await seed(u, random.Random(1209))
                await u.commit()
        async with UnitOfWork(sessionmaker) as u:
            one = sorted((await u.session.execute(select(Deputy.id))).scalars().all())[0]

        async def recompute() -> int:
            async with UnitOfWork(sessionmaker) as u:
                n = await PointsService(u, ZONE).recompute(YEAR, NOW)
                await u.commit()
                return n

        async def deputy() -> int:
            async with UnitOfWork(sessionmaker) as u:
                n = await PointsService(u, ZONE).recompute(YEAR, NOW, [one])
                await u.commit()
                return n

        async def stored_ranking() -> int:
            async with UnitOfWork(sessionmaker) as u:
                return len(await ranking(u, YEAR))

        async def on_read() -> int:
            async with UnitOfWork(sessionmaker) as u:
                service = PointsService(u, ZONE)
                prices = await service.prices(YEAR, NOW)
                return len(price(await gather(u, year_span(YEAR, ZONE), date(2026, 3, 10), ZONE), prices))

        async def one_statement() -> int:
            async with UnitOfWork(sessionmaker) as u:
                found = await u.points.deputy(one)
                assert found is not None
                return len((await statement(u, found, YEAR, ZONE)).entries)

        print(f"database: {engine.dialect.name}")
        await timed("recompute the year (lines)", repeat, recompute)
        await timed("recompute one deputy (lines)", repeat, deputy)
        await timed("ranking from stored lines (rows)", repeat, stored_ranking)
        await timed("all lines computed on read (lines)", repeat, on_read)
        await timed("one deputy's year, stored (entries)", repeat, one_statement)
        await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="postgresql://… (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.database, args.repeat))
