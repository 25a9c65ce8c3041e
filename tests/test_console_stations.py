"""The console's station pages over HTTP, on SQLite and PostgreSQL: the list with its counts; one station's
page with the profile, "六有" checklist, rules, inspectors, the inspection form and the three ledgers
together (receptions and inspections, the photo archive, the rectification list with states, overdue
red); uploads (a photo shown inline, any other file only as a download, 10 MB at most); staff confirming
and reopening an item; refusals shown with their reason; and CSRF on every form.

The console runs as `bot.console.web.make_console_app` serves it, in an aiohttp test server; sign-in is
the real one. Network: tests/data/network_e2e.yaml (V1: D1 孙建国 201, D2 Deputy Wu; V2: D3; M1 钱志强 a
committee member; C1 周小梅). The clock stands at 10:00 Shanghai on 10 March 2026.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.console.auth import ConsoleAuth, Issued
from bot.console.web import ROOT, make_console_app
from bot.network import import_network
from bot.opinions.sla import FixedClock
from bot.runtime.context import Services
from bot.runtime.settings import load_settings
from bot.stations.lifecycle import Action
from bot.stations.records import InspectionDraft, ItemDraft
from bot.stations.service import StationService
from storage.models import AuditEntry, OutboxMessage, Person, Reception, Role
from storage.models.stations import Rectification, StationFile
from storage.unit_of_work import UnitOfWork
from tests.conftest import ROOT as REPO

NETWORK = REPO / "tests" / "data" / "network_e2e.yaml"
T0 = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
TODAY = date(2026, 3, 10)
STAFF_TG = 900001
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
Uow = Callable[[], UnitOfWork]


@dataclass
class Host:
    services: Services


@dataclass
class World:
    staff: int
    m1: int
    d1: int
    d3: int
    v1: int
    v2: int


@dataclass
class Console:
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

    async def upload(
        self, path: str, fields: dict[str, str], name: str, body: bytes, mime: str
    ) -> tuple[int, str]:
        form = aiohttp.FormData()
        form.add_field("csrf", self.csrf)
        for key, value in fields.items():
            form.add_field(key, value)
        form.add_field("file", body, filename=name, content_type=mime)
        async with self.client.post(ROOT + path, data=form, allow_redirects=False) as resp:
            return resp.status, await resp.text()

    async def fetch(self, path: str) -> tuple[int, dict[str, str], bytes]:
        async with self.client.get(ROOT + path, allow_redirects=False) as resp:
            return resp.status, dict(resp.headers), await resp.read()


def png(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (200, 40, 40)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
async def world(sessionmaker: async_sessionmaker[AsyncSession], uow: Uow) -> World:
    await import_network(sessionmaker, NETWORK)
    async with uow() as u:
        staff = await u.people.add(Person(name="办公室小张", telegram_id=STAFF_TG))
        await u.people.grant(staff, Role.STAFF)
        people = {c: await u.people.by_code(c) for c in ("M1", "D1", "D3")}
        v1, v2 = [await u.network.station_by_code(c) for c in ("V1", "V2")]
        assert v1 is not None and v2 is not None and all(people.values())
        deputy = await u.people.deputy_of(people["D1"].id)  # type: ignore[union-attr]
        assert deputy is not None
        u.session.add(
            Reception(
                deputy_id=deputy.id,
                station_id=v1.id,
                day=TODAY - timedelta(days=3),
                people=12,
                opinions_paper=2,
                note="接待群众反映修路",
                legacy=True,  # typed before registration (bot/receptions derives the counts of newer ones)
            )
        )
        await u.commit()
        return World(staff.id, people["M1"].id, people["D1"].id, people["D3"].id, v1.id, v2.id)  # type: ignore[union-attr]


@pytest.fixture
async def console(
    world: World, sessionmaker: async_sessionmaker[AsyncSession], uow: Uow
) -> AsyncIterator[Console]:
    clock = FixedClock(T0)
    services = Services(
        load_settings(database_url="sqlite:///unused.db", timezone="Asia/Shanghai"), sessionmaker, clock=clock
    )
    app = web.Application()
    app.add_subapp(ROOT, make_console_app(Host(services)))  # type: ignore[arg-type]
    async with TestClient(TestServer(app)) as client:
        async with uow() as u:
            person = await u.people.by_telegram_id(STAFF_TG)
            assert person is not None
            issued = await ConsoleAuth(u, clock).issue(person)
            await u.commit()
        assert isinstance(issued, Issued)
        async with client.post(f"{ROOT}/login/{issued.token}", allow_redirects=False) as resp:
            assert resp.status == 303
        async with client.get(f"{ROOT}/stations") as resp:
            found = CSRF.search(await resp.text())
        assert found is not None
        yield Console(client, found.group(1))


async def audits(uow: Uow, prefix: str) -> list[AuditEntry]:
    async with uow() as u:
        rows = await u.session.scalars(
            select(AuditEntry).where(AuditEntry.action.like(f"{prefix}%")).order_by(AuditEntry.id)
        )
        return list(rows.all())


async def test_the_list_and_the_page_keep_the_three_ledgers_together(
    console: Console, world: World, uow: Uow
) -> None:
    status, page = await console.get("/stations?q=丙村")
    assert status == 200
    assert re.findall(r'data-testid="station-row" data-code="([^"]+)"', page) == ["V1"]
    status, page = await console.get(f"/stations/{world.v1}")
    assert status == 200
    assert 'data-testid="station-name">丙村人大代表联络站<' in page
    assert "孙建国" in page and "接待群众反映修路" in page  # the activity records: the reception diary
    assert (
        'data-testid="no-inspections"' in page
        and 'data-testid="no-files"' in page
        and 'data-testid="no-items"' in page
    )
    assert (await console.get(f"/stations/{world.v1 + 999}"))[0] == 404
    # In English too, every label translated (the templates' texts are checked in tests/test_console.py).
    await console.post("/language", {"locale": "en", "next": f"{ROOT}/stations/{world.v1}"})
    _status, page = await console.get(f"/stations/{world.v1}")
    assert "Six haves” checklist" in page and "Photo archive" in page and "Rectification list" in page


async def test_profile_checklist_and_rules(console: Console, world: World, uow: Uow) -> None:
    status, where, _ = await console.post(
        f"/stations/{world.v1}/profile",
        {
            "address": "丙村村委会二楼",
            "hours_mon": "9:00–12:00",
            "hours_sat": "",
            "hours_note": "每月15日接待日",
            "latitude": "25.81",
            "longitude": "98.81",
        },
    )
    assert status == 303 and where.endswith("done=profile#profile")
    status, _where, page = await console.post(
        f"/stations/{world.v1}/profile", {"address": "x", "latitude": "95", "longitude": "98"}
    )
    assert status == 422 and 'data-testid="error"' in page
    status, _where, page = await console.post(f"/stations/{world.v1}/profile", {"address": "地" * 301})
    assert status == 422
    _status, page = await console.get(f"/stations/{world.v1}")
    assert 'value="丙村村委会二楼"' in page and 'value="9:00–12:00"' in page and 'value="25.81"' in page
    status, _where, _ = await console.post(
        f"/stations/{world.v1}/standards", {"met_venue": "1", "met_rules": "1", "note_funds": "经费未落实"}
    )
    assert status == 303
    _status, page = await console.get(f"/stations/{world.v1}")
    assert re.findall(r'data-testid="standard" data-item="(\w+)" data-met="(\w+)"', page) == [
        ("venue", "yes"), ("staff", "no"), ("rules", "yes"), ("activities", "no"), ("funds", "no"), ("equipment", "no")
    ]  # fmt: skip
    assert 'value="经费未落实"' in page and 'data-testid="met">2 / 6' in page
    assert (await console.post(f"/stations/{world.v1}/rules", {"standard": "1"}))[0] == 303
    _status, page = await console.get(f"/stations/{world.v1}")
    titles = re.findall(r'name="title" maxlength="200" value="([^"]+)"', page)
    assert len(titles) == 13 and "民情日记制度" in titles and "定期接待走访群众制度" in titles
    async with uow() as u:
        rules = list(await u.stations.rules(world.v1))
    status, _where, _ = await console.post(
        f"/stations/{world.v1}/rules/{rules[0].id}", {"title": "进站接待制度", "body": "每周一接待"}
    )
    assert status == 303
    assert (await console.post(f"/stations/{world.v1}/rules/{rules[1].id}", {"title": "x", "delete": "1"}))[
        0
    ] == 303
    assert (await console.post(f"/stations/{world.v2}/rules/{rules[2].id}", {"title": "x", "delete": "1"}))[
        0
    ] == 409  # not V2's
    async with uow() as u:
        after = list(await u.stations.rules(world.v1))
    assert len(after) == 12 and (after[0].title, after[0].body) == ("进站接待制度", "每周一接待")
    assert [e.detail.get("point") for e in await audits(uow, "station.profile")] == [True]


async def test_uploads_images_inline_anything_else_a_download(
    console: Console, world: World, uow: Uow
) -> None:
    noisy = io.BytesIO()  # random pixels do not compress: over aiohttp's 1 MB default body
    Image.frombytes("RGB", (700, 700), random.Random(7).randbytes(700 * 700 * 3)).save(noisy, format="PNG")
    assert len(noisy.getvalue()) > 1024 * 1024
    status, _ = await console.upload(
        f"/stations/{world.v1}/files",
        {"item": "venue", "caption": "接待室"},
        "room.png",
        noisy.getvalue(),
        "image/png",
    )
    assert status == 303
    status, _ = await console.upload(
        f"/stations/{world.v1}/files", {"item": ""}, "evil.html", b"<script>alert(1)</script>", "text/html"
    )
    assert status == 303
    status, page = await console.upload(
        f"/stations/{world.v1}/files",
        {"item": "venue"},
        "huge.bin",
        b"0" * (10 * 1024 * 1024 + 1),
        "application/zip",
    )
    assert status == 422 and "10 MB" in page
    status, page = await console.upload(
        f"/stations/{world.v1}/files", {"item": "venue"}, "empty.txt", b"", "text/plain"
    )
    assert status == 422
    async with uow() as u:
        files = list((await u.session.scalars(select(StationFile).order_by(StationFile.id))).all())
    assert [(f.kind, f.standard_item, f.mime_type) for f in files] == [
        ("photo", "venue", "image/png"), ("document", None, "text/html")
    ]  # fmt: skip
    status, headers, body = await console.fetch(f"/stations/{world.v1}/files/{files[0].id}")
    assert status == 200 and headers["Content-Type"] == "image/png" and "Content-Disposition" not in headers
    assert body == noisy.getvalue()
    status, headers, body = await console.fetch(f"/stations/{world.v1}/files/{files[1].id}")
    assert status == 200 and headers["Content-Type"] == "application/octet-stream"
    assert headers["Content-Disposition"].startswith('attachment; filename="evil.html"')
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert (await console.fetch(f"/stations/{world.v2}/files/{files[0].id}"))[0] == 404  # another station's
    _status, page = await console.get(f"/stations/{world.v1}")
    assert page.count('data-testid="archive-file"') == 2 and 'data-testid="archive-photo"' in page


async def test_inspectors_an_inspection_and_its_item_confirmed_by_staff(
    console: Console, world: World, uow: Uow
) -> None:
    assert (await console.post(f"/stations/{world.v1}/inspectors", {"person": str(world.d1)}))[
        0
    ] == 422  # a plain deputy
    assert (await console.post(f"/stations/{world.v1}/inspectors", {"person": str(world.m1)}))[0] == 303
    _status, page = await console.get(f"/stations/{world.v1}")
    assert page.count('data-testid="inspector"') == 1 and "钱志强" in page
    due = (TODAY + timedelta(days=7)).isoformat()
    base = {
        "inspector": str(world.m1),
        "held_on": TODAY.isoformat(),
        "findings": "档案不全",
        "item_text_1": "补齐接待档案",
        "item_due_1": due,
        "item_who_1": str(world.d1),
    }
    status, _where, page = await console.post(f"/stations/{world.v1}/inspections", base)  # no kind ticked
    assert status == 422 and "档案不全" in page  # the form keeps what was typed
    other = [*{**base, "item_who_1": str(world.d3)}.items(), ("kind", "visits")]
    status, _where, page = await console.post(f"/stations/{world.v1}/inspections", other)
    assert status == 422  # D3 is another station's deputy
    status, _where, page = await console.post(f"/stations/{world.v1}/inspections", {**base, "item_due_1": ""})
    assert status == 422
    status, where, _ = await console.post(
        f"/stations/{world.v1}/inspections", [*base.items(), ("kind", "files"), ("kind", "visits")]
    )
    assert status == 303 and where.endswith("done=inspection#items")
    async with uow() as u:
        item = (await u.session.scalars(select(Rectification))).one()
        sent = list(
            (await u.session.scalars(select(OutboxMessage).where(OutboxMessage.chat_id == 201))).all()
        )
    assert item.responsible_person_id == world.d1 and item.state == "open"
    assert any("补齐接待档案" in m.payload["text"] and m.payload.get("reply_markup") for m in sent)
    async with uow() as u:
        d1 = await u.people.get(world.d1)
        assert d1 is not None
        assert (
            await StationService(u, zone="Asia/Shanghai").act(item.id, Action.REPORT, d1, T0, note="已补齐")
        ).ok
        await u.commit()
    _status, page = await console.get(f"/stations/{world.v1}")
    assert 'data-testid="item" data-state="reported"' in page and 'data-testid="item-confirm"' in page
    assert (await console.post(f"/stations/{world.v1}/items/{item.id}/reopen", {"reason": " "}))[0] == 422
    assert (await console.post(f"/stations/{world.v2}/items/{item.id}/confirm", {}))[
        0
    ] == 404  # another station's
    assert (await console.post(f"/stations/{world.v1}/items/{item.id}/confirm", {}))[0] == 303
    status, _where, page = await console.post(f"/stations/{world.v1}/items/{item.id}/confirm", {})
    assert status == 409 and 'data-testid="error"' in page  # stale: confirmed already
    _status, page = await console.get(f"/stations/{world.v1}")
    assert 'data-testid="item" data-state="confirmed"' in page and 'data-testid="item-confirm"' not in page
    assert [e.allowed for e in await audits(uow, "console.station.item")] == [False, True, False]
    assert (await console.post(f"/stations/{world.v1}/inspectors/{world.m1}/remove", {}))[0] == 303
    _status, page = await console.get("/stations")
    assert re.search(r'data-code="V1">.*?data-testid="open-items">0<', page, re.S)


async def test_overdue_items_show_red(console: Console, world: World, uow: Uow) -> None:
    async with uow() as u:
        staff = await u.people.get(world.staff)
        assert staff is not None
        outcome = await StationService(u, zone="Asia/Shanghai").record_inspection(
            InspectionDraft(
                world.v1,
                world.staff,
                TODAY,
                ("spot_check",),
                "抽查",
                (ItemDraft("补挂牌匾", TODAY + timedelta(days=1), world.d1),),
                source="console",
            ),
            staff,
            T0,
        )
        assert outcome.ok
        outcome.items[0].due_on = TODAY - timedelta(days=1)  # as if the day had passed
        await u.commit()
    _status, page = await console.get(f"/stations/{world.v1}")
    assert 'data-overdue="yes"' in page and 'data-testid="overdue"' in page
    _status, page = await console.get("/stations")
    assert re.search(r'data-code="V1">.*?data-testid="overdue"><span class="dot red">1<', page, re.S)


async def test_every_form_needs_the_csrf_token(console: Console, world: World, uow: Uow) -> None:
    forged = {"csrf": "forged", "address": "被篡改"}
    for path in ("profile", "standards", "rules", "inspectors", "inspections", "files"):
        status, _where, _ = await console.post(f"/stations/{world.v1}/{path}", forged)
        assert status == 403, path
    async with uow() as u:
        assert await u.stations.profile(world.v1) is None
    assert len(await audits(uow, "console.csrf_refused")) == 6
