"""The console's duty roster page over HTTP, on SQLite and PostgreSQL: the month calendar of a station,
adding a day and a weekly pattern, removing a day, importing a sheet (all or nothing), the refusals, the
CSRF check and both languages. Sign-in is the real one (tests/test_console_suggestions.py's helpers).

The network is tests/data/network_e2e.yaml: V1 has D1 孙建国 and D2 Deputy Wu; D3 李秀英 serves at V2.
The clock stands at 10:00 Shanghai on Tuesday 10 March 2026.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.web import ROOT, make_console_app
from bot.network import import_network
from bot.opinions.sla import FixedClock
from bot.runtime.context import Services
from storage.models import AuditEntry, Deputy, Person, Role, Station
from storage.models.opinions import Duty
from storage.unit_of_work import UnitOfWork
from tests.test_console_suggestions import NETWORK, STAFF_TG, Console, Host, settings, sign_in

T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
Uow = Callable[[], UnitOfWork]


@pytest.fixture
async def ids(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> dict[str, int]:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=STAFF_TG))
        await u.people.grant(staff, Role.STAFF)
        deputies = await u.session.execute(
            select(Person.code, Deputy.id).join(Deputy, Deputy.person_id == Person.id)
        )
        stations = await u.session.execute(select(Station.code, Station.id))
        found = {**dict(deputies.all()), **dict(stations.all())}
        # One day already on the roster, checked in; one to remove.
        u.session.add(
            Duty(deputy_id=found["D2"], station_id=found["V1"], date=date(2026, 3, 10), checked_in_at=T0)
        )
        u.session.add(Duty(deputy_id=found["D1"], station_id=found["V1"], date=date(2026, 3, 12)))
        await u.commit()
    return found  # type: ignore[return-value]


async def open_console(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> AsyncIterator[Console]:
    clock = FixedClock(T0)
    services = Services(settings(), sessionmaker, clock=clock)
    app = web.Application()
    app.add_subapp(ROOT, make_console_app(Host(services)))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        yield Console(client, await sign_in(client, uow, clock, STAFF_TG))


@pytest.fixture
async def console(
    ids: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], uow: Uow
) -> AsyncIterator[Console]:
    async for signed_in in open_console(sessionmaker, uow):
        yield signed_in


async def roster(uow: Uow) -> set[tuple[str, date]]:
    async with uow() as u:
        rows = await u.session.execute(
            select(Person.code, Duty.date)
            .join(Deputy, Deputy.id == Duty.deputy_id)
            .join(Person, Person.id == Deputy.person_id)
        )
        return {(code, day) for code, day in rows.all()}


async def upload(console: Console, name: str, data: bytes, station: str = "V1") -> tuple[int, str, str]:
    form = aiohttp.FormData()
    for key, value in (("csrf", console.csrf), ("station", station), ("month", "2026-03")):
        form.add_field(key, value)
    form.add_field("sheet", data, filename=name, content_type="application/octet-stream")
    async with console.client.post(ROOT + "/duty/import", data=form, allow_redirects=False) as resp:
        return resp.status, resp.headers.get("Location", ""), await resp.text()


async def test_the_month_calendar_of_a_station(console: Console) -> None:
    status, page = await console.get("/duty?station=V1&month=2026-03")
    assert status == 200
    assert "丙村人大代表联络站" in page and "2026-03" in page and "值班排班" in page
    assert 'data-day="2026-03-10"' in page and 'data-day="2026-03-31"' in page
    # D2 checked in today: a ✅ and the time, no remove button; D1's coming day can be removed.
    today = page.split('data-day="2026-03-10"')[1].split("</td>")[0]
    assert "Deputy Wu" in today and "✅ 10:00" in today and "duty-remove" not in today
    coming = page.split('data-day="2026-03-12"')[1].split("</td>")[0]
    assert "孙建国" in coming and "duty-remove" in coming
    assert "李秀英" not in page.split('data-testid="duty-add"')[1]  # only V1's deputies to pick
    status, page = await console.get("/duty?station=NOPE")
    assert status == 200 and 'data-testid="unknown-station"' in page


async def test_add_a_day_and_a_weekly_pattern_then_remove_one(
    console: Console, ids: dict[str, int], uow: Uow
) -> None:
    form = {"station": "V1", "month": "2026-03", "deputy": str(ids["D1"])}
    status, location, _ = await console.post("/duty/add", {**form, "day": "2026-03-20"})
    assert status == 303 and location == f"{ROOT}/duty?station=V1&month=2026-03&done=added&n=1"
    status, location, _ = await console.post(
        "/duty/add",
        {**form, "deputy": str(ids["D2"]), "weekday": "4", "from": "2026-03-01", "to": "2026-03-31"},
    )
    assert status == 303 and location.endswith("done=added&n=3")  # Thursdays 12, 19, 26 (5 is past)
    assert await roster(uow) == {
        ("D2", date(2026, 3, 10)),
        ("D1", date(2026, 3, 12)),
        ("D1", date(2026, 3, 20)),
        ("D2", date(2026, 3, 12)),
        ("D2", date(2026, 3, 19)),
        ("D2", date(2026, 3, 26)),
    }
    _, page = await console.get(location.removeprefix(ROOT))
    assert "已添加值班日 3 天" in page
    async with uow() as u:
        duty = await u.duty.find(ids["D1"], ids["V1"], date(2026, 3, 20))
        assert duty is not None and duty.source == "console"
        added = (await u.session.scalars(select(AuditEntry).where(AuditEntry.action == "duty.added"))).all()
    assert len(added) == 2 and all(e.detail["source"] == "console" for e in added)
    status, location, _ = await console.post(
        "/duty/remove", {"station": "V1", "month": "2026-03", "duty": str(duty.id)}
    )
    assert status == 303 and location.endswith("done=removed")
    assert ("D1", date(2026, 3, 20)) not in await roster(uow)


async def test_refusals_are_said_and_audited(console: Console, ids: dict[str, int], uow: Uow) -> None:
    form = {"station": "V1", "month": "2026-03"}
    status, _, page = await console.post("/duty/add", {**form, "deputy": str(ids["D3"]), "day": "2026-03-20"})
    assert status == 400 and "该代表不属于本站" in page
    status, _, page = await console.post("/duty/add", {**form, "deputy": str(ids["D1"]), "day": "2026-03-09"})
    assert status == 400 and "该值班日已过" in page
    async with uow() as u:
        checked = await u.duty.find(ids["D2"], ids["V1"], date(2026, 3, 10))
    assert checked is not None
    status, _, page = await console.post("/duty/remove", {**form, "duty": str(checked.id)})
    assert status == 400 and "已经处理过" in page  # a checked-in day stays: it is a duty visit
    status, _, _ = await console.post("/duty/remove", [("csrf", "forged"), ("duty", str(checked.id))])
    assert status == 403
    async with uow() as u:
        reasons = [
            e.detail["reason"]
            for e in (
                await u.session.scalars(select(AuditEntry).where(AuditEntry.action == "duty.refused"))
            ).all()
        ]
    assert reasons == ["not_member", "day_passed", "stale_state"]
    assert len(await roster(uow)) == 2


async def test_a_sheet_is_imported_all_or_nothing(console: Console, uow: Uow) -> None:
    bad = "station,deputy,date\nV1,D1,2026-03-25\nV1,D3,2026-03-26\nV9,D1,2026-03-27\n"
    status, _, page = await upload(console, "roster.csv", bad.encode())
    assert status == 400 and 'data-testid="problems"' in page
    assert (
        "row 3 (V1, D3): D3 is not a deputy of V1" in page
        and "row 4 (V9, D1): unknown station &#39;V9&#39;" in page
    )
    assert len(await roster(uow)) == 2  # not even the good row
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["station", "deputy", "date", "weekday", "from", "to"])
    sheet.append(["V1", "D1", date(2026, 3, 25), None, None, None])
    sheet.append(["V1", "D2", None, 1, "2026-03-01", "2026-03-31"])  # Mondays: 16, 23, 30
    buffer = io.BytesIO()
    book.save(buffer)
    status, location, _ = await upload(console, "roster.xlsx", buffer.getvalue())
    assert status == 303 and location.endswith("done=added&n=4")
    assert {("D1", date(2026, 3, 25)), ("D2", date(2026, 3, 16)), ("D2", date(2026, 3, 30))} <= await roster(
        uow
    )


@pytest.mark.parametrize("language", ["en"])
async def test_the_page_in_english(
    ids: dict[str, int], sessionmaker: async_sessionmaker[AsyncSession], uow: Uow, language: str
) -> None:
    async with uow() as u:
        staff = await u.people.by_telegram_id(STAFF_TG)
        assert staff is not None
        staff.language = language
        await u.commit()
    async for console in open_console(sessionmaker, uow):
        status, page = await console.get("/duty?station=V1&month=2026-03")
        assert (
            status == 200
            and "Duty rosters" in page
            and "Add every week" in page
            and "Import a roster sheet" in page
        )
        assert "<th>Tue</th>" in page and "weekday: " not in page  # labels, not their ids
