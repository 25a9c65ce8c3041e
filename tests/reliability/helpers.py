"""Shared helpers for reliability tests: free ports, polling waits, the bot as a real subprocess."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.sandbox import Sandbox
from storage.db import create_engine
from storage.models import InboxUpdate, OutboxMessage

VENV_BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port that was free a moment ago (bind port 0, read it, close)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def wait_until(
    condition: Callable[[], Any],
    timeout: float = 10.0,  # noqa: ASYNC109 - a polling helper, not a cancellable call
    what: str = "condition",
    interval: float = 0.02,
) -> Any:
    """Poll ``condition`` (sync or async) until it is truthy; fail with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(interval)


def greetings(sandbox: Sandbox, chat_id: int) -> list[str]:
    """The /start greetings the bot sent in a chat (other messages /start may add are not counted)."""
    return [t for t in bot_texts(sandbox, chat_id) if t.startswith(("Hello, ", "您好")) or "您好！" in t]


def polling(sandbox: Sandbox) -> bool:
    """A getUpdates long poll is waiting in the sandbox (the bot is up and listening)."""
    return sandbox.state.poller is not None


def bot_texts(sandbox: Sandbox, chat_id: int) -> list[str]:
    """Texts of the bot's messages in a private chat, in order."""
    return [m["text"] or "" for m in sandbox.transcript(chat_id) if m["sender"] == "bot"]


class BotProcess:
    """The bot as an operating-system process, so it can be SIGTERMed or SIGKILLed for real."""

    def __init__(self, argv: Sequence[str], env: dict[str, str], log_path: Path) -> None:
        self.argv = list(argv)
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT), **self.env}
        log = self.log_path.open("ab")
        log.write(f"\n==== start {' '.join(self.argv)}\n".encode())
        log.flush()
        # cwd: a scratch folder, so no developer's .env leaks into the settings
        self.proc = subprocess.Popen(
            self.argv, env=env, cwd=self.log_path.parent, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    async def signal_and_wait(self, sig: int, timeout: float = 10.0) -> int:  # noqa: ASYNC109
        """Send ``sig`` to the process and wait (polling) for it to exit; returns its exit code."""
        assert self.proc is not None
        self.proc.send_signal(sig)
        await wait_until(lambda: self.proc is not None and self.proc.poll() is not None, timeout, "bot exit")
        return int(self.proc.returncode)

    async def ensure_stopped(self) -> None:
        if self.alive():
            await self.signal_and_wait(signal.SIGKILL)


def bot_env(sandbox: Sandbox, db_url: str, **extra: str) -> dict[str, str]:
    return {
        "BOT_TOKEN": sandbox.bot_token,
        "BOT_API_URL": sandbox.url,
        "DATABASE_URL": db_url,
        "WEBHOOK_PORT": str(free_port()),
        "WEBHOOK_URL": "",
        "WEBHOOK_SECRET": "",
        "ADMIN_IDS": "",
        "PYTHONUNBUFFERED": "1",
        **extra,
    }


class DbProbe:
    """Reads the bot's tables from the test process (its own engine, separate from the bot's)."""

    def __init__(self, db_url: str) -> None:
        self.engine = create_engine(db_url)

    async def scalar(self, stmt: Any) -> Any:
        async with self.engine.connect() as conn:
            return (await conn.execute(stmt)).scalar()

    async def rows(self, stmt: Any) -> list[Any]:
        async with self.engine.connect() as conn:
            return list((await conn.execute(stmt)).all())

    async def inbox_count(self, *, processed: bool | None = None) -> int:
        stmt = select(func.count()).select_from(InboxUpdate)
        if processed is True:
            stmt = stmt.where(InboxUpdate.processed_at.is_not(None))
        elif processed is False:
            stmt = stmt.where(InboxUpdate.processed_at.is_(None))
        return int(await self.scalar(stmt) or 0)

    async def inbox_errors(self) -> list[tuple[int, str]]:
        rows = await self.rows(
            select(InboxUpdate.update_id, InboxUpdate.error).where(InboxUpdate.error.is_not(None))
        )
        return [(r[0], r[1]) for r in rows]

    async def outbox_by_status(self) -> dict[str, int]:
        rows = await self.rows(select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status))
        return {r[0]: int(r[1]) for r in rows}

    async def tables_exist(self) -> bool:
        def check(sync_conn: Any) -> bool:
            from sqlalchemy import inspect

            return bool(inspect(sync_conn).has_table("outbox_message"))

        async with self.engine.connect() as conn:
            return bool(await conn.run_sync(check))

    async def dispose(self) -> None:
        await self.engine.dispose()
