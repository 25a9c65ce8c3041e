"""The stations' figures over the seeded three-year county (bot/stats/seed_county.py on the example
network), end to end: `liaison stats --json --deputies all`, /stats in chat (the 🏠 Stations view,
through the sandbox) and the console's statistics page (HTTP GET, its tables parsed; and its XLSX)
agree with each other and with an independent count in plain Python over the rows — on SQLite and
PostgreSQL. A press on the view by anyone but staff, or with a forged view, is refused and audited.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.console.reads.base import PAGE_SIZE
from bot.kit.i18n import translator
from bot.kit.text_limits import MESSAGE_LIMIT, visible_len
from bot.network import EXAMPLE_NETWORK, import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.runtime.web import WebServer, serve_web
from bot.sandbox import Sandbox
from bot.stats.seed_county import TARGETS, CountySummary, seed_county, seed_years_for
from bot.stats.station_texts import row_name
from bot.stats.stations import FIELD_LABELS, FIELDS
from storage.models import AuditEntry, Deputy, Person, Station
from storage.models.opinions import Duty, Opinion
from storage.models.receptions import Reception, ReceptionMatter, ReceptionVisitor
from tests.conftest import ROOT
from tests.e2e.test_console_e2e import LINK, sign_in
from tests.kit import SandboxUser, runtime_probe, watching
from tests.reliability.helpers import free_port

Make = Callable[..., SandboxUser]
STAFF = 900001
ZONE = ZoneInfo("Asia/Shanghai")
SECTIONS = ("by_year", "by_township", "by_station", "by_deputy")


@dataclass
class County:
    runtime: Runtime
    site: WebServer
    base: str
    db_url: str
    summary: CountySummary


@pytest.fixture
async def county(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[County]:
    """The bot on the example network with the three seeded years, and its web server (the console)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids=str(STAFF),
        webhook_url="",
        webhook_secret="",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        console_base_url=base,
    )
    runtime = Runtime(
        settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=5, digest_every=0
    )
    await runtime.start()
    site = None
    try:
        await import_network(runtime.services.sessionmaker, EXAMPLE_NETWORK)
        now = clock.now()
        async with runtime.services.uow() as uow:
            summary = await seed_county(
                uow, seed_years_for(now.astimezone(ZONE).date()), now, policy=runtime.services.policy
            )
            await uow.commit()
        site = await serve_web(runtime, settings)
        with watching(sandbox, runtime_probe(runtime)):
            yield County(runtime, site, base, db_url, summary)
    finally:
        if site is not None:
            await site.stop()
        await runtime.stop()


# -- the independent count ---------------------------------------------------------------------------


def _blank() -> dict[str, int]:
    return dict.fromkeys(FIELDS, 0)


async def counted(runtime: Runtime) -> dict[str, Any]:
    """Every figure counted again in plain Python over the rows, from the definitions' words."""
    async with runtime.services.uow() as uow:
        s = uow.session
        stations = {
            r.id: r for r in (await s.execute(select(Station.id, Station.kind, Station.parent_id))).all()
        }
        duty = (await s.execute(select(Duty.deputy_id, Duty.station_id, Duty.date, Duty.checked_in_at))).all()
        entries = (
            await s.execute(
                select(
                    Reception.id,
                    Reception.deputy_id,
                    Reception.station_id,
                    Reception.kind,
                    Reception.day,
                    Reception.legacy,
                    Reception.people,
                    Reception.deleted_at,
                )
            )
        ).all()
        visitors = (await s.scalars(select(ReceptionVisitor.reception_id))).all()
        matters = (await s.execute(select(ReceptionMatter.reception_id, ReceptionMatter.outcome))).all()
        opinions = (
            await s.execute(
                select(
                    Opinion.holder_deputy_id,
                    Opinion.station_id,
                    Opinion.created_at,
                    Opinion.source,
                    Opinion.state,
                    Opinion.satisfaction,
                )
            )
        ).all()

    def township(station_id: int | None) -> int | None:
        seen = 0
        while station_id is not None and seen < 10:
            if stations[station_id].kind == "township":
                return station_id
            station_id, seen = stations[station_id].parent_id, seen + 1
        return None

    sections: dict[str, dict[Any, dict[str, int]]] = {k: defaultdict(_blank) for k in ("total", *SECTIONS)}

    def add(deputy: int | None, station: int | None, year: int, **counts: int) -> None:
        for section, key in (
            ("total", None),
            ("by_deputy", deputy),
            ("by_station", station),
            ("by_township", township(station)),
            ("by_year", year),
        ):
            row = sections[section][key]
            for field, n in counts.items():
                row[field] += n

    for deputy_id, station_id, day, checked_in in duty:
        if checked_in is not None:
            add(deputy_id, station_id, day.year, duty_visits=1)
    people = defaultdict(int)
    for reception_id in visitors:
        people[reception_id] += 1
    outcomes: dict[int, list[str]] = defaultdict(list)
    for reception_id, outcome in matters:
        outcomes[reception_id].append(outcome)
    for e in entries:
        if e.deleted_at is not None:
            continue
        if e.legacy:
            add(e.deputy_id, e.station_id, e.day.year, receptions=1, visitors=e.people or 0)
            continue
        if not people[e.id]:
            continue
        resolved = outcomes[e.id].count("resolved")
        routed = outcomes[e.id].count("routed")
        add(
            e.deputy_id,
            e.station_id,
            e.day.year,
            receptions=int(e.kind == "station"),
            home_visits=int(e.kind == "home_visit"),
            visitors=people[e.id],
            matters_registered=resolved + routed,
            resolved_at_reception=resolved,
            matters_routed=routed,
            problems_resolved=resolved,
        )
    for o in opinions:
        from_reception = o.source in ("station_reception", "home_visit")
        resolved = o.state == "closed" and o.satisfaction in ("satisfied", "basic")
        add(
            o.holder_deputy_id,
            o.station_id,
            o.created_at.astimezone(ZONE).year,
            opinions_collected=1,
            opinions_from_receptions=int(from_reception),
            opinions_direct=int(not from_reception),
            opinions_resolved=int(resolved),
            problems_resolved=int(resolved),
        )
    return {k: dict(v) for k, v in sections.items()}


async def liaison_stats(db_url: str) -> dict[str, Any]:
    """`liaison stats --json --deputies all` in a process of its own, on the same database."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.runtime.cli",
        "stats",
        "--json",
        "--deputies",
        "all",
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": db_url, "TIMEZONE": "Asia/Shanghai"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode == 0, err.decode()
    return dict(json.loads(out)["stations"])


def figures(row: dict[str, Any]) -> dict[str, int]:
    return {k: row[k] for k in FIELDS}


# -- reading the chat and the console --------------------------------------------------------------

NUMBER = re.compile(r"\d+")


def chat_totals(text: str) -> dict[str, int]:
    """The totals from the view's first lines (the English texts of bot/stats/station_texts.py)."""
    lines = text.splitlines()
    visits = NUMBER.findall(lines[1])
    visitors, receptions, home = map(int, NUMBER.findall(lines[2]))
    matters, resolved, routed = map(int, NUMBER.findall(lines[3]))
    opinions, from_receptions, direct, opinions_resolved = map(int, NUMBER.findall(lines[4]))
    (problems,) = map(int, NUMBER.findall(lines[5]))
    return {
        "duty_visits": int(visits[0]),
        "receptions": receptions,
        "home_visits": home,
        "visitors": visitors,
        "matters_registered": matters,
        "resolved_at_reception": resolved,
        "matters_routed": routed,
        "opinions_collected": opinions,
        "opinions_from_receptions": from_receptions,
        "opinions_direct": direct,
        "opinions_resolved": opinions_resolved,
        "problems_resolved": problems,
    }


ROW = re.compile(
    r"^(?P<name>.+): duty visits (?P<v>\d+), visitors (?P<p>\d+), opinions (?P<o>\d+), problems resolved (?P<r>\d+)$"
)


def chat_sections(text: str) -> dict[str, list[tuple[str, int, int, int, int]]]:
    """Each section's rows as (name, duty visits, visitors, opinions, problems resolved)."""
    heads = {
        "By year:": "by_year",
        "By township:": "by_township",
        "By station:": "by_station",
        "By deputy:": "by_deputy",
    }
    out: dict[str, list[tuple[str, int, int, int, int]]] = {}
    section = None
    for line in text.splitlines():
        bare = re.sub(r"<[^>]+>", "", line)
        if bare in heads:
            section = heads[bare]
            out[section] = []
        elif section and (m := ROW.match(bare)):
            out[section].append((m["name"], int(m["v"]), int(m["p"]), int(m["o"]), int(m["r"])))
    return out


class Tables(HTMLParser):
    """The cells of each `data-testid="stations-table"` table, row by row."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self._in = False
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table" and ("data-testid", "stations-table") in attrs:
            self._in = True
            self.tables.append([])
        elif self._in and tag == "tr":
            self.tables[-1].append([])
        elif self._in and tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._in = False
        elif self._in and tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


async def login_link(staff: SandboxUser) -> str:
    """/console in chat (in the staff member's language): the one-time login link."""
    await staff.command("console")
    found = LINK.search((await staff.receives(containing="/console/login/"))["text"])
    assert found
    return found.group(1)


async def console_tables(http: aiohttp.ClientSession, base: str, query: str = "") -> list[list[list[str]]]:
    async with http.get(f"{base}/console/stats{query}") as resp:
        assert resp.status == 200
        parser = Tables()
        parser.feed(await resp.text())
    return parser.tables


def check_console(
    tables: list[list[list[str]]], stations: dict[str, Any], locale: str, deputies_page: int = 1
) -> None:
    """The page's five tables say what the JSON says, in the reader's language; the deputies a page of
    PAGE_SIZE at a time (`deputies_page`), every one in the download."""
    tr = translator(locale)
    assert len(tables) == 5
    totals = {row[0]: int(row[1]) for row in tables[0][1:]}
    assert totals == {tr(FIELD_LABELS[k]): stations["totals"][k] for k in FIELDS}
    for table, section in zip(tables[1:], SECTIONS, strict=True):
        assert table[0] == [tr("Name"), tr("Code"), *(tr(FIELD_LABELS[k]) for k in FIELDS)]
        want = [
            [row_name(section, r, tr), r["code"] or "", *(str(r[k]) for k in FIELDS)]
            for r in stations[section]
        ]
        if section == "by_deputy":
            want = want[(deputies_page - 1) * PAGE_SIZE : deputies_page * PAGE_SIZE]
        assert table[1:] == want, section


# -- the tests -------------------------------------------------------------------------------------


async def test_the_three_views_agree_with_an_independent_count(
    county: County, people: Make, sandbox: Sandbox
) -> None:
    # The seed met the notes' magnitudes (exactly its targets).
    s = county.summary
    assert (s.duty_visits, s.visitors, s.opinions, s.problems_resolved) == (
        TARGETS.duty_visits,
        TARGETS.visitors,
        TARGETS.opinions,
        TARGETS.problems_resolved,
    )
    assert 4500 < s.duty_visits < 4600 and 11000 < s.visitors < 12000
    assert (s.opinions, s.problems_resolved) == (1209, 1462)

    # 1. `liaison stats --json --deputies all` against the count in plain Python over the rows.
    stations = await liaison_stats(county.db_url)
    independent = await counted(county.runtime)
    assert stations["totals"] == independent["total"][None]
    assert stations["totals"]["duty_visits"] == s.duty_visits and stations["totals"]["visitors"] == s.visitors
    assert (
        stations["totals"]["opinions_collected"] == 1209 and stations["totals"]["problems_resolved"] == 1462
    )
    for section in SECTIONS:
        got = {r["key"]: figures(r) for r in stations[section]}
        assert got == independent[section], section
    assert [r["key"] for r in stations["by_year"]] == list(s.years)
    assert stations["deputies"]["shown"] == stations["deputies"]["of"] == len(stations["by_deputy"]) > 200
    names = {r["code"]: r["name"] for r in stations["by_deputy"] if r["code"]}
    async with county.runtime.services.uow() as uow:
        expected = dict(
            (
                await uow.session.execute(
                    select(Person.code, Person.name).join(Deputy, Deputy.person_id == Person.id)
                )
            ).all()
        )
    assert names.items() <= expected.items()

    # 2. /stats in chat: the 🏠 Stations view, its numbers read back.
    staff = people(STAFF, "Office", "en")
    await staff.command("stats")
    await staff.receives(containing="Statistics, all time")
    await staff.press("🏠 Stations")
    view = await staff.receives(containing="stations at work")
    text = view["text"]
    assert view["edited"] and visible_len(text) <= MESSAGE_LIMIT
    assert text.splitlines()[0] == "Statistics, all time: stations at work"
    assert chat_totals(text) == stations["totals"]
    shown = chat_sections(text)
    tr = translator("en")
    for section in SECTIONS:
        rows = stations[section][: len(shown[section])]
        assert shown[section] == [
            (
                row_name(section, r, tr),
                r["duty_visits"],
                r["visitors"],
                r["opinions_collected"],
                r["problems_resolved"],
            )
            for r in rows
        ], section
    assert len(shown["by_year"]) == 3 and all(len(shown[k]) >= 3 for k in SECTIONS[1:])
    assert [b["text"] for b in view["reply_markup"]["inline_keyboard"][2]] == ["📊 Summary", "📅 By month"]
    await staff.press("This year")  # the view stays: this year has no seeded work
    this_year = await staff.receives(containing="stations at work")
    assert "Duty visits (check-ins): 0" in this_year["text"]

    # 3. The console's statistics page in English, then in Chinese, and its workbook.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        csrf = await sign_in(http, await login_link(staff))
        check_console(await console_tables(http, county.base), stations, "en")
        assert len(stations["by_deputy"]) > PAGE_SIZE  # so the deputies come a page at a time
        second = await console_tables(http, county.base, "?workers_page=2")
        check_console(second, stations, "en", deputies_page=2)
        async with http.post(
            f"{county.base}/console/language",
            data={"csrf": csrf, "locale": "zh_Hans", "next": "/console/stats"},
            allow_redirects=False,
        ) as resp:
            assert resp.status == 303
        check_console(await console_tables(http, county.base), stations, "zh_Hans")
        async with http.get(f"{county.base}/console/stats?format=xlsx") as resp:
            book = load_workbook(io.BytesIO(await resp.read()))
    sheet = book["联络站履职"]
    totals = {r[0]: r[1] for r in sheet.iter_rows(min_row=2, values_only=True)}
    zh = translator("zh_Hans")
    assert totals == {zh(FIELD_LABELS[k]): stations["totals"][k] for k in FIELDS}
    by_year = list(book["联络站履职（按年度）"].iter_rows(min_row=2, values_only=True))
    assert [(r[0], r[-1]) for r in by_year] == [
        (str(r["key"]), r["problems_resolved"]) for r in stations["by_year"]
    ]
    assert book["联络站履职（按代表）"].max_row == len(stations["by_deputy"]) + 1


async def test_the_stations_view_refuses_whoever_is_not_staff_and_forged_views(
    county: County, people: Make
) -> None:
    constituent = people(2000001, "赵金光")  # C0001 of the example network
    await constituent.command("stats")
    await constituent.receives(containing="抱歉，统计数据仅供人大工作人员查看")
    answer = await (await constituent.press(data="stat:all:t", forge=True)).answer()
    assert answer["show_alert"] and answer["text"] == "抱歉，统计数据仅供人大工作人员查看。"
    deputy = people(1000001, "王玉")  # D0001, a deputy: not staff either
    await deputy.command("stats")
    await deputy.receives(containing="抱歉，统计数据仅供人大工作人员查看")
    answer = await (await deputy.press(data="stat:ty:t", forge=True)).answer()
    assert answer["show_alert"] and "仅供人大工作人员" in answer["text"]
    staff = people(STAFF, "Office", "en")
    await staff.command("stats")
    await staff.receives(containing="Statistics, all time")
    answer = await (await staff.press(data="stat:all:z", forge=True)).answer()
    assert answer["show_alert"] and answer["text"] == "This button is no longer valid."
    await constituent.receives_nothing()
    async with county.runtime.services.uow() as uow:
        refused = (
            await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "stats.refused"))
        ).all()
    presses = [e for e in refused if e.detail.get("reason")]  # the typed /stats name no reason
    assert [(e.actor_telegram_id, e.allowed, e.detail["reason"]) for e in presses] == [
        (2000001, False, "not_staff"),
        (1000001, False, "not_staff"),
        (STAFF, False, "malformed"),
    ]
    assert [e.detail.get("data") for e in presses[:2]] == ["stat:all:t", "stat:ty:t"]
