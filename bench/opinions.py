"""Opinion-flow throughput and Submit → deputy-card latency, beside the bare echo bot, in one run.

The sandbox runs as its own process (python -m bot.sandbox) and the bot talks to it over real HTTP,
as it would to Telegram; the users are a third process (bench/users.py) acting through the sandbox's
control API, so the bot's process does only the bot's work. Printed, from one run:
- echo: the bare python-telegram-bot echo bot (handler from bench/echo.py), updates/s; once as PTB
  builds it (httpx), once on Liaison's Bot API transport (aiohttp, bot/runtime/transport.py);
- opinions: Liaison with the example prefecture network, set up as `liaison run` sets it up (the
  garbage collector tuned for serving once started); 50 constituents at once, each bound by deputy
  link to a different deputy, each writing opinions: text, Submit (2 updates); updates/s
  until every card reached its deputy, and p50/p99 from the Submit press to
  the deputy's card. The bot handles as many chats at once as `liaison run` would
  (HANDLING_CONCURRENCY: 1 on SQLite, 16 on PostgreSQL);
- Submit -> card twice: with the 50 acting the instant the bot answers (the throughput run: the bot
  is saturated, so each step waits behind the others' and the time is about 50 / the rate, by
  Little's law), and at a person's pace (each pauses 1-3 s before every message and press, as one
  reading the card and choosing would): what a constituent and a deputy see while 50 people write
  at once;
- rss: `liaison run` as its own process with the example network, after serving /start, VmRSS;
- the bot's own CPU time per update in each run (this process's, without the users' or the
  sandbox's): on a machine the bot shares with its stand-ins, the rates above also carry their work.

    .venv/bin/python bench/opinions.py [--database postgresql://postgres@127.0.0.1/test] [--repeat 3]

Both bots are measured once warm, as a bot that has been running a while: before the measured part,
each constituent writes one opinion (--warmup-rounds) and each echo user sends three messages, so
the pool's connections are open and their statements prepared before the clock starts.

Each ratio is read from an echo run and the flow run right after it; a shared machine's speed drifts
within minutes, so the pair is repeated (3 times by default) and the median printed beside each.

By default the outbox is not paced (the figure is the bot's own cost); --telegram-pace keeps
Telegram's limits, which then bound the flow instead: the sandbox enforces its strict model
(`--strict-limits`: ≤ 30 sends in any rolling second, ≤ 3 in any rolling 3 s per chat, edits
counted) and the outbox paces as `liaison run` does. Printed then: the sends (messages, edits,
media) of the measured flow per second, from its first send to its last, as a share of 30 msg/s,
and the 429s of the whole run (target: ≥ 0.9 of 30 msg/s with --users 100, 0 × 429).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select, text  # noqa: E402
from telegram.ext import Application, MessageHandler, filters  # noqa: E402

from bench.echo import echo  # noqa: E402
from bench.remote import free_port, sandbox_process  # noqa: E402
from bench.users import drive  # noqa: E402
from bot.network import EXAMPLE_NETWORK, import_network  # noqa: E402
from bot.runtime.app import Runtime, tune_gc_for_serving  # noqa: E402
from bot.runtime.clock import ManualClock  # noqa: E402
from bot.runtime.outbox import Pacing  # noqa: E402
from bot.runtime.settings import load_settings  # noqa: E402
from bot.runtime.transport import AiohttpRequest  # noqa: E402
from bot.sandbox.server import DEFAULT_TOKEN  # noqa: E402
from storage import migrate  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402
from storage.models import Deputy, Person  # noqa: E402

DEPUTY_TG = 7_000_000
CONSTITUENT_TG = 8_000_000
ECHO_TG = 9_000_000
THINK = (1.0, 3.0)  # seconds a person takes to read a card and choose, before each message and press
UPDATES_PER_OPINION = (
    2  # a constituent's updates per opinion: the text, then Submit (the category is on the card)
)


def cpu_seconds() -> float:
    """CPU time of this process so far (the bot's; the users and the sandbox are other processes)."""
    times = os.times()
    return times.user + times.system


async def run_echo(
    messages: int, users: int, *, aiohttp: bool = False, warmup: int = 0
) -> tuple[float, float]:
    """The bare PTB echo bot against its own sandbox process: seconds until every echo arrived,
    and the bot's CPU seconds meanwhile.

    With `aiohttp`, it talks to the Bot API through Liaison's transport instead of PTB's default
    (httpx), so the ratio can also be read with the transport's gain taken out. `warmup` messages
    per user go first, unmeasured, as in the opinion flow.
    """
    async with sandbox_process() as sb:
        builder = (
            Application.builder()
            .token(DEFAULT_TOKEN)
            .base_url(f"{sb.url}/bot")
            .base_file_url(f"{sb.url}/file/bot")
        )
        if aiohttp:
            builder = builder.request(AiohttpRequest()).get_updates_request(AiohttpRequest(1))
        app = builder.build()
        app.add_handler(MessageHandler(filters.TEXT, echo))
        ids = [ECHO_TG + i for i in range(users)]
        for uid in ids:
            await sb.add_user(uid, f"echo{uid}")
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=10)
            echoes: dict[str, Any] = {"scenario": "echo", "url": sb.url, "users": ids}
            cursors = sb.cursor
            if warmup:
                cursors = (await drive({**echoes, "messages": warmup, "cursors": cursors}))["cursors"]
            cpu = cpu_seconds()
            played = await drive({**echoes, "messages": messages // users, "cursors": cursors})
            cpu = cpu_seconds() - cpu
            await app.updater.stop()
            await app.stop()
        if await sb.violations():
            raise SystemExit("echo: sandbox violations")
    return float(played["elapsed"]), cpu


async def prepare(database: str, users: int) -> list[tuple[int, int, str]]:
    """Import the example network; give `users` grassroots deputies a Telegram account."""
    engine = create_engine(database)
    if database.startswith("postgresql"):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await migrate.upgrade(engine)
    sessionmaker = create_sessionmaker(engine)
    await import_network(sessionmaker, EXAMPLE_NETWORK)
    pairs: list[tuple[int, int, str]] = []
    async with sessionmaker() as session:
        rows = (
            (
                await session.execute(
                    select(Person)
                    .join(Deputy, Deputy.person_id == Person.id)
                    .where(Person.telegram_id.is_(None), Deputy.level.in_(["county", "township"]))
                    .order_by(Person.id)
                    .limit(users)
                )
            )
            .scalars()
            .all()
        )
        for i, person in enumerate(rows):
            person.telegram_id = DEPUTY_TG + i
            pairs.append((CONSTITUENT_TG + i, DEPUTY_TG + i, person.code or ""))
        await session.commit()
    await engine.dispose()
    return pairs


@dataclass
class FlowResult:
    elapsed: float  # seconds until every card of the saturated flow reached its deputy
    updates: int
    latencies: list[float]  # saturated: Submit press -> deputy card, seconds
    per_update: float  # wall time from claim to commit, per update
    concurrency: int
    cpu: float  # the bot's CPU seconds during the saturated flow
    paced_latencies: list[float] = field(default_factory=list)  # at a person's pace
    paced_rate: float = 0.0  # updates/s the paced constituents sent
    sends: int = 0  # --telegram-pace: the saturated flow's sends (messages, edits, media)
    send_span: float = 0.0  # seconds from its first send to its last
    throttled: int = 0  # 429s the sandbox gave in the whole run

    def pace_line(self) -> str:
        rate = self.sends / self.send_span if self.send_span else 0.0
        return (
            f"telegram pace: {self.sends} sends in {self.send_span:.1f} s (first to last of the measured flow) "
            f"= {rate:.1f} msg/s = {rate / 30:.3f} of 30 msg/s; 429s: {self.throttled}"
        )


def is_send(method: str) -> bool:
    """A call Telegram counts against the flood limits: a message, a media group, a copy, an edit."""
    return method.startswith(("send", "edit", "copy", "forward")) and method != "sendChatAction"


async def run_opinions(
    database: str,
    users: int,
    rounds: int,
    telegram_pace: bool,
    paced_rounds: int = 0,
    warmup_rounds: int = 0,
) -> FlowResult:
    pairs = await prepare(database, users)
    async with sandbox_process(*(["--strict-limits"] if telegram_pace else [])) as sb:
        settings = load_settings(
            bot_token=DEFAULT_TOKEN,
            bot_api_url=sb.url,
            database_url=database,
            webhook_url="",
            webhook_secret="",
        )
        local = datetime.now(UTC).astimezone(ZoneInfo(settings.timezone))
        clock = ManualClock(local.replace(hour=10, minute=0) - local)  # daytime: no quiet hours
        unpaced = Pacing(global_rate=1e6, global_burst=1e6, chat_rate=1e6, chat_burst=1e6)
        runtime = Runtime(
            settings,
            clock=clock,
            pacing=Pacing() if telegram_pace else unpaced,
            poll_timeout=5,
            sweep_every=0,
        )
        await runtime.start()
        tune_gc_for_serving()  # as `liaison run` does once started
        try:
            for constituent, deputy, code in pairs:
                await sb.add_user(deputy, f"D{deputy}")
                await sb.add_user(constituent, f"C{constituent}")
                await sb.act(deputy, "start")
                await sb.act(constituent, "start", payload=f"d_{code}")
            for constituent, deputy, _code in pairs:
                await sb.next_bot_message(deputy)
                await sb.next_bot_message(constituent, lambda m: "您好" in (m.get("text") or ""))
            flows = {"scenario": "opinions", "url": sb.url, "pairs": [[c, d] for c, d, _ in pairs]}
            cursors = sb.cursor
            if warmup_rounds:
                # Unmeasured, as a bot that has been running a while: its pool's connections open,
                # their statements prepared, the caches filled (a fresh PostgreSQL connection alone
                # costs the server some 25 ms, mostly asyncpg's look-up of the array types).
                warm = {**flows, "rounds": warmup_rounds, "seed": 2, "cursors": cursors}
                cursors = (await drive(warm))["cursors"]
            handled_before, busy_before = runtime.inbox.handled, runtime.inbox.busy_seconds
            cpu, began = cpu_seconds(), time.time()
            played = await drive({**flows, "rounds": rounds, "seed": 1, "cursors": cursors})
            cpu, ended = cpu_seconds() - cpu, time.time()
            elapsed, latencies = float(played["elapsed"]), list(played["latencies"])
            handled = runtime.inbox.handled - handled_before
            # Wall time from claim to commit; with several chats at once these overlap.
            per_update = (runtime.inbox.busy_seconds - busy_before) / max(1, handled)
            result = FlowResult(
                elapsed,
                UPDATES_PER_OPINION * users * rounds,
                latencies,
                per_update,
                runtime.inbox.concurrency,
                cpu,
            )
            if telegram_pace:
                async with sb.http.get(f"{sb.url}/sandbox/calls") as resp:
                    calls: list[dict[str, Any]] = await resp.json()
                times = [
                    c["time"]
                    for c in calls
                    if c["ok"] and is_send(c["method"]) and began <= c["time"] <= ended
                ]
                result.sends = len(times)
                result.send_span = max(times) - min(times) if times else 0.0
                result.throttled = sum(1 for c in calls if c.get("error_code") == 429)
            if paced_rounds:
                cursors = played["cursors"]
                played = await drive(
                    {**flows, "rounds": paced_rounds, "seed": -1, "think": THINK, "cursors": cursors}
                )
                result.paced_latencies = list(played["latencies"])
                result.paced_rate = UPDATES_PER_OPINION * users * paced_rounds / float(played["elapsed"])
        finally:
            await runtime.stop()
        bad = await sb.violations()
        if bad:
            raise SystemExit(f"{len(bad)} violations, first: {bad[0]}")
    return result


async def measure_rss(users: int = 20) -> float:
    """VmRSS (MB) of `liaison run` with the example network loaded, after serving /start."""
    with tempfile.TemporaryDirectory() as tmp:
        async with sandbox_process() as sb:
            env = {
                **os.environ,
                "BOT_TOKEN": DEFAULT_TOKEN,
                "BOT_API_URL": sb.url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/rss.db",
                "WEBHOOK_PORT": str(free_port()),
                "WEBHOOK_URL": "",
                "WEBHOOK_SECRET": "",
            }
            cli = [sys.executable, "-m", "bot.runtime.cli"]
            await asyncio.to_thread(
                subprocess.run,
                [*cli, "network", "import", str(EXAMPLE_NETWORK)],
                env=env,
                check=True,
                capture_output=True,
                cwd=tmp,
            )
            proc = await asyncio.create_subprocess_exec(
                *cli, "run", env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            try:
                ids = [ECHO_TG + i for i in range(users)]
                for uid in ids:
                    await sb.add_user(uid, f"u{uid}")
                    await sb.act(uid, "start")
                for uid in ids:
                    await sb.next_bot_message(uid)
                status = await asyncio.to_thread(Path(f"/proc/{proc.pid}/status").read_text)
                kb = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS"))
            finally:
                proc.send_signal(signal.SIGTERM)
                await proc.wait()
    return kb / 1024


def percentiles(seconds: list[float]) -> tuple[float, float]:
    """p50 and p99 in milliseconds."""
    ordered = sorted(seconds)
    return statistics.median(ordered) * 1000, ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000


@dataclass
class Pair:
    """One echo run (both transports) and the flow run right after it: a ratio from one moment."""

    echo_rate: float
    echo_cpu: float  # the bot's CPU ms per update
    aiohttp_rate: float
    aiohttp_cpu: float
    flow: FlowResult

    @property
    def rate(self) -> float:
        return self.flow.updates / self.flow.elapsed


async def amain(args: argparse.Namespace) -> None:
    pairs: list[Pair] = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.repeat):
            # PostgreSQL's schema is dropped by prepare(); SQLite gets a new file for every run.
            database = args.database or f"sqlite+aiosqlite:///{tmp}/bench{i}.db"
            if database.startswith("postgresql://"):
                database = "postgresql+asyncpg://" + database.removeprefix("postgresql://")
            warm = args.warmup_rounds
            echo_elapsed, echo_cpu = await run_echo(args.echo_messages, 50, warmup=3 * warm)
            aiohttp_elapsed, aiohttp_cpu = await run_echo(
                args.echo_messages, 50, aiohttp=True, warmup=3 * warm
            )
            paced = args.paced_rounds if i == 0 else 0  # latency at a light load: once is enough
            flow = await run_opinions(
                database, args.users, args.rounds, args.telegram_pace, paced, warmup_rounds=warm
            )
            per = 1000 / args.echo_messages
            pairs.append(
                Pair(
                    args.echo_messages / echo_elapsed,
                    echo_cpu * per,
                    args.echo_messages / aiohttp_elapsed,
                    aiohttp_cpu * per,
                    flow,
                )
            )
    rss = await measure_rss()
    backend = "postgresql" if "postgresql" in database else "sqlite"
    first = pairs[0].flow
    for i, pair in enumerate(pairs, 1):
        flow = pair.flow
        print(
            f"run {i}: echo {pair.echo_rate:.0f} updates/s (on Liaison's transport, aiohttp: "
            f"{pair.aiohttp_rate:.0f}); opinions {pair.rate:.0f} updates/s on {backend} = "
            f"{pair.rate / pair.echo_rate:.2f} of echo, {pair.rate / pair.aiohttp_rate:.2f} of echo on the "
            f"same transport ({flow.updates} updates, {flow.per_update * 1000:.1f} ms handling each, "
            f"{flow.concurrency} chat(s) at once); bot CPU per update: echo {pair.echo_cpu:.2f} ms, "
            f"on aiohttp {pair.aiohttp_cpu:.2f} ms, opinions {flow.cpu * 1000 / flow.updates:.2f} ms"
        )
    if len(pairs) > 1:
        print(
            f"median of {len(pairs)} runs: opinions "
            f"{statistics.median(p.rate / p.echo_rate for p in pairs):.2f} of echo, "
            f"{statistics.median(p.rate / p.aiohttp_rate for p in pairs):.2f} of echo on the same transport; "
            f"bot CPU per update: echo {statistics.median(p.echo_cpu for p in pairs):.2f} ms, opinions "
            f"{statistics.median(p.flow.cpu * 1000 / p.flow.updates for p in pairs):.2f} ms"
        )
    if args.telegram_pace:
        for i, pair in enumerate(pairs, 1):
            print(f"run {i}: {pair.flow.pace_line()}")
    latencies = [s for p in pairs for s in p.flow.latencies]
    p50, p99 = percentiles(latencies)
    print(
        f"submit -> deputy card, {args.users} concurrent constituents acting at once, "
        f"{len(latencies)} opinions ({len(pairs)} run(s)): p50 {p50:.0f} ms, p99 {p99:.0f} ms"
    )
    if first.paced_latencies:
        p50, p99 = percentiles(first.paced_latencies)
        print(
            f"submit -> deputy card, {args.users} concurrent constituents at a person's pace "
            f"({THINK[0]:.0f}-{THINK[1]:.0f} s before each message and press; {first.paced_rate:.0f} updates/s), "
            f"{len(first.paced_latencies)} opinions: p50 {p50:.0f} ms, p99 {p99:.0f} ms"
        )
    print(f"rss: liaison run with the example network: {rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--users", type=int, default=50, help="concurrent constituents (each with a deputy)")
    parser.add_argument("--rounds", type=int, default=4, help="opinions per constituent")
    parser.add_argument(
        "--paced-rounds", type=int, default=3, help="opinions per constituent at a person's pace (0: none)"
    )
    parser.add_argument(
        "--warmup-rounds",
        type=int,
        default=1,
        help="opinions per constituent before the measured ones, unmeasured (the echo bot first gets "
        "three messages per user for each): the figures are for a bot that has been running",
    )
    parser.add_argument("--echo-messages", type=int, default=2000)
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="echo and flow runs, one after the other (this machine's speed drifts: each ratio is "
        "read from one pair, and the median is printed)",
    )
    parser.add_argument("--telegram-pace", action="store_true", help="keep Telegram's flood limits")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
