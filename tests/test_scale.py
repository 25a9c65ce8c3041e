"""bench/scale.py's province and activity at 1%: the import holds what the generator wrote, and the
statistics' figures match the activity filler's own tallies (counted from the rows it generated, never
read back) — on SQLite and PostgreSQL."""

from __future__ import annotations

import calendar
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bench.activity import BUCKETS, Tallies, fill, month_of
from bench.province import Province, generate
from bot.network import import_network
from bot.stats.service import compute_stats

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
SCALE = 0.01
OPINIONS, DUTY_DAYS, RECEPTIONS = 10_000, 3_230, 2_130
ZONE = "Asia/Shanghai"


async def _rows(session: AsyncSession, sql: str) -> dict[Any, int]:
    return {key: int(n) for key, n in (await session.execute(text(sql))).all()}


async def _counts(sessionmaker: async_sessionmaker[AsyncSession]) -> dict[str, Any]:
    async with sessionmaker() as s:
        return {
            "stations": await _rows(s, "SELECT kind, COUNT(*) FROM station GROUP BY kind"),
            "deputies": await _rows(s, "SELECT level, COUNT(*) FROM deputy GROUP BY level"),
            "constituents": await s.scalar(
                text(
                    "SELECT COUNT(*) FROM person p WHERE NOT EXISTS (SELECT 1 FROM deputy d WHERE d.person_id = p.id)"
                )
            ),
            "links": await s.scalar(text("SELECT COUNT(*) FROM contact_link")),
            "states": await _rows(s, "SELECT state, COUNT(*) FROM opinion GROUP BY state"),
            "actions": await _rows(s, "SELECT action, COUNT(*) FROM opinion_event GROUP BY action"),
            "duty": await s.scalar(text("SELECT COUNT(*) FROM duty")),
            "receptions": await s.scalar(text("SELECT COUNT(*) FROM reception")),
        }


def _figures(row: dict[str, Any]) -> dict[str, int]:
    return {k: int(row[k]) for k in BUCKETS}


def _expected(counts: Counter[str]) -> dict[str, int]:
    return {k: counts[k] for k in BUCKETS}


async def test_the_province_and_its_activity_at_one_percent(
    sessionmaker: async_sessionmaker[AsyncSession], db_url: str, tmp_path: Path
) -> None:
    province: Province = generate(tmp_path / "province", SCALE, seed=3)
    await import_network(sessionmaker, tmp_path / "province", max_bytes=1 << 30)
    before = await _counts(sessionmaker)
    tallies: Tallies = await fill(
        db_url, opinions=OPINIONS, duty_days=DUTY_DAYS, receptions=RECEPTIONS, now=NOW, seed=3
    )
    after = await _counts(sessionmaker)

    # The network, as the generator counted it.
    assert before["stations"] == dict(province.stations)
    assert before["deputies"] == dict(province.deputies)
    assert before["constituents"] == province.constituents
    assert before["links"] == province.links
    assert after["constituents"] == province.constituents + 1  # the office's staff member the filler adds

    # The activity, as the filler counted it, in realistic shares.
    assert sum(after["states"].values()) == tallies.opinions == OPINIONS
    assert after["states"] == dict(tallies.states)
    assert after["actions"] == dict(tallies.actions)
    assert sum(after["actions"].values()) == tallies.events
    assert after["duty"] == tallies.duty_rows == DUTY_DAYS
    assert after["receptions"] == tallies.receptions_rows == RECEPTIONS
    states = tallies.states
    assert states["closed"] > 0.8 * OPINIONS
    for state in ("answered", "accepted", "routed", "reopened", "rejected", "duplicate"):
        assert states[state] > 0, state
    assert tallies.actions["warn"] > 0 and tallies.actions["auto_close"] > 0
    assert tallies.actions["confirm_dissatisfied"] > 0 and tallies.actions["transfer"] > 0

    # The statistics, all time and one month, against the filler's own tallies.
    async with sessionmaker() as s:
        stats = await compute_stats(s, None, None, ZONE)
    assert _figures(stats["totals"]) == _expected(tallies.opinion_figures())
    assert stats["totals"]["received"] == OPINIONS
    months = {row["key"]: _figures(row) for row in stats["by_month"]}
    assert months == {m: _expected(tallies.opinion_figures({m})) for m in {k for k, _ in tallies.buckets}}
    assert len(months) >= 24
    categories = {row["key"]: _figures(row) for row in stats["by_category"]}
    assert categories == {c: _expected(tallies.opinion_figures(category=c)) for _, c in tallies.buckets}
    diary = tallies.diary_figures()
    totals = stats["totals"]
    assert totals["duty_days"] == sum(tallies.checked_in.values())
    assert (totals["receptions"], totals["people_received"], totals["opinions_paper"]) == (
        diary["receptions"],
        diary["people"],
        diary["paper"],
    )
    assert (totals["home_visits"], totals["matters_registered"], totals["resolved_at_reception"]) == (
        diary["home_visits"],
        diary["matters"],
        diary["resolved"],
    )

    first = date(2026, 8, 1)
    month = month_of(first)
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    async with sessionmaker() as s:
        one = await compute_stats(s, first, last, ZONE)
    assert _figures(one["totals"]) == _expected(tallies.opinion_figures({month}))
    assert one["totals"]["received"] > 0
    assert one["totals"]["duty_days"] == tallies.checked_in[month]
    assert one["totals"]["receptions"] == tallies.diary_figures({month})["receptions"]
