"""A notice to 3,000 recipients at Telegram's real limits: the achieved rate as a share of 30 msg/s.

The sandbox runs as its own process with its strict flood limits on (`--strict-limits`: ≤ 30 sends
in any rolling second overall, ≤ 3 in any rolling 3 s per chat, edits counted, 429 with retry_after
beyond that; a token bucket would let a burst through on top of the rate); the bot runs as its own
process too (`python bench/broadcast.py --serve`,
the same wiring as `liaison run` plus the broadcast job), with the outbox's default pacing. A staff
member composes the notice in chat and confirms it; the figure is recipients served per second from
the Confirm press to the last delivery, as a share of 30 msg/s (target ≥ 0.95 with zero 429s).
With `--kill`, the bot is SIGKILLed when half the notices are out and started again at once; the
time it is down counts.

    .venv/bin/python bench/broadcast.py [--recipients 3000] [--database postgresql://postgres@127.0.0.1/db]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import html
import itertools
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select, text  # noqa: E402

from bench.remote import RemoteSandbox, free_port, sandbox_process  # noqa: E402
from bot.sandbox.server import DEFAULT_TOKEN  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine  # noqa: E402
from storage.models import OutboxMessage, OutboxStatus, Person, Station, StationKind  # noqa: E402

LIMIT = 30.0  # Telegram's overall limit, msg/s
FIRST_ID = 6_000_000
STAFF = 900001
NOTICE = "停电通知：本周六 9:00–17:00 检修线路，请提前做好准备。"
SCRIPT = Path(__file__).resolve()
TICK = 2.0  # seconds between progress refreshes (what the lead's JobQueue wiring uses)


async def serve() -> None:
    """The bot process: Runtime at Telegram's pace + the broadcast job, until SIGTERM."""
    from bot.broadcasts.service import with_paid_tier
    from bot.runtime.app import Runtime
    from bot.runtime.app import broadcast_job as progress_job
    from bot.runtime.cli import _wait_for_signal
    from bot.runtime.outbox import Pacing
    from bot.runtime.settings import settings_or_exit
    from bot.runtime.web import serve_web

    settings = settings_or_exit()
    runtime = Runtime(settings, pacing=with_paid_tier(Pacing(), settings))
    await runtime.start()
    assert runtime.application.job_queue is not None
    runtime.application.job_queue.run_repeating(progress_job, interval=TICK, first=0.5)
    site = await serve_web(runtime, settings)
    try:
        await _wait_for_signal()
    finally:
        await site.stop()
        await runtime.stop()


async def seed(database: str, recipients: int) -> None:
    engine = create_engine(database)
    try:
        if database.startswith("postgresql"):
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
        await migrate.upgrade(engine)
        async with engine.begin() as conn:
            station = await conn.scalar(
                insert(Station).values(code="B1", name="B1", kind=StationKind.VILLAGE).returning(Station.id)
            )
            await conn.execute(
                insert(Person),
                [
                    {"name": f"居民{i}", "telegram_id": FIRST_ID + i, "station_id": station}
                    for i in range(recipients)
                ],
            )
    finally:
        await engine.dispose()


async def sent_rows(database: str) -> int:
    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            stmt = select(func.count()).where(
                OutboxMessage.broadcast_id == 1, OutboxMessage.status == OutboxStatus.SENT
            )
            return int(await conn.scalar(stmt) or 0)
    finally:
        await engine.dispose()


async def open_the_bot(sb: RemoteSandbox, recipients: int) -> None:
    """Each recipient has started the bot; their /start updates are consumed before the bot runs."""
    sem = asyncio.Semaphore(32)

    async def one(uid: int) -> None:
        async with sem:
            await sb.add_user(uid, f"居民{uid - FIRST_ID}")
            await sb.act(uid, "start")

    await asyncio.gather(*(one(FIRST_ID + i) for i in range(recipients)))
    offset = 0
    while True:
        async with sb.http.post(
            f"{sb.url}/bot{DEFAULT_TOKEN}/getUpdates", json={"offset": offset, "limit": 100}
        ) as resp:
            updates = (await resp.json())["result"]
        if not updates:
            return
        offset = updates[-1]["update_id"] + 1


class BotProcess:
    """`python bench/broadcast.py --serve` as an operating-system process, so it can be SIGKILLed."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **env}
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, str(SCRIPT), "--serve"],
                env=self.env,
                cwd=self.log.parent,
                stdout=out,
                stderr=out,
            )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.kill()  # SIGKILL
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@dataclass
class Result:
    recipients: int
    served: int
    twice: int
    throttled: list[str]
    violations: int
    from_confirm: float
    first_to_last: float
    down: float
    report: str

    def line(self, label: str) -> str:
        rate = self.served / self.from_confirm
        return (
            f"{label}: {self.served:,} of {self.recipients:,} served in {self.from_confirm:.1f} s from Confirm "
            f"= {rate:.2f} msg/s = {rate / LIMIT:.3f} of {LIMIT:.0f} msg/s"
            f" (first→last delivery {self.first_to_last:.1f} s = {self.served / self.first_to_last / LIMIT:.3f};"
            f" bot down {self.down:.1f} s until it sent again); 429s: {len(self.throttled)}"
            + (f" ({', '.join(self.throttled)})" if self.throttled else "")
            + f"; sent twice: {self.twice};"
            f" sandbox violations: {self.violations}"
        )


async def run(database: str, recipients: int, kill: bool, workdir: Path) -> Result:
    await seed(database, recipients)
    async with sandbox_process("--strict-limits") as sb:
        await open_the_bot(sb, recipients)
        await sb.add_user(STAFF, "Office", language="en")
        env = {
            "BOT_TOKEN": DEFAULT_TOKEN,
            "BOT_API_URL": sb.url,
            "DATABASE_URL": database,
            "ADMIN_IDS": str(STAFF),
            "WEBHOOK_URL": "",
            "WEBHOOK_SECRET": "",
            "WEBHOOK_PORT": str(free_port()),
            "PYTHONUNBUFFERED": "1",
        }
        bot = BotProcess(env, workdir / f"bot-{'kill' if kill else 'plain'}.log")
        bot.start()
        try:
            await sb.act(STAFF, "start")
            await sb.next_bot_message(STAFF, lambda m: "Hello" in (m.get("text") or ""))
            await sb.act(STAFF, "command", command="broadcast")
            await sb.next_bot_message(STAFF, lambda m: "Send the text" in (m.get("text") or ""))
            await sb.act(STAFF, "send", text=NOTICE)
            await sb.next_bot_message(STAFF, lambda m: "Who should receive" in (m.get("text") or ""))
            await sb.act(STAFF, "press", text="Constituents of a station…")
            await sb.next_bot_message(STAFF, lambda m: "Type the code" in (m.get("text") or ""))
            await sb.act(STAFF, "send", text="B1")
            await sb.next_bot_message(STAFF, lambda m: f"Recipients: {recipients:,}" in (m.get("text") or ""))
            confirmed = time.time()
            await sb.act(STAFF, "press", text="Confirm and send")
            killed = 0.0
            if kill:
                for _ in itertools.count():
                    if await sent_rows(database) >= recipients // 2:
                        break
                    await asyncio.sleep(0.05)
                bot.kill()
                killed = time.time()
                bot.start()
            report = await sb.next_bot_message(
                STAFF, lambda m: (m.get("text") or "").startswith("Report on notice #1"), within=600
            )
        finally:
            bot.stop()
        async with sb.http.get(f"{sb.url}/sandbox/calls") as resp:
            calls: list[dict[str, Any]] = await resp.json()
        violations = len(await sb.violations())
    notices = [
        c
        for c in calls
        if c["method"] == "sendMessage"
        and c["ok"]
        and c["params"].get("text") == html.escape(NOTICE, quote=False)
        and c["params"].get("chat_id") != STAFF  # the staff's own preview
    ]
    per_chat = Counter(c["params"]["chat_id"] for c in notices)
    times = sorted(c["time"] for c in notices)
    down = 0.0
    if killed:  # from the kill until the restarted bot (its first call is getMe) sends notices again
        back = min(c["time"] for c in calls if c["method"] == "getMe" and c["time"] > killed)
        down = min(t for t in times if t > back) - killed
    return Result(
        recipients=recipients,
        served=len(per_chat),
        twice=sum(1 for n in per_chat.values() if n > 1),
        throttled=[
            f"{c['method']} to {c['params'].get('chat_id')} at +{c['time'] - confirmed:.1f} s"
            for c in calls
            if c.get("error_code") == 429
        ],
        violations=violations,
        from_confirm=times[-1] - confirmed,
        first_to_last=times[-1] - times[0],
        down=down,
        report=str(report.get("text")),
    )


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        variants = [False, True] if args.kill is None else [args.kill == "yes"]
        for kill in variants:
            database = args.database or f"sqlite+aiosqlite:///{workdir / ('kill.db' if kill else 'plain.db')}"
            database = database.replace("postgresql://", "postgresql+asyncpg://", 1)
            result = await run(database, args.recipients, kill, workdir)
            print(result.line("with a SIGKILL midway" if kill else "without a kill"), flush=True)
            if args.verbose:
                print(result.report)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument(
        "--database", help="postgresql://... (dropped and recreated); default: a temporary SQLite file"
    )
    parser.add_argument(
        "--kill", choices=["yes", "no"], help="only the run with (yes) or without (no) a kill"
    )
    parser.add_argument("--verbose", action="store_true", help="print the delivery report too")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        import logging

        logging.basicConfig(level=logging.WARNING)
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(serve())
    else:
        asyncio.run(main(args))
