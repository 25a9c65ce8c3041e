"""Throughput of a bare python-telegram-bot echo bot against the in-process sandbox.

N simulated users send M messages in total; the bot long-polls the sandbox over real HTTP and
echoes each text. The figure printed is updates handled per second, measured until every echo
has arrived in its chat — a baseline for the sandbox + PTB overhead, not for Liaison itself.

    .venv/bin/python bench/echo.py --messages 2000 --users 50
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.sandbox import Sandbox


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    msg = update.effective_message
    if msg is not None and msg.text is not None:
        await context.bot.send_message(msg.chat_id, msg.text)


def echoes_received(sandbox: Sandbox, user_ids: list[int]) -> int:
    """Bot messages stored so far in the users' chats."""
    return sum(1 for uid in user_ids for m in sandbox.state.chats[uid].messages.values() if m.from_bot)


async def run(messages: int, users: int, concurrent: int, give_up_after: float) -> float:
    sandbox = Sandbox(flood_limits=False)
    url = await sandbox.start(host="127.0.0.1", port=0)
    builder = (
        Application.builder().token(sandbox.bot_token).base_url(f"{url}/bot").base_file_url(f"{url}/file/bot")
    )
    if concurrent > 1:
        builder = builder.concurrent_updates(concurrent)
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    user_ids = [sandbox.add_user(first_name=f"bench{i}")["id"] for i in range(users)]
    try:
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0, timeout=10)
            started = time.perf_counter()
            for i in range(messages):
                sandbox.send_text(user_ids[i % users], f"message {i}")
                if i % 100 == 99:
                    await asyncio.sleep(0)  # let the bot run while users keep typing
            deadline = started + give_up_after
            while echoes_received(sandbox, user_ids) < messages:
                if time.perf_counter() > deadline:
                    raise SystemExit(
                        f"timeout: only {echoes_received(sandbox, user_ids)} of {messages} echoed"
                    )
                await asyncio.sleep(0.01)
            elapsed = time.perf_counter() - started
            await app.updater.stop()
            await app.stop()
    finally:
        await sandbox.stop()
    bad = sandbox.violations()
    if bad:
        raise SystemExit(f"{len(bad)} violations, first: {bad[0]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000, help="total messages sent by all users")
    parser.add_argument("--users", type=int, default=50, help="number of simulated users")
    parser.add_argument("--concurrent", type=int, default=1, help="PTB concurrent_updates (1 = sequential)")
    parser.add_argument("--timeout", type=float, default=120.0, help="give up after this many seconds")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    elapsed = asyncio.run(run(args.messages, args.users, args.concurrent, args.timeout))
    rate = args.messages / elapsed if elapsed > 0 else float("inf")
    print(f"echo: {args.messages} updates in {elapsed:.2f} s = {rate:.0f} updates/s")


if __name__ == "__main__":
    main()
