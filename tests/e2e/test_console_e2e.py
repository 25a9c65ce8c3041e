"""The staff web console end to end: /console through the sandbox, then real HTTP to the bot's web server.

The network (tests/data/network_e2e.yaml): C1 (周小梅, 301) is linked to D1 (孙建国, 201); D3 (李秀英,
203) is at V2. User 900001 is admin and staff. The console is served by `bot.runtime.web.serve_web` on a free
port, exactly as `liaison run` serves it; the clock starts at 10:00 Shanghai.
"""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select, text
from telegram.ext import CommandHandler

from bot.console.web import COOKIE
from bot.network import import_network
from bot.people.tokens import hash_token
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.runtime.web import WebServer, serve_web
from bot.sandbox import Sandbox
from storage.models import AuditEntry, ConsoleLogin, ConsoleSession, Deputy, Opinion, Person, PersonRole, Role
from tests.e2e.conftest import NETWORK
from tests.e2e.flows import opinion, started, submit
from tests.kit import SandboxUser, runtime_probe, watching
from tests.reliability.helpers import free_port

Make = Callable[..., SandboxUser]
LINK = re.compile(r"(http://127\.0\.0\.1:\d+/console/login/([A-Za-z0-9_-]+))")
CSRF = re.compile(r'name="csrf" value="([^"]+)"')
STAFF_ID = 900001
LINK_TEXT = "网页控制台登录链接"
STAFF_ONLY = "抱歉，网页控制台仅供人大工作人员使用。"


@dataclass
class ConsoleStack:
    """The bot with the e2e network, its web server (console included) and the console's base URL."""

    runtime: Runtime
    site: WebServer
    base: str

    async def stop(self) -> None:
        await self.site.stop()
        await self.runtime.stop()


def ensure_console(runtime: Runtime) -> None:
    """/console comes with the real wiring (bot/runtime/wiring.py): nothing to register, only checked."""
    app = runtime.application
    assert any(
        isinstance(h, CommandHandler) and "console" in h.commands for hs in app.handlers.values() for h in hs
    )


async def start_stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> ConsoleStack:
    """Bot, network and web server on a free port (the console's base URL points at it)."""
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
    )
    runtime = Runtime(
        settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=5, digest_every=0
    )
    await runtime.start()
    try:
        await import_network(runtime.services.sessionmaker, NETWORK)
        ensure_console(runtime)
        site = await serve_web(runtime, settings)
    except BaseException:
        await runtime.stop()
        raise
    return ConsoleStack(runtime, site, base)


async def login_link(staff: SandboxUser) -> str:
    """Send /console as this user and read the link from the bot's reply."""
    await staff.command("console")
    reply = await staff.receives(containing=LINK_TEXT)
    found = LINK.search(reply["text"])
    assert found, reply["text"]
    return found.group(1)


@pytest.fixture
async def stack(sandbox: Sandbox, db_url: str, clock: ManualClock) -> AsyncIterator[ConsoleStack]:
    stack = await start_stack(sandbox, db_url, clock)
    try:
        with watching(sandbox, runtime_probe(stack.runtime)):
            yield stack
    finally:
        await stack.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    """A browser-like client: keeps cookies (also for 127.0.0.1), follows no redirect by itself."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        yield session


async def sign_in(http: aiohttp.ClientSession, link: str) -> str:
    """Open the link (GET, then the button's POST); returns the dashboard's CSRF token."""
    async with http.get(link, allow_redirects=False) as resp:
        assert resp.status == 200, await resp.text()
        assert 'data-testid="login-button"' in await resp.text()
    async with http.post(link, allow_redirects=False) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == "/console/"
        cookie = resp.headers["Set-Cookie"]
        assert (
            COOKIE in cookie
            and "HttpOnly" in cookie
            and "SameSite=Strict" in cookie
            and "Path=/console" in cookie
        )
    base = link.split("/console/")[0]
    async with http.get(f"{base}/console/", allow_redirects=False) as resp:
        assert resp.status == 200
        page = await resp.text()
    found = CSRF.search(page)
    assert found
    return found.group(1)


async def audit(runtime: Runtime, action: str) -> list[AuditEntry]:
    async with runtime.services.uow() as uow:
        return list((await uow.session.scalars(select(AuditEntry).where(AuditEntry.action == action))).all())


async def deputy_id(runtime: Runtime, code: str) -> int:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalar(
            select(Deputy.id).join(Person, Person.id == Deputy.person_id).where(Person.code == code)
        )
    assert found is not None
    return int(found)


async def test_staff_get_a_one_time_link_others_a_refusal(stack: ConsoleStack, people: Make) -> None:
    staff, c1 = people(STAFF_ID, "办公室小张"), people(301, "周小梅")
    link = await login_link(staff)
    token = link.rsplit("/", 1)[1]
    async with stack.runtime.services.uow() as uow:
        rows = list((await uow.session.scalars(select(ConsoleLogin))).all())
    # Only the hash is stored; the link expires 10 minutes after it was issued, on the service clock.
    assert [r.token_hash for r in rows] == [hash_token(token)]
    assert rows[0].expires_at - rows[0].created_at == timedelta(minutes=10)
    assert token not in {r.token_hash for r in rows}

    await c1.command("console")
    await c1.receives(containing=STAFF_ONLY)
    refused = await audit(stack.runtime, "console.link_refused")
    assert len(refused) == 1 and not refused[0].allowed and refused[0].detail["reason"] == "not_staff"
    assert len(await audit(stack.runtime, "console.link_issued")) == 1


async def test_login_opens_a_session_and_every_page(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    staff = people(STAFF_ID, "办公室小张")
    csrf = await sign_in(http, await login_link(staff))
    pages = [
        "/console/",
        "/console",
        "/console/opinions",
        "/console/opinions?state=open&colour=red&station=1&category=transport&deputy=0&q=%25_x",
        "/console/network",
        "/console/network?tab=deputies&q=孙",
        "/console/network?tab=contacts&q=M1",
        "/console/broadcasts",
        "/console/audit",
        "/console/audit?action=console.&refused=1",
        "/console/stats",
        "/console/stats?from=2026-01-01&to=2025-01-01",
    ]
    for path in pages:
        async with http.get(stack.base + path) as resp:
            assert resp.status == 200, path
            text = await resp.text()
            assert 'data-testid="me"' in text and "办公室小张" in text, path
            csp = resp.headers["Content-Security-Policy"]
            assert "default-src 'none'" in csp and "script" not in csp
            assert resp.headers["Cache-Control"] == "no-store"
    # Ids out of range or in other scripts' digits find nothing; they never reach the database as such.
    for path in ("/console/opinions/99999999999", "/console/opinions/²", "/console/broadcasts/4294967296"):
        async with http.get(stack.base + path) as resp:
            assert resp.status == 404, path
    async with http.get(stack.base + "/console/opinions?station=99999999999&deputy=²&page=0") as resp:
        assert resp.status == 200 and 'data-testid="no-rows"' in await resp.text()
    async with http.post(
        stack.base + "/console/opinions/99999999999/reassign",
        data={"csrf": csrf, "holder": "0", "deputy_id": "99999999999"},
    ) as resp:
        assert resp.status == 404
    async with http.get(stack.base + "/console/network?tab=deputies&q=孙") as resp:
        text = await resp.text()
        assert "孙建国" in text and "李秀英" not in text
    # The language switch is a POST with the CSRF token; afterwards the pages are in English.
    async with http.post(
        stack.base + "/console/language",
        data={"csrf": csrf, "locale": "en", "next": "/console/opinions"},
        allow_redirects=False,
    ) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/console/opinions"
    async with http.get(stack.base + "/console/opinions") as resp:
        assert "Tracking number" in await resp.text()
    # An open redirect is not possible through `next`.
    async with http.post(
        stack.base + "/console/language",
        data={"csrf": csrf, "locale": "zh_Hans", "next": "//evil.example/"},
        allow_redirects=False,
    ) as resp:
        assert resp.headers["Location"] == "/console/"
    logins = await audit(stack.runtime, "console.login")
    assert len(logins) == 1 and logins[0].actor_telegram_id == STAFF_ID


async def test_reused_and_expired_links_are_refused(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    staff = people(STAFF_ID, "办公室小张")
    link = await login_link(staff)
    await sign_in(http, link)
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as other:
        for method in ("GET", "POST"):
            async with other.request(method, link, allow_redirects=False) as resp:
                assert resp.status == 403
                assert "此登录链接已使用过" in await resp.text()
                assert COOKIE not in resp.headers.get("Set-Cookie", "")

        late = await login_link(staff)
        clock.advance(timedelta(minutes=10))
        async with other.get(late, allow_redirects=False) as resp:
            assert resp.status == 403 and "此登录链接已过期" in await resp.text()
        async with other.post(late, allow_redirects=False) as resp:
            assert resp.status == 403
        async with other.get(
            stack.base + "/console/login/not-a-real-token-at-all-xx", allow_redirects=False
        ) as resp:
            assert resp.status == 403 and "此登录链接无效" in await resp.text()
    reasons = sorted(r.detail["reason"] for r in await audit(stack.runtime, "console.login_refused"))
    assert reasons == ["expired", "expired", "unknown", "used", "used"]
    async with stack.runtime.services.uow() as uow:
        assert len((await uow.session.scalars(select(ConsoleSession))).all()) == 1


async def test_reassign_in_the_console_notifies_through_the_outbox(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    staff, c1, d1, d3 = (
        people(STAFF_ID, "办公室小张"),
        people(301, "周小梅"),
        people(201, "孙建国"),
        people(203, "李秀英"),
    )
    await started(c1, d1, d3)
    tracking = await submit(c1, "村口的路灯坏了三个月", "交通出行")
    first = await d1.receives(containing=tracking)
    assert first["reply_markup"] is not None
    row = await opinion(stack.runtime, tracking)
    d1_id, d3_id = await deputy_id(stack.runtime, "D1"), await deputy_id(stack.runtime, "D3")
    assert row.holder_deputy_id == d1_id

    csrf = await sign_in(http, await login_link(staff))
    async with http.get(f"{stack.base}/console/opinions/{row.id}") as resp:
        page = await resp.text()
    assert "村口的路灯坏了三个月" in page and 'data-testid="reassign-form"' in page
    assert f'<option value="{d3_id}">' in page and f'<option value="{d1_id}">' not in page
    form = {"csrf": csrf, "holder": str(d1_id), "deputy_id": str(d3_id), "note": "李代表分管交通"}
    async with http.post(
        f"{stack.base}/console/opinions/{row.id}/reassign", data=form, allow_redirects=False
    ) as resp:
        assert resp.status == 303
        assert resp.headers["Location"] == f"/console/opinions/{row.id}?done=reassigned"

    card = await d3.receives(containing=tracking)
    assert "村口的路灯坏了三个月" in card["text"] and card["reply_markup"] is not None
    await c1.receives(containing=f"您的意见 {tracking} 已转交李秀英代表办理")
    await d1.receives(containing=f"意见 {tracking} 已不再由您办理")
    # The previous holder's card loses its buttons (edited in place).
    edited = await d1.receives(where=lambda m: m["message_id"] == first["message_id"] and m["edited"])
    assert not (edited["reply_markup"] or {}).get("inline_keyboard")
    after = await opinion(stack.runtime, tracking)
    assert after.holder_deputy_id == d3_id and after.state == "transferred"
    async with http.get(f"{stack.base}/console/opinions/{row.id}?done=reassigned") as resp:
        page = await resp.text()
    assert "已交给李秀英" in page and "李代表分管交通" in page and 'data-action="transfer"' in page

    # The same form again is stale (the opinion is no longer with D1): refused, nothing changes.
    async with http.post(
        f"{stack.base}/console/opinions/{row.id}/reassign", data=form, allow_redirects=False
    ) as resp:
        assert resp.status == 409 and "这条意见在您查看时已有变化" in await resp.text()
    assert (await opinion(stack.runtime, tracking)).holder_deputy_id == d3_id
    entries = await audit(stack.runtime, "console.reassign")
    assert [e.allowed for e in entries] == [True, False]
    assert entries[1].detail["reason"] == "stale_state"
    await d3.receives_nothing()


async def test_no_session_bad_csrf_and_foreign_origin_are_refused(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    staff, c1, d1 = people(STAFF_ID, "办公室小张"), people(301, "周小梅"), people(201, "孙建国")
    await started(c1, d1)
    tracking = await submit(c1, "桥上的栏杆松了 <script>alert(1)</script>", "交通出行")
    row = await opinion(stack.runtime, tracking)
    d3_id = await deputy_id(stack.runtime, "D3")
    url = f"{stack.base}/console/opinions/{row.id}/reassign"
    form = {"holder": str(row.holder_deputy_id), "deputy_id": str(d3_id)}

    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as stranger:
        async with stranger.get(f"{stack.base}/console/opinions", allow_redirects=False) as resp:
            assert resp.status == 303 and resp.headers["Location"] == "/console/welcome?why=none"
        async with stranger.get(f"{stack.base}/console/welcome?why=none") as resp:
            assert resp.status == 200 and "/console" in await resp.text()
            assert tracking not in await resp.text()
        async with stranger.post(url, data={**form, "csrf": "x" * 43}, allow_redirects=False) as resp:
            assert resp.status == 403
        stranger.cookie_jar.update_cookies({COOKIE: "forged-session-id-forged-session-id"})
        async with stranger.get(f"{stack.base}/console/", allow_redirects=False) as resp:
            assert resp.status == 303

    csrf = await sign_in(http, await login_link(staff))
    async with http.get(f"{stack.base}/console/opinions/{row.id}") as resp:
        page = await resp.text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "<script" not in page  # user text is escaped
    for bad in ("", "x" * len(csrf), csrf[:-1]):
        async with http.post(url, data={**form, "csrf": bad}, allow_redirects=False) as resp:
            assert resp.status == 403, bad
            assert "表单已过期" in await resp.text()
    async with http.post(
        url, data={**form, "csrf": csrf}, headers={"Origin": "http://evil.example"}, allow_redirects=False
    ) as resp:
        assert resp.status == 403
    assert (await opinion(stack.runtime, tracking)).holder_deputy_id == row.holder_deputy_id
    refused = await audit(stack.runtime, "console.csrf_refused")
    assert len(refused) == 3 and all(not r.allowed and r.actor_telegram_id == STAFF_ID for r in refused)
    # Logging out ends the session for good.
    async with http.post(f"{stack.base}/console/logout", data={"csrf": csrf}, allow_redirects=False) as resp:
        assert resp.status == 303
    async with http.get(f"{stack.base}/console/", allow_redirects=False) as resp:
        assert resp.status == 303


async def test_a_person_who_stops_being_staff_loses_access(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession, clock: ManualClock
) -> None:
    staff = people(STAFF_ID, "办公室小张")
    await sign_in(http, await login_link(staff))
    async with stack.runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(STAFF_ID)
        assert person is not None
        await uow.session.execute(
            delete(PersonRole).where(PersonRole.person_id == person.id, PersonRole.role == Role.STAFF.value)
        )
        await uow.commit()
    async with http.get(f"{stack.base}/console/opinions", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/console/welcome?why=not_staff"
    refused = await audit(stack.runtime, "console.session_refused")
    assert len(refused) == 1 and refused[0].detail["reason"] == "not_staff"
    # Staff again: the ended session stays ended; a new link is needed.
    async with stack.runtime.services.uow() as uow:
        person = await uow.people.by_telegram_id(STAFF_ID)
        assert person is not None
        await uow.people.grant(person, Role.STAFF)
        await uow.commit()
    async with http.get(f"{stack.base}/console/", allow_redirects=False) as resp:
        assert resp.status == 303
    # Idle for 8 hours, a fresh session ends too.
    await sign_in(http, await login_link(staff))
    clock.advance(timedelta(hours=8))
    async with http.get(f"{stack.base}/console/", allow_redirects=False) as resp:
        assert resp.status == 303 and resp.headers["Location"] == "/console/welcome?why=expired"


async def test_lists_and_statistics_download_as_xlsx_and_csv(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    staff, c1, d1 = people(STAFF_ID, "办公室小张"), people(301, "周小梅"), people(201, "孙建国")
    await started(c1, d1)
    tracking = await submit(c1, '=HYPERLINK("http://evil") 路灯', "交通出行")
    await sign_in(http, await login_link(staff))
    async with http.get(f"{stack.base}/console/opinions?format=xlsx&category=transport") as resp:
        assert resp.status == 200
        assert resp.headers["Content-Type"].startswith("application/vnd.openxmlformats")
        assert "attachment;" in resp.headers["Content-Disposition"]
        book = load_workbook(io.BytesIO(await resp.read()))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "收到时间", "类别")
    assert rows[1][0] == tracking and rows[1][2] == "交通出行" and rows[1][7] == "孙建国"
    assert rows[1][8] == '=HYPERLINK("http://evil") 路灯' and sheet.cell(2, 9).data_type == "s"
    async with http.get(f"{stack.base}/console/opinions?format=csv") as resp:
        body = await resp.read()
    assert body.startswith("\ufeff".encode()) and tracking.encode() in body
    assert b"'=HYPERLINK" in body
    async with http.get(f"{stack.base}/console/stats?format=xlsx") as resp:
        stats_book = load_workbook(io.BytesIO(await resp.read()))
    totals = {r[0]: r[1] for r in stats_book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert totals["收到"] == 1
    titles = [s.title for s in stats_book.worksheets]
    assert titles[2:7] == ["按类别", "按联络站", "按代表", "按月份", "按地区"]
    # The stations at work follow (bot/stats/stations.py), then the deputies' suggestions of the period,
    # as the page shows them.
    stations = ["联络站履职", *(f"联络站履职（按{t}）" for t in ("年度", "乡镇", "站点", "代表"))]
    assert titles[7:12] == stations
    suggestions = ["总计", "按届次会议和闭会期间", "按主办单位", "按督办专委会", "按类别"]
    assert titles[12:] == [f"代表建议：{t}" for t in suggestions]
    for path in (
        "/console/network?format=xlsx&tab=contacts",
        "/console/audit?format=csv",
        "/console/broadcasts?format=xlsx",
    ):
        async with http.get(stack.base + path) as resp:
            assert resp.status == 200, path
    exports = await audit(stack.runtime, "console.export")
    assert [e.detail["list"] for e in exports] == [
        "opinions",
        "opinions",
        "statistics",
        "network-contacts",
        "audit",
        "broadcasts",
    ]


async def test_a_database_failure_is_answered_with_503(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    staff = people(STAFF_ID, "办公室小张")
    await sign_in(http, await login_link(staff))
    async with stack.runtime.services.uow() as uow:
        await uow.session.execute(text("DROP TABLE console_session"))
        await uow.commit()
    async with http.get(f"{stack.base}/console/opinions", allow_redirects=False) as resp:
        assert resp.status == 503
        assert "暂时无法连接数据库" in await resp.text()


async def test_an_anonymous_sender_is_named_on_no_console_page_or_export(
    stack: ConsoleStack, people: Make, http: aiohttp.ClientSession
) -> None:
    """The detail page's "From" and timeline "By", the audit log (page and CSV) and the list's export."""
    staff, c1, d1 = people(STAFF_ID, "办公室小张"), people(301, "周小梅"), people(201, "孙建国")
    await started(c1, d1)
    await c1.send("反映村干部作风问题")
    await c1.receives(containing="您的意见（草稿）")
    await c1.press("👤 匿名：关")
    await c1.receives(containing="匿名：是")
    await c1.press("📤 提交")  # nothing to guess from: filed under "other" in one tap
    filed = await c1.receives(containing="已提交，编号")
    assert "类别：其他" in filed["text"]
    await d1.receives(containing="反映村干部作风问题")
    row = await opinion_with_text(stack.runtime, "反映村干部作风问题")
    assert row.anonymous
    refused = await c1.press(data=f"op:acc:{row.id}", forge=True)  # the sender's own act, audited
    assert (await refused.answer())["show_alert"]

    await sign_in(http, await login_link(staff))
    pages = {}
    for path in (
        f"/console/opinions/{row.id}",
        "/console/opinions?format=csv",
        "/console/audit?action=opinion.",
        "/console/audit?action=opinion.&format=csv",
    ):
        async with http.get(stack.base + path) as resp:
            assert resp.status == 200, path
            pages[path] = (await resp.read()).decode("utf-8-sig")
    for path, page in pages.items():
        assert "周小梅" not in page and "<td>301</td>" not in page and ",301," not in page, path
    detail = pages[f"/console/opinions/{row.id}"]
    assert 'data-action="submit"' in detail and detail.count("匿名") >= 2  # From, and By on submit
    assert "匿名" in pages["/console/audit?action=opinion."]


async def opinion_with_text(runtime: Runtime, text_: str) -> Opinion:
    async with runtime.services.uow() as uow:
        found = await uow.session.scalar(select(Opinion).where(Opinion.text == text_))
    assert found is not None
    return found
