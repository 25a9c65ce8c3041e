"""Open311 GeoReport v2 over real HTTP, on SQLite and PostgreSQL: the bot's own web server
(`bot.runtime.web.serve_web`, as `liaison run` serves it) with the e2e network and opinions filed
through the opinion service.

Every response is checked against the GeoReport v2 field list (`assert_request`, `assert_service`):
required fields, types, ISO 8601 times with the congress's offset, and no field outside the list.
The world (`seed`): public opinions in several states and places, a private one, an anonymous one, a
row forced public *and* anonymous behind the service's back, one older than 90 days; every person's
name and phone in the database is then looked for in every response.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select, text, update

from bot.kit.i18n import translator
from bot.network import import_network
from bot.open311.opinions import CLOSED_STATES, OpinionSource
from bot.open311.service import MASK, Open311Service, Page, Problem, mask, parse_query
from bot.open311.sources import PublicRecord, Query, ServiceType, Status
from bot.opinions.drafts import CATEGORIES
from bot.opinions.entities import OpinionState
from bot.opinions.lifecycle import Action
from bot.opinions.service import OpinionService
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.runtime.web import WebServer, serve_web
from bot.sandbox import Sandbox
from bot.suggestions.assign import AssignmentService
from bot.suggestions.seed_year import seed_year
from bot.suggestions.service import Draft
from storage.models import Deputy, Opinion, Person, PersonRole, Role, Suggestion, Unit, UnitCategory
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT as REPO
from tests.reliability.helpers import free_port

SHANGHAI = ZoneInfo("Asia/Shanghai")
ROOT = "/open311/v2"
NETWORK = REPO / "tests" / "data" / "network_e2e.yaml"

# GeoReport v2, GET requests: every field a request may carry, and the ones it must.
REQUEST_FIELDS = {
    "service_request_id": str,
    "status": str,
    "status_notes": str,
    "service_name": str,
    "service_code": str,
    "description": str,
    "agency_responsible": str,
    "service_notice": str,
    "requested_datetime": str,
    "updated_datetime": str,
    "expected_datetime": str,
    "address": str,
    "address_id": str,
    "zipcode": str,
    "lat": float,
    "long": float,
    "media_url": str,
}
REQUEST_REQUIRED = {"service_request_id", "status", "service_code", "requested_datetime"}
DATETIMES = {"requested_datetime", "updated_datetime", "expected_datetime"}
# GeoReport v2, GET services.
SERVICE_FIELDS = {
    "service_code": str,
    "service_name": str,
    "description": str,
    "metadata": bool,
    "type": str,
    "keywords": str,
    "group": str,
}
SERVICE_REQUIRED = {"service_code", "service_name", "type"}


def assert_request(item: dict[str, Any]) -> None:
    """One service request as GeoReport v2 lists its fields (null only for an absent optional)."""
    assert set(item) <= set(REQUEST_FIELDS), set(item) - set(REQUEST_FIELDS)
    assert set(item) >= REQUEST_REQUIRED
    for key, value in item.items():
        if key in REQUEST_REQUIRED:
            assert isinstance(value, str) and value, key
        elif value is not None:
            kind = REQUEST_FIELDS[key]
            assert isinstance(value, kind if kind is not float else (int, float)), (key, value)
    assert item["status"] in {"open", "closed"}
    for key in DATETIMES:
        if item.get(key) is not None:
            moment = datetime.fromisoformat(item[key])
            assert moment.utcoffset() == timedelta(hours=8), (key, item[key])  # the congress's zone
            assert item[key].endswith("+08:00")
    assert (item.get("lat") is None) == (item.get("long") is None)


def assert_service(item: dict[str, Any]) -> None:
    assert set(item) <= set(SERVICE_FIELDS), set(item) - set(SERVICE_FIELDS)
    assert set(item) >= SERVICE_REQUIRED
    for key, value in item.items():
        assert isinstance(value, SERVICE_FIELDS[key]), (key, value)
    assert item["type"] in {"realtime", "batch", "blackbox"}
    assert item["metadata"] is False


def assert_errors(body: Any, code: int) -> None:
    assert isinstance(body, list) and len(body) == 1
    assert body[0]["code"] == code and isinstance(body[0]["description"], str) and body[0]["description"]


@dataclass
class World:
    base: str
    runtime: Runtime
    public: dict[str, str]  # label -> tracking number, the ones listed by default
    old: str  # public, filed 100 days ago
    hidden: dict[str, str]  # private / anonymous / forced: never served


@dataclass
class Got:
    status: int
    headers: Any
    body: Any
    text: str


async def get(world: World, path: str, headers: dict[str, str] | None = None, method: str = "GET") -> Got:
    async with (
        aiohttp.ClientSession() as http,
        http.request(method, world.base + path, headers=headers or {}) as resp,
    ):
        text = await resp.text()
        body = json.loads(text) if text and resp.content_type == "application/json" else None
        return Got(resp.status, resp.headers, body, text)


async def person_id(u: UnitOfWork, code: str) -> int:
    person = await u.people.by_code(code)
    assert person is not None
    return person.id


async def seed(runtime: Runtime) -> tuple[dict[str, str], str, dict[str, str]]:
    """Opinions through the real service; returns (public, old, hidden) tracking numbers."""
    services = runtime.services
    now = services.clock.now()
    ago = ManualClock(now - datetime.now(UTC) - timedelta(days=100))

    def svc(u: UnitOfWork, clock: Any = services.clock) -> OpinionService:
        return OpinionService(u, clock=clock, policy=services.policy)

    async with services.uow() as u:
        v1 = await u.network.station_by_code("V1")
        v2 = await u.network.station_by_code("V2")
        assert v1 is not None and v2 is not None
        ouyang = await u.people.add(Person(name="欧阳明远", phone="+8613911112222", station_id=v1.id))
        lin = await u.people.add(Person(name="林晓燕", phone="+8613933334444", station_id=v2.id))
        nomad = await u.people.add(Person(name="Nomad Kim", phone="+15550001234"))
        c1 = await person_id(u, "C1")
        c2 = await person_id(u, "C2")
        d1 = await person_id(u, "D1")
        d3 = await person_id(u, "D3")
        await u.commit()

    async def submit(sender: int, category: str, text: str, clock: Any = services.clock, **kw: Any) -> int:
        async with services.uow() as u:
            outcome = await svc(u, clock).submit(sender, category, text, **kw)
            await u.commit()
        assert outcome.opinion is not None
        return outcome.opinion.id

    async def act(opinion_id: int, action: Action, actor: int, **kw: Any) -> None:
        async with services.uow() as u:
            outcome = await svc(u).apply(opinion_id, action, actor, **kw)
            await u.commit()
        assert outcome.opinion is not None, outcome

    ids: dict[str, int] = {}
    # Answered, with a place: its sender's name and phone in the text, the deputy's in the answer.
    ids["answered"] = await submit(
        c1,
        "agriculture",
        "我是周小梅，电话 13911110000，村口的灌溉渠堵了。",
        public=True,
        latitude=25.812345,
        longitude=98.834567,
    )
    await act(ids["answered"], Action.ACCEPT, d1)
    await act(ids["answered"], Action.ANSWER, d1, text="孙建国答复：已请水利站疏通，有事打 0886-1234567。")
    ids["waiting"] = await submit(ouyang.id, "transport", "公交站台的雨棚坏了。", public=True)
    ids["closed"] = await submit(lin.id, "environment", "河边有人倒垃圾。", public=True)
    await act(ids["closed"], Action.ACCEPT, d3)
    await act(ids["closed"], Action.ANSWER, d3, text="已清理并设立告示牌。")
    await act(ids["closed"], Action.CONFIRM_SATISFIED, lin.id)
    ids["triage"] = await submit(nomad.id, "other", "Street lights are out on the hill road.", public=True)
    # Relayed: D1 held it first, D3 answers it; a follower, the supervisor and both deputies are named.
    ids["relayed"] = await submit(
        c1, "urban_construction", "吴大海和我都说过，钱志强委员也来看过：巷子里的路灯坏了。", public=True
    )
    async with services.uow() as u:
        await u.opinions.subscribe(ids["relayed"], c2)
        d3_deputy = await u.session.scalar(select(Deputy.id).where(Deputy.person_id == d3))
        await u.commit()
    await act(ids["relayed"], Action.TRANSFER, d1, to_deputy_id=d3_deputy, note="在丁村")
    await act(ids["relayed"], Action.ACCEPT, d3)
    await act(
        ids["relayed"], Action.ANSWER, d3, text="孙建国代表转来后，李秀英已请供电所修好，周小梅可再看看。"
    )
    hidden: dict[str, int] = {}
    hidden["private"] = await submit(
        c1, "agriculture", "私事：邻居占了我家的地。", latitude=25.8, longitude=98.8
    )
    hidden["anonymous"] = await submit(c2, "health", "卫生院晚上没人值班。", anonymous=True, public=True)
    hidden["forced"] = await submit(c2, "education", "学校门口的路太窄。", anonymous=True)
    old = await submit(ouyang.id, "transport", "去年冬天路面结冰。", ago, public=True)
    async with services.uow() as u:
        # Behind the service's back: a row both public and anonymous is still never served.
        await u.session.execute(update(Opinion).where(Opinion.id == hidden["forced"]).values(public=True))
        numbers = dict(
            (await u.session.execute(select(Opinion.id, Opinion.tracking_no))).all()  # type: ignore[arg-type]
        )
        await u.commit()
    return (
        {k: numbers[v] for k, v in ids.items()},
        numbers[old],
        {k: numbers[v] for k, v in hidden.items()},
    )


@pytest.fixture
async def world(sandbox: Sandbox, db_url: str) -> AsyncIterator[World]:
    """The bot with the e2e network and the seeded opinions; its web server on a free port."""
    now = datetime.now(UTC)
    local = now.astimezone(SHANGHAI)
    clock = ManualClock(local.replace(hour=10, minute=0, second=0, microsecond=0) - local)
    port = free_port()
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.base_url.removesuffix("/bot"),
        database_url=db_url,
        admin_ids="",
        webhook_url="",
        webhook_secret="",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        timezone="Asia/Shanghai",
    )
    # No SLA sweep: the 100-day-old opinion would be overdue, and its warnings would go to deputies
    # who have no chat in the sandbox (the sweep's first run comes 1 s after start, mid-seeding).
    runtime = Runtime(
        settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), digest_every=0, sweep_every=0
    )
    await runtime.start()
    site: WebServer | None = None
    try:
        await import_network(runtime.services.sessionmaker, NETWORK)
        public, old, hidden = await seed(runtime)
        site = await serve_web(runtime, settings)
        yield World(f"http://127.0.0.1:{port}", runtime, public, old, hidden)
    finally:
        if site is not None:
            await site.stop()
        await runtime.stop()


# -- services ----------------------------------------------------------------------------------------


async def test_services_are_the_categories_in_both_languages(world: World) -> None:
    zh = await get(world, f"{ROOT}/services.json", {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    en = await get(world, f"{ROOT}/services.json?lang=en")
    en_header = await get(world, f"{ROOT}/services.json", {"Accept-Language": "de;q=1, en-GB;q=0.7"})
    zh_param = await get(world, f"{ROOT}/services.json?lang=zh", {"Accept-Language": "en"})
    assert zh.status == en.status == 200
    for got in (zh, en, en_header, zh_param):
        for item in got.body:
            assert_service(item)
        # The opinions' categories, then the suggestions' (a second source, codes of their own).
        assert [s["service_code"] for s in got.body] == [
            *CATEGORIES,
            *(f"suggestion.{c}" for c in CATEGORIES),
        ]
    by_code = {s["service_code"]: s for s in zh.body}
    assert by_code["transport"]["service_name"] == "交通出行"
    assert by_code["transport"]["group"] == "群众意见"
    assert "公交" in by_code["transport"]["keywords"].split(",")
    assert by_code["suggestion.transport"]["service_name"] == "交通出行"
    assert by_code["suggestion.transport"]["group"] == "代表建议"
    assert {s["service_code"]: s["service_name"] for s in en.body}["transport"] == "Transport"
    assert en.body[0]["group"] == "Constituents' opinions"
    assert en.body[-1]["group"] == "Deputies' suggestions"
    assert en_header.body == en.body and zh_param.body == zh.body


# -- requests ----------------------------------------------------------------------------------------


async def test_list_serves_public_opinions_only_mapped_to_the_spec(world: World) -> None:
    got = await get(world, f"{ROOT}/requests.json")
    assert got.status == 200
    for item in got.body:
        assert_request(item)
    listed = {item["service_request_id"]: item for item in got.body}
    assert set(listed) == set(world.public.values())  # no private, anonymous or 100-day-old one
    times = [item["requested_datetime"] for item in got.body]
    assert times == sorted(times, reverse=True)

    answered = listed[world.public["answered"]]
    assert answered["status"] == "open"  # answered waits for the sender's verdict; it may reopen
    assert answered["service_code"] == "agriculture" and answered["service_name"] == "农业农村"
    assert answered["agency_responsible"] == "丙村人大代表联络站"  # the station, not the deputy
    assert answered["status_notes"].startswith("已答复：")
    assert "疏通" in answered["status_notes"] and MASK in answered["status_notes"]
    assert answered["description"] == f"我是{MASK}，电话 {MASK}，村口的灌溉渠堵了。"
    assert (answered["lat"], answered["long"]) == (25.812, 98.835)  # ~100 m
    assert answered["expected_datetime"] is None  # no clock runs while the sender decides

    waiting = listed[world.public["waiting"]]
    assert waiting["status"] == "open" and waiting["status_notes"] == "等待受理"
    assert waiting["lat"] is None and waiting["long"] is None
    async with world.runtime.services.uow() as u:
        deadline = await u.session.scalar(
            select(Opinion.accept_deadline).where(Opinion.tracking_no == world.public["waiting"])
        )
    assert deadline is not None
    assert datetime.fromisoformat(waiting["expected_datetime"]) == deadline.replace(microsecond=0)

    closed = listed[world.public["closed"]]
    assert closed["status"] == "closed" and closed["agency_responsible"] == "丁村人大代表联络站"
    assert closed["updated_datetime"] >= closed["requested_datetime"]
    assert listed[world.public["triage"]]["agency_responsible"] == "人大常委会"  # no station: the office
    relayed = listed[world.public["relayed"]]
    # Everyone involved is masked: a follower, the supervisor, the first holder, the holder, the sender.
    assert relayed["description"] == f"{MASK}和我都说过，{MASK}委员也来看过：巷子里的路灯坏了。"
    assert relayed["status_notes"] == f"已答复：{MASK}代表转来后，{MASK}已请供电所修好，{MASK}可再看看。"
    assert (
        relayed["agency_responsible"] == "丙村人大代表联络站"
    )  # the opinion's station, wherever its holder sits

    en = await get(world, f"{ROOT}/requests.json?lang=en")
    en_listed = {item["service_request_id"]: item for item in en.body}
    assert en_listed[world.public["answered"]]["status_notes"].startswith("answered: ")
    assert en_listed[world.public["waiting"]]["service_name"] == "Transport"
    assert en_listed[world.public["triage"]]["agency_responsible"] == "People’s Congress Standing Committee"


async def test_one_request_and_the_same_404_for_unknown_and_private(world: World) -> None:
    for number in (*world.public.values(), world.old):
        got = await get(world, f"{ROOT}/requests/{number}.json")
        assert got.status == 200
        assert len(got.body) == 1 and got.body[0]["service_request_id"] == number
        assert_request(got.body[0])
    refusals = []
    for number in (*world.hidden.values(), "LX-2026-999999", "S-2026-0001", "nonsense"):
        got = await get(world, f"{ROOT}/requests/{number}.json")
        assert got.status == 404, number
        assert_errors(got.body, 404)
        refusals.append(got.text)
    assert len(set(refusals)) == 1  # a private opinion answers exactly as a missing one
    listed = await get(world, f"{ROOT}/requests.json?service_request_id={','.join(world.hidden.values())}")
    assert listed.status == 200 and listed.body == []


async def test_no_name_phone_or_person_id_in_any_response(world: World) -> None:
    async with world.runtime.services.uow() as u:
        people = (await u.session.execute(select(Person.name, Person.phone, Person.code))).all()
        deputy_ids = (await u.session.scalars(select(Deputy.id))).all()
    secrets = {p.name for p in people} | {p.code for p in people if p.code}
    phones = {p.phone for p in people if p.phone}
    secrets |= phones | {phone.lstrip("+").removeprefix("86") for phone in phones}
    assert "周小梅" in secrets and "孙建国" in secrets and "13911112222" in secrets
    paths = [f"{ROOT}/services.json", f"{ROOT}/services.json?lang=en"]
    paths += [f"{ROOT}/requests.json", f"{ROOT}/requests.json?lang=en"]
    start = (datetime.now(UTC) - timedelta(days=120)).date().isoformat()
    paths.append(f"{ROOT}/requests.json?start_date={start}")
    paths += [
        f"{ROOT}/requests/{n}.json{q}" for n in (*world.public.values(), world.old) for q in ("", "?lang=en")
    ]
    for path in paths:
        got = await get(world, path)
        assert got.status == 200, path
        for secret in secrets:
            assert secret not in got.text, (path, secret)
        for item in got.body:
            assert not {"account_id", "person_id", "sender", "holder", "deputy"} & set(item)
    assert deputy_ids  # (ids of people are not fields at all: `assert_request` allows none)


async def test_filters_dates_and_paging(world: World) -> None:
    async def ids(query: str) -> list[str]:
        got = await get(world, f"{ROOT}/requests.json?{query}")
        assert got.status == 200, (query, got.body)
        for item in got.body:
            assert_request(item)
        return [item["service_request_id"] for item in got.body]

    pub = world.public
    assert await ids("service_code=transport") == [pub["waiting"]]
    assert set(await ids("service_code=transport,environment")) == {pub["waiting"], pub["closed"]}
    assert await ids("service_code=nothing") == []
    assert await ids("status=closed") == [pub["closed"]]
    assert set(await ids("status=open")) == set(pub.values()) - {pub["closed"]}
    assert set(await ids("status=open,closed")) == set(pub.values())

    now = world.runtime.services.clock.now().astimezone(SHANGHAI)
    long_ago = (now - timedelta(days=120)).date().isoformat()
    assert await ids(f"start_date={long_ago}") == [world.old]  # start alone: 90 days from it
    end = (now - timedelta(days=50)).isoformat()
    assert await ids(f"end_date={quote(end)}") == [world.old]  # end alone: the 90 days before it
    assert await ids(f"end_date={end}") == [world.old]  # its + not URL-encoded: read as the offset
    assert await ids(f"start_date={now.date().isoformat()}&end_date={now.date().isoformat()}") == await ids(
        ""
    )
    assert await ids(f"service_request_id={world.old},{pub['closed']}") == [pub["closed"], world.old]

    everything = await ids("")
    pages = [await ids(f"page_size=1&page={n}") for n in range(1, len(everything) + 2)]
    assert [p[0] for p in pages if p] == everything and pages[-1] == []
    assert await ids("page_size=3&page=2") == everything[3:6]

    for bad in (
        "page_size=101",
        "page_size=0",
        "page=0",
        "page=abc",
        "page_size=100&page=11",  # past the newest 1,000
        "status=pending",
        "start_date=yesterday",
        f"start_date={long_ago}&end_date={now.date().isoformat()}",  # more than 90 days
        f"start_date={now.date().isoformat()}&end_date={long_ago}",
    ):
        got = await get(world, f"{ROOT}/requests.json?{bad}")
        assert got.status == 400, bad
        assert_errors(got.body, 400)
    zh = await get(world, f"{ROOT}/requests.json?page_size=101")
    en = await get(world, f"{ROOT}/requests.json?page_size=101&lang=en")
    assert zh.body[0]["description"] == "page_size 须为 1 至 100 的整数。"
    assert en.body[0]["description"] == "page_size must be a whole number from 1 to 100."


async def test_read_only_cors_and_caching(world: World) -> None:
    got = await get(world, f"{ROOT}/requests.json")
    assert got.headers["Access-Control-Allow-Origin"] == "*"
    assert got.headers["Cache-Control"] == "public, max-age=60"
    assert "Accept-Language" in got.headers["Vary"]
    assert got.headers["Content-Type"] == "application/json; charset=utf-8"
    again = await get(world, f"{ROOT}/requests.json", {"If-None-Match": got.headers["ETag"]})
    assert again.status == 304 and again.text == ""
    services = await get(world, f"{ROOT}/services.json")
    assert services.headers["Cache-Control"] == "public, max-age=3600"
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        refused = await get(world, f"{ROOT}/requests.json", method=method)
        assert refused.status == 405, method
        assert_errors(refused.body, 405)
        assert refused.headers["Allow"] == "GET, HEAD, OPTIONS"
        assert refused.headers["Access-Control-Allow-Origin"] == "*"
    preflight = await get(world, f"{ROOT}/requests.json", {"Origin": "https://map.example"}, method="OPTIONS")
    assert preflight.status == 204
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "POST" not in preflight.headers["Access-Control-Allow-Methods"]
    head = await get(world, f"{ROOT}/services.json", method="HEAD")
    assert head.status == 200
    nowhere = await get(world, f"{ROOT}/discovery.json")
    assert nowhere.status == 404
    assert_errors(nowhere.body, 404)
    private = await get(world, f"{ROOT}/requests/{world.hidden['private']}.json")
    assert private.headers["Cache-Control"] == "no-store"


# -- rules without a server --------------------------------------------------------------------------


def test_mask_hides_names_and_phone_shaped_numbers() -> None:
    text = "张三 told 李四 to call +86 139-1111-2222 or 0886 123 4567 about 2026 and 12 bags"
    assert (
        mask(text, ["张三", "李四", "x"])
        == f"{MASK} told {MASK} to call {MASK} or {MASK} about 2026 and 12 bags"
    )


def test_parse_query_defaults_to_the_last_90_days() -> None:
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    page = parse_query({}, now, SHANGHAI)
    assert isinstance(page, Page)
    assert (page.query.start, page.query.end) == (now - timedelta(days=90), now)
    assert (page.number, page.size, page.query.limit) == (1, 50, 50)
    page = parse_query({"status": "closed", "page": "3", "page_size": "20"}, now, SHANGHAI)
    assert isinstance(page, Page) and page.query.statuses == {Status.CLOSED}
    assert (page.offset, page.query.limit) == (40, 60)
    day = parse_query({"start_date": "2026-03-01", "end_date": "2026-03-01"}, now, SHANGHAI)
    assert isinstance(day, Page)
    assert day.query.start == datetime(2026, 3, 1, tzinfo=SHANGHAI)
    assert day.query.end == datetime(2026, 3, 2, tzinfo=SHANGHAI) - timedelta(microseconds=1)
    assert isinstance(
        parse_query({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-04-02"}, now, SHANGHAI), Problem
    )


def test_status_is_closed_only_in_the_final_states() -> None:
    """GeoReport has open and closed: an opinion is closed when its lifecycle has ended, and only then."""
    closed = {s.value for s in CLOSED_STATES}
    assert closed == {"closed", "rejected", "duplicate"}
    # Still open: waiting, being handled, answered (the sender may reopen it), escalated (a suggestion now).
    assert {s.value for s in OpinionState} - closed == {
        "submitted",
        "routed",
        "accepted",
        "awaiting_info",
        "answered",
        "reopened",
        "transferred",
        "escalated",
    }


class SuggestionsLike:
    """A second source as suggestions will be one: records in memory, ids `S-YYYY-NNNN`."""

    def __init__(self, records: list[PublicRecord]) -> None:
        self.records = sorted(records, key=lambda r: (r.requested_at, r.service_request_id), reverse=True)

    def service_types(self) -> list[ServiceType]:
        return [ServiceType("suggestion.transport", "Transport", "Constituents' opinions")]

    def owns(self, service_request_id: str) -> bool:
        return service_request_id.startswith("S-")

    async def find(self, uow: UnitOfWork, query: Query) -> list[PublicRecord]:
        return [r for r in self.records if query.start <= r.requested_at <= query.end][: query.limit]

    async def get(self, uow: UnitOfWork, service_request_id: str) -> PublicRecord | None:
        return next((r for r in self.records if r.service_request_id == service_request_id), None)


async def test_a_second_source_merges_into_one_paged_list(world: World) -> None:
    """Suggestions plug in as a source: merged newest first, paged across both, anonymised the same way."""
    services = world.runtime.services
    now = services.clock.now()
    second = SuggestionsLike(
        [
            PublicRecord(
                service_request_id=f"S-2026-{n:04d}",
                service_code="suggestion.transport",
                status=Status.OPEN,
                state_label="answered",
                description="欧阳明远 asks for a bus line; call 13800001111.",
                answer=None,
                agency="交通运输局",
                requested_at=now + timedelta(minutes=n) - timedelta(hours=1),
                updated_at=now,
                expected_at=None,
                latitude=None,
                longitude=None,
                people=("欧阳明远",),
            )
            for n in (1, 2)
        ]
    )
    service = Open311Service(services.settings, [OpinionSource("LX"), second])
    tr = translator("en")
    everything = parse_query({}, now, SHANGHAI)
    assert isinstance(everything, Page)
    async with services.uow() as u:
        merged = await service.requests(u, everything, tr)
        pages = []
        for n in (1, 2, 3, 4):
            page = parse_query({"page_size": "2", "page": str(n)}, now, SHANGHAI)
            assert isinstance(page, Page)
            pages += await service.requests(u, page, tr)
        one = await service.request(u, "S-2026-0002", tr)
    ids = [r["service_request_id"] for r in merged]
    assert set(ids) == {*world.public.values(), "S-2026-0001", "S-2026-0002"}
    assert [r["requested_datetime"] for r in merged] == sorted(
        (r["requested_datetime"] for r in merged), reverse=True
    )
    assert [r["service_request_id"] for r in pages] == ids
    assert ids[-2:] == ["S-2026-0002", "S-2026-0001"]  # an hour older than the opinions
    assert one is not None and one["description"] == f"{MASK} asks for a bus line; call {MASK}."
    for record in merged:
        assert_request(record)
    with pytest.raises(ValueError, match="unique"):
        Open311Service(services.settings, [OpinionSource("LX"), OpinionSource("LX")])


async def test_a_database_fault_is_a_503_in_json(world: World) -> None:
    """A query that fails on the database answers the spec's error list, never a stack trace."""
    async with world.runtime.services.uow() as u:
        await u.session.execute(text("ALTER TABLE opinion RENAME TO opinion_away"))
        await u.commit()
    try:
        got = await get(world, f"{ROOT}/requests.json?lang=en")
        one = await get(world, f"{ROOT}/requests/{world.public['closed']}.json")
    finally:
        async with world.runtime.services.uow() as u:
            await u.session.execute(text("ALTER TABLE opinion_away RENAME TO opinion"))
            await u.commit()
    assert got.status == one.status == 503
    assert_errors(got.body, 503)
    assert got.body[0]["description"] == "The service is unavailable; try again later."
    assert got.headers["Access-Control-Allow-Origin"] == "*" and got.headers["Cache-Control"] == "no-store"
    assert "Traceback" not in got.text and "opinion" not in got.text
    assert (await get(world, f"{ROOT}/requests.json")).status == 200


# -- deputies' suggestions: the second source ------------------------------------------------------------


@dataclass
class Suggested:
    """Suggestions beside the opinions: filed now (listed by default), a seeded year 2025, and hidden ones."""

    world: World
    filed: str  # filed now by D1 with D3 co-signing; its text names both and a phone
    assigned: str  # filed now by D2, published to 交通局
    seeded: dict[str, str]  # number -> state, the year 2025 (plan_year over this network)
    hidden: dict[str, str]  # label -> number: withdrawn


async def _seed_suggestions(runtime: Runtime) -> tuple[str, str, dict[str, str], dict[str, str]]:
    services = runtime.services
    now = services.clock.now()
    async with services.uow() as u:
        unit = Unit(code="JT", name="交通局", kind="government")
        other = Unit(code="SL", name="水利局", kind="government")
        u.session.add_all([unit, other])
        await u.flush()
        u.session.add_all(
            [
                UnitCategory(unit_id=unit.id, category="transport"),
                UnitCategory(unit_id=other.id, category="agriculture"),
            ]
        )
        officer = await u.people.add(Person(name="马建华", phone="+8613955556666"))
        staff = await u.people.add(Person(name="办公室小张", phone="+8613977778888"))
        u.session.add(PersonRole(person_id=staff.id, role=Role.STAFF.value))
        await u.units.add_officer(unit.id, officer.id)
        d1, d2, d3 = [await person_id(u, c) for c in ("D1", "D2", "D3")]
        service = AssignmentService(u)
        text = "孙建国和李秀英调研发现村道破损，联系电话 13912345678。"
        cosigned = await service.file(d1, Draft("关于村道修缮的建议", text, "transport", (d3,)), now)
        assert cosigned.suggestion is not None
        await service.answer_cosign(cosigned.suggestion.id, d3, True, now)
        assigned = await service.file(d2, Draft("关于增开客运班线的建议", "建议增开班车。", "transport"), now)
        waiting = await service.file(d3, Draft("关于学校的建议", "校舍需要维修。", "education", (d1,)), now)
        gone = await service.file(d1, Draft("关于路灯的建议", "路灯不亮。", "urban_construction"), now)
        assert assigned.suggestion is not None and gone.suggestion is not None
        assert waiting.suggestion is not None and waiting.suggestion.number is None  # awaits D1
        prepared = await service.prepare(assigned.suggestion.id, staff.id, unit.id, [], now)
        assert prepared.ok, prepared.refusal
        assert all(o.ok for o in await service.publish(staff.id, now))
        # Behind the service's back: withdrawn (the withdrawal flow is another part's) is never served.
        await u.session.execute(
            update(Suggestion).where(Suggestion.id == gone.suggestion.id).values(state="withdrawn")
        )
        await seed_year(u, 2025, now, total=12, seed=7)
        numbers = dict((await u.session.execute(select(Suggestion.id, Suggestion.number))).all())  # type: ignore[arg-type]
        seeded = dict(
            (
                await u.session.execute(
                    select(Suggestion.number, Suggestion.state).where(Suggestion.number.like("S-2025-%"))
                )
            ).all()  # type: ignore[arg-type]
        )
        await u.commit()
    return (
        numbers[cosigned.suggestion.id],
        numbers[assigned.suggestion.id],
        seeded,
        # The one awaiting its co-signer has no number yet: nothing can even ask for it.
        {"withdrawn": numbers[gone.suggestion.id]},
    )


@pytest.fixture
async def suggested(world: World) -> Suggested:
    filed, assigned, seeded, hidden = await _seed_suggestions(world.runtime)
    return Suggested(world, filed, assigned, seeded, hidden)


async def test_suggestions_are_served_as_requests_of_their_own_services(suggested: Suggested) -> None:
    world = suggested.world
    got = await get(world, f"{ROOT}/requests.json")
    assert got.status == 200
    for item in got.body:
        assert_request(item)
    listed = {item["service_request_id"]: item for item in got.body}
    # The opinions as before, and the two filed now; not the one awaiting its co-signer, nor the withdrawn.
    assert set(listed) == {*world.public.values(), suggested.filed, suggested.assigned}
    filed = listed[suggested.filed]
    assert filed["service_code"] == "suggestion.transport" and filed["service_name"] == "交通出行"
    assert filed["status"] == "open" and filed["status_notes"] == "已提出，待审查"
    assert filed["description"] == f"关于村道修缮的建议\n\n{MASK}和{MASK}调研发现村道破损，联系电话 {MASK}。"
    assert filed["agency_responsible"] == "人大常委会"  # not assigned yet: the congress office has it
    assert filed["expected_datetime"] is None and filed["lat"] is None
    assigned = listed[suggested.assigned]
    assert assigned["agency_responsible"] == "交通局" and assigned["status_notes"] == "已交办"
    async with world.runtime.services.uow() as u:
        row = await u.suggestions.by_number(suggested.assigned)
        assert row is not None and row.due_on is not None
        due = row.due_on
    assert assigned["expected_datetime"] == f"{due.isoformat()}T23:59:59+08:00"  # the end of its due day
    assert assigned["updated_datetime"] >= assigned["requested_datetime"]
    en = await get(world, f"{ROOT}/requests/{suggested.assigned}.json?lang=en")
    assert en.status == 200 and en.body[0]["status_notes"] == "Assigned to the units"
    assert en.body[0]["service_name"] == "Transport"


async def test_a_seeded_year_of_suggestions_filters_and_pages(suggested: Suggested) -> None:
    world = suggested.world
    query = "start_date=2025-01-01&end_date=2025-03-31"

    async def ids(extra: str = "") -> list[str]:
        got = await get(world, f"{ROOT}/requests.json?{query}{extra}")
        assert got.status == 200, got.body
        for item in got.body:
            assert_request(item)
        return [item["service_request_id"] for item in got.body]

    async with world.runtime.services.uow() as u:
        rows = (
            await u.session.execute(
                select(Suggestion.number, Suggestion.category, Suggestion.state, Suggestion.result_class)
                .where(Suggestion.number.like("S-2025-%"))
                .order_by(Suggestion.filed_at.desc(), Suggestion.number.desc())
            )
        ).all()
    listed = await ids()
    in_window = [r for r in rows if r.number in set(listed)]  # the year's filings up to March
    assert listed and len(in_window) == len(listed) < len(rows)
    closed = {"closed", "rechecked", "merged"}
    assert set(await ids("&status=closed")) == {r.number for r in in_window if r.state in closed}
    assert set(await ids("&status=open")) == {r.number for r in in_window if r.state not in closed}
    transport = {r.number for r in in_window if r.category == "transport"}
    assert set(await ids("&service_code=suggestion.transport")) == transport
    assert await ids("&service_code=transport") == []  # the opinions' code: no opinion was filed in 2025
    pages = [await ids(f"&page_size=2&page={n}") for n in range(1, len(listed) // 2 + 3)]
    assert [i for p in pages for i in p] == listed
    number = listed[0]
    one = await get(world, f"{ROOT}/requests/{number}.json")
    item = one.body[0]
    state = next(r for r in rows if r.number == number)
    labels = {"A": "A类：已解决或基本解决", "B": "B类：列入计划逐步解决", "C": "C类：因条件限制留作参考"}
    assert item["status_notes"].endswith(f"（{labels[state.result_class]}）")  # the state, then the class
    assert item["service_code"] == f"suggestion.{state.category}"
    assert item["agency_responsible"] in {"交通局", "水利局"}  # the lead unit, an office
    assert set(suggested.seeded) >= set(listed)


async def test_hidden_suggestions_answer_the_same_404_and_no_person_is_named(suggested: Suggested) -> None:
    world = suggested.world
    refusals = set()
    for number in (*suggested.hidden.values(), "S-2024-0001"):
        got = await get(world, f"{ROOT}/requests/{number}.json")
        assert got.status == 404, number
        refusals.add(got.text)
    assert len(refusals) == 1
    listed = await get(
        world, f"{ROOT}/requests.json?service_request_id={','.join(suggested.hidden.values())}"
    )
    assert listed.status == 200 and listed.body == []
    both = await get(
        world, f"{ROOT}/requests.json?service_request_id={suggested.filed},{world.public['closed']}"
    )
    assert {i["service_request_id"] for i in both.body} == {suggested.filed, world.public["closed"]}
    async with world.runtime.services.uow() as u:
        people = (await u.session.execute(select(Person.name, Person.phone))).all()
    secrets = {p.name for p in people} | {p.phone for p in people if p.phone}
    secrets |= {p.phone.lstrip("+").removeprefix("86") for p in people if p.phone}
    assert {"孙建国", "李秀英", "马建华", "办公室小张", "13955556666"} <= secrets
    paths = [f"{ROOT}/requests.json", f"{ROOT}/requests.json?start_date=2025-01-01&end_date=2025-03-31"]
    paths += [f"{ROOT}/requests.json?start_date=2025-04-01&end_date=2025-06-29&lang=en"]
    paths += [f"{ROOT}/requests/{n}.json" for n in (suggested.filed, suggested.assigned, *suggested.seeded)]
    for path in paths:
        got = await get(world, path)
        assert got.status == 200, path
        for secret in secrets:
            assert secret not in got.text, (path, secret)
