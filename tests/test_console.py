"""The web console's services on SQLite and PostgreSQL: login links, sessions, queries, reassigning, exports.

The data is the e2e network (tests/data/network_e2e.yaml): V1 has D1 (孙建国, agriculture; linked to
C1) and D2 (Deputy Wu, transport); V2 has D3 (李秀英); the clock stands at 10:00 Shanghai.
"""

from __future__ import annotations

import asyncio
import csv
import io
import string
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console import charts
from bot.console.auth import (
    IDLE_TIMEOUT,
    LINK_TTL,
    MAX_AGE,
    ConsoleAuth,
    Issued,
    Opened,
    Refusal,
    Refused,
    Signed,
    csrf_ok,
    login_url,
)
from bot.console.export import Table, to_csv, to_xlsx
from bot.console.pages.base import template_messages
from bot.console.pages.opinions import notify_reassign
from bot.console.service import ConsoleService, OpinionFilter
from bot.kit.i18n import translator
from bot.network import import_network
from bot.opinions.lifecycle import Action, RefusalReason
from bot.opinions.service import OpinionService
from bot.opinions.sla import FixedClock, SlaPolicy
from bot.people.tokens import hash_token
from bot.runtime.clock import Clock
from bot.runtime.context import Services
from bot.runtime.settings import Settings, load_settings
from storage.models import (
    AuditEntry,
    Broadcast,
    BroadcastStatus,
    ConsoleLogin,
    ConsoleSession,
    Deputy,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Role,
    Unit,
)
from storage.repos.console import OpinionQuery
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT

NETWORK = ROOT / "tests" / "data" / "network_e2e.yaml"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
Uow = Callable[[], UnitOfWork]


def settings() -> Settings:
    return load_settings(database_url="sqlite:///unused.db", webhook_port=8081, timezone="Asia/Shanghai")


@dataclass
class World:
    staff: int  # person ids
    c1: int
    walker: int  # constituent at V2
    nomad: int  # constituent without a station: the triage queue
    d1: int  # deputy ids
    d2: int
    d3: int


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> World:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        v2 = await u.network.station_by_code("V2")
        assert v2 is not None
        staff = await u.people.add(Person(name="办公室小张", telegram_id=900001))
        await u.people.grant(staff, Role.STAFF)
        walker = await u.people.add(Person(name="王小二", telegram_id=417, station_id=v2.id))
        nomad = await u.people.add(Person(name="Nomad", telegram_id=416))
        c1 = await u.people.by_code("C1")
        ids = {}
        for code in ("D1", "D2", "D3"):
            ids[code] = await u.session.scalar(
                select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
            )
        assert c1 is not None
        await u.commit()
        return World(staff.id, c1.id, walker.id, nomad.id, ids["D1"], ids["D2"], ids["D3"])


def opinions_service(u: UnitOfWork, clock: Clock) -> OpinionService:
    return OpinionService(u, clock=clock, policy=SlaPolicy())


def console(u: UnitOfWork, clock: Clock) -> ConsoleService:
    return ConsoleService(u, settings(), SlaPolicy(), clock)


async def submit(uow: Uow, clock: Clock, sender: int, text: str, category: str) -> int:
    async with uow() as u:
        outcome = await opinions_service(u, clock).submit(sender, category, text)
        await u.commit()
    assert outcome.opinion is not None
    return outcome.opinion.id


async def staff_person(u: UnitOfWork, world: World) -> Person:
    person = await u.people.get(world.staff)
    assert person is not None
    return person


# -- login links ------------------------------------------------------------------------------------


async def test_links_go_to_staff_only_and_only_their_hash_is_stored(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        issued = await ConsoleAuth(u, clock).issue(await staff_person(u, world), telegram_id=900001)
        constituent = await u.people.get(world.c1)
        assert constituent is not None
        refused = await ConsoleAuth(u, clock).issue(constituent, telegram_id=301)
        await u.commit()
    assert isinstance(issued, Issued) and isinstance(refused, Refused)
    assert refused.reason is Refusal.NOT_STAFF
    assert login_url(settings(), issued.token) == f"http://127.0.0.1:8081/console/login/{issued.token}"
    configured = load_settings(database_url="sqlite:///x.db", console_base_url="https://lx.example.org/")
    assert login_url(configured, "abc") == "https://lx.example.org/console/login/abc"
    async with uow() as u:
        rows = list((await u.session.scalars(select(ConsoleLogin))).all())
        audit = {a.action: a for a in (await u.session.scalars(select(AuditEntry))).all()}
    assert len(rows) == 1 and rows[0].token_hash == hash_token(issued.token) != issued.token
    assert rows[0].expires_at == T0 + LINK_TTL == T0 + timedelta(minutes=10)
    assert audit["console.link_issued"].allowed and not audit["console.link_refused"].allowed


async def test_a_link_opens_one_session_once_and_expires_after_ten_minutes(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        first = await ConsoleAuth(u, clock).issue(await staff_person(u, world))
        second = await ConsoleAuth(u, clock).issue(await staff_person(u, world))
        await u.commit()
    assert isinstance(first, Issued) and isinstance(second, Issued)
    clock.set(T0 + LINK_TTL - timedelta(seconds=1))
    async with uow() as u:
        auth = ConsoleAuth(u, clock)
        assert not isinstance(await auth.check(first.token), Refused)  # GET: spends nothing
        opened = await auth.open(first.token, user_agent="Chromium")
        again = await auth.open(first.token)
        await u.commit()
    assert isinstance(opened, Opened) and isinstance(again, Refused) and again.reason is Refusal.USED
    assert opened.session.expires_at == clock.now() + MAX_AGE
    assert opened.session.token_hash == hash_token(opened.session_token)
    assert len(opened.session.csrf_token) >= 40

    clock.set(T0 + LINK_TTL)  # at the deadline itself the link is gone
    async with uow() as u:
        auth = ConsoleAuth(u, clock)
        late = await auth.check(second.token)
        late_open = await auth.open(second.token)
        await u.commit()
    assert isinstance(late, Refused) and late.reason is Refusal.EXPIRED
    assert isinstance(late_open, Refused) and late_open.reason is Refusal.EXPIRED
    async with uow() as u:
        sessions = (await u.session.scalars(select(ConsoleSession))).all()
        reasons = [
            a.detail["reason"]
            for a in (await u.session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
            if a.action == "console.login_refused"
        ]
    assert len(sessions) == 1 and reasons == ["used", "expired", "expired"]


@pytest.mark.parametrize(
    "token",
    [
        "",
        "short",
        "../../etc/passwd",
        "a" * 200,
        "ｆｕｌｌｗｉｄｔｈ-ｔｏｋｅｎ-ａａａａａａａａ",
        "<script>alert(1)</script>xxxxx",
    ],
)
async def test_unknown_or_malformed_tokens_open_nothing(uow: Uow, world: World, token: str) -> None:
    async with uow() as u:
        auth = ConsoleAuth(u, FixedClock(T0))
        assert (await auth.open(token)) == Refused(Refusal.UNKNOWN)
        assert (await auth.session(token)) == Refused(Refusal.NO_SESSION)
        await u.commit()


async def test_of_two_racing_openers_exactly_one_gets_a_session(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        issued = await ConsoleAuth(u, clock).issue(await staff_person(u, world))
        await u.commit()
    assert isinstance(issued, Issued)

    async def race() -> Opened | Refused:
        async with uow() as u:
            result = await ConsoleAuth(u, clock).open(issued.token)
            await u.commit()
            return result

    results = await asyncio.gather(race(), race())
    assert sorted(type(r).__name__ for r in results) == ["Opened", "Refused"]
    async with uow() as u:
        assert len((await u.session.scalars(select(ConsoleSession))).all()) == 1


async def open_session(uow: Uow, world: World, clock: FixedClock) -> str:
    async with uow() as u:
        issued = await ConsoleAuth(u, clock).issue(await staff_person(u, world))
        assert isinstance(issued, Issued)
        opened = await ConsoleAuth(u, clock).open(issued.token)
        assert isinstance(opened, Opened)
        await u.commit()
    return opened.session_token


async def session_at(uow: Uow, clock: FixedClock, token: str) -> Signed | Refused:
    async with uow() as u:
        found = await ConsoleAuth(u, clock).session(token)
        await u.commit()
    return found


async def test_sessions_end_when_idle_or_too_old(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    token = await open_session(uow, world, clock)
    # Active every 7 hours, the session lives until its 24 hours are up.
    for hours in (7, 14, 21):
        clock.set(T0 + timedelta(hours=hours))
        assert isinstance(await session_at(uow, clock, token), Signed)
    clock.set(T0 + MAX_AGE)
    expired = await session_at(uow, clock, token)
    assert isinstance(expired, Refused) and expired.reason is Refusal.SESSION_EXPIRED
    clock.set(T0 + MAX_AGE - timedelta(hours=1))  # ended for good, even if the clock went back
    assert isinstance(await session_at(uow, clock, token), Refused)

    idle = await open_session(uow, world, clock)
    clock.advance(IDLE_TIMEOUT - timedelta(seconds=1))
    assert isinstance(await session_at(uow, clock, idle), Signed)
    clock.advance(IDLE_TIMEOUT)
    found = await session_at(uow, clock, idle)
    assert isinstance(found, Refused) and found.reason is Refusal.SESSION_EXPIRED


async def test_a_session_stops_working_once_its_person_is_no_longer_staff(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    token = await open_session(uow, world, clock)
    async with uow() as u:
        await u.session.execute(
            delete(PersonRole).where(PersonRole.person_id == world.staff, PersonRole.role == Role.STAFF.value)
        )
        await u.commit()
    found = await session_at(uow, clock, token)
    assert isinstance(found, Refused) and found.reason is Refusal.NOT_STAFF
    async with uow() as u:
        await u.people.grant(await staff_person(u, world), Role.STAFF)
        await u.commit()
    assert isinstance(await session_at(uow, clock, token), Refused)
    async with uow() as u:
        refused = (
            await u.session.scalars(select(AuditEntry).where(AuditEntry.action == "console.session_refused"))
        ).all()
        row = await u.session.scalar(select(ConsoleSession))
    assert len(refused) == 1 and row is not None and row.ended_at == T0


def test_csrf_tokens_compare_exactly() -> None:
    token = "AbC" * 14
    assert csrf_ok(token, token)
    for bad in (None, "", token[:-1], token + "x", token.lower(), " " + token):
        assert not csrf_ok(token, bad)
    assert not csrf_ok("", "")


# -- queries ---------------------------------------------------------------------------------------


async def test_dashboard_counts_and_colours(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    await submit(uow, clock, world.c1, "路灯坏了", "transport")  # → D1, accept within 24 h
    clock.set(T0 + timedelta(hours=20))  # 4 h left of 24: yellow
    await submit(uow, clock, world.walker, "学校门口需要减速带", "education")  # → D3
    await submit(uow, clock, world.nomad, "无处可去", "other")  # → the triage queue
    async with uow() as u:
        f = await console(u, clock).dashboard()
    assert (f.received, f.open, f.triage, f.answered, f.closed) == (3, 3, 1, 0, 0)
    assert (f.green, f.yellow, f.red) == (2, 1, 0)
    assert len(f.by_month) == 12 and f.by_month[-1] == {"key": "2026-03", "received": 3, "handled": 0}
    assert f.by_month[0]["key"] == "2025-04"
    assert {r["key"]: r["received"] for r in f.by_category} == {"transport": 1, "education": 1, "other": 1}
    clock.set(T0 + timedelta(hours=25))
    async with uow() as u:
        f = await console(u, clock).dashboard()
    assert (f.green, f.yellow, f.red) == (2, 0, 1)


async def test_the_opinion_list_filters(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    lamp = await submit(uow, clock, world.c1, "路灯坏了 100% 危险", "transport")
    clock.set(T0 + timedelta(hours=20))
    school = await submit(uow, clock, world.walker, "学校门口需要减速带", "education")
    lost = await submit(uow, clock, world.nomad, "Lost_and_found", "other")
    async with uow() as u:
        v2 = await u.network.station_by_code("V2")
        assert v2 is not None
        service = console(u, clock)

        async def ids(**query: str) -> list[int]:
            rows, _page = await service.opinions(OpinionFilter.parse(query))
            return [r.id for r in rows]

        assert await ids() == [lost, school, lamp]
        assert await ids(category="transport") == [lamp]
        assert await ids(colour="yellow") == [lamp]
        assert await ids(colour="green") == [lost, school]
        assert await ids(colour="red") == []
        assert await ids(station=str(v2.id)) == [school]
        assert await ids(deputy=str(world.d3)) == [school]
        assert await ids(deputy="0") == [lost]  # the triage queue
        assert await ids(state="routed") == [lost, school, lamp]
        assert await ids(state="open", deputy=str(world.d1)) == [lamp]
        assert await ids(state="closed") == []
        assert await ids(q="100%") == [lamp]  # LIKE wildcards are taken literally
        assert await ids(q="_and_") == [lost]
        assert await ids(q="%") == [lamp]
        assert await ids(q="LX-2026-000002") == [school]
        # Junk in the query string is ignored, never trusted.
        assert await ids(state="evil", colour="purple", station="-1", deputy="x") == [lost, school, lamp]
        rows, page = await service.opinions(OpinionFilter(), page=2, size=2)
        assert [r.id for r in rows] == [lamp] and (page.pages, page.total, page.has_prev) == (2, 3, True)
        rows, page = await service.opinions(OpinionFilter(colour="green"), page=2, size=1)
        assert [r.id for r in rows] == [school] and page.total == 2
        first = (await service.opinions(OpinionFilter(category="transport")))[0][0]
    assert (first.station, first.holder, first.colour, first.state) == (
        "丙村人大代表联络站",
        "孙建国",
        "yellow",
        "routed",
    )
    assert OpinionFilter.parse({"q": "  a   b ", "deputy": "0"}).as_query() == {"q": "a b", "deputy": "0"}


def test_the_filter_tells_the_repository_what_to_select() -> None:
    """`OpinionFilter.query()`: "open" excludes the final states, a colour keeps the opinions on a running
    clock (also beside a state, which then must be one of them), 0 is the triage queue."""
    assert OpinionFilter().query() == OpinionQuery()
    open_ = OpinionFilter(state="open").query()
    assert open_.states_in is None and set(open_.states_not_in or ()) == {"closed", "rejected", "duplicate"}
    on_clock = {"routed", "transferred", "accepted", "awaiting_info", "reopened"}
    assert set(OpinionFilter(colour="red").query().states_in or ()) == on_clock
    assert OpinionFilter(state="accepted", colour="red").query().states_in == ["accepted"]
    assert OpinionFilter(state="answered", colour="red").query().states_in == []
    assert OpinionFilter(state="answered").query().states_in == ["answered"]
    triage = OpinionFilter(deputy_id=0).query()
    assert (triage.unheld, triage.holder_deputy_id) == (True, None)
    held = OpinionFilter(deputy_id=7, station_id=3, category="x", q="路灯").query()
    assert (held.unheld, held.holder_deputy_id, held.station_id, held.category, held.text) == (
        False,
        7,
        3,
        "x",
        "路灯",
    )


async def test_the_timeline_and_the_deputies_offered(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    lamp = await submit(uow, clock, world.c1, "农田灌溉渠堵了", "agriculture")
    async with uow() as u:
        detail = await console(u, clock).detail(lamp)
        assert await console(u, clock).detail(999_999) is None
    assert detail is not None and detail.can_reassign
    assert [s.action for s in detail.steps] == ["submit", "route"]
    assert (
        detail.steps[1].to_holder == "孙建国"
        and detail.steps[1].holder_changed
        and detail.steps[1].actor is None
    )
    assert detail.sender == "周小梅" and detail.holder == "孙建国" and detail.colour == "green"
    # D1 holds it; D2 shares the station (first), then the deputies above and elsewhere.
    names = [c.name for c in detail.candidates]
    assert names[0] == "Deputy Wu" and "孙建国" not in names and set(names) >= {"李秀英", "钱志强", "赵立新"}
    assert detail.candidates[0].near and not detail.candidates[-1].near


async def test_an_anonymous_sender_is_named_on_no_timeline_step_or_audit_entry(
    uow: Uow, world: World
) -> None:
    """Submit, answering the deputy's question and a refused press are the sender's own acts."""
    clock = FixedClock(T0)
    async with uow() as u:
        outcome = await opinions_service(u, clock).submit(
            world.c1, "other", "反映村干部作风问题", anonymous=True
        )
        await u.commit()
    assert outcome.opinion is not None
    anon = outcome.opinion.id
    named = await submit(uow, clock, world.c1, "农田灌溉渠堵了", "agriculture")
    d1 = await person_of_deputy(uow, world.d1)
    async with uow() as u:
        service = opinions_service(u, clock)
        for opinion_id in (anon, named):
            assert (await service.apply(opinion_id, Action.ACCEPT, d1)).refusal is None
            assert (await service.apply(opinion_id, Action.ASK, d1, note="哪个村？")).refusal is None
            assert (
                await service.apply(opinion_id, Action.INFO_RECEIVED, world.c1, note="丙村")
            ).refusal is None
            assert (await service.apply(opinion_id, Action.ACCEPT, world.c1)).refusal is not None  # audited
        await u.commit()
    async with uow() as u:
        hidden = await console(u, clock).detail(anon)
        shown = await console(u, clock).detail(named)
        audit, _page = await console(u, clock).audit()
    assert hidden is not None and shown is not None
    by_sender = {"submit", "info_received"}
    assert {s.action for s in hidden.steps if s.by_anonymous_sender} == by_sender
    assert all(s.actor != "周小梅" for s in hidden.steps) and hidden.sender is None
    assert {s.action for s in shown.steps if s.actor == "周小梅"} == by_sender
    assert not any(s.by_anonymous_sender for s in shown.steps)
    refused = {r.object_id: r for r in audit if r.action == "opinion.accept"}
    assert refused[str(anon)].actor is None and refused[str(anon)].actor_telegram_id is None
    assert refused[str(anon)].anonymous
    assert refused[str(named)].actor == "周小梅" and not refused[str(named)].anonymous


async def test_reassigning_transfers_and_queues_every_notice(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    lamp = await submit(uow, clock, world.c1, "路灯坏了", "transport")
    async with uow() as u:
        await u.session.execute(delete(OutboxMessage))
        await u.commit()
    services = Services(settings(), sessionmaker=None, clock=clock)  # type: ignore[arg-type]
    async with uow() as u:
        opinion = await u.opinions.get(lamp)
        assert opinion is not None
        d1_person = (await u.session.get(Deputy, world.d1)).person  # type: ignore[union-attr]
        outcome = await console(u, clock).reassign(
            lamp, world.d3, await staff_person(u, world), shown_holder=world.d1, note="李代表分管"
        )
        assert outcome.ok
        await notify_reassign(u, services, outcome, d1_person)
        await u.commit()
    async with uow() as u:
        opinion = await u.opinions.get(lamp)
        events = await u.opinions.events(lamp)
        rows = (await u.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        audit = (
            await u.session.scalars(select(AuditEntry).where(AuditEntry.action == "console.reassign"))
        ).all()
    assert opinion is not None and opinion.holder_deputy_id == world.d3 and opinion.state == "transferred"
    assert events[-1].action == "transfer" and events[-1].actor_person_id == world.staff
    assert events[-1].note == "李代表分管" and events[-1].from_holder_id == world.d1
    by_chat = {(r.chat_id, r.method) for r in rows}
    assert (203, "sendMessage") in by_chat  # D3's new card
    assert (301, "sendMessage") in by_chat  # the sender is told
    assert (201, "sendMessage") in by_chat and (201, "editMessageText") in by_chat  # D1: note + card edited
    assert 900001 not in {r.chat_id for r in rows}  # the staff member sees the page, not a message
    card = next(r for r in rows if r.chat_id == 203)
    assert card.ref == f"card:{lamp}:{(await person_of_deputy(uow, world.d3))}"
    assert len(audit) == 1 and audit[0].allowed and audit[0].detail["to_deputy_id"] == world.d3


async def person_of_deputy(uow: Uow, deputy_id: int) -> int:
    async with uow() as u:
        deputy = await u.session.get(Deputy, deputy_id)
        assert deputy is not None
        return deputy.person_id


async def test_reassigning_refuses_stale_final_and_bad_requests(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    lamp = await submit(uow, clock, world.c1, "路灯坏了", "transport")
    lost = await submit(uow, clock, world.nomad, "无处可去", "other")

    async def attempt(opinion_id: int, to: int | None, shown: int | None) -> RefusalReason | None:
        async with uow() as u:
            outcome = await console(u, clock).reassign(
                opinion_id, to, await staff_person(u, world), shown_holder=shown
            )
            await u.commit()
        return outcome.refusal.reason if outcome.refusal else None

    assert await attempt(lamp, world.d3, world.d2) is RefusalReason.STALE_STATE  # the page showed D2
    assert await attempt(lamp, None, world.d1) is RefusalReason.INVALID_ARGUMENT
    assert await attempt(lamp, world.d1, world.d1) is RefusalReason.INVALID_ARGUMENT  # already the holder
    assert await attempt(lamp, 999_999, world.d1) is RefusalReason.INVALID_ARGUMENT
    assert await attempt(123_456, world.d3, 0) is RefusalReason.NOT_FOUND
    assert await attempt(lost, world.d3, 0) is None  # out of the triage queue
    async with uow() as u:
        opinion = await u.opinions.get(lamp)
        assert opinion is not None
        opinion.state = "closed"
        await u.commit()
    assert await attempt(lamp, world.d3, world.d1) is RefusalReason.FINAL
    async with uow() as u:
        refused = (
            await u.session.scalars(
                select(AuditEntry).where(AuditEntry.allowed.is_(False), AuditEntry.object_type == "opinion")
            )
        ).all()
        holder = (await u.opinions.get(lamp)).holder_deputy_id  # type: ignore[union-attr]
    assert holder == world.d1
    assert len(refused) == 6


async def test_network_lists_and_search(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        service = console(u, clock)
        stations = await service.network_stations()
        deputies = await service.network_deputies()
        contacts = await service.network_contacts()
        found = await service.network_deputies("孙")
        by_code = await service.network_stations("v2")
        agri = await service.network_contacts("AGRI")
        nothing = await service.network_deputies("%")
    assert [s.code for s in stations] == ["H1", "T1", "V1", "V2", "V3"]
    assert {s.code: s.deputies for s in stations} == {"H1": 2, "T1": 0, "V1": 2, "V2": 1, "V3": 0}
    assert next(s for s in stations if s.code == "V1").parent == "乙镇人大代表工作站"
    d1 = next(d for d in deputies if d.code == "D1")
    assert d1.stations == ["丙村人大代表联络站"] and d1.fields == ["agriculture"] and d1.linked
    assert set(d1.contacted_by) == {"钱志强", "农业农村委员会"}
    assert [d.name for d in found] == ["孙建国"] and [s.code for s in by_code] == ["V2"] and nothing == []
    assert len(contacts) == 7
    assert [(c.tier, c.source, c.target) for c in agri] == [
        ("special_committee_deputy", "农业农村委员会", "孙建国")
    ]


async def seed_units(u: UnitOfWork) -> None:
    """JTJ (transport) with GLJ under it; JTJ has a head officer and one more, GLJ none."""
    jtj = Unit(code="JTJ", name="州交通运输局", kind="government")
    glj = Unit(code="GLJ", name="州公路管理局", kind="government")
    u.session.add_all([jtj, glj])
    await u.session.flush()
    glj.parent_id = jtj.id
    await u.units.sync_categories({jtj.id: ["transport", "urban_construction"], glj.id: ["transport"]})
    head = await u.people.add(Person(name="交通局赵科长", telegram_id=880001))
    clerk = await u.people.add(Person(name="交通局钱办事员", telegram_id=880002))
    await u.units.add_officer(jtj.id, clerk.id)
    await u.units.add_officer(jtj.id, head.id, head=True)


async def test_network_lists_units_with_categories_parents_and_officers(uow: Uow, world: World) -> None:
    async with uow() as u:
        await seed_units(u)
        await u.commit()
    async with uow() as u:
        service = console(u, FixedClock(T0))
        units = await service.network_units()
        found = await service.network_units("公路")
    assert [(x.code, x.kind, x.categories, x.parent, x.officers) for x in units] == [
        ("GLJ", "government", ["transport"], "JTJ", []),
        ("JTJ", "government", ["transport", "urban_construction"], None, ["交通局赵科长", "交通局钱办事员"]),
    ]
    assert [x.code for x in found] == ["GLJ"]


async def test_broadcast_progress_and_report_come_from_the_outbox(uow: Uow, world: World) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        b = Broadcast(
            created_by_person_id=world.staff, chat_id=900001, text="明天停水", audience="station:V1",
            status=BroadcastStatus.SENDING, total=4,
        )  # fmt: skip
        u.session.add(b)
        await u.session.flush()
        for chat, status, error in (
            (301, OutboxStatus.SENT, None),
            (201, OutboxStatus.BLOCKED, "Forbidden: bot was blocked by the user"),
            (202, OutboxStatus.FAILED, "Bad Request: chat not found"),
            (203, OutboxStatus.PENDING, None),
        ):
            u.session.add(
                OutboxMessage(
                    chat_id=chat,
                    method="sendMessage",
                    payload={},
                    status=status,
                    last_error=error,
                    broadcast_id=b.id,
                )
            )
        await u.commit()
        broadcast_id = b.id
    async with uow() as u:
        service = console(u, clock)
        tr = translator("zh_Hans")
        [row] = await service.broadcasts(tr)
        found = await service.broadcast(broadcast_id, tr)
        assert await service.broadcast(broadcast_id + 1, tr) is None
    assert (row.total, row.sent, row.blocked, row.failed, row.pending, row.percent) == (4, 1, 1, 1, 1, 75)
    assert row.sender == "办公室小张" and "丙村人大代表联络站" in row.audience
    assert found is not None
    assert [(u.chat_id, u.name, u.status) for u in found[1]] == [
        (201, "孙建国", "blocked"),
        (202, "Deputy Wu", "failed"),
    ]


async def test_the_audit_log_pages_and_filters(uow: Uow, world: World) -> None:
    async with uow() as u:
        await u.session.execute(delete(AuditEntry))
        for i in range(7):
            await u.audit.record(f"console.test{i % 2}", actor_person_id=world.staff, allowed=i != 3, n=i)
        await u.audit.record("other_thing", n=99)
        await u.commit()
    async with uow() as u:
        service = console(u, FixedClock(T0))
        rows, page = await service.audit(1, size=3)
        assert [r.detail["n"] for r in rows] == [99, 6, 5] and page.pages == 3
        rows, page = await service.audit(2, action="console.test1", size=2)
        assert [r.detail["n"] for r in rows] == [1] and page.total == 3
        rows, _ = await service.audit(1, refused_only=True)
        assert [(r.detail["n"], r.actor) for r in rows] == [(3, "办公室小张")]
        rows, _ = await service.audit(1, action="console_")  # "_" is no wildcard here
        assert rows == []


# -- exports, charts, texts ------------------------------------------------------------------------


def test_xlsx_keeps_user_text_as_text() -> None:
    table = Table(
        "意见[1]/2", ["a", "b", "c"], [["=1+1", 42, None], ["+8613900000001", 1.5, "bell\x07 and\x00 nul"]]
    )
    book = load_workbook(io.BytesIO(to_xlsx([table, Table("意见[1]/2", ["x"], [])])))
    sheet = book.worksheets[0]
    assert [s.title for s in book.worksheets] == ["意见 1  2", "意见 1  2 2"]
    assert list(sheet.iter_rows(values_only=True)) == [
        ("a", "b", "c"),
        ("=1+1", 42, None),
        ("+8613900000001", 1.5, "bell and nul"),
    ]
    assert sheet.cell(2, 1).data_type == "s" and sheet.cell(2, 2).data_type == "n"
    assert sheet.cell(1, 1).font.bold and sheet.freeze_panes == "A2"


def test_one_helper_defuses_every_formula_start() -> None:
    from bot.kit.csv_safe import safe_cell

    for text in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "  =1", "\n=1"):
        assert safe_cell(text) == "'" + text
    for value in ("正常", "a=b", "", 3, -3, 1.5, None, "'=already"):
        assert safe_cell(value) == value


def test_csv_has_a_bom_and_neutralises_formulas() -> None:
    body = to_csv([Table("T", ["名称", "n"], [["=cmd|' /C calc'!A0", 1], ["@SUM(1)", 2], ["正常", -3]])])
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows == [["名称", "n"], ["'=cmd|' /C calc'!A0", "1"], ["'@SUM(1)", "2"], ["正常", "-3"]]
    two = to_csv([Table("A", ["x"], [[1]]), Table("B", ["y"], [[2]])]).decode("utf-8-sig")
    assert two.split("\r\n")[:7] == ["A", "x", "1", "", "B", "y", "2"]


@pytest.mark.parametrize(
    ("value", "top"), [(0, 4), (1, 4), (3, 4), (4, 4), (5, 8), (9, 20), (41, 80), (1234, 2000)]
)
def test_axis_maximum_divides_into_whole_steps(value: int, top: int) -> None:
    assert charts.scale_max(value) == top and top % 4 == 0 and top >= value


def test_column_bars_are_proportional() -> None:
    chart = charts.column_chart(["01", "02"], [("received", "收到", [8, 2]), ("handled", "已办理", [4, 0])])
    heights = {(b.series, b.value): b.height for b in chart.bars}
    assert heights[("received", 8)] == 2 * heights[("handled", 4)] == 4 * heights[("received", 2)]
    assert heights[("handled", 0)] == 0 and not chart.empty
    assert [t.text for t in chart.texts if t.css == "axis"] == ["8", "6", "4", "2", "0"]
    assert charts.column_chart([], []).empty and charts.row_chart([]).empty


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
def test_every_template_text_is_translated(locale: str) -> None:
    """scripts/i18n.py reads only Python; the console's templates are checked here."""
    messages = template_messages()
    assert len(messages) > 60
    tr = translator(locale)
    catalogue: Any = tr._t._catalog  # the compiled catalogue of the locale's .po files
    fmt = string.Formatter()
    for msgid in messages:
        assert msgid in catalogue, f"{locale} lacks {msgid!r}"
        text = tr(msgid)
        want = {f for _, f, _, _ in fmt.parse(msgid) if f}
        assert {f for _, f, _, _ in fmt.parse(text) if f} == want, msgid


async def test_deputy_codes_resolve(uow: Uow, world: World) -> None:
    async with uow() as u:
        service = console(u, FixedClock(T0))
        assert await service.deputy_by_code("D3") == world.d3
        assert await service.deputy_by_code("C1") is None  # a constituent, not a deputy
        assert await service.deputy_by_code("  ") is None
        stations = await service.stations()
    assert [c for _i, c, _n in stations] == ["H1", "T1", "V1", "V2", "V3"]
