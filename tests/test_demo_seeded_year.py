"""`liaison demo` on a fresh database seeds last year's suggestions (bot/suggestions/seed_year.py) once,
beside this year's playable handful: a restart on the same database leaves them as they are; Open311
serves them."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
from sqlalchemy import func, select

from bot.runtime.clock import ManualClock
from bot.runtime.demo import Demo
from bot.suggestions.seed_year import seed_year_for
from storage.models import Suggestion


def daytime() -> ManualClock:
    local = datetime.now(UTC).astimezone(ZoneInfo("Asia/Shanghai"))
    return ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)


async def numbers(demo: Demo, year: int) -> list[str]:
    async with demo.runtime.services.uow() as uow:
        rows = await uow.session.scalars(
            select(Suggestion.number).where(Suggestion.number.like(f"S-{year}-%")).order_by(Suggestion.id)
        )
        return [n for n in rows.all() if n]


async def test_a_fresh_demo_has_last_years_suggestions_once(tmp_path: Path) -> None:
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    clock = daytime()
    year = seed_year_for(clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date())
    # The stations' seeded years (bot/stats/seed_county.py) have public opinions Open311 would list too.
    async with Demo(port=0, database=database, clock=clock, keep_chats=False, seed_county=False) as demo:
        first = await numbers(demo, year)
        assert len(first) == 549 and first[0] == f"S-{year}-0001" and first[-1] == f"S-{year}-0549"
        async with demo.runtime.services.uow() as uow:
            a = await uow.session.scalar(select(func.count()).where(Suggestion.result_class == "A"))
        assert a == 358
        async with aiohttp.ClientSession() as http:
            query = f"start_date={year}-01-01&end_date={year}-03-31&page_size=100&lang=en"
            async with http.get(f"{demo.console_url}/open311/v2/requests.json?{query}") as resp:
                assert resp.status == 200
                listed = await resp.json()
        assert listed and all(item["service_code"].startswith("suggestion.") for item in listed)
    async with Demo(port=0, database=database, clock=daytime(), keep_chats=False, seed_county=False) as again:
        assert await numbers(again, year) == first  # not seeded twice
        async with again.runtime.services.uow() as uow:
            handful = await uow.session.scalar(
                select(func.count()).where(Suggestion.number.like(f"S-{year + 1}-%"))
            )
        assert handful and handful < 10  # this year's handful beside it (bot/suggestions/demo_seed.py)
