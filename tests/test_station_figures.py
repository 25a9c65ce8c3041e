"""The stations' figures (bot/stats/stations.py) on a small hand-made county, every figure exact, on SQLite
and PostgreSQL; and the seeded county's plan (bot/stats/seed_county.py): deterministic, at the notes'
magnitudes, every row as the lifecycles would have left it.

The hand-made county (local days, Asia/Shanghai = UTC+8); H home → T township → V1, V2 villages; P a
professional station under H (no township):

| duty | deputy | station | day        | checked in |
|------|--------|---------|------------|------------|
| 1    | D1     | V1      | 2025-03-03 | yes        |
| 2    | D1     | V1      | 2025-03-10 | yes        |
| 3    | D1     | V1      | 2025-03-17 | no         |
| 4    | D2     | V2      | 2025-12-31 | yes        |
| 5    | D2     | T       | 2026-01-02 | yes        |
| 6    | D2     | V2      | 2026-01-02 | yes (a second station the same day: a second visit) |
| 7    | D3     | P       | 2026-01-05 | yes        |

| entry | kind       | deputy | station | day        | visitors | matters (outcome → opinion)          |
|-------|------------|--------|---------|------------|----------|--------------------------------------|
| R1    | station    | D1     | V1      | 2025-03-03 | 3        | v1 resolved, v1 → O1, v2 → O2        |
| R2    | station    | D2     | V2      | 2025-12-31 | 1        | resolved                             |
| R3    | home visit | D1     | -       | 2026-01-07 | 2        | v5 → O3                              |
| R4    | station    | D3     | P       | 2026-01-05 | 0        | (an empty entry counts for nothing)  |
| R5    | station    | D1     | V1      | 2025-03-10 | 1        | resolved (deleted: never counted)    |
| R6    | legacy     | D2     | T       | 2026-01-02 | typed 5  |                                      |
| R7    | station    | staff  | V2      | 2026-02-01 | 1        | resolved                             |

| op | source            | station | holder | created (UTC)        | local year | ends                     |
|----|-------------------|---------|--------|----------------------|------------|--------------------------|
| O1 | station_reception | V1      | D1     | 2025-03-03 03:00     | 2025       | closed satisfied         |
| O2 | station_reception | V1      | D1     | 2025-03-03 03:10     | 2025       | closed without a verdict |
| O3 | home_visit        | V1      | D1     | 2026-01-07 07:00     | 2026       | closed basic             |
| O4 | direct            | V2      | D2     | 2025-12-31 16:30     | 2026       | closed satisfied         |
| O5 | direct            | T       | D2     | 2025-06-01 02:00     | 2025       | closed dissatisfied      |
| O6 | direct            | V2      | staff  | 2026-02-01 02:00     | 2026       | rejected                 |
| O7 | direct            | H       | D3     | 2026-03-01 02:00     | 2026       | duplicate                |
| O8 | direct            | -       | staff  | 2025-12-31 15:00     | 2025       | answered                 |
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.kit.i18n import translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.opinions.routing import RouteReason
from bot.stats.seed_county import (
    TARGETS,
    Targets,
    allocate,
    plan_county,
    seed_county,
    seed_if_fresh,
    seed_years_for,
    summarize,
)
from bot.stats.service import compute_stats
from bot.stats.station_texts import render_stations
from bot.stats.stations import FIELDS, problems_resolved
from storage.models import Deputy, DeputyStation, Person, Station
from storage.models.opinions import FINAL_STATES, Duty, Opinion, OpinionState
from storage.models.receptions import Reception, ReceptionMatter, ReceptionVisitor
from storage.repos.county_seed import CountyNetwork, SeedDeputy, SeedStation
from storage.unit_of_work import UnitOfWork

ZONE = "Asia/Shanghai"
TZ = ZoneInfo(ZONE)
Uow = Callable[[], UnitOfWork]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def hand_made(session: AsyncSession) -> dict[str, int]:
    """Write the county of the module docstring; returns ids by name."""
    h = Station(code="H", name="甲县代表之家", kind="home")
    session.add(h)
    await session.flush()
    t = Station(code="T", name="乙镇工作站", kind="township", parent_id=h.id)
    p = Station(code="P", name="戊专业联络站", kind="professional", parent_id=h.id)
    session.add_all([t, p])
    await session.flush()
    v1 = Station(code="V1", name="丙村<联络站>", kind="village", parent_id=t.id)
    v2 = Station(code="V2", name="丁村联络站", kind="village", parent_id=t.id)
    c1 = Person(name="周小梅", code="C1")
    staff = Person(name="办公室")
    people = [
        Person(name="孙建国", code="D1"),
        Person(name="吴明", code="D2"),
        Person(name="郑三", code="D3"),
    ]
    session.add_all([v1, v2, c1, staff, *people])
    await session.flush()
    d1, d2, d3 = (Deputy(person_id=x.id, level="county") for x in people)
    session.add_all([d1, d2, d3])
    await session.flush()
    session.add_all(
        [
            DeputyStation(deputy_id=d1.id, station_id=v1.id),
            DeputyStation(deputy_id=d2.id, station_id=v2.id),
            DeputyStation(deputy_id=d2.id, station_id=t.id),
            DeputyStation(deputy_id=d3.id, station_id=p.id),
            DeputyStation(deputy_id=d3.id, station_id=h.id),
        ]
    )

    def duty(deputy: Deputy, station: Station, day: date, checked: bool = True) -> Duty:
        at = datetime.combine(day, datetime.min.time(), tzinfo=TZ).astimezone(UTC) + timedelta(hours=9)
        return Duty(
            deputy_id=deputy.id, station_id=station.id, date=day, checked_in_at=at if checked else None
        )

    session.add_all(
        [
            duty(d1, v1, date(2025, 3, 3)),
            duty(d1, v1, date(2025, 3, 10)),
            duty(d1, v1, date(2025, 3, 17), checked=False),
            duty(d2, v2, date(2025, 12, 31)),
            duty(d2, t, date(2026, 1, 2)),
            duty(d2, v2, date(2026, 1, 2)),
            duty(d3, p, date(2026, 1, 5)),
        ]
    )

    def entry(deputy: Deputy | None, station: Station | None, day: date, **cols: Any) -> Reception:
        kind = "station" if station is not None else "home_visit"
        return Reception(
            deputy_id=deputy.id if deputy else None,
            station_id=station.id if station else None,
            kind=kind,
            day=day,
            state="closed",
            **cols,
        )

    r1 = entry(d1, v1, date(2025, 3, 3))
    r2 = entry(d2, v2, date(2025, 12, 31))
    r3 = entry(d1, None, date(2026, 1, 7), place="丙村3组")
    r4 = entry(d3, p, date(2026, 1, 5))
    r5 = entry(d1, v1, date(2025, 3, 10), deleted_at=utc(2025, 3, 11))
    r6 = entry(d2, t, date(2026, 1, 2), legacy=True, people=5, opinions_paper=2)
    r7 = entry(None, v2, date(2026, 2, 1), recorded_by_person_id=staff.id)
    session.add_all([r1, r2, r3, r4, r5, r6, r7])
    await session.flush()

    def visitor(reception: Reception, number: int) -> ReceptionVisitor:
        return ReceptionVisitor(reception_id=reception.id, number=number, anonymous=number == 2, name=None)

    v = {
        "v1": visitor(r1, 1),
        "v2": visitor(r1, 2),
        "v3": visitor(r1, 3),
        "v4": visitor(r2, 1),
        "v5": visitor(r3, 1),
        "v6": visitor(r3, 3),
        "v7": visitor(r5, 1),
        "v8": visitor(r7, 1),
    }
    session.add_all(v.values())
    await session.flush()

    seq = iter(range(1, 100))

    def opinion(station: Station | None, holder: Deputy | None, created: datetime, **cols: Any) -> Opinion:
        return Opinion(
            tracking_no=f"LX-2025-{next(seq):06d}",
            sender_person_id=c1.id,
            station_id=station.id if station else None,
            holder_deputy_id=holder.id if holder else None,
            category="transport",
            text="…",
            created_at=created,
            **cols,
        )

    closed = {"state": "closed"}
    o1 = opinion(v1, d1, utc(2025, 3, 3, 3), source="station_reception", satisfaction="satisfied", **closed)
    o2 = opinion(v1, d1, utc(2025, 3, 3, 3, 10), source="station_reception", **closed)
    o3 = opinion(v1, d1, utc(2026, 1, 7, 7), source="home_visit", satisfaction="basic", **closed)
    o4 = opinion(v2, d2, utc(2025, 12, 31, 16, 30), satisfaction="satisfied", **closed)
    o5 = opinion(t, d2, utc(2025, 6, 1, 2), satisfaction="dissatisfied", **closed)
    o6 = opinion(v2, None, utc(2026, 2, 1, 2), state="rejected")
    o7 = opinion(h, d3, utc(2026, 3, 1, 2), state="duplicate")
    o8 = opinion(None, None, utc(2025, 12, 31, 15), state="answered")
    session.add_all([o1, o2, o3, o4, o5, o6, o7, o8])
    await session.flush()

    def matter(who: str, outcome: str, routed: Opinion | None = None) -> ReceptionMatter:
        row = v[who]
        return ReceptionMatter(
            reception_id=row.reception_id,
            visitor_id=row.id,
            text="路灯不亮",
            category="urban_construction",
            outcome=outcome,
            answer="已答复" if outcome == "resolved" else None,
            opinion_id=routed.id if routed else None,
        )

    session.add_all(
        [
            matter("v1", "resolved"),
            matter("v1", "routed", o1),
            matter("v2", "routed", o2),
            matter("v4", "resolved"),
            matter("v5", "routed", o3),
            matter("v7", "resolved"),
            matter("v8", "resolved"),
        ]
    )
    await session.flush()
    return {"H": h.id, "T": t.id, "P": p.id, "V1": v1.id, "V2": v2.id, "D1": d1.id, "D2": d2.id, "D3": d3.id}


def figures(*values: int) -> dict[str, int]:
    """A row's figures in `FIELDS` order (problems resolved last)."""
    return dict(zip(FIELDS, values, strict=True))


#                      duty rec home vis mat res rout ops from dir ores problems
ALL = figures(6, 4, 1, 12, 6, 3, 3, 8, 3, 5, 3, 6)
YEAR_2025 = figures(3, 2, 0, 4, 4, 2, 2, 4, 2, 2, 1, 3)
YEAR_2026 = figures(3, 2, 1, 8, 2, 1, 1, 4, 1, 3, 2, 3)
TOWNSHIPS = [
    ("T", figures(5, 4, 0, 10, 5, 3, 2, 6, 3, 3, 3, 6)),
    (None, figures(1, 0, 1, 2, 1, 0, 1, 2, 0, 2, 0, 0)),
]
STATIONS = [
    ("V1", figures(2, 1, 0, 3, 3, 1, 2, 3, 3, 0, 2, 3)),
    ("V2", figures(2, 2, 0, 2, 2, 2, 0, 2, 0, 2, 1, 3)),
    ("T", figures(1, 1, 0, 5, 0, 0, 0, 1, 0, 1, 0, 0)),
    ("P", figures(1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
    (None, figures(0, 0, 1, 2, 1, 0, 1, 1, 0, 1, 0, 0)),
    ("H", figures(0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0)),
]
DEPUTIES = [
    ("D1", figures(2, 1, 1, 5, 4, 1, 3, 3, 3, 0, 2, 3)),
    ("D2", figures(3, 2, 0, 6, 1, 1, 0, 2, 0, 2, 1, 2)),
    (None, figures(0, 1, 0, 1, 1, 1, 0, 2, 0, 2, 0, 1)),
    ("D3", figures(1, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0)),
]


def rows(section: list[dict[str, Any]]) -> list[tuple[Any, dict[str, int]]]:
    return [(r["code"], {k: r[k] for k in FIELDS}) for r in section]


def test_problems_resolved_is_resolved_at_reception_plus_opinions_resolved() -> None:
    assert problems_resolved(459, 1003) == 1462
    assert problems_resolved(0, 0) == 0


async def test_every_figure_of_the_hand_made_county_is_exact(uow: Uow) -> None:
    async with uow() as u:
        await hand_made(u.session)
        await u.commit()
    async with uow() as u:
        stations = (await compute_stats(u.session, None, None, ZONE, top_deputies=None))["stations"]
    assert stations["totals"] == ALL
    assert [(r["key"], r["name"]) for r in stations["by_year"]] == [(2025, "2025"), (2026, "2026")]
    assert [{k: r[k] for k in FIELDS} for r in stations["by_year"]] == [YEAR_2025, YEAR_2026]
    assert rows(stations["by_township"]) == TOWNSHIPS
    assert stations["by_township"][0]["name"] == "乙镇工作站"
    assert rows(stations["by_station"]) == STATIONS
    assert rows(stations["by_deputy"]) == DEPUTIES
    assert [r["name"] for r in stations["by_deputy"]] == ["孙建国", "吴明", None, "郑三"]
    assert stations["deputies"] == {"shown": 4, "of": 4}
    # The report's own figures agree where they overlap (visitors are people received; resolved is resolved).
    async with uow() as u:
        report = await compute_stats(u.session, None, None, ZONE)
    assert report["totals"]["people_received"] == ALL["visitors"]
    assert report["totals"]["resolved"] == ALL["opinions_resolved"]
    assert report["totals"]["resolved_at_reception"] == ALL["resolved_at_reception"]
    assert report["stations"]["deputies"] == {"shown": 4, "of": 4}


async def test_a_period_counts_its_local_days_only(uow: Uow) -> None:
    """2026 in Shanghai: O4 (Dec 31 16:30 UTC) is in it, O8 (Dec 31 15:00 UTC) is not."""
    async with uow() as u:
        await hand_made(u.session)
        await u.commit()
    async with uow() as u:
        stations = (await compute_stats(u.session, date(2026, 1, 1), date(2026, 12, 31), ZONE))["stations"]
        jan_2 = (await compute_stats(u.session, date(2026, 1, 2), date(2026, 1, 2), ZONE))["stations"]
        top = (await compute_stats(u.session, None, None, ZONE, top_deputies=1))["stations"]
        top_all = (await compute_stats(u.session, None, None, ZONE, top_deputies=None))["stations"]
    assert stations["totals"] == YEAR_2026
    assert [r["key"] for r in stations["by_year"]] == [2026]
    assert jan_2["totals"] == figures(2, 1, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0)
    assert [r["code"] for r in top["by_deputy"]] == ["D1"] and top["deputies"] == {"shown": 1, "of": 4}
    # As many stations as deputies are listed, the busiest first (a province has 12,000).
    assert top["by_station"] == top_all["by_station"][:1]
    assert (
        top["stations"] == {"shown": 1, "of": len(STATIONS)} == {"shown": 1, "of": len(top_all["by_station"])}
    )


async def test_the_chat_view_reads_every_total_and_escapes_names(uow: Uow) -> None:
    async with uow() as u:
        await hand_made(u.session)
        await u.commit()
    async with uow() as u:
        stations = (await compute_stats(u.session, None, None, ZONE))["stations"]
    text = render_stations(stations, "All time: stations at work", translator("en"))
    lines = text.splitlines()
    assert lines[:6] == [
        "<b>All time: stations at work</b>",
        "Duty visits (check-ins): 6",
        "Visitors received: 12 (4 receptions, 1 home visits)",
        "Matters registered: 6; resolved at reception 3, sent as opinions 3",
        "Opinions collected: 8; from receptions 3, sent directly 5; resolved 3",
        "Problems resolved: 6",
    ]
    assert "2025: duty visits 3, visitors 4, opinions 4, problems resolved 3" in lines
    assert "乙镇工作站: duty visits 5, visitors 10, opinions 6, problems resolved 6" in lines
    assert "丙村&lt;联络站&gt;: duty visits 2, visitors 3, opinions 3, problems resolved 3" in lines
    assert (
        "outside the townships (homes, home visits): duty visits 1, visitors 2, opinions 2, problems resolved 0"
        in lines
    )
    assert (
        "no deputy (staff queue, staff's entries): duty visits 0, visitors 1, opinions 2, problems resolved 1"
        in lines
    )
    zh = render_stations(stations, "统计：联络站履职", translator("zh_Hans"))
    assert "推动办理各类问题：6 个" in zh and "接待群众：12 人次（接待 4 次，走访 1 次）" in zh


def test_the_chat_view_fits_one_message_however_many_rows() -> None:
    row = {"key": 1, "code": "X", "name": "很长的名字" * 30, **dict.fromkeys(FIELDS, 123456)}
    many = [dict(row, key=i) for i in range(500)]
    stations = {
        "totals": dict.fromkeys(FIELDS, 123456),
        "by_year": [dict(row, key=y, name=str(y)) for y in range(2000, 2030)],
        "by_township": many,
        "by_station": many,
        "by_deputy": many,
        "deputies": {"shown": 500, "of": 500},
    }
    text = render_stations(stations, "title", translator("zh_Hans"))
    assert visible_len(text) <= MESSAGE_LIMIT and "2029" in text


# -- the seeded county's plan ------------------------------------------------------------------------


def small_network(deputies: int = 40) -> CountyNetwork:
    """A home, two townships with three villages each; deputies at one or two stations."""
    stations = [SeedStation(1, "H", "甲县代表之家", "home", None)]
    stations += [SeedStation(2 + i, f"T{i}", f"乡{i}人大代表工作站", "township", 1) for i in range(2)]
    stations += [
        SeedStation(10 + i, f"V{i}", f"村{i}人大代表联络站", "village", 2 + i // 3) for i in range(6)
    ]
    rng = random.Random(5)
    ids = [s.id for s in stations]
    people = [
        SeedDeputy(
            100 + i,
            1000 + i,
            ("transport",) if i % 3 == 0 else (),
            tuple(sorted(rng.sample(ids, 1 + (i % 4 == 0)))),
            2000 if i % 2 else None,
        )
        for i in range(deputies)
    ]
    people.append(SeedDeputy(999, 1999, (), (), None))  # serves at no station: never on duty
    return CountyNetwork(tuple(stations), tuple(people), staff_person_id=4000, telegram_base=7_100_000_000)


AS_OF = datetime(2026, 4, 1, 2, tzinfo=UTC)
YEARS = (2023, 2024, 2025)


def test_seed_years_end_with_the_last_year_whose_opinions_are_all_closed() -> None:
    assert seed_years_for(date(2026, 4, 1)) == (2023, 2024, 2025)
    assert seed_years_for(date(2026, 3, 31)) == (2022, 2023, 2024)
    assert allocate(4532, (0.31, 0.33, 0.36)) == [1405, 1496, 1631] and sum(allocate(7, (1, 1, 1))) == 7


def test_the_plan_is_deterministic_and_meets_the_targets_exactly() -> None:
    plan, counters = plan_county(small_network(), YEARS, AS_OF)
    again, _ = plan_county(small_network(), YEARS, AS_OF)
    assert plan.duty == again.duty and plan.visitors == again.visitors and plan.matters == again.matters
    assert [p.row for p in plan.opinions] == [p.row for p in again.opinions]
    other, _ = plan_county(small_network(), YEARS, AS_OF, seed=25)
    assert other.duty != plan.duty
    summary = summarize(plan, YEARS)
    assert (summary.duty_visits, summary.visitors, summary.opinions, summary.problems_resolved) == (
        TARGETS.duty_visits,
        TARGETS.visitors,
        TARGETS.opinions,
        TARGETS.problems_resolved,
    )
    # The notes: 进站履职4500余人次，接待选民1.1万余人次，收集意见建议1209条，推动办理各类问题1462个.
    assert 4500 < summary.duty_visits < 4600 and 11000 < summary.visitors < 12000
    assert summary.matters == summary.resolved_at_reception + summary.routed
    assert summary.opinions == summary.routed + summary.direct
    assert sum(counters.values()) == summary.opinions
    assert set(counters) == {f"opinion:{y}" for y in YEARS}
    smaller = Targets(duty_visits=300, visitors=900, opinions=100, problems_resolved=130)
    few = summarize(plan_county(small_network(), YEARS, AS_OF, targets=smaller)[0], YEARS)
    assert (few.duty_visits, few.visitors, few.opinions, few.problems_resolved) == (300, 900, 100, 130)


def test_duty_days_are_rostered_before_and_checked_in_on_the_day() -> None:
    plan, _ = plan_county(small_network(), YEARS, AS_OF)
    days = Counter((d["deputy_id"], d["date"]) for d in plan.duty)
    assert max(days.values()) == 1  # one station a deputy a day
    network = small_network()
    serves = {(d.id, s) for d in network.deputies for s in d.station_ids}
    for row in plan.duty:
        assert (row["deputy_id"], row["station_id"]) in serves
        assert row["added_at"].astimezone(TZ).date() < row["date"]
        assert row["reminded_at"].astimezone(TZ).date() == row["date"] - timedelta(days=1)
        if row["checked_in_at"] is not None:
            assert row["checked_in_at"].astimezone(TZ).date() == row["date"]
        assert row["date"].year in YEARS and row["date"].weekday() < 5


def test_entries_visitors_and_matters_are_what_the_diary_would_hold() -> None:
    plan, _ = plan_county(small_network(), YEARS, AS_OF)
    checked = {(d["deputy_id"], d["station_id"], d["date"]) for d in plan.duty if d["checked_in_at"]}
    rostered = {(d["deputy_id"], d["station_id"], d["date"]) for d in plan.duty}
    by_entry = Counter(v["_entry"] for v in plan.visitors)
    for index, entry in enumerate(plan.entries):
        assert entry["state"] == "closed" and by_entry[index] >= 1
        if entry["kind"] == "station":  # received on a day the deputy checked in there
            assert (entry["deputy_id"], entry["station_id"], entry["day"]) in checked
        else:
            assert entry["station_id"] is None and entry["place"]
    numbers: dict[int, list[int]] = {}
    for visitor in plan.visitors:
        numbers.setdefault(visitor["_entry"], []).append(visitor["number"])
        assert not (visitor["anonymous"] and (visitor["name"] or visitor["phone"]))
        assert visitor["phone"] is None or visitor["phone_consent"]
    assert all(n == list(range(1, len(n) + 1)) for n in numbers.values())
    for matter in plan.matters:
        visitor = plan.visitors[matter["_visitor"]]
        assert matter["_entry"] == visitor["_entry"] and matter["created_at"] > visitor["created_at"]
        if matter["outcome"] == "routed":
            opinion = plan.opinions[matter["_opinion"]]
            entry = plan.entries[matter["_entry"]]
            assert opinion.row["source"] == (
                "station_reception" if entry["kind"] == "station" else "home_visit"
            )
            assert opinion.row["text"] == matter["text"] and opinion.row["created_at"] == matter["created_at"]
            link = plan.links[visitor["_link"]]  # one link per visitor, handed over with the first opinion
            if visitor["stand_in"]:  # never opened: the stand-in is the sender
                assert link["used_at"] is None and opinion.stand_in == visitor["_stand_in"] is not None
                assert opinion.resident is None and visitor["_resident"] is None
            else:  # opened within hours: the opener is the sender (in Telegram from then on)
                assert opinion.resident == visitor["_resident"] == link["_resident"] is not None
                person = plan.residents[opinion.resident]
                assert link["used_at"] == person["created_at"] > link["created_at"]
                assert person["telegram_id"] >= 7_100_000_000
            assert opinion.row["anonymous"] == visitor["anonymous"]
            if entry["kind"] == "station":  # routing's duty rule: the deputy on duty there that day
                assert opinion.row["route_reason"] == RouteReason.STATION_DUTY.value
                routed_to = opinion.events[1]["to_holder_id"]  # the first holder (a transfer may follow)
                assert opinion.events[1]["action"] == "route"
                assert (routed_to, entry["station_id"], entry["day"]) in rostered
        else:
            assert matter["answer"] and matter["_opinion"] is None


def test_every_opinion_walked_its_lifecycle_to_a_terminal_state() -> None:
    plan, _ = plan_county(small_network(), YEARS, AS_OF)
    numbers = [p.row["tracking_no"] for p in plan.opinions]
    assert len(set(numbers)) == len(numbers) and numbers[0] == "LX-2023-000001"
    for index, planned in enumerate(plan.opinions):
        row, events = planned.row, planned.events
        assert events[0]["action"] == "submit" and events[0]["to_state"] == "submitted"
        state = "submitted"
        for event in events[1:]:
            assert event["from_state"] == state, (row["tracking_no"], event)
            state = event["to_state"]
            assert event["at"] <= AS_OF
        assert state == row["state"] and OpinionState(state) in FINAL_STATES
        assert [e["at"] for e in events] == sorted(e["at"] for e in events)
        assert row["closed_at"] is not None and row["next_warning_at"] is None
        if row["satisfaction"] in ("satisfied", "basic"):
            assert row["state"] == "closed" and events[-1]["action"] in (
                "confirm_satisfied",
                "confirm_basic",
                "follow_up",
            )
        if row["state"] == "duplicate":
            assert planned.duplicate_of is not None and planned.duplicate_of < index
            assert plan.opinions[planned.duplicate_of].row["state"] not in ("rejected", "duplicate")
        if row["accepted_at"] is not None:
            assert row["answer_deadline"] is not None and row["answered_at"] >= row["accepted_at"]


def test_a_network_without_deputies_at_stations_is_refused() -> None:
    network = small_network()
    bare = replace(network, deputies=tuple(replace(d, station_ids=()) for d in network.deputies))
    with pytest.raises(ValueError, match="deputies who serve at stations"):
        plan_county(bare, YEARS, AS_OF)
    with pytest.raises(ValueError, match="as_of"):
        plan_county(network, YEARS, datetime(2026, 3, 31, tzinfo=UTC))


async def test_seed_if_fresh_writes_once_and_never_over_a_past(uow: Uow) -> None:
    smaller = Targets(duty_visits=60, visitors=150, opinions=20, problems_resolved=24)
    async with uow() as u:
        ids = await hand_made(u.session)
        await u.commit()
    now = datetime(2027, 4, 2, 2, tzinfo=UTC)
    async with uow() as u:  # the hand-made past is before 2026's end: nothing is seeded over it
        assert await seed_if_fresh(u, now) is None
    later = datetime(2030, 4, 2, 2, tzinfo=UTC)  # seeds 2027–2029, after the hand-made past
    async with uow() as u:
        seeded = await seed_county(u, seed_years_for(later.date()), later, targets=smaller)
        await u.commit()
    assert (seeded.duty_visits, seeded.visitors, seeded.opinions, seeded.problems_resolved) == (
        60,
        150,
        20,
        24,
    )
    async with uow() as u:
        stations = (
            await compute_stats(u.session, date(2027, 1, 1), date(2029, 12, 31), ZONE, top_deputies=None)
        )["stations"]
        assert await seed_if_fresh(u, later) is None  # its own years are there now
    assert stations["totals"]["duty_visits"] == 60 and stations["totals"]["visitors"] == 150
    assert stations["totals"]["opinions_collected"] == 20 and stations["totals"]["problems_resolved"] == 24
    assert {r["code"] for r in stations["by_deputy"]} <= {"D1", "D2", "D3"}
    assert ids["D1"] in {r["key"] for r in stations["by_deputy"]}


def test_deputies_option_takes_a_count_or_all() -> None:
    import argparse

    from bot.stats.service import parse_deputies

    assert parse_deputies("all") is None and parse_deputies("ALL") is None
    assert parse_deputies("0") == 0 and parse_deputies("25") == 25
    for bad in ("-1", "ten", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_deputies(bad)


async def test_the_terminal_table_lists_the_stations_and_says_when_deputies_are_cut(uow: Uow) -> None:
    from bot.stats.service import render_table

    async with uow() as u:
        await hand_made(u.session)
        await u.commit()
    async with uow() as u:
        table = render_table(await compute_stats(u.session, None, None, ZONE, top_deputies=2))
    assert "Stations at work" in table and "problems_resolved         6" in table
    assert "(deputies: the busiest 2 of 4; --deputies all lists every one)" in table
    assert "note: problems_resolved = resolved_at_reception + opinions_resolved" in table
