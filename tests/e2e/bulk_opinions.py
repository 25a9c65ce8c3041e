"""Many opinions at once, written in bulk (one INSERT of many rows per table), for reports that must be
heavy: the statistics over tens of thousands of opinions and their timelines."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage.models import Deputy, Opinion, OpinionEvent, Person, Station

CATEGORIES = ("transport", "agriculture", "education", "health", "environment", "safety")
START = datetime(2025, 1, 1, tzinfo=UTC)


async def bulk_opinions(
    sessionmaker: async_sessionmaker[AsyncSession], count: int, *, deputies: int = 300, seed: int = 25
) -> int:
    """Write `count` opinions (a third still open) with their timelines, held by `deputies` deputies at
    30 stations, created over 2025; returns how many opinions are closed."""
    rng = random.Random(seed)
    async with sessionmaker() as session:
        stations = [{"code": f"BK{i:03d}", "name": f"Bulk station {i}", "kind": "village"} for i in range(30)]
        await session.execute(insert(Station), stations)
        station_ids = list((await session.scalars(select(Station.id).where(Station.code.like("BK%")))).all())
        people = [{"name": f"Bulk deputy {i}", "code": f"BKD{i:05d}"} for i in range(deputies)]
        people.append({"name": "Bulk sender", "code": "BKSENDER"})
        await session.execute(insert(Person), people)
        person_ids = dict(
            (await session.execute(select(Person.code, Person.id).where(Person.code.like("BK%")))).all()
        )
        sender = person_ids.pop("BKSENDER")
        await session.execute(
            insert(Deputy), [{"person_id": p, "level": "county"} for p in person_ids.values()]
        )
        deputy_ids = list(
            (
                await session.scalars(
                    select(Deputy.id).where(
                        Deputy.person_id.in_(select(Person.id).where(Person.code.like("BKD%")))
                    )
                )
            ).all()
        )
        opinions, closed = [], 0
        for i in range(count):
            created = START + timedelta(minutes=rng.randrange(365 * 24 * 60))
            done = rng.random() < 2 / 3
            closed += done
            opinions.append(
                {
                    "tracking_no": f"BK-2025-{i:07d}",
                    "sender_person_id": sender,
                    "station_id": rng.choice(station_ids),
                    "holder_deputy_id": rng.choice(deputy_ids),
                    "category": rng.choice(CATEGORIES),
                    "text": "bulk",
                    "state": "closed" if done else "accepted",
                    "created_at": created,
                    "accepted_at": created + timedelta(hours=rng.randrange(1, 48)),
                    "answered_at": created + timedelta(hours=rng.randrange(48, 300)) if done else None,
                    "closed_at": created + timedelta(hours=rng.randrange(300, 400)) if done else None,
                    "satisfaction": rng.choice(("satisfied", "basic", "dissatisfied")) if done else None,
                    "accept_deadline": created + timedelta(hours=24),
                    "answer_deadline": created + timedelta(days=8),
                }
            )
        await session.execute(insert(Opinion), opinions)
        rows = (
            await session.execute(
                select(Opinion.id, Opinion.created_at, Opinion.state).where(Opinion.tracking_no.like("BK-%"))
            )
        ).all()
        events = []
        for opinion_id, created, state in rows:
            steps = [("submit", "submitted", 0), ("route", "routed", 0), ("accept", "accepted", 5)]
            if state == "closed":
                steps += [("answer", "answered", 100), ("confirm", "closed", 350)]
            for action, to_state, hours in steps:
                events.append(
                    {
                        "opinion_id": opinion_id,
                        "at": created + timedelta(hours=hours),
                        "action": action,
                        "to_state": to_state,
                    }
                )
        await session.execute(insert(OpinionEvent), events)
        await session.commit()
    return closed
