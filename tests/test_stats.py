"""Statistics on a deterministic data set: exact counts, nearest-rank medians and p90, zone-aware periods.

The data set (times UTC; Asia/Shanghai is UTC+8; the period is 2026-01-01..2026-02-28 local):

| op | created (UTC)     | cat | station | holder | accepted | answered        | end                          |
|----|-------------------|-----|---------|--------|----------|-----------------|------------------------------|
| O1 | 01-10 02:00       | transport | S1      | D1     | +2.5h    | +10h            | satisfied +20h               |
| O2 | 01-15 00:00       | transport | S1      | D1     | +30h late| +40h, again +60h| reopened +50h, basic +70h    |
| O3 | 01-31 17:00 (Feb local) | education | S2 | D2   | +4h      | +100h           | auto-closed +436h            |
| O4 | 02-10 00:00       | education | S2      | D2     | +1h      | +200h (late)    | still answered               |
| O5 | 02-12 00:00       | transport | -       | staff  | -        | -               | routed                       |
| O6 | 02-20 00:00       | other | S1      | D1     | -        | -               | rejected +5h                 |
| O7 | 02-28 16:30 (Mar local, outside) | transport | S1 | D1 | +6h | +8h         | reopened +9h                 |
| O8 | 12-31 17:00 2025 (Jan 1 local)   | transport | S1 | D1 | - | -            | routed                       |
| O9 | 12-31 15:00 2025 (Dec 31 local, outside) | transport | S1 | D1 | - | -    | routed                       |

Duty roster: D1 at S1 on Jan 5, Jan 6 and Mar 1 (outside); D2 at S1 on Jan 5 and at S2 on Feb 2; D3 at S2
on Feb 3. Reception diary (local days; people received, opinions collected on paper):

| rec | deputy | station | day        | people | paper | note                                 |
|-----|--------|---------|------------|--------|-------|--------------------------------------|
| R1  | D1     | S1      | 2026-01-05 | 12     | 3     |                                      |
| R2  | D1     | S2      | 2026-02-28 | 8      | 0     | last day of the period               |
| R3  | D2     | S2      | 2026-02-02 | 20     | 6     |                                      |
| R4  | D3     | S1      | 2026-01-01 | 1      | 2     | first day of the period              |
| R5  | D3     | S3      | 2026-02-14 | 6      | 0     | S3 has nothing else                  |
| R6  | D1     | S1      | 2026-03-01 | 5      | 1     | outside (after)                      |
| R7  | D2     | S1      | 2025-12-31 | 4      | 4     | outside (before)                     |
| R8  | D2     | S2      | 2026-02-03 | 99     | 9     | deleted: never counted               |
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.kit.i18n import translator
from bot.opinions.milestones import MILESTONE_COLUMNS, milestones
from bot.stats.periods import Period, custom_days, day_number, local_today, span_for, span_of
from bot.stats.service import (
    compute_stats,
    main_stats,
    nearest_rank,
    parse_period,
    period_bounds,
    render_chat,
    render_json,
    render_table,
)
from storage.db import create_engine, create_sessionmaker
from storage.models import Base, Deputy, Person, Station
from storage.models.opinions import Duty, Opinion, OpinionEvent
from storage.models.receptions import Reception
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

ZONE = "Asia/Shanghai"
ACTIVITY = ("duty_days", "receptions", "people_received", "opinions_bot", "opinions_paper")
JAN1, FEB28 = date(2026, 1, 1), date(2026, 2, 28)
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


async def seed(session: AsyncSession) -> dict[str, int]:
    """Write the data set of the module docstring; returns the ids by name."""
    s1 = Station(code="S1", name="甲村联络站", kind="village")
    s2 = Station(code="S2", name="乙镇<工作站>", kind="township")
    s3 = Station(code="S3", name="丙站", kind="village")
    sender = Person(name="周小梅")
    people = [Person(name="孙建国"), Person(name="吴明"), Person(name="郑三")]
    session.add_all([s1, s2, s3, sender, *people])
    await session.flush()
    d1, d2, d3 = (Deputy(person_id=p.id, level="county") for p in people)
    session.add_all([d1, d2, d3])
    await session.flush()

    seq = iter(range(1, 100))

    def opinion(
        created: datetime,
        category: str,
        station: Station | None,
        holder: Deputy | None,
        state: str,
        steps: list[tuple[str, float, str]],
        **cols: Any,
    ) -> Opinion:
        row = Opinion(
            tracking_no=f"LX-2026-{next(seq):06d}",
            sender_person_id=sender.id,
            station_id=station.id if station else None,
            holder_deputy_id=holder.id if holder else None,
            category=category,
            text="…",
            state=state,
            created_at=created,
            accept_deadline=created + 24 * H,
            **{k: created + v * H if isinstance(v, (int, float)) else v for k, v in cols.items()},
        )
        row._steps = steps  # type: ignore[attr-defined]
        return row

    base = [("submit", 0, "submitted"), ("route", 0, "routed")]
    o1 = opinion(
        utc(2026, 1, 10, 2), "transport", s1, d1, "closed",
        [*base, ("accept", 2.5, "accepted"), ("answer", 10, "answered"), ("confirm_satisfied", 20, "closed")],
        accepted_at=2.5, answer_deadline=2.5 + 168, answered_at=10, closed_at=20, satisfaction="satisfied",
    )  # fmt: skip
    o2 = opinion(
        utc(2026, 1, 15), "transport", s1, d1, "closed",
        [*base, ("accept", 30, "accepted"), ("answer", 40, "answered"), ("confirm_dissatisfied", 50, "reopened"),
         ("answer", 60, "answered"), ("confirm_basic", 70, "closed")],
        accepted_at=30, answer_deadline=50 + 168, answered_at=60, closed_at=70, satisfaction="basic",
    )  # fmt: skip
    o3 = opinion(
        utc(2026, 1, 31, 17), "education", s2, d2, "closed",
        [*base, ("accept", 4, "accepted"), ("answer", 100, "answered"), ("auto_close", 436, "closed")],
        accepted_at=4, answer_deadline=4 + 168, answered_at=100, closed_at=436,
    )  # fmt: skip
    o4 = opinion(
        utc(2026, 2, 10), "education", s2, d2, "answered",
        [*base, ("accept", 1, "accepted"), ("answer", 200, "answered")],
        accepted_at=1, answer_deadline=1 + 168, answered_at=200,
    )  # fmt: skip
    o5 = opinion(utc(2026, 2, 12), "transport", None, None, "routed", base)
    o6 = opinion(
        utc(2026, 2, 20), "other", s1, d1, "rejected", [*base, ("reject", 5, "rejected")], closed_at=5
    )
    o7 = opinion(
        utc(2026, 2, 28, 16, 30), "transport", s1, d1, "reopened",
        [*base, ("accept", 6, "accepted"), ("answer", 8, "answered"), ("confirm_dissatisfied", 9, "reopened")],
        accepted_at=6, answer_deadline=9 + 168, answered_at=8, satisfaction="dissatisfied",
    )  # fmt: skip
    o8 = opinion(utc(2025, 12, 31, 17), "transport", s1, d1, "routed", base)
    o9 = opinion(utc(2025, 12, 31, 15), "transport", s1, d1, "routed", base)
    rows = [o1, o2, o3, o4, o5, o6, o7, o8, o9]
    session.add_all(rows)
    await session.flush()
    for row in rows:
        for action, hours, to_state in row._steps:  # type: ignore[attr-defined]
            at = row.created_at + hours * H
            session.add(OpinionEvent(opinion_id=row.id, at=at, action=action, to_state=to_state))
            # The row's milestones as the service keeps them with each timeline entry.
            current = {c: getattr(row, c) for c in MILESTONE_COLUMNS}
            for column, value in milestones(action, at, current).items():
                setattr(row, column, value)

    def visit(deputy: Deputy, station: Station, day: date, *, checked_in: bool = True) -> Duty:
        """A duty day; a duty visit (进站履职) only once the deputy checked in on it."""
        at = utc(day.year, day.month, day.day, 2) if checked_in else None
        return Duty(deputy_id=deputy.id, station_id=station.id, date=day, checked_in_at=at)

    session.add_all(
        [
            visit(d1, s1, date(2026, 1, 5)),
            visit(d1, s1, date(2026, 1, 6)),
            visit(d1, s1, date(2026, 3, 1)),  # outside the period
            visit(d2, s1, date(2026, 1, 5)),
            visit(d2, s2, date(2026, 2, 2)),
            visit(d3, s2, date(2026, 2, 3)),
            # On the roster, never checked in: no visit, in the period or all time.
            visit(d3, s1, date(2026, 1, 20), checked_in=False),
            visit(d1, s2, date(2026, 2, 10), checked_in=False),
            visit(d2, s3, date(2026, 2, 11), checked_in=False),
        ]
    )

    def reception(
        deputy: Deputy, station: Station, day: date, people: int, paper: int, **cols: Any
    ) -> Reception:
        return Reception(  # typed before registration existed: their counts stand as typed
            deputy_id=deputy.id,
            station_id=station.id,
            day=day,
            people=people,
            opinions_paper=paper,
            legacy=True,
            **cols,
        )

    session.add_all(
        [
            reception(d1, s1, date(2026, 1, 5), 12, 3),
            reception(d1, s2, date(2026, 2, 28), 8, 0),
            reception(d2, s2, date(2026, 2, 2), 20, 6),
            reception(d3, s1, date(2026, 1, 1), 1, 2),
            reception(d3, s3, date(2026, 2, 14), 6, 0),
            reception(d1, s1, date(2026, 3, 1), 5, 1),
            reception(d2, s1, date(2025, 12, 31), 4, 4),
            reception(d2, s2, date(2026, 2, 3), 99, 9, deleted_at=utc(2026, 2, 4)),
        ]
    )
    await session.flush()
    return {"s1": s1.id, "s2": s2.id, "s3": s3.id, "d1": d1.id, "d2": d2.id, "d3": d3.id}


async def seeded(uow: Callable[[], UnitOfWork]) -> dict[str, int]:
    async with uow() as u:
        ids = await seed(u.session)
        await u.commit()
    return ids


def pick(rows: list[dict[str, Any]], *fields: str) -> list[tuple[Any, ...]]:
    return [tuple(r[f] for f in fields) for r in rows]


def test_nearest_rank() -> None:
    ten = list(range(10, 0, -1))
    assert nearest_rank(ten, 50) == 5 and nearest_rank(ten, 90) == 9
    assert nearest_rank(list(range(1, 21)), 90) == 18
    assert nearest_rank([7.0], 90) == 7.0 and nearest_rank([], 50) is None
    assert nearest_rank([1, 2, 3, 4], 50) == 2  # the lower middle, not 2.5


async def test_period_figures_are_exact(uow: Callable[[], UnitOfWork]) -> None:
    ids = await seeded(uow)
    async with uow() as u:
        stats = await compute_stats(u.session, JAN1, FEB28, ZONE)
    assert stats["period"] == {"from": "2026-01-01", "to": "2026-02-28", "zone": ZONE}
    assert stats["totals"] == {
        "received": 7,  # O1-O6 and O8 (Jan 1 local); not O7 (Mar 1 local) nor O9 (Dec 31 local)
        "handled": 4,
        "accepted": 4,
        "accepted_on_time": 3,  # O2 accepted after 30 h of 24
        "answered": 4,
        "answered_on_time": 3,  # O4 answered at 200 h, deadline at 169 h
        "satisfied": 1,
        "basic": 1,
        "auto_closed": 1,
        "dissatisfied": 1,
        "reopened": 1,
        "resolved": 2,
        "rejected": 1,
        "duplicate": 0,
        "duty_days": 5,
        "receptions": 5,  # R1-R5
        "people_received": 47,  # 12 + 8 + 20 + 1 + 6
        "opinions_paper": 11,  # 3 + 0 + 6 + 2 + 0
        # registered in the diary (none here: tests/test_receptions.py derives them)
        "home_visits": 0,
        "matters_registered": 0,
        "resolved_at_reception": 0,
        "matters_routed": 0,
    }
    assert stats["durations"] == {
        "to_accept": {"count": 4, "median_h": 2.5, "p90_h": 30.0},  # [1, 2.5, 4, 30]
        "to_first_answer": {"count": 4, "median_h": 40.0, "p90_h": 200.0},  # [10, 40, 100, 200]
        "to_close": {"count": 3, "median_h": 70.0, "p90_h": 436.0},  # [20, 70, 436]; rejected O6 not
    }
    fields = ("key", "received", "handled", "satisfied", "basic", "dissatisfied", "reopened", "resolved")
    assert pick(stats["by_category"], *fields) == [
        ("transport", 4, 2, 1, 1, 1, 1, 2),
        ("education", 2, 2, 0, 0, 0, 0, 0),
        ("other", 1, 0, 0, 0, 0, 0, 0),
    ]
    work = ("key", "name", "received", "resolved", *ACTIVITY)
    assert pick(stats["by_station"], *work) == [
        # duty days, receptions, people received, opinions via the bot, opinions on paper
        (ids["s1"], "甲村联络站", 4, 2, 2, 2, 13, 4, 5),  # duty: D1 Jan 5, 6 and D2 Jan 5 = 2 days; R1, R4
        (ids["s2"], "乙镇<工作站>", 2, 0, 2, 2, 28, 2, 6),  # R2, R3 (R8 deleted)
        (None, "", 1, 0, 0, 0, 0, 1, 0),
        (ids["s3"], "丙站", 0, 0, 0, 1, 6, 0, 0),  # only a reception
    ]
    assert pick(stats["by_deputy"], *work) == [
        (ids["d1"], "孙建国", 4, 2, 2, 2, 20, 4, 3),  # R1, R2; not R6 (March)
        (ids["d2"], "吴明", 2, 0, 2, 1, 20, 2, 6),  # R3; not R7 (2025) nor R8 (deleted)
        (None, "", 1, 0, 0, 0, 0, 1, 0),
        (ids["d3"], "郑三", 0, 0, 1, 2, 7, 0, 2),  # R4, R5
    ]
    assert pick(stats["by_month"], "key", "received", "handled", "auto_closed") == [
        ("2026-01", 3, 2, 0),
        ("2026-02", 4, 2, 1),  # O3 is Feb 1 local although Jan 31 in UTC
    ]
    assert stats["notes"] and "opinions_paper" in stats["notes"][0]
    json.loads(render_json(stats))


async def test_all_time_and_utc_zone(uow: Callable[[], UnitOfWork]) -> None:
    await seeded(uow)
    async with uow() as u:
        everything = await compute_stats(u.session, None, None, ZONE)
        in_utc = await compute_stats(u.session, JAN1, FEB28, "UTC")
    t = everything["totals"]
    assert (t["received"], t["dissatisfied"], t["reopened"], t["duty_days"]) == (9, 2, 2, 6)
    assert (t["receptions"], t["people_received"], t["opinions_paper"]) == (7, 56, 16)  # R1-R7
    assert pick(everything["by_deputy"], "name", *ACTIVITY) == [
        ("孙建国", 3, 3, 25, 6, 4),
        ("吴明", 2, 2, 24, 2, 10),
        ("", 0, 0, 0, 1, 0),
        ("郑三", 1, 2, 7, 0, 2),
    ]
    assert [m["key"] for m in everything["by_month"]] == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert everything["durations"]["to_accept"] == {"count": 5, "median_h": 4.0, "p90_h": 30.0}
    # In UTC the day boundaries move: O7 (Feb 28 UTC) is in, O8 (Dec 31 UTC) is out.
    assert in_utc["totals"]["received"] == 7 and in_utc["totals"]["reopened"] == 2
    assert [(m["key"], m["received"]) for m in in_utc["by_month"]] == [("2026-01", 3), ("2026-02", 4)]


async def test_empty_database_and_bad_period(uow: Callable[[], UnitOfWork]) -> None:
    async with uow() as u:
        stats = await compute_stats(u.session, JAN1, FEB28, ZONE)
        with pytest.raises(ValueError):
            await compute_stats(u.session, FEB28, JAN1, ZONE)
    assert stats["totals"]["received"] == 0
    assert stats["durations"]["to_close"] == {"count": 0, "median_h": None, "p90_h": None}
    assert "received          0" in render_table(stats)
    assert "0" in render_chat(stats, translator("en"))


async def test_renderers(uow: Callable[[], UnitOfWork]) -> None:
    await seeded(uow)
    async with uow() as u:
        stats = await compute_stats(u.session, JAN1, FEB28, ZONE)
    table = render_table(stats)
    assert "received          7" in table and "accepted on time  3/4 (75.0%)" in table
    assert "乙镇<工作站>" in table  # plain text: no escaping in the terminal
    assert "duty days         5" in table and "receptions        5 (people 47, opinions on paper 11)" in table
    assert "people_received" in table and "opinions_paper" in table
    en = render_chat(stats, translator("en"))
    assert "<b>Statistics 2026-01-01 – 2026-02-28</b>" in en
    assert "Received: 7" in en and "Handled: 4 (57.1%)" in en
    # p90 said as what it means for an office clerk, with a footnote; no bare "p90"
    assert "Time to accept: median 2.5 h, 90% within 30 h" in en
    assert "Time to close: median 70 h, 90% within 436 h" in en
    assert "90% within: nine in ten took at most this long" in en and "p90" not in en
    assert "Duty days: 5" in en
    assert "Receptions: 5, people received 47, opinions collected on paper 11" in en
    # categories by their label in the reader's language, never the stored code
    assert "Transport: received 4, resolved 2" in en and "Education: received 2, resolved 0" in en
    assert "transport" not in en and "education" not in en
    stations = en.split("<b>By station:</b>\n")[1].split("\n\n")[0].splitlines()
    assert stations == [
        "甲村联络站: opinions via the bot 4, on paper 5, resolved 2; duty days 2, receptions 2 (13 people)",
        "乙镇&lt;工作站&gt;: opinions via the bot 2, on paper 6, resolved 0; duty days 2, receptions 2 (28 people)",
        "no station: opinions via the bot 1, on paper 0, resolved 0; duty days 0, receptions 0 (0 people)",
        "丙站: opinions via the bot 0, on paper 0, resolved 0; duty days 0, receptions 1 (6 people)",
    ]
    assert "<工作站>" not in en
    deputies = en.split("<b>By deputy:</b>\n")[1].splitlines()
    assert deputies == [  # most opinions collected (bot + paper) first
        "吴明: opinions via the bot 2, on paper 6, resolved 0; duty days 2, receptions 1 (20 people)",
        "孙建国: opinions via the bot 4, on paper 3, resolved 2; duty days 2, receptions 2 (20 people)",
        "郑三: opinions via the bot 0, on paper 2, resolved 0; duty days 1, receptions 2 (7 people)",
        "staff queue: opinions via the bot 1, on paper 0, resolved 0; duty days 0, receptions 0 (0 people)",
    ]
    zh = render_chat(stats, translator("zh_Hans"))
    assert "收到意见：7 件" in zh and "按时受理：3 / 4" in zh
    assert "接待群众：5 次，接待 47 人，纸质收集意见 11 条" in zh
    assert "孙建国：经机器人收到意见 4，纸质收集 3，解决 2；进站值班 2 天，接待 2 次（20 人）" in zh
    assert "交通出行：收到 4，解决 2" in zh and "教育：收到 2，解决 0" in zh and "transport" not in zh
    assert "受理用时：中位数 2.5 小时，90% 在 30 小时内" in zh and "p90" not in zh
    assert "十件中有九件用时不超过此数" in zh
    # the terminal: labels (English), and the p90 column named for what it means
    assert "Transport  4" in table and "transport" not in table
    assert "90% within" in table and "nine in ten took at most this long" in table


def test_parse_period() -> None:
    assert parse_period([]) == (None, None)
    assert parse_period(["2026-02"]) == (date(2026, 2, 1), date(2026, 2, 28))
    assert parse_period(["2026-01-01", "2026-03-31"]) == (date(2026, 1, 1), date(2026, 3, 31))
    assert parse_period(["2026-01-01"]) == (date(2026, 1, 1), None)
    for bad in (["x"], ["2026-02-30"], ["2026-03-01", "2026-01-01"], ["a", "b", "c"], ["2026-13"]):
        with pytest.raises(ValueError):
            parse_period(bad)


@pytest.fixture
async def stats_file(tmp_path: Path) -> str:
    """A seeded SQLite file for the command-line tests."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'stats.db'}"
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    maker: async_sessionmaker[AsyncSession] = create_sessionmaker(engine)
    await seeded(lambda: UnitOfWork(maker))
    await engine.dispose()
    return url


def _env(url: str) -> dict[str, str]:
    return {**os.environ, "DATABASE_URL": url, "TIMEZONE": ZONE}


def test_command_line_json(stats_file: str) -> None:
    """`python -m bot.stats.service` (the entry `liaison stats` runs) prints the same figures as JSON."""
    argv = [sys.executable, "-m", "bot.stats.service", "--from", "2026-01-01", "--to", "2026-02-28", "--json"]
    done = subprocess.run(argv, cwd=ROOT, env=_env(stats_file), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"liaison: database {stats_file} (file ")  # which database, on stderr
    data = json.loads(done.stdout)
    assert data["totals"]["received"] == 7 and data["durations"]["to_close"]["p90_h"] == 436.0
    assert (data["totals"]["receptions"], data["totals"]["people_received"]) == (5, 47)
    assert pick(data["by_deputy"], "name", *ACTIVITY)[0] == ("孙建国", 2, 2, 20, 4, 3)
    table = subprocess.run(
        argv[:-1], cwd=ROOT, env=_env(stats_file), capture_output=True, text=True, timeout=60
    )
    assert table.returncode == 0 and "answered on time  3/4" in table.stdout
    assert "receptions        5 (people 47, opinions on paper 11)" in table.stdout


def test_liaison_stats_subcommand(stats_file: str) -> None:
    """`python -m bot.runtime.cli stats --json` once bot/runtime/cli.py calls `add_stats_command(sub)`."""
    from bot.runtime import cli

    if "stats" not in cli.parser().format_help():
        pytest.skip("bot/runtime/cli.py does not wire `add_stats_command` yet")
    argv = [sys.executable, "-m", "bot.runtime.cli", "stats", "--json"]
    done = subprocess.run(argv, cwd=ROOT, env=_env(stats_file), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    totals = json.loads(done.stdout)["totals"]
    assert (totals["received"], totals["receptions"], totals["opinions_paper"]) == (9, 7, 16)


def test_command_line_lists_the_busiest_and_writes_every_row_to_a_workbook(
    stats_file: str, tmp_path: Path
) -> None:
    """`--deputies 1`: one deputy and one station in the JSON, with how many there are; `--xlsx PATH`
    without --suggestions-report: the whole report as a workbook, every deputy and station."""
    from openpyxl import load_workbook

    argv = [sys.executable, "-m", "bot.stats.service", "--json", "--deputies", "1"]
    done = subprocess.run(argv, cwd=ROOT, env=_env(stats_file), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    # Three deputies and the staff queue; three stations and opinions sent to none.
    assert data["listed"] == {"by_station": {"shown": 1, "of": 4}, "by_deputy": {"shown": 1, "of": 4}}
    # The busiest by opinions collected, through the bot and on paper: 吴明 2 + 10, 孙建国 6 + 4.
    assert [r["name"] for r in data["by_deputy"]] == ["吴明"] and len(data["by_station"]) == 1
    table = subprocess.run(
        [*argv[:3], "--deputies", "1"],
        cwd=ROOT,
        env=_env(stats_file),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "By deputy (the busiest 1 of 4; --deputies all lists every one)" in table.stdout
    assert "By area (each top-level home, then the homes beneath it)" in table.stdout
    path = tmp_path / "stats.xlsx"
    argv = [sys.executable, "-m", "bot.stats.service", "--xlsx", str(path), "--lang", "en", "--deputies", "1"]
    done = subprocess.run(argv, cwd=ROOT, env=_env(stats_file), capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert f"written to {path}: 4 deputies, 4 stations" in done.stdout
    book = load_workbook(path, read_only=True)
    sheets = {s.title: [r for r in s.iter_rows(values_only=True)] for s in book.worksheets}
    every = ["孙建国", "吴明", "staff queue", "郑三"]  # every one, --deputies aside
    assert [r[0] for r in sheets["By deputy"][1:]] == every
    assert len(sheets["By station"]) == 1 + 4 and sheets["Totals"][2] == ("Received", 9)
    assert "By area" in sheets and "Stations at work, by deputy" in sheets


def test_main_stats_rejects_reversed_period(capsys: pytest.CaptureFixture[str]) -> None:
    assert main_stats(["--from", "2026-02-01", "--to", "2026-01-01"]) == 2
    assert "--from is after --to" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main_stats(["--from", "yesterday"])


# -- category labels -----------------------------------------------------------------------------


def network_category_codes(path: Path) -> set[str]:
    """Every category code a network file defines: committees' categories, deputies' and groups' fields."""
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    codes: set[str] = set()
    for committee in data.get("committees") or []:
        codes.update(committee.get("categories") or [])
    for deputy in data.get("deputies") or []:
        codes.update(deputy.get("fields") or [])
    for group in data.get("groups") or []:
        if group.get("field"):
            codes.add(group["field"])
    return codes


NETWORK_FILES = [ROOT / "examples" / "network.yaml", ROOT / "bot" / "data" / "network.yaml"]


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_category_code_has_a_label(locale: str) -> None:
    """Each code the example network (and the demo's copy) defines, and each code the bot offers, has a
    label translated in both catalogues, so /stats, the CLI and the console never show a raw code."""
    from bot.opinions.drafts import CATEGORIES
    from bot.stats.service import category_name
    from tests.test_i18n import i18n_tool

    codes = set(CATEGORIES)
    for path in NETWORK_FILES:
        found = network_category_codes(path)
        assert found, f"no category codes found in {path}"
        codes |= found
    catalogue = i18n_tool.translated(locale)
    tr = translator(locale)
    unlabelled = sorted(c for c in codes if c not in CATEGORIES or CATEGORIES[c] not in catalogue)
    assert unlabelled == [], f"{locale}: category codes without a label: {unlabelled}"
    for code in codes:
        assert category_name(tr, code) != code, f"{locale}: {code} is shown as its code"
    if locale == "zh_Hans":
        assert category_name(tr, "urban_construction") == "城乡建设"


def test_unknown_category_code_is_shown_as_stored() -> None:
    """A code from an older network file, no longer labelled, still shows (as stored) rather than failing."""
    from bot.stats.service import category_name

    assert category_name(translator("en"), "road_works") == "road_works"
    assert category_name(translator("en"), None) == "-"


# -- periods for the /stats buttons --------------------------------------------------------------

SHANGHAI = ZoneInfo(ZONE)


@pytest.mark.parametrize(
    ("now", "today"),
    [
        (utc(2026, 1, 31, 15, 59), date(2026, 1, 31)),  # 23:59 local
        (utc(2026, 1, 31, 16, 0), date(2026, 2, 1)),  # midnight local: a new month while UTC is on Jan 31
        (utc(2025, 12, 31, 16, 30), date(2026, 1, 1)),  # a new year in Shanghai, not yet in UTC
    ],
)
def test_local_today_is_the_congress_day(now: datetime, today: date) -> None:
    assert local_today(now, SHANGHAI) == today


def test_period_spans_at_month_edges_in_shanghai() -> None:
    feb1 = local_today(utc(2026, 1, 31, 16, 30), SHANGHAI)  # 00:30 on Feb 1 in Shanghai
    assert span_of(Period.THIS_MONTH, feb1) == (date(2026, 2, 1), date(2026, 2, 28))
    assert span_of(Period.LAST_MONTH, feb1) == (date(2026, 1, 1), date(2026, 1, 31))
    assert span_of(Period.THIS_YEAR, feb1) == (date(2026, 1, 1), date(2026, 12, 31))
    assert span_of(Period.ALL_TIME, feb1) == (None, None)
    new_year = local_today(utc(2025, 12, 31, 16, 30), SHANGHAI)  # 00:30 on Jan 1, 2026 in Shanghai
    assert span_of(Period.THIS_MONTH, new_year) == (date(2026, 1, 1), date(2026, 1, 31))
    assert span_of(Period.LAST_MONTH, new_year) == (date(2025, 12, 1), date(2025, 12, 31))
    assert span_of(Period.THIS_YEAR, new_year) == (date(2026, 1, 1), date(2026, 12, 31))
    leap = date(2028, 3, 15)
    assert span_of(Period.LAST_MONTH, leap) == (date(2028, 2, 1), date(2028, 2, 29))
    # The UTC instants of "this month" on Feb 1: from Jan 31 16:00 UTC to Feb 28 16:00 UTC.
    assert period_bounds(*span_of(Period.THIS_MONTH, feb1), SHANGHAI) == (
        utc(2026, 1, 31, 16),
        utc(2026, 2, 28, 16),
    )


async def test_last_month_figures_follow_local_months(uow: Callable[[], UnitOfWork]) -> None:
    """On Mar 1 in Shanghai "last month" is February local: O3 (Jan 31 UTC) is in, O7 (Feb 28 UTC) is not."""
    await seeded(uow)
    march1 = local_today(utc(2026, 2, 28, 16, 30), SHANGHAI)
    async with uow() as u:
        last = await compute_stats(u.session, *span_of(Period.LAST_MONTH, march1), ZONE)
        this = await compute_stats(u.session, *span_of(Period.THIS_MONTH, march1), ZONE)
    assert last["totals"]["received"] == 4 and [m["key"] for m in last["by_month"]] == ["2026-02"]
    assert this["totals"]["received"] == 1 and [m["key"] for m in this["by_month"]] == ["2026-03"]


def test_custom_days_from_button_numbers() -> None:
    assert span_for(Period.CUSTOM, date(2026, 3, 1), 20260101, 20260228) == (JAN1, FEB28)
    assert span_for(Period.CUSTOM, date(2026, 3, 1), 20260101, None) == (JAN1, None)
    assert custom_days(20260230, None) is None  # no such day
    assert custom_days(20260301, 20260101) is None  # reversed
    assert custom_days(99, None) is None
    assert day_number(FEB28) == 20260228


def test_stats_press_round_trip_and_forgery() -> None:
    from bot.stats.views import StatsPress, View, press_for

    press = press_for(Period.CUSTOM, View.MONTHS, JAN1, FEB28)
    assert press.pack() == "stat:c:m:20260101:20260228"
    assert StatsPress.parse(press.pack()) == press
    assert StatsPress.parse(press_for(Period.LAST_MONTH, View.SUMMARY).pack()) == StatsPress(
        Period.LAST_MONTH
    )
    for forged in ("stat:zz", "stat:tm:x", "stat:c:m:-1", "stat:tm:s:1:2:3", "st:tm"):
        assert StatsPress.parse(forged) is None


async def test_render_months(uow: Callable[[], UnitOfWork]) -> None:
    from bot.stats.views import MAX_MONTHS, View, render, render_months

    await seeded(uow)
    async with uow() as u:
        stats = await compute_stats(u.session, date(2026, 1, 1), date(2026, 12, 31), ZONE)
        empty = await compute_stats(u.session, date(2027, 1, 1), date(2027, 1, 31), ZONE)
    en = render_months(stats, translator("en"))
    assert en.splitlines() == [
        "<b>Statistics 2026-01-01 – 2026-12-31, by month</b>",
        "2026-01: received 3, handled 2, answered on time 2 of 2, resolved 2",
        "2026-02: received 4, handled 2, answered on time 1 of 2, resolved 0",
        "2026-03: received 1, handled 0, answered on time 1 of 1, resolved 0",
    ]
    zh = render_months(stats, translator("zh_Hans"))
    assert "2026-02：收到 4 件，已办理 2 件，按时答复 1 / 2，解决 0 件" in zh
    assert "No opinions were received in this period." in render_months(empty, translator("en"))
    many = {**stats, "by_month": [{**stats["by_month"][0], "key": f"m{i:03d}"} for i in range(40)]}
    lines = render_months(many, translator("en")).splitlines()
    assert lines[1] == "… 4 earlier months: see liaison stats or the web console."
    assert len(lines) == 2 + MAX_MONTHS and lines[-1].startswith("m039:")
    _text, markup = render(translator("en"), stats, Period.THIS_YEAR, View.MONTHS)
    labels = [[b.text for b in row] for row in markup.inline_keyboard]
    assert labels == [
        ["This month", "Last month"],
        ["• This year", "All time"],
        ["📊 Summary", "🏠 Stations"],
    ]


async def test_console_report_labels_categories_and_explains_p90(uow: Callable[[], UnitOfWork]) -> None:
    """The console's statistics page (and its CSV/XLSX export) shows the same words as /stats."""
    from bot.stats.tables import stats_tables as _stats_tables

    await seeded(uow)
    async with uow() as u:
        stats = await compute_stats(u.session, JAN1, FEB28, ZONE)
    for locale, header, transport in (
        ("en", "90% within (hours)", "Transport"),
        ("zh_Hans", "90% 在多少小时内", "交通出行"),
    ):
        tables = _stats_tables(translator(locale), stats)
        durations = tables[1]
        assert durations.headers[-1] == header and not any("p90" in h for h in durations.headers)
        by_category = tables[2]
        assert by_category.rows[0][0] == transport
        assert not {"transport", "education", "other"} & {row[0] for row in by_category.rows}
