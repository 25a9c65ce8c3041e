"""`liaison demo`: the sandbox Bot API, the real bot and a web chat in one process, offline.

No token and no network: the sandbox stands in for Telegram on a free local port, the bot polls it
exactly as it would poll Telegram, and the web chat lets a person act as any user of the example
network. At start-up the deputies, committee members and presidium of the network send /start, as
they did when they were onboarded, so the bot can bring them opinions; constituents open their chat
by writing. ``Demo`` is startable and stoppable so browser tests run the very same stack.

The demo is kept between runs: the bot's SQLite file, and beside it the sandbox's store
(``<db>.sandbox.sqlite``: chats, messages, files, update and message counters), so a restart shows
every chat as it was and old buttons still work. ``liaison demo --reset`` removes both. The staff web
console is served on its own port (the web chat's + 1 by default), where ``/console`` links point.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import json
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, make_url, select
from sqlalchemy.exc import DBAPIError

from bot.console.web import ROOT as CONSOLE_ROOT
from bot.console.web import make_console_app
from bot.network import EXAMPLE_NETWORK, import_network, read_source
from bot.open311.web import ROOT as OPEN311_ROOT
from bot.open311.web import make_open311_app
from bot.runtime.clock import CLOCK_KEY, Clock, DemoClock
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from bot.sandbox.store import SandboxStore
from bot.stats.seed_county import seed_if_fresh as seed_county_if_fresh
from bot.suggestions.demo_seed import seed_demo_suggestions
from bot.suggestions.seed_year import seed_if_fresh
from bot.webchat import DemoPerson, create_webchat_app, serve
from storage.db import create_engine
from storage.models import InboxUpdate

__all__ = [
    "Demo",
    "default_database_url",
    "network_people",
    "remember_telegram",
    "reset_demo",
    "run_demo",
    "sandbox_store_path",
    "shown_database",
    "sqlite_file",
]

log = logging.getLogger(__name__)

# Role groups in the order the page lists them; a person is shown once, under their highest role
# (presidium, then a seat on a special committee, then the standing committee).
ROLE_ORDER = (
    "constituent",
    "deputy",
    "unit_officer",
    "special_committee",
    "committee_member",
    "presidium",
    "staff",
)
# The congress office's demo staff member: an administrator (ADMIN_IDS), so /invite, /stats work.
DEMO_STAFF = DemoPerson(3_000_001, "李文（办公室）", "staff", code="STAFF")
DEMO_QUIET_LOGGERS = (
    "telegram.ext",
    "apscheduler",
    "alembic",
    "bot.runtime.app",
    "bot.runtime.demo",
    "bot.sandbox.server",
    "httpx",
)
# How long start-up waits for the bot to greet the officials whose chats it opens.
OPEN_CHATS_TIMEOUT = 15.0


def default_database_url() -> str:
    """An SQLite file in the user's data folder, so the demo keeps its state between runs."""
    return f"sqlite+aiosqlite:///{_data_folder() / 'demo.db'}"


def _data_folder() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    folder = Path(base) / "liaison"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def sqlite_file(database_url: str) -> Path | None:
    """The file of an SQLite database URL; None for PostgreSQL or an in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database.startswith("file:"):
        if "mode=memory" in database:
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    if database in ("", ":memory:"):
        return None
    return Path(database).resolve()


def sandbox_store_path(database_url: str) -> Path | None:
    """Where the sandbox keeps its chats for this demo database: beside an SQLite file, in the data
    folder (named by the URL) for PostgreSQL, nowhere for an in-memory database."""
    db_file = sqlite_file(database_url)
    if db_file is not None:
        return db_file.with_name(db_file.name + ".sandbox.sqlite")
    if make_url(database_url).get_backend_name() == "sqlite":
        return None
    digest = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return _data_folder() / f"demo-sandbox-{digest}.sqlite"


def shown_database(database_url: str) -> str:
    """The database as start-up names it: the SQLite file's path, else the URL without its password."""
    db_file = sqlite_file(database_url)
    if db_file is not None:
        return str(db_file)
    return make_url(database_url).render_as_string(hide_password=True)


def reset_demo(database_url: str) -> list[Path]:
    """Remove the demo's SQLite file and sandbox store, so the next start is from the example network.

    Returns what was removed. A PostgreSQL database is not dropped (it may hold more than the demo):
    ValueError, and the caller says so.
    """
    db_file = sqlite_file(database_url)
    if db_file is None:
        raise ValueError("--reset removes an SQLite demo database only; drop this database yourself")
    removed: list[Path] = []
    store = sandbox_store_path(database_url)
    for base in (db_file, store):
        assert base is not None
        for suffix in ("", "-wal", "-shm", "-journal"):
            path = base.with_name(base.name + suffix)
            if path.exists():
                path.unlink()
                removed.append(path)
    return removed


def _as_list(value: Any) -> list[str]:
    """Roles/fields come as a YAML list or a comma-separated spreadsheet cell."""
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in value.replace(";", ",").split(",") if p.strip()]
    return [str(v) for v in value]


def _tg_id(value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _named_by(rows: Any, field: str) -> dict[str, list[str]]:
    """Person code -> the names of the rows (committees, units) whose `field` lists that code."""
    out: dict[str, list[str]] = {}
    for row in rows or []:
        for code in _as_list(row.get(field)):
            out.setdefault(code, []).append(str(row.get("name") or row.get("code")))
    return out


def network_people(source: Path = EXAMPLE_NETWORK) -> list[DemoPerson]:
    """People of a network file who have a Telegram id: the users a demo visitor can act as."""
    raw = read_source(source)
    deputy_names = {
        str(row.get("code")): str(row.get("name") or row.get("code")) for row in raw.get("deputies") or []
    }
    # Constituent code -> the deputies linked to them (contact link deputy→constituent): an
    # opinion of that constituent is routed to one of these, so the page names them.
    linked: dict[str, list[str]] = {}
    for row in raw.get("contacts") or []:
        name = deputy_names.get(str(row.get("from") or ""))
        if name is None:
            continue  # a committee's contact list, not a deputy's
        for code in _as_list(row.get("to")):
            if name not in linked.setdefault(code, []):
                linked[code].append(name)
    seats = _named_by(raw.get("committees"), "members")  # person code -> their special committees
    posts = _named_by(raw.get("units"), "officers")  # person code -> the units they are an officer of
    people: list[DemoPerson] = []
    for row in raw.get("deputies") or []:
        uid = _tg_id(row.get("telegram_id"))
        if uid is None:
            continue
        roles = set(_as_list(row.get("roles")))
        committees = seats.get(str(row.get("code") or ""), [])
        role = (
            "presidium"
            if "presidium" in roles
            else "special_committee"
            if committees
            else "committee_member"
            if roles
            else "deputy"
        )
        people.append(
            DemoPerson(
                uid,
                str(row.get("name") or row.get("code")),
                role,
                code=str(row.get("code") or ""),
                level=str(row.get("level") or "") or None,
                phone=str(row["phone"]) if row.get("phone") else None,
                affiliation="、".join(committees) if role == "special_committee" else "",
            )
        )
    for row in raw.get("constituents") or []:
        uid = _tg_id(row.get("telegram_id"))
        if uid is None:
            continue
        code = str(row.get("code") or "")
        units = posts.get(code, [])
        people.append(
            DemoPerson(
                uid,
                str(row.get("name") or row.get("code")),
                "unit_officer" if units else "constituent",
                code=code,
                phone=str(row["phone"]) if row.get("phone") else None,
                deputies=() if units else tuple(linked.get(code, ())),
                affiliation="、".join(units),
            )
        )
    people.sort(key=lambda p: (ROLE_ORDER.index(p.role), p.code, p.id))
    return people


async def remember_telegram(sandbox: Sandbox, database_url: str) -> None:
    """Give a fresh sandbox what Telegram would still know about a demo database kept from a run before.

    Telegram keeps counting update ids and remembers who opened the bot's chat; a fresh sandbox
    does neither. So update ids continue after the highest the bot stored (the bot's inbox drops
    an id it has seen: a restarted count would lose the first updates of the run), and each user
    who wrote to the bot before has their chat open again (the bot may still owe them messages).
    """
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            highest = await conn.scalar(select(func.max(InboxUpdate.update_id)))
            rows = (await conn.execute(select(InboxUpdate.payload).order_by(InboxUpdate.id))).scalars().all()
    except DBAPIError:  # a new database, not migrated yet: nothing to remember
        return
    finally:
        await engine.dispose()
    if highest is not None:
        sandbox.state.next_update_id = max(sandbox.state.next_update_id, int(highest) + 1)
    senders: dict[int, dict[str, Any]] = {}
    for payload in rows:
        body = payload.get("message") or payload.get("callback_query") or {}
        sender = body.get("from") if isinstance(body, dict) else None
        if isinstance(sender, dict) and isinstance(sender.get("id"), int) and not sender.get("is_bot"):
            senders[sender["id"]] = sender
    for uid, sender in senders.items():
        if uid not in sandbox.state.users:  # e.g. a visitor of an earlier run
            sandbox.add_user(
                uid, str(sender.get("first_name") or uid), language_code=sender.get("language_code")
            )
        sandbox.state.users[uid].started = True


@dataclass
class Demo:
    """Sandbox + bot + web chat + console; ``await start()`` returns the web chat URL, ``stop()`` ends all."""

    port: int = 8080
    database: str | None = None
    host: str = "127.0.0.1"
    network: Path | None = EXAMPLE_NETWORK
    language_code: str = "zh-hans"
    ui_language: str = "zh"
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    # The bot's time source; None is a DemoClock the page advances (tests pin daytime: no quiet hours).
    clock: Clock | None = None
    # The staff console's port; None: the web chat's + 1 (a free port when the web chat's is 0).
    console_port: int | None = None
    # Keep the sandbox's chats in a file beside the database (sandbox_store_path), so a restart shows
    # them; False: in memory, gone at stop.
    keep_chats: bool = True
    # A handful of suggestions filed, prepared and published on a fresh database (bot/suggestions/demo_seed.py),
    # so a visitor can play the unit officer and the supervising committee member at once.
    seed_suggestions: bool = True
    # And last year's suggestions, all answered (bot/suggestions/seed_year.py): 549, 358 of them A, for the
    # figures, the yearly report and Open311.
    seed_year: bool = True
    # And three years of the stations at work (bot/stats/seed_county.py): 4,532 duty visits, 11,046 visitors,
    # 1,209 opinions, 1,462 problems resolved, for the stations' figures.
    seed_county: bool = True

    def __post_init__(self) -> None:
        self.sandbox: Sandbox | None = None
        self.runtime: Any = None  # bot.runtime.app.Runtime, imported lazily (it pulls in PTB)
        self.people: list[DemoPerson] = []
        self._runner: Any = None  # aiohttp AppRunner of the web chat
        self._console_runner: web.AppRunner | None = None
        self._url: str | None = None
        self._console_url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("demo is not started")
        return self._url

    @property
    def console_url(self) -> str:
        """The console's base URL (``/console/`` under it); what ``/console`` login links point at."""
        if self._console_url is None:
            raise RuntimeError("demo is not started")
        return self._console_url

    @property
    def database_url(self) -> str:
        return self.database or default_database_url()

    def _clock(self) -> Clock:
        """The bot's clock; a DemoClock goes on where the kept chats' clock was (a visitor's lead
        survives a restart, and old bubbles show the times they showed)."""
        clock = self.clock or DemoClock()
        store = self.sandbox.state.store if self.sandbox is not None else None
        saved = store.read_meta(CLOCK_KEY) if store is not None else None
        if isinstance(clock, DemoClock) and store is not None:
            if saved is not None:
                clock.restore(json.loads(saved))
            store.write_meta(CLOCK_KEY, json.dumps(clock.saved()))
        return clock

    @property
    def store_path(self) -> Path | None:
        """The sandbox's store for this database, or None when chats are kept in memory only."""
        return sandbox_store_path(self.database_url) if self.keep_chats else None

    def _open_sandbox(self) -> Sandbox:
        """The sandbox, with what it kept from the last run on this database.

        A store whose database file is gone belongs to a demo that no longer exists (the file was
        deleted by hand): its chats would show opinions the bot knows nothing of, so it goes too.
        """
        store = self.store_path
        if store is None:
            return Sandbox()
        db_file = sqlite_file(self.database_url)
        if db_file is not None and not db_file.exists():
            SandboxStore.remove(store)
        return Sandbox(store=store)

    def _console_socket(self) -> socket.socket:
        """Bind the console's port first: the bot's settings must name it before the bot starts."""
        port = self.console_port
        if port is None:
            port = self.port + 1 if self.port else 0
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((self.host, port))
            sock.listen(128)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return sock

    async def start(self) -> str:
        """Start everything; on any failure, stop what already runs and re-raise."""
        from bot.runtime.app import Runtime

        console_sock: socket.socket | None = None
        try:
            self.sandbox = self._open_sandbox()
            await self.sandbox.start(host="127.0.0.1", port=0)
            console_sock = self._console_socket()
            console_port = console_sock.getsockname()[1]
            self._console_url = f"http://{self.host}:{console_port}"
            if self.network is not None:
                self.people = [*await asyncio.to_thread(network_people, self.network), DEMO_STAFF]
            # Telegram's users exist before the bot starts: its outbox may still hold rows for them.
            for person in self.people:
                if person.id not in self.sandbox.state.users:  # else kept from the last run
                    self.sandbox.add_user(
                        person.id,
                        person.name,
                        language_code=self.language_code,
                        phone_number=person.phone,
                    )
            settings = load_settings(
                **{
                    "bot_token": self.sandbox.bot_token,
                    "bot_api_url": self.sandbox.url,
                    "database_url": self.database_url,
                    # A developer's .env may point at a real webhook; the demo always polls.
                    "webhook_url": "",
                    "webhook_secret": "",
                    "admin_ids": str(DEMO_STAFF.id),
                    # /console links point at the console this demo serves, not at a .env's.
                    "webhook_listen": self.host,
                    "webhook_port": console_port,
                    "console_base_url": self._console_url,
                    **self.settings_overrides,
                }
            )
            await remember_telegram(self.sandbox, settings.database_url)
            self.runtime = Runtime(settings, clock=self._clock())
            await self.runtime.start()  # migrates the database first
            if self.network is not None:
                summary = await import_network(self.runtime.services.sessionmaker, self.network)
                log.info("demo network: %s", summary)
            users = self.sandbox.state.users
            await self._open_chats(
                [p.id for p in self.people if p.role != "constituent" and not users[p.id].started]
            )
            if self.seed_suggestions and self.network is not None:
                await self._seed_suggestions()  # after /start: staff exist, the officials' chats are open
            if self.seed_year and self.network is not None:
                await self._seed_year()  # after the handful, which is seeded only into a database without any
            if self.seed_county and self.network is not None:
                await self._seed_county()
            self.people += self._returning_visitors()
            self._console_runner = await self._serve_console(console_sock)
            console_sock = None  # the console's site owns it now
            app = create_webchat_app(
                self.sandbox,
                self.people,
                ui_language=self.ui_language,
                language_code=self.language_code,
                runtime=self.runtime,
                console_url=f"{self._console_url}{CONSOLE_ROOT}/",
            )
            self._runner, self._url = await serve(app, self.host, self.port)
        except BaseException:
            if console_sock is not None:
                console_sock.close()
            await self.stop()
            raise
        return self._url

    async def _seed_year(self) -> None:
        """Last year's suggestions into a database with none of a past year (a restart leaves them be)."""
        services = self.runtime.services
        async with services.uow() as uow:
            seeded = await seed_if_fresh(uow, services.clock.now(), services.settings.timezone)
            await uow.commit()
        if seeded is not None:
            log.info("demo suggestions: %s", seeded)

    async def _seed_county(self) -> None:
        """Three past years of the stations at work into a database with no past of its own (a restart
        leaves them be)."""
        services = self.runtime.services
        async with services.uow() as uow:
            seeded = await seed_county_if_fresh(
                uow, services.clock.now(), services.policy, services.settings.tracking_prefix
            )
            await uow.commit()
        if seeded is not None:
            log.info("demo stations: %s", seeded)

    def _returning_visitors(self) -> list[DemoPerson]:
        """Visitors of earlier runs (users the sandbox kept who are not in the network), listed again."""
        assert self.sandbox is not None
        known = {p.id for p in self.people}
        return [
            DemoPerson(user.id, user.first_name, "visitor")
            for user in self.sandbox.state.users.values()
            if user.id not in known
        ]

    async def _seed_suggestions(self) -> None:
        """The demo's suggestions, once per database; their cards and notices go out through the outbox."""
        services = self.runtime.services
        async with services.uow() as uow:
            seeded = await seed_demo_suggestions(
                uow, services.settings, services.policy, services.clock.now()
            )
            await uow.commit()
        if seeded:
            services.outbox_wakeup.set()
            log.info("demo suggestions: %s", ", ".join(s.number or "—" for s in seeded))

    async def _serve_console(self, sock: socket.socket) -> web.AppRunner:
        """The staff web console (bot/console) on its own port, with the public Open311 reads beside it
        as on the bot's web server; ``/`` leads to the console."""

        async def to_console(request: web.Request) -> web.StreamResponse:
            raise web.HTTPFound(f"{CONSOLE_ROOT}/")

        app = web.Application()
        app.router.add_get("/", to_console)
        app.add_subapp(CONSOLE_ROOT, make_console_app(self.runtime))
        app.add_subapp(OPEN311_ROOT, make_open311_app(self.runtime))
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.SockSite(runner, sock).start()
        except BaseException:
            await runner.cleanup()
            raise
        return runner

    async def _open_chats(self, user_ids: list[int]) -> None:
        """Each of these people sends /start to the real bot, then start-up waits for the greetings.

        Telegram lets a bot write only to people who opened its chat. Deputies, committee members
        and the presidium are written to first (task cards, escalations), so in real life they
        opened the chat when they were onboarded; the demo replays that with a real /start the bot
        handles like any other (greeting, per-chat command menu). Constituents are not touched:
        they open their chat by writing, as in real life, so a bot message to a constituent who
        never wrote is still refused and shows up as a sandbox violation.
        """
        assert self.sandbox is not None
        sandbox = self.sandbox
        for uid in user_ids:
            sandbox.send_start(uid)

        def waiting() -> list[int]:
            return [uid for uid in user_ids if not any(m["sender"] == "bot" for m in sandbox.transcript(uid))]

        deadline = asyncio.get_running_loop().time() + OPEN_CHATS_TIMEOUT
        while (left := waiting()) and (remaining := deadline - asyncio.get_running_loop().time()) > 0:
            await sandbox.wait_for_change(remaining)
        if left:
            log.warning("demo: the bot did not answer /start of %s in time", left)

    async def stop(self) -> None:
        """Stop the web chat and console first (no new user actions), then the bot, then the sandbox."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._console_runner is not None:
            await self._console_runner.cleanup()
            self._console_runner = None
        if self.runtime is not None and hasattr(self.runtime, "_tasks"):
            await self.runtime.stop()
        self.runtime = None
        if self.sandbox is not None:
            await self.sandbox.stop()
            self.sandbox = None
        self._url = None
        self._console_url = None

    async def __aenter__(self) -> Demo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


@contextlib.contextmanager
def _stop_on_signals(stop: asyncio.Event) -> Iterator[None]:
    """Ctrl-C or SIGTERM sets ``stop``, so shutdown runs in the loop instead of a KeyboardInterrupt.

    Installed before start-up prints anything: a Ctrl-C sent the moment the URL appears (a script,
    a test) must find this handler, not asyncio's, which would cancel the demo mid-flight.
    """
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        yield
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def run_demo(
    port: int = 8080, database: str | None = None, *, console_port: int | None = None, reset: bool = False
) -> None:
    """The `liaison demo` command: run until Ctrl-C, printing where everything is once.

    ``reset`` removes the demo's database and sandbox store first, so it starts from the example
    network again.
    """
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # The demo's output is its URL; start-up chatter stays available with `liaison -v demo`.
        for noisy in DEMO_QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    demo = Demo(port=port, database=database, console_port=console_port)
    if reset:
        try:
            removed = reset_demo(demo.database_url)
        except ValueError as exc:
            print(f"liaison demo: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        print(
            f"Reset: removed {len(removed)} files; starting from the example network again"
            if removed
            else "Reset: nothing to remove; starting from the example network",
            flush=True,
        )
    stop = asyncio.Event()
    with _stop_on_signals(stop):
        try:
            url = await demo.start()
        except OSError as exc:
            if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
                raise
            console = console_port if console_port is not None else port + 1
            print(
                f"liaison demo: cannot listen on {demo.host}:{port} (web chat) or :{console} (console) "
                f"({exc.strerror}); try --port and --console-port",
                file=sys.stderr,
            )
            raise SystemExit(1) from None
        try:
            store = demo.store_path
            print(f"Database: {shown_database(demo.database_url)}", flush=True)
            if store is not None:
                print(f"Chats kept in: {store} (liaison demo --reset starts afresh)", flush=True)
            print(
                f"Staff console: {demo.console_url}{CONSOLE_ROOT}/ (sign in with /console as staff)",
                flush=True,
            )
            print(f"Liaison demo is running: open {url} in your browser (Ctrl-C to stop)", flush=True)
            await stop.wait()
        finally:
            await demo.stop()
