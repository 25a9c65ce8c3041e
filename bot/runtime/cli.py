"""The `liaison` command: run the bot, the offline demo, migrations and the contact network."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from bot import __version__
from bot.runtime.database_line import announce, command_settings
from bot.runtime.settings import Settings


async def _wait_for_signal() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _run(settings: Settings) -> None:
    from bot.runtime.app import Runtime, tune_gc_for_serving
    from bot.runtime.web import serve_web

    runtime = Runtime(settings)
    await runtime.start()
    site = await serve_web(runtime, settings)
    tune_gc_for_serving()
    try:
        await _wait_for_signal()
    finally:
        await site.stop()
        await runtime.stop()


def cmd_run(args: argparse.Namespace) -> int:
    settings = settings_of(args, say=False)  # the demo names its own database
    if not settings.bot_token:
        print("liaison: no BOT_TOKEN set: starting the offline demo instead.", file=sys.stderr)
        return cmd_demo(args)
    announce(settings.database_url)
    asyncio.run(_run(settings))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    try:
        from bot.runtime.demo import run_demo
    except ImportError:
        print("liaison demo: the offline sandbox is coming (issue 3).", file=sys.stderr)
        return 1
    asyncio.run(
        run_demo(
            port=getattr(args, "port", 8080),
            database=getattr(args, "database", None),
            console_port=getattr(args, "console_port", None),
            reset=getattr(args, "reset", False),
        )
    )
    return 0


async def _engine_do(action: str, settings: Settings) -> None:
    from storage import migrate
    from storage.db import create_engine

    engine = create_engine(settings.database_url)
    try:
        if action == "upgrade":
            await migrate.upgrade(engine)
            print(f"database at revision {await migrate.current(engine)}")
        else:
            print(await migrate.current(engine) or "empty (no migrations applied)")
    finally:
        await engine.dispose()


def cmd_db(args: argparse.Namespace) -> int:
    asyncio.run(_engine_do(args.db_command, settings_of(args)))
    return 0


async def _network(args: argparse.Namespace) -> int:
    from bot import network
    from bot.runtime.progress import TerminalProgress
    from storage import migrate
    from storage.db import create_engine, create_sessionmaker

    settings = settings_of(args)
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        sessionmaker = create_sessionmaker(engine)
        if args.network_command == "import":
            progress = TerminalProgress(sys.stderr) if args.progress or sys.stderr.isatty() else None
            try:
                summary = await network.import_network(
                    sessionmaker,
                    Path(args.file),
                    max_bytes=settings.network_import_max_mb * 1024 * 1024,
                    progress=progress,
                )
            except network.NetworkFileError as exc:
                if progress is not None:
                    progress.close()
                print(f"liaison: {args.file} was not imported; nothing was written:", file=sys.stderr)
                for problem in exc.problems:
                    print(f"  {problem}", file=sys.stderr)
                return 1
            if progress is not None:
                progress.close()
            print(summary)
        elif args.network_command == "export":
            text = network.dump_yaml(await network.export_network(sessionmaker))
            if args.output:
                await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        else:
            counts = await network.network_counts(sessionmaker)
            calendar = await network.session_calendar(sessionmaker)
            if args.json:
                print(json.dumps({**counts, "calendar": calendar}, ensure_ascii=False, indent=2))
            else:
                sys.stdout.write(network.render_counts(counts) + "\n" + network.render_calendar(calendar))
        return 0
    finally:
        await engine.dispose()


async def _links(args: argparse.Namespace) -> int:
    from bot.people.links import all_links, station_sheets, write_links
    from bot.people.qr_cards import NO_CJK_FONT, find_cjk_font
    from bot.people.station_sheets import write_station_sheets
    from storage import migrate
    from storage.db import create_engine, create_sessionmaker

    settings = settings_of(args)
    try:
        font = await asyncio.to_thread(find_cjk_font, Path(args.font) if args.font else None)
    except ValueError as exc:
        print(f"liaison links: {exc}", file=sys.stderr)
        return 2
    username = args.bot_username
    if not username:
        if not settings.bot_token:
            print("liaison links: give --bot-username, or set BOT_TOKEN to ask Telegram", file=sys.stderr)
            return 2
        from telegram import Bot

        async with Bot(settings.bot_token, base_url=f"{settings.bot_api_url}/bot") as bot:
            username = bot.username
    engine = create_engine(settings.database_url)
    try:
        await migrate.upgrade(engine)
        links = await all_links(create_sessionmaker(engine), username)
        sheets = await station_sheets(create_sessionmaker(engine), username) if args.pdf else []
    finally:
        await engine.dispose()
    out = Path(args.out)
    if font is None:
        print(
            f"liaison links: {NO_CJK_FONT}: the QR codes carry their codes, not their names", file=sys.stderr
        )
    count = await asyncio.to_thread(write_links, links, out, font)
    print(f"{count} links with QR codes written to {out}")
    if not args.pdf:
        return 0
    if font is None:
        print(f"liaison links: no station sheets (PDF) written: {NO_CJK_FONT}", file=sys.stderr)
        return 1
    try:
        pages = await asyncio.to_thread(write_station_sheets, sheets, out / "stations.pdf", font)
    except ValueError as exc:
        print(f"liaison links: no station sheets (PDF) written: {exc}", file=sys.stderr)
        return 1
    print(f"{len(sheets)} station sheets ({pages} pages) written to {out / 'stations.pdf'}")
    return 0


def cmd_links(args: argparse.Namespace) -> int:
    return asyncio.run(_links(args))


def cmd_network(args: argparse.Namespace) -> int:
    return asyncio.run(_network(args))


# -- the database every command uses: one option, one line on stderr (bot/runtime/database_line.py) --


def database_options(command: argparse.ArgumentParser) -> None:
    """Give every command and command group below `command` a `--database URL` (over DATABASE_URL),
    unless it has its own (`demo`, `run`, `stats`). Done once over the finished tree, so a command added
    later gets it too. Left unset when not given (SUPPRESS), so a group's option
    (`liaison db --database U upgrade`) and its command's (`liaison db upgrade --database U`) both work."""
    for action in command._actions:
        if not isinstance(action, argparse._SubParsersAction):
            continue
        for child in action.choices.values():
            if "--database" not in child._option_string_actions:
                child.add_argument("--database", default=argparse.SUPPRESS, help=DATABASE_HELP)
            database_options(child)


DATABASE_HELP = "database URL for this command (overrides DATABASE_URL)"


def settings_of(args: argparse.Namespace, *, say: bool = True) -> Settings:
    """The command's settings with `--database` applied; the database used is printed to stderr."""
    return command_settings(getattr(args, "database", None), say=say)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="liaison", description="Liaison (代表联络助手): deputies and constituents."
    )
    p.add_argument("--version", action="version", version=f"liaison {__version__}")
    p.add_argument("-v", "--verbose", action="store_true", help="log debug output")
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (polling, or webhook when WEBHOOK_URL is set)")
    run.add_argument("--port", type=int, default=8080, help="web chat port when no BOT_TOKEN (demo)")
    run.add_argument(
        "--database",
        help="database URL (overrides DATABASE_URL; without BOT_TOKEN the demo's, default a file in the "
        "user data folder)",
    )
    run.set_defaults(func=cmd_run)

    demo = sub.add_parser("demo", help="offline demo: local Bot API, the bot, and a web chat")
    demo.add_argument("--port", type=int, default=8080, help="web chat port (default 8080)")
    demo.add_argument("--database", help="database URL (default: a file in the user data folder)")
    demo.add_argument(
        "--console-port", type=int, help="staff web console port (default: the web chat port + 1)"
    )
    demo.add_argument(
        "--reset",
        action="store_true",
        help="remove the demo database and its kept chats first: start from the example network again",
    )
    demo.set_defaults(func=cmd_demo)

    db = sub.add_parser("db", help="database migrations")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="migrate DATABASE_URL to the newest schema")
    db_sub.add_parser("current", help="print the schema revision")
    db.set_defaults(func=cmd_db)

    net = sub.add_parser("network", help="import, export or count the contact network")
    net_sub = net.add_subparsers(dest="network_command", required=True)
    imp = net_sub.add_parser("import", help="import a YAML file, a folder of CSV sheets or an .xlsx workbook")
    imp.add_argument("file")
    imp.add_argument(
        "--progress",
        action="store_true",
        help="show rows read and a bar per step on standard error (the default on a terminal)",
    )
    exp = net_sub.add_parser("export", help="write the network in the import format (YAML)")
    exp.add_argument("-o", "--output", help="file to write (default: standard output)")
    show = net_sub.add_parser(
        "show", help="counts of stations, deputies, links and constituents; the sessions calendar"
    )
    show.add_argument("--json", action="store_true", help="print JSON (the calendar under `calendar`)")
    net.set_defaults(func=cmd_network)
    from bot.stats.service import add_stats_command

    add_stats_command(sub)

    links = sub.add_parser("links", help="deep links and labelled QR code PNGs for every deputy and station")
    links.add_argument("--out", default="links", help="folder to write (default: ./links)")
    links.add_argument("--bot-username", help="the bot's @username (default: asked from Telegram)")
    links.add_argument(
        "--pdf",
        action="store_true",
        help="also write stations.pdf: a page per station with its deputies' codes",
    )
    links.add_argument("--font", help="a font file with Chinese characters (default: found on the system)")
    links.set_defaults(func=cmd_links)
    database_options(p)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("httpx", "alembic", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    from bot.runtime.redact import install

    install()  # the token and one-time links never reach the log (the runtime adds the token itself)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
