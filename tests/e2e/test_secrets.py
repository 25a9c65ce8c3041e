"""Secrets end to end: the bot token and one-time links reach no log line and no table row.

The bot talks to the sandbox through a small HTTP proxy that plays a misbehaving network: the first
getUpdates is redirected into a redirect loop, the next answers 500 with the URL (token included) in
its description, and the first sendMessage answers 502 the same way. Meanwhile an administrator
invites a staff member, who opens the invitation, asks for a /console link and signs in over HTTP.
Logging runs at DEBUG for every logger (the quietened ones too) into a handler on the root logger.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.network import import_network
from bot.runtime.app import Runtime
from bot.runtime.clock import ManualClock
from bot.runtime.context import LiaisonContext
from bot.runtime.outbox import Pacing
from bot.runtime.redact import QUIET_LOGGERS
from bot.runtime.settings import load_settings
from bot.runtime.web import serve_web
from bot.sandbox import Sandbox
from storage.models import Base, InboxUpdate, OutboxMessage, OutboxStatus
from tests.e2e.conftest import NETWORK
from tests.e2e.flows import started, submit
from tests.e2e.test_console_e2e import ensure_console, sign_in
from tests.kit import SandboxUser, running_sandbox, runtime_probe, wait_idle, watching
from tests.reliability.helpers import free_port

# Shaped like BotFather's tokens, so nothing here relies on the sandbox's short default one.
TOKEN = "7412589630:AAHk3vQ9xZpL2mW8rT5yU1oI4eE6nB0cDfG"
ADMIN = 900001
INVITE = re.compile(r"https://t\.me/\w+\?start=(inv_([A-Za-z0-9_-]+))")
LOGIN = re.compile(r"(http://127\.0\.0\.1:\d+/console/login/([A-Za-z0-9_-]+))")


class FaultyProxy:
    """Forwards Bot API calls to the sandbox, except the faults it was told to play once each."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.faults = {"redirect:getUpdates": 1, "error:getUpdates": 1, "error:sendMessage": 1}
        self.played: list[str] = []
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    def _take(self, fault: str) -> bool:
        if self.faults.get(fault, 0) > 0:
            self.faults[fault] -= 1
            self.played.append(fault)
            return True
        return False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        method = request.path.rsplit("/", 1)[-1]
        if method == "loop":  # redirects to itself for as long as a client follows
            raise web.HTTPTemporaryRedirect(request.path)
        if self._take(f"redirect:{method}"):
            raise web.HTTPTemporaryRedirect(request.path.rsplit("/", 1)[0] + "/loop")
        if self._take(f"error:{method}"):
            status = 500 if method == "getUpdates" else 502
            description = f"Bad Gateway: upstream failed for {request.url}"
            return web.json_response(
                {"ok": False, "error_code": status, "description": description}, status=status
            )
        body = await request.read()
        headers = {"Content-Type": request.headers.get("Content-Type", "application/json")}
        assert self._session is not None
        async with self._session.request(
            request.method, self.target + request.path_qs, data=body, headers=headers
        ) as upstream:
            return web.Response(
                body=await upstream.read(),
                status=upstream.status,
                headers={"Content-Type": upstream.headers.get("Content-Type", "application/json")},
            )

    async def start(self) -> str:
        self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        app = web.Application(client_max_size=60 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        port = free_port()
        await web.TCPSite(self._runner, "127.0.0.1", port).start()
        return f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()


class Recorder(logging.Handler):
    """Every record, formatted with its traceback, as a handler writing a log file would see it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        # The sandbox and this test's proxy play Telegram and the network: their lines are not the bot's.
        if not record.name.startswith("bot.sandbox"):
            self.lines.append(self.format(record))


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(bot_token=TOKEN) as sb:
        yield sb


@pytest.fixture
def recorder() -> AsyncIterator[Recorder]:
    root = logging.getLogger()
    handler = Recorder()
    levels = {name: logging.getLogger(name).level for name in ("", *QUIET_LOGGERS)}
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler  # type: ignore[misc]
    finally:
        root.removeHandler(handler)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


def loud() -> None:
    """Undo the runtime's quietening: the redaction must hold even with request logging at DEBUG."""
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG)


async def table_text(runtime: Runtime) -> str:
    """Every row of every table, as text."""
    out: list[str] = []
    async with runtime.services.uow() as uow:
        for table in Base.metadata.sorted_tables:
            for row in (await uow.session.execute(select(table))).all():
                out.append(f"{table.name}: {tuple(row)!r}")
    return "\n".join(out)


async def test_token_and_one_time_links_reach_no_log_and_no_table(
    sandbox: Sandbox, db_url: str, clock: ManualClock, recorder: Recorder
) -> None:
    proxy = FaultyProxy(sandbox.base_url.removesuffix("/bot"))
    proxy_url = await proxy.start()
    port = free_port()
    settings = load_settings(
        bot_token=TOKEN,
        bot_api_url=proxy_url,
        database_url=db_url,
        admin_ids=str(ADMIN),
        webhook_url="",
        webhook_secret="",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        console_base_url=f"http://127.0.0.1:{port}",
    )
    runtime = Runtime(
        settings, clock=clock, pacing=Pacing(chat_rate=50, chat_burst=50), poll_timeout=1, digest_every=0
    )
    await runtime.start()
    loud()
    site = None
    try:
        await import_network(runtime.services.sessionmaker, NETWORK)
        ensure_console(runtime)
        site = await serve_web(runtime, settings)
        admin = SandboxUser.create(sandbox, user_id=ADMIN, first_name="管理员", language_code="zh-hans")
        staff = SandboxUser.create(sandbox, user_id=401, first_name="小刘", language_code="zh-hans")

        await admin.command("invite")
        await admin.receives(containing="邀请对方成为", timeout=30)
        await admin.press("人大工作人员")
        invite = INVITE.search(str((await admin.receives(containing="t.me/"))["text"]))
        assert invite is not None
        await staff.start(invite.group(1))
        await staff.receives(containing="您已登记为人大工作人员")
        await staff.command("console")
        login = LOGIN.search(str((await staff.receives(containing="网页控制台登录链接"))["text"]))
        assert login is not None
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
            await sign_in(http, login.group(1))
        assert sorted(proxy.played) == ["error:getUpdates", "error:sendMessage", "redirect:getUpdates"]
        # An opinion: its deputy's card is a message with a ref, which later edits look up.
        c1 = SandboxUser.create(sandbox, user_id=301, first_name="周小梅", language_code="zh-hans")
        d1 = SandboxUser.create(sandbox, user_id=201, first_name="孙建国", language_code="zh-hans")
        await started(c1, d1)
        tracking = await submit(c1, "村口的路灯坏了三个月", "城乡建设")
        await d1.receives(containing=tracking)

        secrets = {"bot token": TOKEN, "invitation": invite.group(2), "console login": login.group(2)}
        # Every row is recorded once its call is over (the sender commits outcomes in batches).
        for _ in range(100):
            async with runtime.services.uow() as uow:
                pending = await uow.session.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                )
            if not pending:
                break
            await asyncio.sleep(0.1)
        with watching(sandbox, runtime_probe(runtime)):
            await wait_idle(sandbox)  # and every update handled (its stored copy masked)
        dump = await table_text(runtime)
        for what, secret in secrets.items():
            assert secret not in dump, f"the {what} is stored in a table"
        # The rest of the messages stays readable: the links are there, their secret part masked.
        assert "start=inv_…" in dump and "/console/login/…" in dump and "/start inv_…" in dump

        # Handled updates go after 3 days, sent messages after RETENTION_DAYS (7).
        updates = await count(runtime, InboxUpdate)
        before = await count(runtime, OutboxMessage)
        assert updates and before
        assert await runtime.purge() == (0, 0)
        clock.advance(timedelta(days=6))
        assert await runtime.purge() == (updates, 0)
        clock.advance(timedelta(days=2))
        _, messages = await runtime.purge()
        assert messages > 0 and await count(runtime, InboxUpdate) == 0
        async with runtime.services.uow() as uow:
            kept = (await uow.session.execute(select(OutboxMessage.ref, OutboxMessage.payload))).all()
        assert len(kept) == before - messages
        # Only the newest delivered message of a ref stays (a later edit needs its message id), emptied.
        refs = [ref for ref, _ in kept]
        assert refs and None not in refs and len(refs) == len(set(refs))
        assert all(payload == {} for _, payload in kept)
    finally:
        if site is not None:
            await site.stop()
        await runtime.stop()
        await proxy.stop()

    logged = "\n".join(recorder.lines)
    # The polling errors were logged, the URL in them with its token masked.
    assert "upstream failed for http://127.0.0.1" in logged and "/bot…/getUpdates" in logged
    for what, secret in secrets.items():
        hits = [line for line in recorder.lines if secret in line]
        assert not hits, f"the {what} is in the log: {hits[:3]}"
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{30,}", logged)


async def count(runtime: Runtime, model: type[Base]) -> int:
    async with runtime.services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_failing_handler_logs_neither_the_sender_nor_the_text(
    liaison: Runtime, people: Callable[..., SandboxUser], caplog: pytest.LogCaptureFixture
) -> None:
    """A handler's failure is logged with the update's id: the update itself names the sender (of an
    anonymous draft, maybe) and holds their text; a database error would quote the statement's values."""
    from sqlalchemy import insert
    from telegram import Update
    from telegram.ext import TypeHandler

    from storage.models import Person

    async def fail(update: Update, context: LiaisonContext) -> None:
        if update.message is not None and update.message.text == "村干部作风问题":
            # A statement that fails quoting the sender's name among its values.
            row = {"id": 10_000, "name": "周小梅", "telegram_id": None}
            await context.uow.session.execute(insert(Person).values(**row))
            await context.uow.session.execute(insert(Person).values(**row))

    liaison.application.add_handler(TypeHandler(Update, fail), group=-1000)
    user = people(301, "周小梅")
    caplog.set_level(logging.DEBUG, logger="bot")
    await user.send("村干部作风问题")
    await user.receives(containing="出了点问题", timeout=30)
    failures = [r for r in caplog.records if r.name.startswith("bot") and r.levelno >= logging.ERROR]
    assert failures
    for record in failures:
        text = logging.Formatter().format(record)
        assert "周小梅" not in text and "村干部作风问题" not in text, text
    async with liaison.services.uow() as uow:
        errors = (await uow.session.scalars(select(InboxUpdate.error))).all()
    assert any(errors) and not any("周小梅" in (e or "") for e in errors)
