"""The console's suggestion pages over HTTP, on SQLite and PostgreSQL: the list's filters, counts, colours
and paging; one suggestion with its ledger, 三见面, co-unit opinions and answers; the 交办 forms (return,
prepare, publish at the 交办会) with their refusals and CSRF; the exports; and no constituent's name,
phone or text on any page or in any file.

The console runs as `bot.console.web.make_console_app` serves it, in an aiohttp test server; sign-in is
the real one (a link issued as /console issues it, then the page's GET and POST). The data is the e2e
network (tests/data/network_e2e.yaml: D1 孙建国, D2 Deputy Wu, D3 李秀英; C1 周小梅 linked to D1; the
transport committee TRAF), with three units and their officers added here; suggestions in later states
are seeded as rows, the ones the forms act on are filed through the service. The clock stands at 10:00
Shanghai on 10 March 2026.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.auth import ConsoleAuth, Issued
from bot.console.web import ROOT, make_console_app
from bot.network import dump_yaml, import_network
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock, SlaPolicy
from bot.runtime.context import Services
from bot.runtime.settings import load_settings
from bot.suggestions.assign import AssignmentService
from bot.suggestions.service import Draft
from storage.models import (
    AuditEntry,
    OutboxMessage,
    Person,
    PersonRole,
    Role,
    SpecialCommitteeMember,
    Unit,
    UnitCategory,
)
from storage.models.suggestions import (
    Suggestion,
    SuggestionAnswer,
    SuggestionContact,
    SuggestionEvent,
    SuggestionState,
    SuggestionUnitOpinion,
)
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT as REPO

NETWORK = REPO / "tests" / "data" / "network_e2e.yaml"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
STAFF_TG, LEAD_TG, CO_TG, WATER_TG = 900001, 501, 502, 503
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
# What must never appear on a suggestion page or in an export: the constituent behind the linked opinion.
CONSTITUENT_NAME, CONSTITUENT_PHONE = "周小梅", "+8613900000077"
OPINION_TEXT = "村口公交站没有候车亭，老人冬天等车很冷"
Uow = Callable[[], UnitOfWork]


@dataclass
class Host:
    """What the console reads of the running bot: its services (settings, database, clock)."""

    services: Services


@dataclass
class World:
    staff: int  # person ids
    d1: int
    d2: int
    d3: int
    lead_officer: int
    co_officer: int
    units: dict[str, int]  # code -> unit id
    traf: int  # the transport committee
    opinion_tracking: str


@dataclass
class Console:
    """A signed-in staff member's browser: a client with the session cookie, and the form token."""

    client: TestClient[Any, Any]
    csrf: str

    async def get(self, path: str) -> tuple[int, str]:
        async with self.client.get(ROOT + path, allow_redirects=False) as resp:
            return resp.status, await resp.text()

    async def post(self, path: str, data: dict[str, Any] | list[tuple[str, str]]) -> tuple[int, str, str]:
        form = list(data.items()) if isinstance(data, dict) else list(data)
        if not any(k == "csrf" for k, _ in form):
            form.append(("csrf", self.csrf))
        async with self.client.post(ROOT + path, data=form, allow_redirects=False) as resp:
            return resp.status, resp.headers.get("Location", ""), await resp.text()

    async def file(self, path: str) -> bytes:
        async with self.client.get(ROOT + path) as resp:
            assert resp.status == 200, await resp.text()
            return await resp.read()


def settings(db: str = "sqlite:///unused.db") -> Any:
    return load_settings(database_url=db, webhook_port=8081, timezone="Asia/Shanghai")


async def person_by_tg(u: UnitOfWork, telegram_id: int) -> Person:
    person = await u.people.by_telegram_id(telegram_id)
    assert person is not None
    return person


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> World:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=STAFF_TG))
        await u.people.grant(staff, Role.STAFF)
        c1 = await u.people.by_code("C1")
        assert c1 is not None
        c1.phone, c1.phone_shared = CONSTITUENT_PHONE, True
        units = {
            code: Unit(code=code, name=name, kind="government")
            for code, name in (("U1", "交通局"), ("U2", "公路局"), ("U3", "水利局"))
        }
        u.session.add_all(units.values())
        officers = [
            Person(name="王科长", telegram_id=LEAD_TG),
            Person(name="Officer Li", telegram_id=CO_TG, language="en"),
            Person(name="赵科长", telegram_id=WATER_TG),
        ]
        u.session.add_all(officers)
        await u.flush()
        u.session.add_all(
            [UnitCategory(unit_id=units[c].id, category="transport") for c in ("U1", "U2")]
            + [UnitCategory(unit_id=units["U3"].id, category="agriculture")]
        )
        for unit, officer in zip(units.values(), officers, strict=True):
            u.session.add(PersonRole(person_id=officer.id, role=Role.UNIT_OFFICER.value))
            await u.units.add_officer(unit.id, officer.id)
        traf = await u.network.committee_id("TRAF")
        m1 = await u.people.by_code("M1")
        assert traf is not None and m1 is not None
        u.session.add(SpecialCommitteeMember(committee_id=traf, person_id=m1.id))
        d1, d2, d3 = [await u.people.by_code(c) for c in ("D1", "D2", "D3")]
        await u.commit()
    async with uow() as u:
        assert d1 is not None and d2 is not None and d3 is not None
        outcome = await OpinionService(
            u, clock=FixedClock(T0 - timedelta(days=30)), policy=SlaPolicy()
        ).submit(c1.id, "transport", OPINION_TEXT)
        await u.commit()
    assert outcome.opinion is not None and outcome.opinion.holder_deputy_id is not None
    return World(
        staff.id,
        d1.id,
        d2.id,
        d3.id,
        officers[0].id,
        officers[1].id,
        {code: unit.id for code, unit in units.items()},
        traf,
        outcome.opinion.tracking_no,
    )


@pytest.fixture
async def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
async def console(
    world: World, sessionmaker: async_sessionmaker[AsyncSession], uow: Uow, clock: FixedClock
) -> AsyncIterator[Console]:
    services = Services(settings(), sessionmaker, clock=clock)
    app = web.Application()
    app.add_subapp(ROOT, make_console_app(Host(services)))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        yield Console(client, await sign_in(client, uow, clock, STAFF_TG))


async def sign_in(client: TestClient[Any, Any], uow: Uow, clock: FixedClock, telegram_id: int) -> str:
    """The link /console hands out, opened as a browser opens it; returns the session's form token."""
    async with uow() as u:
        issued = await ConsoleAuth(u, clock).issue(await person_by_tg(u, telegram_id))
        await u.commit()
    assert isinstance(issued, Issued)
    async with client.post(f"{ROOT}/login/{issued.token}", allow_redirects=False) as resp:
        assert resp.status == 303
    async with client.get(f"{ROOT}/suggestions") as resp:
        assert resp.status == 200
        found = CSRF.search(await resp.text())
    assert found is not None
    return found.group(1)


# -- seeding ------------------------------------------------------------------------------------------


async def file(uow: Uow, filer: int, title: str, *, at: datetime = T0, **draft: Any) -> int:
    """A suggestion filed through the service (numbered S-2026-NNNN)."""
    async with uow() as u:
        base: dict[str, Any] = {"text": f"{title}：详情", "category": "transport"}
        outcome = await AssignmentService(u).file(filer, Draft(title, **{**base, **draft}), at)
        await u.commit()
    assert outcome.suggestion is not None, outcome.refusal
    return outcome.suggestion.id


async def seed(uow: Uow, filer: int, number: str, title: str, state: SuggestionState, **kw: Any) -> int:
    """A suggestion in a later state, written as a row (the later parts of the loop are others' to drive),
    with the ledger's filing entry."""
    async with uow() as u:
        row = Suggestion(
            number=number,
            title=title,
            text=kw.pop("text", f"{title}：正文"),
            category=kw.pop("category", "transport"),
            filer_person_id=filer,
            state=state.value,
            created_at=T0 - timedelta(days=120),
            filed_at=kw.pop("filed_at", T0 - timedelta(days=120)),
            **kw,
        )
        u.session.add(row)
        await u.flush()
        u.session.add(
            SuggestionEvent(
                suggestion_id=row.id,
                at=row.filed_at,
                action="file",
                from_state="draft",
                to_state="filed",
                actor_kind="filer",
                actor_person_id=filer,
            )
        )
        await u.commit()
        return row.id


async def on_clock(
    uow: Uow, world: World, number: str, title: str, assigned_days_ago: int, due_in_days: int
) -> int:
    """A suggestion with the units: assigned that long ago, due that many days from today (Shanghai)."""
    return await seed(
        uow,
        world.d2,
        number,
        title,
        SuggestionState.HANDLING,
        lead_unit_id=world.units["U1"],
        co_unit_ids=[world.units["U2"]],
        committee_id=world.traf,
        term_months=3,
        assigned_at=T0 - timedelta(days=assigned_days_ago),
        due_on=date(2026, 3, 10) + timedelta(days=due_in_days),
    )


async def outbox(uow: Uow, chat_id: int) -> list[str]:
    async with uow() as u:
        rows = await u.session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [str(r.payload.get("text", "")) for r in rows]


async def row(uow: Uow, suggestion_id: int) -> Suggestion:
    async with uow() as u:
        found = await u.session.get(Suggestion, suggestion_id)
        assert found is not None
        return found


async def audit(uow: Uow, action: str) -> list[AuditEntry]:
    async with uow() as u:
        rows = await u.session.scalars(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.all())


def numbers(page: str) -> list[str]:
    return re.findall(r'data-testid="suggestion-row" data-number="([^"]*)"', page)


def assert_private(text: str) -> None:
    """Nothing of the constituent behind a linked opinion: name, phone, what they wrote."""
    for secret in (CONSTITUENT_NAME, CONSTITUENT_PHONE, OPINION_TEXT, OPINION_TEXT[:8]):
        assert secret not in text, secret


# -- the list -----------------------------------------------------------------------------------------


async def test_the_list_filters_counts_and_colours(console: Console, world: World, uow: Uow) -> None:
    filed = await file(uow, world.d1, "修缮丙村村道 100% 必要")  # S-2026-0001
    water = await file(uow, world.d3, "Irrigation_channel", category="agriculture")  # S-2026-0002
    red = await on_clock(uow, world, "S-2026-0101", "公交站台", assigned_days_ago=100, due_in_days=-10)
    yellow = await on_clock(uow, world, "S-2026-0102", "路灯", assigned_days_ago=80, due_in_days=5)
    green = await on_clock(uow, world, "S-2026-0103", "护栏", assigned_days_ago=2, due_in_days=88)
    old = await seed(
        uow, world.d1, "S-2025-0007", "去年的建议", SuggestionState.CLOSED, closed_at=T0 - timedelta(days=60)
    )
    session = await seed(
        uow, world.d1, "S-2026-0200", "会议期间的建议", SuggestionState.FILED, series_session="17-3"
    )
    async with uow() as u:  # a draft is the filer's unfinished form: never listed
        u.session.add(Suggestion(title="草稿", text="x", category="transport", filer_person_id=world.d1))
        await u.commit()

    status, page = await console.get("/suggestions")
    assert status == 200
    assert numbers(page) == [
        "S-2026-0200", "S-2025-0007", "S-2026-0103", "S-2026-0102", "S-2026-0101", "S-2026-0002", "S-2026-0001"
    ]  # fmt: skip
    assert 'data-testid="nav-suggestions" aria-current="page"' in page
    counts = dict(re.findall(r'data-testid="count-(\w+)" data-count="(\d+)"', page))
    assert counts == {"filed": "3", "handling": "3", "closed": "1"}
    colours = dict(re.findall(r'data-number="(S-[\d-]+)" data-state="\w+" data-colour="(\w*)"', page))
    assert (colours["S-2026-0101"], colours["S-2026-0102"], colours["S-2026-0103"]) == (
        "red",
        "yellow",
        "green",
    )
    assert colours["S-2026-0001"] == "" and colours["S-2025-0007"] == ""
    assert "交通局" in page and "交通委员会" in page and "孙建国" in page  # lead unit, committee, filer

    async def listed(query: str) -> list[str]:
        status, page = await console.get(f"/suggestions?{query}")
        assert status == 200, query
        return numbers(page)

    assert await listed("state=filed") == ["S-2026-0200", "S-2026-0002", "S-2026-0001"]
    assert await listed("state=queue") == ["S-2026-0200", "S-2026-0002", "S-2026-0001"]
    assert await listed("state=clock") == ["S-2026-0103", "S-2026-0102", "S-2026-0101"]
    assert await listed("colour=red") == ["S-2026-0101"]
    assert await listed("colour=yellow&state=handling") == ["S-2026-0102"]
    assert await listed("colour=green&state=filed") == []
    assert await listed("category=agriculture") == ["S-2026-0002"]
    assert await listed(f"unit={world.units['U1']}") == ["S-2026-0103", "S-2026-0102", "S-2026-0101"]
    assert await listed(f"committee={world.traf}") == ["S-2026-0103", "S-2026-0102", "S-2026-0101"]
    assert await listed("year=2025") == ["S-2025-0007"]
    assert await listed("series=17-3") == ["S-2026-0200"]
    assert "S-2026-0200" not in await listed("series=recess") and len(await listed("series=recess")) == 6
    assert await listed("q=s-2026-010") == ["S-2026-0103", "S-2026-0102", "S-2026-0101"]
    assert await listed("q=100%25") == ["S-2026-0001"]  # "%" is a character, not a wildcard
    assert await listed("q=irrigation_") == ["S-2026-0002"]
    assert (
        await listed("q=_channel") == ["S-2026-0002"] and await listed("q=io_") == []
    )  # "_" is a character too
    # Bad values are dropped, never trusted.
    assert len(await listed("state=bogus&unit=abc&year=99999&colour=blue&committee=-1")) == 7
    assert await listed("unit=99999") == []
    # Counts per state keep the other filters: the transport filed ones only.
    _status, page = await console.get("/suggestions?category=transport&state=handling")
    counts = dict(re.findall(r'data-testid="count-(\w+)" data-count="(\d+)"', page))
    assert counts == {"filed": "2", "handling": "3", "closed": "1"}
    assert {filed, water, red, yellow, green, old, session}  # seeded


async def test_the_list_pages_fifty_at_a_time(console: Console, world: World, uow: Uow) -> None:
    async with uow() as u:
        u.session.add_all(
            Suggestion(
                number=f"S-2026-{n:04d}",
                title=f"建议 {n}",
                text="正文",
                category="transport",
                filer_person_id=world.d1,
                state=SuggestionState.FILED.value,
                filed_at=T0,
            )
            for n in range(1, 58)
        )
        await u.commit()
    _status, first = await console.get("/suggestions?category=transport")
    assert len(numbers(first)) == 50 and numbers(first)[0] == "S-2026-0057"
    assert "第 1 页，共 2 页" in first and 'data-testid="next-page"' in first
    assert "/console/suggestions?category=transport&amp;page=2" in first
    _status, second = await console.get("/suggestions?category=transport&page=2")
    assert numbers(second) == [f"S-2026-{n:04d}" for n in range(7, 0, -1)]
    _status, beyond = await console.get("/suggestions?page=99")
    assert numbers(beyond) == [] and 'data-testid="prev-page"' in beyond


async def test_pages_speak_both_languages(console: Console, world: World, uow: Uow) -> None:
    sid = await file(uow, world.d1, "修缮丙村村道")
    _status, zh = await console.get("/suggestions")
    assert "代表建议" in zh and "已提出，待审查" in zh and 'lang="zh-Hans"' in zh
    status, _where, _body = await console.post("/language", {"locale": "en", "next": f"{ROOT}/suggestions"})
    assert status == 303
    _status, en = await console.get("/suggestions")
    assert "Suggestions" in en and "Filed, awaiting review" in en and 'lang="en"' in en
    assert "已提出，待审查" not in en
    _status, detail = await console.get(f"/suggestions/{sid}")
    assert "Return to the filer" in detail and "Prepare for the 交办会" in detail and "Ledger" in detail


# -- one suggestion -----------------------------------------------------------------------------------


async def handled(uow: Uow, world: World) -> int:
    """A suggestion made from C1's opinion, co-signed by D2 (D3 declined), assigned to 交通局 with 公路局,
    being handled: 三见面 before (confirmed) and during (disputed), a co-unit's opinion, an answer of
    round 1 (B, planned) rated dissatisfied and one of round 2 (A) not yet rated."""
    async with uow() as u:
        opinion = await u.opinions.by_tracking_no(world.opinion_tracking)
        assert opinion is not None
        outcome = await AssignmentService(u).file(
            world.d1,
            Draft(
                "关于建设村口候车亭的建议",
                "建议在丙村村口修建公交候车亭，方便群众出行。",
                "transport",
                cosigner_person_ids=(world.d2, world.d3),
                source_opinion_ids=(opinion.id,),
            ),
            T0 - timedelta(days=20),
        )
        assert outcome.suggestion is not None, outcome.refusal
        sid = outcome.suggestion.id
        service = AssignmentService(u)
        await service.answer_cosign(sid, world.d2, True, T0 - timedelta(days=19))
        await service.answer_cosign(sid, world.d3, False, T0 - timedelta(days=19))
        s = await u.suggestions.get(sid)
        assert s is not None and s.state == SuggestionState.FILED
        s.state = SuggestionState.REANSWERED.value
        s.lead_unit_id, s.co_unit_ids = world.units["U1"], [world.units["U2"]]
        s.committee_id, s.term_months = world.traf, 3
        s.assigned_at, s.due_on = T0 - timedelta(days=15), date(2026, 6, 8)
        s.result_class, s.rating = "A", None
        u.session.add_all(
            [
                SuggestionEvent(
                    suggestion_id=sid, at=T0 - timedelta(days=15), action="publish", from_state="prepared",
                    to_state="assigned", actor_kind="staff", actor_person_id=world.staff,
                ),
                SuggestionEvent(
                    suggestion_id=sid, at=T0 - timedelta(days=14), action="sign_for", from_state="assigned",
                    to_state="handling", actor_kind="lead_officer", actor_person_id=world.lead_officer,
                ),
                SuggestionEvent(
                    suggestion_id=sid, at=T0 - timedelta(days=9), action="remind", from_state="handling",
                    to_state="handling", actor_kind="committee", actor_person_id=None, note="请加快办理",
                ),
                SuggestionEvent(
                    suggestion_id=sid, at=T0 - timedelta(days=8), action="warn", from_state="handling",
                    to_state="handling", actor_kind="system", actor_person_id=None,
                ),
                SuggestionContact(
                    suggestion_id=sid, unit_id=world.units["U1"], stage="before", held_on=date(2026, 2, 25),
                    form="phone", summary="电话沟通选址", recorded_by_person_id=world.lead_officer,
                    verdict="confirmed", verdict_at=T0 - timedelta(days=12),
                ),
                SuggestionContact(
                    suggestion_id=sid, unit_id=world.units["U1"], stage="during", held_on=date(2026, 3, 2),
                    form="visit", summary="现场查看", recorded_by_person_id=world.lead_officer,
                    verdict="disputed", verdict_reason="没有到现场", verdict_at=T0 - timedelta(days=7),
                ),
                SuggestionUnitOpinion(
                    suggestion_id=sid, unit_id=world.units["U2"], person_id=world.co_officer,
                    text="公路局同意在路肩设置站台", at=T0 - timedelta(days=10),
                ),
                SuggestionAnswer(
                    suggestion_id=sid, round=1, unit_id=world.units["U1"], result_class="B",
                    text="已列入明年计划", planned_on=date(2026, 12, 31), answered_by_person_id=world.lead_officer,
                    answered_at=T0 - timedelta(days=6), due_on=date(2026, 6, 8), on_time=True,
                    rating="dissatisfied", rating_reason="太晚了", rated_at=T0 - timedelta(days=5),
                ),
                SuggestionAnswer(
                    suggestion_id=sid, round=2, unit_id=world.units["U1"], result_class="A",
                    text="候车亭已建成", answered_by_person_id=world.lead_officer,
                    answered_at=T0 - timedelta(days=1), due_on=date(2026, 3, 5), on_time=False,
                ),
            ]
        )  # fmt: skip
        await u.commit()
    return sid


async def test_one_suggestion_shows_its_ledger_contacts_opinions_and_answers(
    console: Console, world: World, uow: Uow
) -> None:
    sid = await handled(uow, world)
    status, page = await console.get(f"/suggestions/{sid}")
    assert status == 200
    number = (await row(uow, sid)).number
    assert number is not None and f'data-testid="suggestion-number">{number}<' in page
    assert "关于建设村口候车亭的建议" in page and "方便群众出行" in page
    assert 'data-testid="category">交通出行<' in page
    assert 'data-testid="filer">孙建国 · D1' in page
    cosigners = re.findall(r'data-testid="cosigner" data-state="(\w+)"><td>([^<]+)</td><td>([^<]+)<', page)
    assert cosigners == [("confirmed", "Deputy Wu", "已附议"), ("declined", "李秀英", "已谢绝")]
    assert f'data-testid="linked-opinion">{world.opinion_tracking}<' in page
    assert 'data-testid="lead-unit">交通局<' in page and 'data-testid="co-units">公路局<' in page
    assert 'data-testid="committee">交通委员会<' in page
    assert 'data-testid="due">2026-06-08' in page and "data-colour=" not in page  # answered: off the clock
    steps = re.findall(r'data-testid="ledger-step" data-action="(\w+)"', page)
    assert steps == [
        "create",
        "invite_cosigners",
        "cosign",
        "decline_cosign",
        "file",
        "publish",
        "sign_for",
        "remind",
        "warn",
    ]
    assert "主办单位：王科长" in page and "人大工作人员：办公室小张" in page and "附议代表：Deputy Wu" in page
    assert "专委会" in page and "请加快办理" in page and "warn" in page  # an unlabelled entry shows its code
    contacts = re.findall(r'data-testid="contact" data-stage="(\w+)" data-verdict="(\w+)"', page)
    assert contacts == [("before", "confirmed"), ("during", "disputed")]
    assert "办前沟通" in page and "2026-02-25" in page and "电话" in page and "电话沟通选址" in page
    assert "代表有异议" in page and "没有到现场" in page
    assert "公路局同意在路肩设置站台" in page and "Officer Li" in page
    answers = re.findall(r'data-testid="answer" data-round="(\d)" data-class="(\w)"', page)
    assert answers == [("1", "B"), ("2", "A")]
    assert "B类" in page and "2026-12-31" in page and "对答复不满意" in page and "太晚了" in page
    on_time = re.findall(r'data-testid="on-time">([^<]+)<', page)
    assert on_time == ["是", "否"]
    assert 'data-testid="prepare-form"' not in page and 'data-testid="return-form"' not in page
    assert_private(page)

    late = await on_clock(uow, world, "S-2026-0101", "公交站台", assigned_days_ago=100, due_in_days=-10)
    _status, page = await console.get(f"/suggestions/{late}")
    assert 'data-testid="due">2026-02-28 <span class="dot red" data-colour="red"' in page

    status, _page = await console.get("/suggestions/99999")
    assert status == 404
    async with uow() as u:
        draft = Suggestion(title="草稿", text="x", category="transport", filer_person_id=world.d1)
        u.session.add(draft)
        await u.commit()
    status, _page = await console.get(f"/suggestions/{draft.id}")
    assert status == 404  # a filer's unfinished draft is not the office's to see


async def test_no_page_or_export_shows_a_constituent(console: Console, world: World, uow: Uow) -> None:
    await handled(uow, world)
    pages = ["/suggestions", "/suggestions?state=reanswered", "/suggestions/publish"]
    for path in pages:
        _status, page = await console.get(path)
        assert_private(page)
    for kind in ("csv", "xlsx"):
        body = await console.file(f"/suggestions?format={kind}")
        text = body.decode("utf-8-sig") if kind == "csv" else xlsx_text(body)
        assert world.opinion_tracking in text  # the opinion is named by its number
        assert_private(text)


def xlsx_text(body: bytes) -> str:
    sheet = load_workbook(io.BytesIO(body)).active
    assert sheet is not None
    return "\n".join(
        "\t".join("" if v is None else str(v) for v in r) for r in sheet.iter_rows(values_only=True)
    )


# -- the 交办 forms -------------------------------------------------------------------------------------


async def test_return_needs_a_reason_a_fresh_page_and_a_form_token(
    console: Console, world: World, uow: Uow
) -> None:
    sid = await file(uow, world.d1, "修缮丙村村道")
    _status, page = await console.get(f"/suggestions/{sid}")
    assert 'data-testid="return-form"' in page and 'name="state" value="filed"' in page

    status, _where, body = await console.post(
        f"/suggestions/{sid}/return", {"reason": "   ", "state": "filed"}
    )
    assert status == 422 and "请填写理由" in body and 'data-form="return"' in body
    status, _where, body = await console.post(
        f"/suggestions/{sid}/return", {"reason": "请补充调研", "state": "filed", "csrf": "forged"}
    )
    assert status == 403 and (await row(uow, sid)).state == SuggestionState.FILED
    status, where, _body = await console.post(
        f"/suggestions/{sid}/return", {"reason": "请补充调研材料", "state": "filed"}
    )
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=returned")
    assert (await row(uow, sid)).state == SuggestionState.RETURNED
    told = await outbox(uow, 201)
    assert len(told) == 1 and "已被人大办公室退回" in told[0] and "请补充调研材料" in told[0]
    _status, page = await console.get(f"/suggestions/{sid}?done=returned")
    assert 'data-testid="flash"' in page and "请补充调研材料" in page  # on the ledger, as its note
    assert 'data-testid="return-form"' not in page  # returned: nothing left to assign

    # Stale: the page still said "filed".
    status, _where, body = await console.post(
        f"/suggestions/{sid}/return", {"reason": "再退一次", "state": "filed"}
    )
    assert status == 409 and "已退回提出代表" in body
    assert len(await outbox(uow, 201)) == 1
    refused = [a for a in await audit(uow, "console.suggestion.return") if not a.allowed]
    assert len(refused) == 1 and refused[0].detail["reason"] == "stale_state"
    assert len([a for a in await audit(uow, "console.csrf_refused")]) == 1
    service_refusals = [a for a in await audit(uow, "suggestion.return") if not a.allowed]
    assert [a.detail["reason"] for a in service_refusals] == ["reason_required"]


async def test_prepare_offers_the_proposal_and_any_unit_and_says_why_it_refuses(
    console: Console, world: World, uow: Uow
) -> None:
    sid = await file(uow, world.d1, "修缮丙村村道")
    u1, u2, u3 = (world.units[c] for c in ("U1", "U2", "U3"))
    _status, page = await console.get(f"/suggestions/{sid}")
    form = page.split('data-testid="prepare-form"')[1].split("</form>")[0]
    assert re.search(rf'<option value="{u1}" selected>U1 · 交通局', form)  # the 归口 proposal leads
    assert re.search(rf'value="{u2}" data-testid="co-U2" checked', form)  # and co-handles
    assert re.search(rf'value="{u3}" data-testid="co-U3">', form)  # any other unit can be ticked
    assert '<option value="3" selected>' in form

    async def prepare(**fields: Any) -> tuple[int, str, str]:
        data: list[tuple[str, str]] = [("state", fields.pop("state", "filed"))]
        for unit in fields.pop("co", []):
            data.append(("co", str(unit)))
        data += [(k, str(v)) for k, v in fields.items()]
        return await console.post(f"/suggestions/{sid}/prepare", data)

    status, _where, body = await prepare(lead=u1, co=[u1, u2], months=3)
    assert status == 422 and "不要同时勾选为协办单位" in body
    assert re.search(rf'value="{u1}" data-testid="co-U1" checked', body)  # the form keeps the choice
    status, _where, body = await prepare(lead="", co=[u2], months=3)
    assert status == 422 and "不要同时勾选为协办单位" in body
    status, _where, body = await prepare(lead=99999, months=3)
    assert status == 422 and "所选承办单位不存在" in body
    status, _where, body = await prepare(lead=u1, co=[u2], months=5, reason=" ")
    assert status == 422 and "办理期限超过三个月须说明理由" in body
    status, _where, body = await prepare(lead=u1, months=7, reason="太难")
    assert status == 422 and "办理期限须为 1–6 个月" in body
    status, _where, body = await prepare(lead=u1, months="x")
    assert status == 422 and "办理期限须为 1–6 个月" in body
    assert (await row(uow, sid)).state == SuggestionState.FILED
    assert await outbox(uow, 201) == []

    status, where, _body = await prepare(lead=u3, co=[u1], months=5, reason="跨部门协调")
    assert (status, where) == (303, f"{ROOT}/suggestions/{sid}?done=prepared")
    s = await row(uow, sid)
    assert (s.state, s.lead_unit_id, s.co_unit_ids, s.term_months, s.term_reason) == (
        SuggestionState.PREPARED,
        u3,
        [u1],
        5,
        "跨部门协调",
    )
    told = await outbox(uow, 201)
    assert len(told) == 1 and "水利局" in told[0] and "交办会" in told[0]
    _status, page = await console.get(f"/suggestions/{sid}")
    form = page.split('data-testid="prepare-form"')[1].split("</form>")[0]
    assert re.search(rf'<option value="{u3}" selected>', form) and '<option value="5" selected>' in form
    assert "跨部门协调" in form  # prepared again from what was chosen
    # A second staff member's stale page (still "filed") cannot overwrite it.
    status, _where, body = await prepare(lead=u1, months=3)
    assert status == 409 and "交办已拟定" in body
    assert (await row(uow, sid)).lead_unit_id == u3


async def test_publish_at_the_jiaobanhui_sends_every_unit_its_card(
    console: Console, world: World, uow: Uow
) -> None:
    first = await file(uow, world.d1, "修缮丙村村道")
    second = await file(uow, world.d2, "Bus shelter")
    u1, u2 = world.units["U1"], world.units["U2"]
    _status, page = await console.get("/suggestions")
    assert 'data-testid="publish-link"' not in page  # nothing prepared yet
    status, _where, body = await console.post("/suggestions/publish", [])
    assert status == 409 and 'data-testid="nothing-prepared"' in body
    for sid in (first, second):
        status, _where, _body = await console.post(
            f"/suggestions/{sid}/prepare",
            [("state", "filed"), ("lead", str(u1)), ("co", str(u2)), ("months", "3")],
        )
        assert status == 303

    _status, page = await console.get("/suggestions")
    assert "在交办会上交办已拟定的 2 件" in page
    _status, confirm = await console.get("/suggestions/publish")
    shown = re.findall(r'name="id" value="(\d+)"', confirm)
    assert sorted(int(i) for i in shown) == sorted([first, second])
    assert "交通局" in confirm and "公路局" in confirm

    # Stale: the batch changed since the confirmation page (one more prepared meanwhile).
    third = await file(uow, world.d3, "第三件")
    await console.post(
        f"/suggestions/{third}/prepare", [("state", "filed"), ("lead", str(u1)), ("months", "3")]
    )
    status, _where, body = await console.post("/suggestions/publish", [("id", i) for i in shown])
    assert status == 409 and "已拟定交办的建议有变化" in body
    assert (await row(uow, first)).state == SuggestionState.PREPARED
    assert await outbox(uow, LEAD_TG) == []

    _status, confirm = await console.get("/suggestions/publish")
    shown = re.findall(r'name="id" value="(\d+)"', confirm)
    assert len(shown) == 3
    status, where, _body = await console.post("/suggestions/publish", [("id", i) for i in shown])
    assert (status, where) == (303, f"{ROOT}/suggestions?done=published&count=3")
    _status, page = await console.get("/suggestions?done=published&count=3")
    assert "3 件建议已在交办会上交办" in page
    for sid in (first, second, third):
        s = await row(uow, sid)
        assert s.state == SuggestionState.ASSIGNED and s.assigned_at == T0
        assert s.due_on == date(2026, 6, 10) and s.committee_id == world.traf
    lead_cards = await outbox(uow, LEAD_TG)
    assert len(lead_cards) == 3 and all("新交办任务" in c and "主办" in c for c in lead_cards)
    co_cards = await outbox(uow, CO_TG)  # Officer Li reads English
    assert len(co_cards) == 2 and all("your unit co-handles it" in c for c in co_cards)
    assert await outbox(uow, WATER_TG) == []
    assert await outbox(uow, STAFF_TG) == []  # the presser is answered by the page
    published = [a for a in await audit(uow, "console.suggestion.publish") if a.allowed]
    assert len(published) == 1 and published[0].detail["published"] == 3
    _status, page = await console.get(f"/suggestions/{first}")
    assert re.search(r'data-testid="ledger-step" data-action="publish"', page)
    assert 'data-testid="prepare-form"' not in page


async def test_only_staff_reach_the_pages_and_forms(
    console: Console, world: World, uow: Uow, clock: FixedClock
) -> None:
    sid = await file(uow, world.d1, "修缮丙村村道")
    async with uow() as u:
        for telegram_id in (LEAD_TG, 102, 201):  # a unit officer, a committee member, a deputy
            refused = await ConsoleAuth(u, clock).issue(await person_by_tg(u, telegram_id))
            assert not isinstance(refused, Issued)
        await u.commit()
    # Staff who lose the role lose the console at once, forms included.
    async with uow() as u:
        await u.session.execute(
            delete(PersonRole).where(PersonRole.person_id == world.staff, PersonRole.role == Role.STAFF.value)
        )
        await u.commit()
    status, _where, _body = await console.post(
        f"/suggestions/{sid}/return", {"reason": "x", "state": "filed"}
    )
    assert status == 403
    status, _page = await console.get("/suggestions")
    assert status == 303
    assert (await row(uow, sid)).state == SuggestionState.FILED


# -- exports ------------------------------------------------------------------------------------------


async def test_exports_are_the_filtered_list(console: Console, world: World, uow: Uow) -> None:
    await file(uow, world.d1, '=HYPERLINK("http://x")')
    await file(uow, world.d3, "灌溉渠", category="agriculture")
    await on_clock(uow, world, "S-2026-0101", "公交站台", assigned_days_ago=100, due_in_days=-10)
    body = await console.file("/suggestions?format=csv&category=transport")
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:6] == ["建议编号", "届次/年度", "提出时间", "标题", "类别", "状态"]
    assert [r[0] for r in rows[1:]] == ["S-2026-0101", "S-2026-0001"]
    by_number = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_number["S-2026-0001"]["标题"] == '\'=HYPERLINK("http://x")'  # never a formula
    assert (
        by_number["S-2026-0101"]["主办单位"] == "交通局" and by_number["S-2026-0101"]["协办单位"] == "公路局"
    )
    assert (
        by_number["S-2026-0101"]["预警颜色"] == "红色：已超期"
        and by_number["S-2026-0101"]["办理期限（月）"] == "3"
    )
    assert by_number["S-2026-0001"]["提出代表"] == "孙建国"

    sheet = load_workbook(io.BytesIO(await console.file("/suggestions?format=xlsx&colour=red"))).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0][0] == "建议编号" and [r[0] for r in values[1:]] == ["S-2026-0101"]
    assert values[1][values[0].index("到期日")] == "2026-02-28"
    exported = await audit(uow, "console.export")
    assert [(a.detail["list"], a.detail["format"], a.detail["rows"]) for a in exported] == [
        ("suggestions", "csv", 2),
        ("suggestions", "xlsx", 1),
    ]


async def test_the_series_is_named_by_the_sessions_calendar(
    console: Console, world: World, uow: Uow, sessionmaker: async_sessionmaker[AsyncSession], tmp_path: Path
) -> None:
    """Filed through the service on 10 March while 17-3 sits (the network file's calendar): numbered in its
    series, and the list's filter, the page and the export name the session; a code the calendar no
    longer has is shown as the code."""
    path = tmp_path / "sessions.yaml"
    path.write_text(
        dump_yaml(
            {
                "sessions": [
                    {
                        "code": "17-3",
                        "name": "第十七届人民代表大会第三次会议",
                        "opens": date(2026, 3, 9),
                        "closes": date(2026, 3, 13),
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    await import_network(sessionmaker, path)
    during = await file(uow, world.d1, "会议期间提出的建议")
    after = await file(uow, world.d1, "闭会后提出的建议", at=T0 + timedelta(days=4))
    await seed(uow, world.d1, "S-2025-0100", "旧届次", SuggestionState.FILED, series_session="16-9")
    assert ((await row(uow, during)).series_session, (await row(uow, after)).series_session) == ("17-3", None)

    _status, page = await console.get("/suggestions")
    options = dict(re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', page))
    assert options["17-3"] == "第十七届人民代表大会第三次会议" and options["16-9"] == "会议期间（16-9）"
    assert len(numbers(page)) == 3
    _status, page = await console.get("/suggestions?series=17-3")
    assert numbers(page) == [(await row(uow, during)).number]
    _status, detail = await console.get(f"/suggestions/{during}")
    assert '<span data-testid="series">第十七届人民代表大会第三次会议</span>' in detail
    _status, detail = await console.get(f"/suggestions/{after}")
    assert 'data-testid="series"' not in detail and "闭会期间" in detail

    body = await console.file("/suggestions?format=csv")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    series = {r[0]: r[1] for r in rows[1:]}
    assert series == {
        (await row(uow, during)).number: "第十七届人民代表大会第三次会议 (17-3)",
        (await row(uow, after)).number: "闭会期间",
        "S-2025-0100": "16-9",
    }
