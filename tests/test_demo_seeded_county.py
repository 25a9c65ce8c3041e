"""`liaison demo` on a fresh database seeds three past years of the stations at work
(bot/stats/seed_county.py) once: the notes' magnitudes are in the statistics, and a restart on the same
database leaves them as they are."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from bot.runtime.clock import ManualClock
from bot.runtime.demo import Demo
from bot.stats.seed_county import seed_years_for
from bot.stats.service import compute_stats
from storage.models.opinions import Duty, Opinion


def daytime() -> ManualClock:
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


async def counts(demo: Demo) -> tuple[int, int]:
    async with demo.runtime.services.uow() as uow:
        duty = await uow.session.scalar(select(func.count()).select_from(Duty))
        opinions = await uow.session.scalar(select(func.count()).select_from(Opinion))
    return int(duty or 0), int(opinions or 0)


async def test_a_fresh_demo_has_three_years_of_the_stations_at_work_once(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    clock = daytime()
    years = seed_years_for(clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date())
    async with Demo(port=0, database=database, clock=clock, keep_chats=False, seed_year=False) as demo:
        first = await counts(demo)
        async with demo.runtime.services.uow() as uow:
            stations = (await compute_stats(uow.session, None, None, "Asia/Shanghai"))["stations"]
    totals = stations["totals"]
    assert (totals["duty_visits"], totals["visitors"]) == (4532, 11046)
    assert (totals["opinions_collected"], totals["problems_resolved"]) == (1209, 1462)
    assert [r["key"] for r in stations["by_year"]] == list(years)
    async with Demo(port=0, database=database, clock=daytime(), keep_chats=False, seed_year=False) as again:
        assert await counts(again) == first  # not seeded twice
