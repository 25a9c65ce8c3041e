"""A province at scale (issue #25): its network imported, two years of its activity, and the figures that
matter at that size, each measured in this one run and printed against its goal.

1. The province's network (bench/province.py: by default 12,000 stations, 100,000 deputies, 1,000,000
   constituents, ~495,000 contact links) written as CSV sheets into a temporary folder.
2. `liaison network import FOLDER` as its own process on an emptied database (migrated first by
   `liaison db upgrade`, as the CLI would): wall time and the process's peak RSS; then the same import
   again, nothing changed. No ANALYZE is added here: keeping statistics fresh is the importer's job.
3. The activity written in bulk (bench/activity.py, seeded): by default 1,000,000 opinions with their
   timelines (states as two years leave them: most closed, some answered, accepted, new, overdue),
   323,000 duty days and 213,000 diary entries; on PostgreSQL the activity's tables are then ANALYZEd,
   as autovacuum would have over two years.
4. Routing decisions in-process (`bot.opinions.routing.build_snapshot` + `route`) for sampled linked
   constituents and for constituents routed by their station; `liaison stats --json`, all time and one
   month, as processes (wall time, peak RSS, JSON size); `liaison run` started against the database
   with the sandbox as its Bot API: idle RSS, the console's dashboard, network → deputies and the
   opinions coloured red timed over HTTP as a staff member signed in, the dashboard's colour counts
   in-process, and a /start sent while the dashboard and the statistics page are computed.

    .venv/bin/python bench/scale.py [--database postgresql://postgres@127.0.0.1/bench] [--scale 1.0]
        [--opinions N --duty-days N --receptions N] [--seed 1] [--skip-import] [--skip-fill]

The database is emptied first (PostgreSQL: its public schema is dropped; default a temporary SQLite
file), unless `--skip-import` reuses what a previous run left (`--skip-fill`: its activity too).
A figure that misses its goal is printed as measured.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
from sqlalchemy import text  # noqa: E402

from bench.activity import STAFF_TELEGRAM_ID, ZONE, fill  # noqa: E402
from bench.province import generate, sizes_for  # noqa: E402
from bench.remote import RemoteSandbox, free_port, sandbox_process  # noqa: E402
from bot.console.auth import ConsoleAuth, Issued  # noqa: E402
from bot.console.pages.base import COOKIE  # noqa: E402
from bot.console.reads.dashboard import DashboardReads  # noqa: E402
from bot.opinions import routing  # noqa: E402
from bot.runtime.clock import SystemClock  # noqa: E402
from bot.runtime.context import Services  # noqa: E402
from bot.runtime.settings import load_settings  # noqa: E402
from bot.sandbox.server import DEFAULT_TOKEN  # noqa: E402
from bot.stats.service import compute_stats  # noqa: E402
from storage.db import create_engine, create_sessionmaker  # noqa: E402

FULL = {"opinions": 1_000_000, "duty_days": 323_000, "receptions": 213_000}
ACTIVITY_TABLES = ("opinion", "opinion_event", "duty", "reception", "reception_visitor", "reception_matter")
CLI = [sys.executable, "-m", "bot.runtime.cli"]
USER_TG = 5_100_000  # the sandbox users who send /start
HTTP_TIMEOUT = 900.0
T = TypeVar("T")


def say(line: str) -> None:
    print(line, flush=True)


@dataclass
class Row:
    what: str
    goal: str
    measured: str = "not measured"


@dataclass
class Table:
    rows: dict[str, Row] = field(default_factory=dict)

    def add(self, key: str, what: str, goal: str) -> None:
        self.rows[key] = Row(what, goal)

    def set(self, key: str, measured: str) -> None:
        self.rows[key].measured = measured

    def render(self) -> str:
        lines = ["| what | goal | measured |", "|---|---|---|"]
        lines += [f"| {r.what} | {r.goal} | {r.measured} |" for r in self.rows.values()]
        return "\n".join(lines)


def new_table() -> Table:
    t = Table()
    t.add("import", "`liaison network import` (empty database)", "≤ 120 s, ≤ 2 GB")
    t.add("reimport", "re-import, nothing changed", "≤ 60 s")
    t.add("routing", "routing decision p99", "≤ 5 ms")
    t.add("stats_all", "`liaison stats --json`, all time", "≤ 2 s")
    t.add("stats_month", "statistics for one month", "≤ 0.5 s")
    t.add("dashboard", "console dashboard", "≤ 1 s")
    t.add("deputies", "console network → deputies", "≤ 1 s a page")
    t.add("colours", "console colour counts", "≤ 0.3 s")
    t.add("rss", "`liaison run` idle RSS at that size", "≤ 150 MB")
    t.add("answers", "the bot answers during the heaviest report", "/start ≤ 1 s")
    return t


# -- processes: wall time and peak RSS of each ------------------------------------------------------------


@dataclass
class Ran:
    seconds: float
    peak_mb: float
    code: int
    out: bytes
    err: bytes


def run_measured(args: list[str], env: dict[str, str], cwd: str, out_path: Path) -> Ran:
    """Run a command to its end, its output into `out_path` (errors beside it); its wall time and its
    own peak RSS (`wait4`'s rusage of that one child)."""
    err_path = out_path.with_suffix(".err")
    with out_path.open("wb") as out_file, err_path.open("wb") as err_file:
        started = time.perf_counter()
        proc = subprocess.Popen(args, env=env, cwd=cwd, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Ran(seconds, usage.ru_maxrss / 1024, proc.returncode, out_path.read_bytes(), err_path.read_bytes())


def last_lines(data: bytes, count: int = 3) -> str:
    lines = [line for line in data.decode(errors="replace").splitlines() if line.strip()]
    return " / ".join(lines[-count:])


def vm(pid: int, key: str) -> float:
    """A /proc/PID/status figure (VmRSS, VmHWM) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


# -- the steps ----------------------------------------------------------------------------------------------


async def empty(database: str) -> None:
    engine = create_engine(database)
    try:
        if database.startswith("postgresql"):
            async with engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def import_twice(folder: Path, env: dict[str, str], cwd: str, table: Table) -> None:
    migrated = run_measured([*CLI, "db", "upgrade"], env, cwd, Path(cwd) / "upgrade.out")
    say(f"  migrated: {migrated.seconds:.1f} s ({last_lines(migrated.out, 1)})")
    if migrated.code:
        raise SystemExit(f"liaison db upgrade failed: {last_lines(migrated.err, 5)}")
    for key, label in (("import", "import"), ("reimport", "re-import, nothing changed")):
        ran = run_measured([*CLI, "network", "import", str(folder)], env, cwd, Path(cwd) / f"{key}.out")
        if ran.code:
            say(f"  {label}: FAILED after {ran.seconds:.1f} s, exit {ran.code}: {last_lines(ran.err, 5)}")
            table.set(key, f"fails after {ran.seconds:.0f} s ({ran.peak_mb / 1024:.1f} GB peak RSS)")
            if key == "import":
                raise SystemExit("the import failed: nothing to measure on")
            continue
        say(
            f"  {label}: {ran.seconds:.1f} s, {ran.peak_mb:,.0f} MB peak RSS — {last_lines(ran.out, 2)[:300]}"
        )
        table.set(key, f"{ran.seconds:.1f} s, {ran.peak_mb / 1024:.2f} GB peak RSS")


async def analyze(database: str) -> None:
    if not database.startswith("postgresql"):
        return
    engine = create_engine(database)
    try:
        async with engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            for name in ACTIVITY_TABLES:
                await conn.execute(text(f"ANALYZE {name}"))
    finally:
        await engine.dispose()


def pct(values: list[float], p: int) -> float:
    """The nearest-rank percentile of seconds, in ms."""
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1] * 1000


async def time_routing(database: str, samples: int, seed: int, table: Table) -> None:
    """Routing decisions in-process, as the service makes them (one session, warm), per path."""
    engine = create_engine(database)
    sessionmaker = create_sessionmaker(engine)
    rng = random.Random(seed)
    today = datetime.now(UTC).astimezone(ZONE).date()
    try:
        async with sessionmaker() as s:
            linked = (
                await s.execute(
                    text(
                        "SELECT p.id, p.station_id FROM person p WHERE p.station_id IS NOT NULL AND EXISTS "
                        "(SELECT 1 FROM contact_link l WHERE l.to_person_id = p.id AND l.tier = 'deputy_constituent') "
                        "ORDER BY p.id"
                    )
                )
            ).all()
            unlinked = (
                await s.execute(
                    text(
                        "SELECT p.id, p.station_id FROM person p WHERE p.station_id IS NOT NULL AND NOT EXISTS "
                        "(SELECT 1 FROM contact_link l WHERE l.to_person_id = p.id) AND NOT EXISTS "
                        "(SELECT 1 FROM deputy d WHERE d.person_id = p.id) ORDER BY p.id"
                    )
                )
            ).all()
        categories = ("transport", "education", "health", "environment", "agriculture", "other")
        timings: dict[str, list[float]] = {}
        reasons: dict[str, set[str]] = {}
        for path, people in (("linked", linked), ("station", unlinked)):
            chosen = rng.sample(list(people), min(samples, len(people)))
            spent: list[float] = []
            async with sessionmaker() as s:
                for n, (person, station) in enumerate(chosen[:50] + chosen):
                    started = time.perf_counter()
                    snapshot = await routing.build_snapshot(s, person, station, rng.choice(categories), today)
                    decision = routing.route(snapshot)
                    took = time.perf_counter() - started
                    if n >= 50:  # the first fifty warm the session up
                        spent.append(took)
                        reasons.setdefault(path, set()).add(decision.reason.value)
                    if n % 100 == 99:
                        await s.rollback()
            timings[path] = spent
            if spent:
                say(
                    f"  {path} path: {len(spent):,} decisions, p50 {pct(spent, 50):.2f} ms, "
                    f"p99 {pct(spent, 99):.2f} ms (reasons: {', '.join(sorted(reasons.get(path, ())))})"
                )
        every = [t for values in timings.values() for t in values]
        if every:
            parts = "; ".join(
                f"{path} p50 {pct(v, 50):.2f} ms, p99 {pct(v, 99):.2f} ms" for path, v in timings.items() if v
            )
            table.set("routing", f"{pct(every, 99):.2f} ms ({parts})")
    finally:
        await engine.dispose()


def last_month(today: date) -> tuple[date, date]:
    end = today.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


async def stats_in_process(database: str, start: date | None, end: date | None) -> float:
    """`compute_stats` alone, in this process on a fresh connection: seconds (no start-up, no JSON)."""
    engine = create_engine(database)
    try:
        async with create_sessionmaker(engine)() as session:
            started = time.perf_counter()
            await compute_stats(session, start, end, ZONE.key)
            return time.perf_counter() - started
    finally:
        await engine.dispose()


async def time_stats(database: str, env: dict[str, str], cwd: str, folder: Path, table: Table) -> None:
    """`liaison stats --json` as a process (wall time with its start-up, peak RSS, JSON size), and the
    figures' computation alone in-process; all time and the last whole month."""
    start, end = last_month(datetime.now(UTC).astimezone(ZONE).date())
    for key, label, extra, period in (
        ("stats_all", "all time", [], (None, None)),
        (
            "stats_month",
            f"{start:%Y-%m}",
            ["--from", start.isoformat(), "--to", end.isoformat()],
            (start, end),
        ),
    ):
        path = folder / f"stats-{key}.json"
        ran = run_measured([*CLI, "stats", "--json", *extra], env, cwd, path)
        size = path.stat().st_size / 1e6 if path.exists() else 0.0
        if ran.code:
            say(
                f"  stats {label}: FAILED after {ran.seconds:.1f} s, exit {ran.code}: {last_lines(ran.err, 3)[:400]}"
            )
            table.set(
                key,
                f"the command fails after {ran.seconds:.1f} s ({ran.peak_mb / 1024:.2f} GB): "
                f"{last_lines(ran.err, 1)[:120]}",
            )
            continue
        try:
            inside: float | None = await stats_in_process(database, *period)
        except Exception as exc:  # a figure that fails is reported; the run goes on
            say(f"  compute_stats {label} in-process: FAILED: {exc!r}"[:400])
            inside = None
        shown = "failed" if inside is None else f"{inside:.2f} s"
        say(
            f"  stats {label}: the command {ran.seconds:.2f} s, {ran.peak_mb:,.0f} MB peak RSS, "
            f"{size:.1f} MB of JSON; compute_stats in-process {shown}"
        )
        table.set(
            key,
            f"{shown} (compute_stats); the command {ran.seconds:.2f} s, {ran.peak_mb / 1024:.2f} GB, "
            f"{size:.1f} MB of JSON",
        )


# -- the bot, its console and its answers --------------------------------------------------------------------


@contextlib.asynccontextmanager
async def bot_process(env: dict[str, str], cwd: str, log: Path) -> AsyncIterator[asyncio.subprocess.Process]:
    with log.open("wb") as out:
        proc = await asyncio.create_subprocess_exec(*CLI, "run", env=env, cwd=cwd, stdout=out, stderr=out)
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.terminate()
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()


async def start_answered(sb: RemoteSandbox, user: int, within: float = 600.0) -> float:
    """Send /start as `user`; seconds until the bot's first answer."""
    await sb.add_user(user, f"u{user}")
    started = time.perf_counter()
    await sb.act(user, "start")
    await sb.next_bot_message(user, within=within)
    return time.perf_counter() - started


async def login(database: str, console: str, http: aiohttp.ClientSession) -> dict[str, str]:
    """A staff member's console session, as a login link from /console opens one."""
    settings = load_settings(database_url=database, bot_token="", webhook_url="", webhook_secret="")
    engine = create_engine(settings.database_url)
    services = Services(settings, create_sessionmaker(engine))
    try:
        async with services.uow() as u:
            found = await u.session.scalar(
                text(f"SELECT id FROM person WHERE telegram_id = {STAFF_TELEGRAM_ID}")
            )
            person = await u.people.get(int(found)) if found is not None else None
            if person is None:
                raise SystemExit("no staff member in the database (run the activity filler)")
            issued = await ConsoleAuth(u, SystemClock()).issue(person)
            await u.commit()
    finally:
        await engine.dispose()
    assert isinstance(issued, Issued)
    async with http.post(f"{console}/console/login/{issued.token}", allow_redirects=False) as resp:
        cookie = resp.cookies.get(COOKIE)
        if cookie is None:
            raise SystemExit(f"console login refused: {resp.status}")
        return {"Cookie": f"{COOKIE}={cookie.value}"}


async def get_timed(http: aiohttp.ClientSession, url: str, headers: dict[str, str]) -> tuple[float, int, int]:
    started = time.perf_counter()
    async with http.get(url, headers=headers, allow_redirects=False) as resp:
        body = await resp.read()
        return time.perf_counter() - started, resp.status, len(body)


async def colour_counts(database: str) -> float:
    """The dashboard's colour counts (`DashboardReads.colours`), in-process: seconds."""
    settings = load_settings(database_url=database, bot_token="", webhook_url="", webhook_secret="")
    engine = create_engine(settings.database_url)
    services = Services(settings, create_sessionmaker(engine))
    try:
        async with services.uow() as u:
            reads = DashboardReads(u, services.settings, services.policy, services.clock)
            await reads.colours()  # warm: the connection and its statements
            started = time.perf_counter()
            counts = await reads.colours()
            took = time.perf_counter() - started
        say(f"  colour counts in-process: {took:.3f} s {counts}")
        return took
    finally:
        await engine.dispose()


async def while_loading(
    pending: Awaitable[tuple[float, int, int]], sb: RemoteSandbox, user: int
) -> tuple[tuple[float, int, int], float]:
    """/start sent a moment after a heavy page was asked for: the page's timing and the answer's latency."""
    page = asyncio.ensure_future(pending)
    await asyncio.sleep(0.3)
    latency = await start_answered(sb, user)
    return await page, latency


async def the_bot(database: str, env: dict[str, str], cwd: str, table: Table, idle_wait: float) -> None:
    port = free_port()
    async with sandbox_process() as sb:
        bot_env = {
            **env,
            "BOT_TOKEN": DEFAULT_TOKEN,
            "BOT_API_URL": sb.url,
            "WEBHOOK_PORT": str(port),
            "WEBHOOK_URL": "",
            "WEBHOOK_SECRET": "",
        }
        # The office's daily digest goes to the staff member: they have opened the bot's chat before.
        await sb.add_user(STAFF_TELEGRAM_ID, "staff")
        await sb.act(STAFF_TELEGRAM_ID, "start")
        log = Path(cwd) / "bot.log"
        async with bot_process(bot_env, cwd, log) as proc:
            first = await start_answered(sb, USER_TG)
            say(f"  liaison run: up, first /start answered in {first:.2f} s; idle {idle_wait:.0f} s …")
            await asyncio.sleep(idle_wait)
            idle = vm(proc.pid, "VmRSS")
            say(f"  idle RSS {idle:.0f} MB (peak so far {vm(proc.pid, 'VmHWM'):.0f} MB)")
            table.set("rss", f"{idle:.0f} MB")
            quiet = [await start_answered(sb, USER_TG + 1 + i, 60) for i in range(5)]
            say(f"  /start while idle: {', '.join(f'{q * 1000:.0f} ms' for q in quiet)}")

            console = f"http://127.0.0.1:{port}"
            timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)
            async with aiohttp.ClientSession(timeout=timeout) as http:
                headers = await login(database, console, http)
                pages = (
                    ("dashboard", "dashboard", "/console/"),
                    ("deputies", "network → deputies", "/console/network?tab=deputies"),
                    ("deputies2", "network → deputies, page 2", "/console/network?tab=deputies&page=2"),
                    ("red", "opinions coloured red", "/console/opinions?colour=red"),
                )
                measured: dict[str, tuple[float, int, int]] = {}
                for key, label, path in pages:
                    took, status, size = await get_timed(http, console + path, headers)
                    measured[key] = (took, status, size)
                    say(
                        f"  console {label}: {took:.2f} s, HTTP {status}, {size / 1e3:.0f} kB; bot RSS "
                        f"{vm(proc.pid, 'VmRSS'):.0f} MB (peak {vm(proc.pid, 'VmHWM'):.0f} MB)"
                    )
                for key, shown in (("dashboard", "dashboard"), ("deputies", "deputies")):
                    took, status, _ = measured[key]
                    note = "" if status == 200 else f" — HTTP {status}"
                    table.set(shown, f"{took:.2f} s{note}")
                if measured["deputies2"][1] == 200 and measured["deputies"][1] == 200:
                    table.set(
                        "deputies",
                        f"{measured['deputies'][0]:.2f} s (page 2: {measured['deputies2'][0]:.2f} s)",
                    )
                red = measured["red"]
                colours = await guarded("colour counts", colour_counts(database))
                shown = "failed" if colours is None else f"{colours:.2f} s in-process"
                table.set(
                    "colours",
                    f"{shown} (the opinions coloured red, over HTTP: {red[0]:.2f} s, HTTP {red[1]})",
                )

                latencies: list[str] = []
                for n, (label, path) in enumerate(
                    (("dashboard", "/console/"), ("statistics page", "/console/stats"))
                ):
                    (took, status, _), latency = await while_loading(
                        get_timed(http, console + path, headers), sb, USER_TG + 100 + n
                    )
                    say(
                        f"  /start sent while the {label} was computed ({took:.2f} s, HTTP {status}): "
                        f"answered in {latency:.2f} s"
                    )
                    latencies.append(f"{latency:.2f} s during the {label} ({took:.1f} s)")
                table.set("answers", "; ".join(latencies))
            if proc.returncode is not None:
                say(f"  the bot exited with {proc.returncode}: {last_lines(log.read_bytes(), 5)}")
        bad = await sb.violations()
        if bad:
            say(f"  sandbox violations: {len(bad)}, first: {bad[0]}")


async def guarded(what: str, step: Awaitable[T]) -> T | None:
    """A step that fails is reported and the run goes on: the other figures still get measured."""
    try:
        return await step
    except Exception as exc:  # a figure that cannot be measured is printed as such, not hidden
        say(f"  {what}: FAILED: {exc!r}"[:500])
        return None


# -- the run ------------------------------------------------------------------------------------------------


async def amain(args: argparse.Namespace) -> None:
    table = new_table()
    with tempfile.TemporaryDirectory() as tmp:
        database = args.database or f"sqlite+aiosqlite:///{tmp}/scale.db"
        if database.startswith(("postgresql://", "postgres://")):
            database = "postgresql+asyncpg://" + database.split("://", 1)[1]
        backend = "postgresql" if database.startswith("postgresql") else "sqlite"
        env = {**os.environ, "DATABASE_URL": database, "NETWORK_IMPORT_MAX_MB": "1024"}
        scale = args.scale
        sizes = {
            k: args.__dict__[k] if args.__dict__[k] is not None else round(v * scale) for k, v in FULL.items()
        }
        say(
            f"{backend}, scale {scale:g}: {sizes_for(scale)}; activity {sizes}; seed {args.seed}; "
            f"{os.cpu_count()} cores"
        )
        if not args.skip_import:
            folder = Path(args.folder) if args.folder else Path(tmp) / "province"
            started = time.perf_counter()
            province = generate(folder, scale, args.seed)
            say(f"generated in {time.perf_counter() - started:.1f} s: {province.summary()}")
            await empty(database)
            say("importing (each as `liaison network import FOLDER`, its own process) …")
            import_twice(folder, env, tmp, table)
        if not args.skip_fill:
            say("filling the activity …")
            started = time.perf_counter()
            tallies = await fill(
                database,
                opinions=sizes["opinions"],
                duty_days=sizes["duty_days"],
                receptions=sizes["receptions"],
                now=datetime.now(UTC),
                seed=args.seed,
                say=say,
            )
            await analyze(database)
            say(f"  written in {time.perf_counter() - started:.1f} s: {tallies.summary()}")
        say("routing decisions …")
        await guarded("routing", time_routing(database, args.routing_samples, args.seed, table))
        say("liaison stats --json …")
        await guarded("statistics", time_stats(database, env, tmp, Path(tmp), table))
        say("liaison run, its console and its answers …")
        await guarded("the bot", the_bot(database, env, tmp, table, args.idle))
    say("")
    say(f"{backend}, scale {scale:g}, {resource.getpagesize()}-byte pages; each figure measured in this run:")
    say(table.render())


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database", help="emptied first; default a temporary SQLite file")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full province (default 1)")
    parser.add_argument("--opinions", type=int, help="default 1,000,000 × scale")
    parser.add_argument("--duty-days", dest="duty_days", type=int, help="default 323,000 × scale")
    parser.add_argument("--receptions", type=int, help="diary entries; default 213,000 × scale")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--routing-samples", dest="routing_samples", type=int, default=2_000, help="per path")
    parser.add_argument(
        "--idle", type=float, default=20.0, help="seconds the bot idles before its RSS is read"
    )
    parser.add_argument("--folder", help="write the CSV sheets here (kept) instead of a temporary folder")
    parser.add_argument(
        "--skip-import", action="store_true", help="reuse the database's network (a previous run's)"
    )
    parser.add_argument("--skip-fill", action="store_true", help="reuse its activity too")
    args = parser.parse_args()
    asyncio.run(amain(args))


if __name__ == "__main__":
    main()
