"""The seeded year's suggestion figures agree everywhere: `liaison stats --json` (a process of its own),
/stats in chat (through the sandbox), the console's statistics page and yearly report (real HTTP, the
page parsed) and its XLSX — and all of them with a count made here, in plain Python, over the rows.

The world: the example network (bot/data/network.yaml, as `liaison demo` has it) and the year 2025
seeded by `bot.suggestions.seed_year` (549 suggestions, all answered, 358 A), the clock at 10:00 on
1 March 2026 in Shanghai. User 900001 is admin and staff.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.network import EXAMPLE_NETWORK, import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.runtime.web import WebServer, serve_web
from bot.sandbox import Sandbox
from bot.suggestions.seed_year import seed_year
from storage.models import (
    AuditEntry,
    SpecialCommittee,
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionEvent,
    Unit,
)
from tests.conftest import ROOT
from tests.e2e.test_console_e2e import sign_in
from tests.kit import SandboxUser, runtime_probe, watching
from tests.reliability.helpers import free_port

Make = Callable[..., SandboxUser]
SHANGHAI = ZoneInfo("Asia/Shanghai")
STAFF_ID = 900001
STAGES = ("before", "during", "after")


@pytest.fixture
def clock() -> ManualClock:
    target = datetime(2026, 3, 1, 10, tzinfo=SHANGHAI)
    return ManualClock(target - datetime.now(UTC))


@dataclass
class Stack:
    runtime: Runtime
    site: WebServer
    base: str
    db_url: str


@pytest.fixture
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[Stack]:
    """The bot, the example network and the seeded year 2025, its web server (console) on a free port."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids=str(STAFF_ID),
        webhook_url="",
        webhook_secret="",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        console_base_url=base,
        timezone="Asia/Shanghai",
    )
    runtime = Runtime(
        settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=5, digest_every=0
    )
    await runtime.start()
    site: WebServer | None = None
    try:
        await import_network(runtime.services.sessionmaker, EXAMPLE_NETWORK)
        async with runtime.services.uow() as uow:
            seeded = await seed_year(uow, 2025, clock.now())
            await uow.commit()
        assert (seeded.suggestions, seeded.answered, seeded.class_a) == (549, 549, 358)
        site = await serve_web(runtime, settings)
        with watching(sandbox, runtime_probe(runtime)):
            yield Stack(runtime, site, base, db_url)
    finally:
        if site is not None:
            await site.stop()
        await runtime.stop()


# -- the count made here -------------------------------------------------------------------------------


def pct(count: int, total: int) -> str:
    """A share as the reports show it, computed here: two places, half up."""
    if not total:
        return "-"
    value = (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value}%"


@dataclass
class Tally:
    filed: int = 0
    answered: int = 0
    classes: Counter[str] = field(default_factory=Counter)
    on_time: int = 0
    ratings: Counter[str] = field(default_factory=Counter)
    ever_dissatisfied: int = 0
    rehandled: int = 0
    closed: int = 0
    contacts: Counter[str] = field(default_factory=Counter)

    @property
    def rated(self) -> int:
        return sum(self.ratings.values())

    def a_share(self) -> str:
        return pct(self.classes["A"], self.answered)

    def on_time_rate(self) -> str:
        return pct(self.on_time, self.answered)

    def satisfied_or_basic(self) -> str:
        return pct(self.ratings["satisfied"] + self.ratings["basic"], self.rated)


@dataclass
class Counted:
    total: Tally
    by_unit: dict[str, Tally]
    by_committee: dict[str, Tally]
    session_days: int  # filed during the session, 8–12 January 2025 (local days)


async def count_here(runtime: Runtime) -> Counted:
    """The figures from the rows: answers, contacts and the ledger; not the summary columns figures read."""
    async with runtime.services.uow() as uow:
        s = uow.session
        rows = (await s.execute(select(Suggestion).where(Suggestion.number.is_not(None)))).scalars().all()
        answers = (await s.execute(select(SuggestionAnswer).order_by(SuggestionAnswer.round))).scalars().all()
        contacts = (await s.execute(select(SuggestionContact))).scalars().all()
        closings = set(
            (
                await s.scalars(
                    select(SuggestionEvent.suggestion_id).where(
                        SuggestionEvent.action.in_(["rate_satisfied", "rate_basic", "close"])
                    )
                )
            ).all()
        )
        units = dict((await s.execute(select(Unit.id, Unit.name))).all())  # type: ignore[arg-type]
        committees = dict((await s.execute(select(SpecialCommittee.id, SpecialCommittee.name))).all())  # type: ignore[arg-type]
    by_suggestion: dict[int, list[SuggestionAnswer]] = defaultdict(list)
    for a in answers:
        by_suggestion[a.suggestion_id].append(a)
    confirmed: dict[int, set[str]] = defaultdict(set)
    for c in contacts:
        if c.verdict == "confirmed":
            confirmed[c.suggestion_id].add(c.stage)
    total, by_unit, by_committee = Tally(), defaultdict(Tally), defaultdict(Tally)
    session_days = 0
    for row in rows:
        assert row.filed_at is not None
        if date(2025, 1, 8) <= row.filed_at.astimezone(SHANGHAI).date() <= date(2025, 1, 12):
            session_days += 1
        rounds = by_suggestion[row.id]
        tallies = [total, by_unit[units[row.lead_unit_id]], by_committee[committees[row.committee_id]]]
        for t in tallies:
            t.filed += 1
            if rounds:
                first, last = rounds[0], rounds[-1]
                t.answered += 1
                t.classes[last.result_class] += 1
                t.on_time += first.answered_at.astimezone(SHANGHAI).date() <= first.due_on
                rated = [a.rating for a in rounds if a.rating]
                if rated:
                    t.ratings[rated[-1]] += 1
                t.ever_dissatisfied += "dissatisfied" in rated
                t.rehandled += len(rounds) > 1
                stages = confirmed[row.id]
                for stage in STAGES:
                    t.contacts[stage] += stage in stages
                t.contacts["all"] += set(STAGES) <= stages
            t.closed += row.id in closings
    return Counted(total, dict(by_unit), dict(by_committee), session_days)


# -- reading the surfaces ------------------------------------------------------------------------------


async def liaison_stats(db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """`liaison stats --database URL ARGS` in a process of its own (the congress's zone as the settings')."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "BOT_"))}
    env["TIMEZONE"] = "Asia/Shanghai"
    argv = [sys.executable, "-m", "bot.runtime.cli", "stats", "--database", db_url, *args]
    done = await asyncio.to_thread(
        subprocess.run, argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


async def cli_json(db_url: str, *args: str) -> dict[str, Any]:
    return json.loads((await liaison_stats(db_url, "--json", *args)).stdout)


class Page(HTMLParser):
    """The text of every element with a data-testid, and every table's rows of cell texts."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.texts: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._open: list[tuple[str, str | None, list[str]]] = []
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        testid = dict(attrs).get("data-testid")
        if tag in ("br", "input", "link", "meta", "img"):
            return
        self._open.append((tag, testid, []))
        if tag == "table" and testid:
            self._table = testid
            self.tables[testid] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None
        while self._open:
            name, testid, parts = self._open.pop()
            if testid:
                self.texts[testid] = " ".join("".join(parts).split())
            if self._open:
                self._open[-1][2].extend(parts)
            if name == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._open:
            self._open[-1][2].append(data)
        if self._cell is not None:
            self._cell.append(data)

    def rows(self, testid: str) -> dict[str, list[str]]:
        """A table's body rows by their first cell (the header row left out)."""
        return {r[0]: r for r in self.tables[testid][1:]}


async def page(http: aiohttp.ClientSession, url: str) -> Page:
    async with http.get(url) as resp:
        assert resp.status == 200, url
        return Page(await resp.text())


def unit_line(name: str, t: Tally) -> str:
    return (
        f"{name}: answered {t.answered}, A-share {t.a_share()}, on time {t.on_time_rate()}, "
        f"satisfied or basically {t.satisfied_or_basic()}"
    )


def assert_json_row(row: dict[str, Any], t: Tally) -> None:
    assert (row["filed"], row["answered"], row["class_a"], row["class_b"], row["class_c"]) == (
        t.filed,
        t.answered,
        t.classes["A"],
        t.classes["B"],
        t.classes["C"],
    )
    assert (row["on_time"], row["rated"], row["satisfied"], row["basic"], row["dissatisfied"]) == (
        t.on_time,
        t.rated,
        t.ratings["satisfied"],
        t.ratings["basic"],
        t.ratings["dissatisfied"],
    )
    assert (row["ever_dissatisfied"], row["rehandled"], row["closed"]) == (
        t.ever_dissatisfied,
        t.rehandled,
        t.closed,
    )
    assert [row[f"contact_{s}"] for s in (*STAGES, "all")] == [t.contacts[s] for s in (*STAGES, "all")]
    assert f"{row['a_share']['percent']:.2f}%" == t.a_share()
    assert f"{row['on_time_rate']['percent']:.2f}%" == t.on_time_rate()


async def login_link(staff: SandboxUser) -> str:
    await staff.command("console")
    reply = await staff.receives(containing="/console/login/")
    found = re.search(r"http://127\.0\.0\.1:\d+/console/login/[A-Za-z0-9_-]+", reply["text"])
    assert found is not None, reply["text"]
    return found.group(0)


def assert_busiest(lines: list[str], tallies: dict[str, Tally]) -> None:
    """The chat's top lines: each as counted here, the most filed shown, the rest said to be on the console."""
    shown = [line for line in lines if not line.startswith("…")]
    names = [line.split(":")[0] for line in shown]
    assert len(shown) == 5 and lines[-1] == f"… and {len(tallies) - 5} more: see the web console."
    assert shown == [unit_line(name, tallies[name]) for name in names]
    filed = [tallies[n].filed for n in names]
    assert filed == sorted(filed, reverse=True)
    assert min(filed) >= max(t.filed for n, t in tallies.items() if n not in names)


# -- the test ------------------------------------------------------------------------------------------


async def test_the_seeded_year_agrees_everywhere(stack: Stack, people: Make, tmp_path: Path) -> None:
    here = await count_here(stack.runtime)
    t = here.total
    # The notes' scale, counted here: 549 filed and answered, 358 A, shown as 65.21% (65.22% is the target).
    assert (t.filed, t.answered, t.classes["A"]) == (549, 549, 358)
    assert t.a_share() == "65.21%"
    assert 0 < t.on_time < t.answered and t.rehandled > 0 and t.ever_dissatisfied >= t.rehandled
    assert set(t.ratings) == {"satisfied", "basic", "dissatisfied"}
    assert len(here.by_unit) > 5 and len(here.by_committee) > 5

    # `liaison stats --json`, a process of its own on the same database.
    data = (await cli_json(stack.db_url))["suggestions"]
    assert data["totals"]["a_share"] == {"count": 358, "total": 549, "fraction": "358/549", "percent": 65.21}
    assert_json_row(data["totals"], t)
    assert {r["name"] for r in data["by_unit"]} == set(here.by_unit)
    for row in data["by_unit"]:
        assert_json_row(row, here.by_unit[row["name"]])
    for row in data["by_committee"]:
        assert_json_row(row, here.by_committee[row["name"]])
    session = (await cli_json(stack.db_url, "--from", "2025-01-08", "--to", "2025-01-12"))["suggestions"]
    assert session["totals"]["filed"] == here.session_days > 300
    assert [r["key"] for r in session["by_series"]] == ["16-4"]

    # /stats in chat, through the sandbox: the totals and the busiest units and committees.
    staff = people(STAFF_ID, "Office", "en")
    await staff.command("stats")
    text = (await staff.receives(containing="Deputies' suggestions"))["text"]
    assert len(text.encode("utf-16-le")) // 2 <= 4096
    assert f"Filed {t.filed}, assigned {t.filed}, answered {t.answered}, closed {t.closed}" in text
    assert (
        f"Results: A {t.classes['A']}, B {t.classes['B']}, C {t.classes['C']}; A-share 65.21% (358 of 549)"
        in text
    )
    assert f"First answer on time: {t.on_time} of {t.answered} ({t.on_time_rate()})" in text
    assert f"Dissatisfied at least once: {t.ever_dissatisfied}; re-handled: {t.rehandled}" in text
    assert_busiest(text.split("By lead unit:\n")[1].split("\n\n")[0].splitlines(), here.by_unit)
    assert_busiest(text.split("By supervising committee:\n")[1].splitlines(), here.by_committee)
    await staff.command("stats", "2025-01-08 2025-01-12")
    days = (await staff.receives(containing="Statistics 2025-01-08 – 2025-01-12"))["text"]
    assert f"Filed {here.session_days}," in days and "Session 16-4: filed" in days

    # The console: the statistics page and the yearly report, parsed.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        for path in (
            "/console/stats/suggestions?year=2025",
            "/console/stats/suggestions?year=2025&format=xlsx",
        ):
            async with http.get(stack.base + path, allow_redirects=False) as resp:
                assert resp.status == 303 and resp.headers["Location"].startswith("/console/welcome")
        await sign_in(http, await login_link(staff))
        stats = await page(http, f"{stack.base}/console/stats")
        assert stats.texts["sg-a-share-value"] == "65.21%" and stats.texts["sg-class-a"] == "358"
        assert stats.texts["sg-on-time-value"] == t.on_time_rate()
        assert stats.texts["sg-on-time-count"] == str(t.on_time)
        assert stats.texts["sg-satisfaction-value"] == t.satisfied_or_basic()
        assert stats.texts["sg-rehandled"] == str(t.rehandled)
        assert stats.texts["sg-contacts-value"] == pct(t.contacts["all"], t.answered)
        for testid, tallies in (
            ("sg-table-by_unit", here.by_unit),
            ("sg-table-by_committee", here.by_committee),
        ):
            shown = stats.rows(testid)
            assert set(shown) == set(tallies)
            for name, cells in shown.items():
                u = tallies[name]
                # Name, filed, answered, A, B, C, A-share, on time, on-time rate, rated, satisfied, basic,
                # dissatisfied, satisfied or basically, ever dissatisfied, re-handled, closed, contacts…
                assert cells[1:17] == [
                    str(u.filed),
                    str(u.answered),
                    str(u.classes["A"]),
                    str(u.classes["B"]),
                    str(u.classes["C"]),
                    u.a_share(),
                    str(u.on_time),
                    u.on_time_rate(),
                    str(u.rated),
                    str(u.ratings["satisfied"]),
                    str(u.ratings["basic"]),
                    str(u.ratings["dissatisfied"]),
                    u.satisfied_or_basic(),
                    str(u.ever_dissatisfied),
                    str(u.rehandled),
                    str(u.closed),
                ], name
        dashboard = await page(http, f"{stack.base}/console/")
        assert dashboard.texts["sg-a-share-value"] == "65.21%"
        report = await page(http, f"{stack.base}/console/stats/suggestions?year=2025")
        assert report.texts["report-title"] == "Suggestions handled in 2025"
        assert report.texts["sg-a-share-value"] == "65.21%"
        assert report.rows("sg-table-by_unit") == stats.rows("sg-table-by_unit")
        name, tally = max(here.by_unit.items(), key=lambda kv: kv[1].filed)
        code = next(r["code"] for r in data["by_unit"] if r["name"] == name)
        one = await page(http, f"{stack.base}/console/stats/suggestions?year=2025&unit={code}")
        assert one.texts["report-title"] == f"Suggestions handled in 2025: {name}"
        assert one.texts["sg-a-share-value"] == tally.a_share()
        assert len(one.tables["sg-table-suggestions"]) - 1 == tally.filed
        async with http.get(f"{stack.base}/console/stats/suggestions?year=2025&format=xlsx") as resp:
            assert resp.status == 200
            book = load_workbook(io.BytesIO(await resp.read()))
    async with stack.runtime.services.uow() as uow:
        exports = await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == "console.export"))
        assert [(e.detail["list"], e.actor_telegram_id) for e in exports] == [("suggestion_report", STAFF_ID)]
    totals = {row[0]: row for row in book.worksheets[0].iter_rows(min_row=5, values_only=True)}
    assert totals["Class A"][1:] == (358, 0.6521)
    assert totals["First answer on time"][1] == t.on_time

    # `liaison stats --suggestions-report 2025 --xlsx`: the same workbook from the command line.
    path = tmp_path / "report.xlsx"
    done = await liaison_stats(
        stack.db_url, "--suggestions-report", "2025", "--xlsx", str(path), "--lang", "en"
    )
    assert re.search(r"5 sheets, \d+ rows written", done.stdout)
    cli_book = load_workbook(path)
    assert [ws.title for ws in cli_book.worksheets] == [ws.title for ws in book.worksheets]
    for ours, theirs in zip(cli_book.worksheets, book.worksheets, strict=True):
        assert list(ours.iter_rows(values_only=True)) == list(theirs.iter_rows(values_only=True))
