"""The report's opinion figures in SQL (storage/repos/opinion_figures.py) against an independent computation:
the implementation they replaced, kept here — every opinion read with its whole timeline and tallied in
Python (the timeline, not the milestones on the row) — on the example network with the seeded county
(bot/stats/seed_county.py: three years, 1,209 opinions), both backends, for several periods; the by-area
roll-up against a count by each opinion's station ancestors; and the migration's backfill of the
milestones from the timeline.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import DateTime, column, insert, select, table, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.network import import_network
from bot.stats.seed_county import seed_county, seed_years_for
from bot.stats.service import BUCKET_FIELDS, compute_stats, nearest_rank, period_bounds
from storage import migrate
from storage.db import create_engine
from storage.models import Opinion, OpinionEvent, Person, Station
from storage.models.opinions import OpinionState, Satisfaction
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

ZONE = ZoneInfo("Asia/Shanghai")
NETWORK = ROOT / "examples" / "network.yaml"
AS_OF = datetime(2027, 4, 2, 2, tzinfo=UTC)  # seeds 2024–2026
YEARS = seed_years_for(AS_OF.astimezone(ZONE).date())


# -- the implementation the SQL replaced (bot/stats/service.py before #25), kept as the reference --------


def _empty() -> dict[str, int]:
    return dict.fromkeys(BUCKET_FIELDS, 0)


def _tally(bucket: dict[str, int], row: Any, actions: list[str]) -> None:
    """Add one opinion (with its timeline actions, oldest first) to a bucket."""
    state = row.state
    bucket["received"] += 1
    if state in (OpinionState.ANSWERED, OpinionState.CLOSED):
        bucket["handled"] += 1
    if row.accepted_at is not None:
        bucket["accepted"] += 1
        if row.accept_deadline is not None and row.accepted_at <= row.accept_deadline:
            bucket["accepted_on_time"] += 1
    if row.answered_at is not None:
        bucket["answered"] += 1
        if row.answer_deadline is not None and row.answered_at <= row.answer_deadline:
            bucket["answered_on_time"] += 1
    if state == OpinionState.CLOSED:
        closing = next((a for a in reversed(actions) if a.startswith(("confirm_", "auto_close"))), None)
        if closing == "auto_close":
            bucket["auto_closed"] += 1
        elif row.satisfaction == Satisfaction.SATISFIED:
            bucket["satisfied"] += 1
            bucket["resolved"] += 1
        elif row.satisfaction == Satisfaction.BASIC:
            bucket["basic"] += 1
            bucket["resolved"] += 1
    reopenings = actions.count("confirm_dissatisfied")
    if reopenings:
        bucket["dissatisfied"] += 1
        bucket["reopened"] += reopenings
    if state == OpinionState.REJECTED:
        bucket["rejected"] += 1
    if state == OpinionState.DUPLICATE:
        bucket["duplicate"] += 1


def _summary(hours: list[float]) -> dict[str, Any]:
    median, p90 = nearest_rank(hours, 50), nearest_rank(hours, 90)
    return {
        "count": len(hours),
        "median_h": None if median is None else round(median, 2),
        "p90_h": None if p90 is None else round(p90, 2),
    }


def _hours(since: datetime, until: datetime | None) -> float | None:
    return None if until is None else (until - since).total_seconds() / 3600


async def reference(session: AsyncSession, start: date | None, end: date | None) -> dict[str, Any]:
    """The figures as the timeline-based Python computed them: totals, breakdowns and durations."""
    lo, hi = period_bounds(start, end, ZONE)
    period = [*([Opinion.created_at >= lo] if lo else []), *([Opinion.created_at < hi] if hi else [])]
    opinions = (await session.execute(select(Opinion).where(*period).order_by(Opinion.id))).scalars().all()
    timeline: dict[int, list[tuple[str, datetime]]] = defaultdict(list)
    for opinion_id, action, at in await session.execute(
        select(OpinionEvent.opinion_id, OpinionEvent.action, OpinionEvent.at)
        .join(Opinion, Opinion.id == OpinionEvent.opinion_id)
        .where(*period)
        .order_by(OpinionEvent.opinion_id, OpinionEvent.at, OpinionEvent.id)
    ):
        timeline[opinion_id].append((action, at))
    totals = _empty()
    by: dict[str, dict[Any, dict[str, int]]] = {
        k: defaultdict(_empty) for k in ("category", "station", "deputy", "month")
    }
    to_accept: list[float] = []
    to_answer: list[float] = []
    to_close: list[float] = []
    for row in opinions:
        steps = timeline.get(row.id, [])
        actions = [a for a, _ in steps]
        month = row.created_at.astimezone(ZONE).strftime("%Y-%m")
        for bucket in (
            totals,
            by["category"][row.category],
            by["station"][row.station_id],
            by["deputy"][row.holder_deputy_id],
            by["month"][month],
        ):
            _tally(bucket, row, actions)
        first = {a: at for a, at in reversed(steps)}
        for values, moment in (
            (to_accept, first.get("accept", row.accepted_at)),
            (to_answer, first.get("answer", row.answered_at)),
            (to_close, row.closed_at if row.state == OpinionState.CLOSED else None),
        ):
            hours = _hours(row.created_at, moment)
            if hours is not None:
                values.append(hours)
    return {
        "totals": totals,
        "by": {k: dict(v) for k, v in by.items()},
        "durations": {
            "to_accept": _summary(to_accept),
            "to_first_answer": _summary(to_answer),
            "to_close": _summary(to_close),
        },
        "stations": {o.station_id for o in opinions},
    }


# -- the comparison -----------------------------------------------------------------------------------


def _counts(rows: list[dict[str, Any]]) -> dict[Any, dict[str, int]]:
    """Rows with opinions, by key, their opinion counts only (rows of duty or receptions alone left out)."""
    return {r["key"]: {f: r[f] for f in BUCKET_FIELDS} for r in rows if r["received"]}


@pytest.fixture
async def county(
    sessionmaker: async_sessionmaker[AsyncSession], uow: Callable[[], UnitOfWork]
) -> Callable[[], UnitOfWork]:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        summary = await seed_county(u, YEARS, AS_OF)
        await u.commit()
    assert summary.opinions == 1209
    return uow


PERIODS = [
    (None, None),  # all time
    (date(YEARS[1], 3, 1), date(YEARS[1], 3, 31)),  # one month
    (date(YEARS[0], 1, 1), date(YEARS[0], 12, 31)),  # a year
    (date(YEARS[1], 7, 15), None),  # from a day on
    (None, date(YEARS[1], 2, 10)),  # up to a day
    (date(YEARS[2], 6, 1), date(YEARS[2], 6, 1)),  # one day
]


async def test_the_sql_figures_equal_the_timeline_computation(county: Callable[[], UnitOfWork]) -> None:
    async with county() as u:
        for start, end in PERIODS:
            want = await reference(u.session, start, end)
            got = await compute_stats(u.session, start, end, ZONE, top_deputies=None)
            where = f"period {start}..{end}"
            assert {k: got["totals"][k] for k in BUCKET_FIELDS} == want["totals"], where
            assert got["durations"] == want["durations"], where
            assert _counts(got["by_category"]) == want["by"]["category"], where
            assert _counts(got["by_station"]) == want["by"]["station"], where
            assert _counts(got["by_deputy"]) == want["by"]["deputy"], where
            assert _counts(got["by_month"]) == want["by"]["month"], where
            assert got["totals"]["received"] > 0 or (start, end) == PERIODS[-1], where


async def test_the_by_area_rows_roll_the_stations_up_to_their_homes(county: Callable[[], UnitOfWork]) -> None:
    async with county() as u:
        stats = await compute_stats(u.session, None, None, ZONE)
        stations = {
            i: (parent, kind, code)
            for i, parent, kind, code in await u.session.execute(
                select(Station.id, Station.parent_id, Station.kind, Station.code)
            )
        }
        received: dict[str, int] = defaultdict(int)
        for (station_id,) in await u.session.execute(select(Opinion.station_id)):
            while station_id is not None and stations[station_id][0] is not None:
                station_id = stations[station_id][0]
            received[stations[station_id][2] if station_id is not None else ""] += 1
    area = stats["by_area"]
    # The example network: five county homes, no home beneath another — one level, the homes listed.
    assert area["levels"] == 1
    assert [r["code"] for r in area["rows"]] == ["H01", "H02", "H03", "H04", "H05"]
    assert {r["code"]: r["received"] for r in area["rows"]} == {k: v for k, v in received.items() if k}
    assert sum(r["received"] for r in area["rows"]) == stats["totals"]["received"] == 1209
    assert sum(r["resolved"] for r in area["rows"]) == stats["totals"]["resolved"]


async def test_the_totals_are_not_trivial(county: Callable[[], UnitOfWork]) -> None:
    async with county() as u:
        t = (await compute_stats(u.session, None, None, ZONE))["totals"]
    assert t["received"] == 1209 and t["resolved"] > 0 and t["auto_closed"] > 0
    assert t["reopened"] >= t["dissatisfied"] > 0 and t["rejected"] > 0 and t["duplicate"] > 0
    assert 0 < t["answered_on_time"] < t["answered"]


# -- the migration's backfill --------------------------------------------------------------------------


async def test_the_migration_fills_the_milestones_from_the_timeline(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    revisions = migrate.revisions()
    before = revisions[revisions.index("0023") - 1]
    t0 = datetime(2026, 1, 10, 2, tzinfo=UTC)
    h = timedelta(hours=1)
    try:
        await migrate.upgrade(engine, before)
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO person (id, name, phone_shared, created_at) VALUES (1, 'x', false, CURRENT_TIMESTAMP)"
                )
            )
            opinion = table(
                "opinion",
                *(column(c) for c in ("id", "tracking_no", "sender_person_id", "category", "text")),
                *(column(c) for c in ("anonymous", "public", "state", "satisfaction")),
                *(column(c, DateTime(timezone=True)) for c in ("created_at", "accepted_at")),
                *(column(c, DateTime(timezone=True)) for c in ("answered_at", "closed_at")),
            )
            common = {"sender_person_id": 1, "category": "other", "text": "…", "anonymous": False}
            common |= {"public": False, "created_at": t0}
            blank = dict.fromkeys(("satisfaction", "accepted_at", "answered_at", "closed_at"))
            await conn.execute(
                insert(opinion).values(
                    [
                        {**blank, **row}
                        for row in [
                        # reopened twice, then closed satisfied: the first accept and answer, not the latest
                        {**common, "id": 1, "tracking_no": "A", "state": "closed", "accepted_at": t0 + 9 * h,
                         "answered_at": t0 + 20 * h, "closed_at": t0 + 30 * h, "satisfaction": "satisfied"},
                        # auto-closed
                        {**common, "id": 2, "tracking_no": "B", "state": "closed", "accepted_at": t0 + h,
                         "answered_at": t0 + 2 * h, "closed_at": t0 + 400 * h},
                        # no timeline at all: the columns stand in
                        {**common, "id": 3, "tracking_no": "C", "state": "answered", "accepted_at": t0 + 3 * h,
                         "answered_at": t0 + 4 * h},
                        # waiting
                        {**common, "id": 4, "tracking_no": "D", "state": "routed"},
                    ]]
                )
            )  # fmt: skip
            steps = [
                (1, "accept", 1), (1, "answer", 2), (1, "confirm_dissatisfied", 3), (1, "accept", 9),
                (1, "answer", 10), (1, "confirm_dissatisfied", 11), (1, "answer", 20),
                (1, "confirm_satisfied", 30), (1, "follow_up", 700),
                (2, "accept", 1), (2, "answer", 2), (2, "auto_close", 400), (4, "route", 0),
            ]  # fmt: skip
            await conn.execute(
                insert(
                    table(
                        "opinion_event",
                        column("opinion_id"),
                        column("action"),
                        column("at", DateTime(timezone=True)),
                        column("to_state"),
                    )
                ).values(
                    [{"opinion_id": o, "action": a, "at": t0 + n * h, "to_state": "x"} for o, a, n in steps]
                )
            )
        await migrate.upgrade(engine, "0023")
        opinion = Opinion.__table__
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    select(
                        opinion.c.id,
                        opinion.c.first_accepted_at,
                        opinion.c.first_answered_at,
                        opinion.c.reopen_count,
                        opinion.c.closing_action,
                    ).order_by(opinion.c.id)
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            (1, t0 + h, t0 + 2 * h, 2, "confirm_satisfied"),
            (2, t0 + h, t0 + 2 * h, 0, "auto_close"),
            (3, t0 + 3 * h, t0 + 4 * h, 0, None),
            (4, None, None, 0, None),
        ]
        await migrate.downgrade(engine, before)
    finally:
        await engine.dispose()


async def test_a_province_is_reported_per_prefecture_then_county(uow: Callable[[], UnitOfWork]) -> None:
    """Two prefecture homes with county homes beneath (and a township straight under one prefecture):
    level 1 per prefecture, level 2 per county, each opinion counted where its station lies."""
    async with uow() as u:
        s = u.session
        p1, p2 = Station(code="P1", name="甲市", kind="home"), Station(code="P2", name="乙市", kind="home")
        s.add_all([p1, p2])
        await s.flush()
        c1 = Station(code="C1", name="甲一县", kind="home", parent_id=p1.id)
        c2 = Station(code="C2", name="甲二县", kind="home", parent_id=p1.id)
        c3 = Station(code="C3", name="乙一县", kind="home", parent_id=p2.id)
        t0 = Station(code="T0", name="甲市直属镇", kind="township", parent_id=p1.id)
        s.add_all([c1, c2, c3, t0])
        await s.flush()
        t1 = Station(code="T1", name="甲一镇", kind="township", parent_id=c1.id)
        s.add(t1)
        await s.flush()
        v1 = Station(code="V1", name="甲一村", kind="village", parent_id=t1.id)
        sender = Person(name="周")
        s.add_all([v1, sender])
        await s.flush()
        # V1 (C1, P1) ×3, one closed satisfied; C2 ×1; T0 (P1 only) ×2; C3 (P2) ×1; no station ×1.
        places = [v1, v1, v1, c2, t0, t0, c3, None]
        for n, place in enumerate(places):
            closed = n == 0
            s.add(
                Opinion(
                    tracking_no=f"LX-{n}",
                    sender_person_id=sender.id,
                    station_id=place.id if place else None,
                    category="other",
                    text="…",
                    state="closed" if closed else "routed",
                    satisfaction="satisfied" if closed else None,
                    closing_action="confirm_satisfied" if closed else None,
                    created_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(hours=n),
                )
            )
        await u.commit()
    async with uow() as u:
        area = (await compute_stats(u.session, None, None, ZONE))["by_area"]
    assert area["levels"] == 2
    assert [(r["code"], r["level"], r["received"], r["resolved"]) for r in area["rows"]] == [
        ("P1", 1, 6, 1),
        ("C1", 2, 3, 1),
        ("C2", 2, 1, 0),
        ("P2", 1, 1, 0),
        ("C3", 2, 1, 0),
        ("", 1, 1, 0),  # sent to no station
    ]
    assert area["rows"][1]["parent"] == area["rows"][0]["key"]
