"""`liaison demo`: the sandbox Bot API, the real bot and a web chat in one process, offline.

No token and no network: the sandbox stands in for Telegram on a free local port, the bot polls it
exactly as it would poll Telegram, and the web chat lets a person act as any user of the example
network. ``Demo`` is startable and stoppable so browser tests run the very same stack.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.network import EXAMPLE_NETWORK, import_network, read_source
from bot.sandbox import Sandbox
from bot.settings import load_settings
from bot.webchat import DemoPerson, create_webchat_app, serve

__all__ = ["Demo", "default_database_url", "network_people", "run_demo"]

log = logging.getLogger(__name__)

# Role groups in the order the page lists them; a person is shown once, under their highest role.
ROLE_ORDER = ("constituent", "deputy", "committee_member", "presidium")
DEMO_QUIET_LOGGERS = (
    "telegram.ext",
    "apscheduler",
    "alembic",
    "bot.app",
    "bot.demo",
    "bot.sandbox.server",
    "httpx",
)


def default_database_url() -> str:
    """An SQLite file in the user's data folder, so the demo keeps its state between runs."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    folder = Path(base) / "liaison"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{folder / 'demo.db'}"


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


def network_people(source: Path = EXAMPLE_NETWORK) -> list[DemoPerson]:
    """People of a network file who have a Telegram id: the users a demo visitor can act as."""
    raw = read_source(source)
    people: list[DemoPerson] = []
    for row in raw.get("deputies") or []:
        uid = _tg_id(row.get("telegram_id"))
        if uid is None:
            continue
        roles = set(_as_list(row.get("roles")))
        role = "presidium" if "presidium" in roles else "committee_member" if roles else "deputy"
        people.append(
            DemoPerson(
                uid,
                str(row.get("name") or row.get("code")),
                role,
                code=str(row.get("code") or ""),
                level=str(row.get("level") or "") or None,
                phone=str(row["phone"]) if row.get("phone") else None,
            )
        )
    for row in raw.get("constituents") or []:
        uid = _tg_id(row.get("telegram_id"))
        if uid is None:
            continue
        people.append(
            DemoPerson(
                uid,
                str(row.get("name") or row.get("code")),
                "constituent",
                code=str(row.get("code") or ""),
                phone=str(row["phone"]) if row.get("phone") else None,
            )
        )
    people.sort(key=lambda p: (ROLE_ORDER.index(p.role), p.code, p.id))
    return people


@dataclass
class Demo:
    """Sandbox + bot + web chat; ``await start()`` returns the web chat URL, ``await stop()`` ends all."""

    port: int = 8080
    database: str | None = None
    host: str = "127.0.0.1"
    network: Path | None = EXAMPLE_NETWORK
    language_code: str = "zh-hans"
    ui_language: str = "zh"
    settings_overrides: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.sandbox: Sandbox | None = None
        self.runtime: Any = None  # bot.app.Runtime, imported lazily (it pulls in PTB)
        self.people: list[DemoPerson] = []
        self._runner: Any = None  # aiohttp AppRunner of the web chat
        self._url: str | None = None

    @property
    def url(self) -> str:
        if self._url is None:
            raise RuntimeError("demo is not started")
        return self._url

    async def start(self) -> str:
        """Start everything; on any failure, stop what already runs and re-raise."""
        from bot.app import Runtime

        try:
            self.sandbox = Sandbox()
            await self.sandbox.start(host="127.0.0.1", port=0)
            settings = load_settings(
                **{
                    "bot_token": self.sandbox.bot_token,
                    "bot_api_url": self.sandbox.url,
                    "database_url": self.database or default_database_url(),
                    # A developer's .env may point at a real webhook; the demo always polls.
                    "webhook_url": "",
                    "webhook_secret": "",
                    **self.settings_overrides,
                }
            )
            self.runtime = Runtime(settings)
            await self.runtime.start()  # migrates the database first
            if self.network is not None:
                summary = await import_network(self.runtime.services.sessionmaker, self.network)
                log.info("demo network: %s", summary)
                self.people = await asyncio.to_thread(network_people, self.network)
            for person in self.people:
                self.sandbox.add_user(
                    person.id,
                    person.name,
                    language_code=self.language_code,
                    phone_number=person.phone,
                )
            app = create_webchat_app(
                self.sandbox, self.people, ui_language=self.ui_language, language_code=self.language_code
            )
            self._runner, self._url = await serve(app, self.host, self.port)
        except BaseException:
            await self.stop()
            raise
        return self._url

    async def stop(self) -> None:
        """Stop the web chat first (no new user actions), then the bot, then the sandbox."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.runtime is not None and hasattr(self.runtime, "_tasks"):
            await self.runtime.stop()
        self.runtime = None
        if self.sandbox is not None:
            await self.sandbox.stop()
            self.sandbox = None
        self._url = None

    async def __aenter__(self) -> Demo:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()


async def _until_signalled() -> None:
    """Wait for Ctrl-C or SIGTERM, so shutdown runs in the loop instead of a KeyboardInterrupt."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.remove_signal_handler(sig)


async def run_demo(port: int = 8080, database: str | None = None) -> None:
    """The `liaison demo` command: run until Ctrl-C, printing the web chat URL once."""
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # The demo's output is its URL; start-up chatter stays available with `liaison -v demo`.
        for noisy in DEMO_QUIET_LOGGERS:
            logging.getLogger(noisy).setLevel(logging.WARNING)
    demo = Demo(port=port, database=database)
    try:
        url = await demo.start()
    except OSError as exc:
        if exc.errno not in (errno.EADDRINUSE, errno.EACCES):
            raise
        print(
            f"liaison demo: cannot listen on 127.0.0.1:{port} ({exc.strerror}); try --port", file=sys.stderr
        )
        raise SystemExit(1) from None
    print(f"Liaison demo is running: open {url} in your browser (Ctrl-C to stop)", flush=True)
    try:
        await _until_signalled()
    finally:
        await demo.stop()
