"""Run the sandbox standalone: ``python -m bot.sandbox --port 8081``."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from .server import DEFAULT_TOKEN, Sandbox


async def _serve(args: argparse.Namespace) -> None:
    sandbox = Sandbox(
        flood_limits=args.flood_limits,
        flood_scale=args.flood_scale,
        strict_limits=args.strict_limits,
        bot_token=args.token,
    )
    url = await sandbox.start(host=args.host, port=args.port)
    for i, name in enumerate(args.user or []):
        sandbox.add_user(1_000_001 + i, name)
    print(f"sandbox Bot API at {url}/bot{sandbox.bot_token}/getMe  (control API: {url}/sandbox)", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Local Telegram Bot API stand-in")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=DEFAULT_TOKEN)
    parser.add_argument("--flood-limits", action="store_true", help="enforce Telegram's rate limits (429)")
    parser.add_argument(
        "--strict-limits",
        action="store_true",
        help="enforce Telegram's rate limits as rolling windows: ≤ 30 sends in any 1 s, ≤ 3 in any 3 s "
        "per private chat, ≤ 20 in any 60 s per group, edits included (429)",
    )
    parser.add_argument(
        "--flood-scale",
        type=float,
        default=1.0,
        help="multiply every flood limit (tests: same shape, faster)",
    )
    parser.add_argument("--user", action="append", help="pre-create a user with this first name (repeatable)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))


if __name__ == "__main__":
    main()
