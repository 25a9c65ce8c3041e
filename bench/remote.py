"""The sandbox as its own process, driven over its HTTP control API (benchmarks: the bot gets its own CPU)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RemoteSandbox:
    """Acts as users and reads chats through /sandbox/...; one feed cursor per chat."""

    def __init__(self, url: str, session: aiohttp.ClientSession) -> None:
        self.url = url
        self.http = session
        self.cursor: dict[int, int] = {}

    async def _post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        async with self.http.post(f"{self.url}/sandbox/{path}", json=body or {}) as resp:
            data = await resp.json()
            if resp.status >= 400:
                raise RuntimeError(f"{path}: {data}")
            return data

    async def info(self) -> dict[str, Any]:
        async with self.http.get(f"{self.url}/sandbox") as resp:
            return dict(await resp.json())

    async def add_user(self, user_id: int, name: str, language: str = "zh-hans") -> None:
        await self._post("users", {"user_id": user_id, "first_name": name, "language_code": language})

    async def act(self, user_id: int, action: str, **body: Any) -> Any:
        return await self._post(f"users/{user_id}/{action}", body)

    async def next_bot_message(
        self, chat_id: int, match: Callable[[dict[str, Any]], bool] = lambda m: True, within: float = 60.0
    ) -> dict[str, Any]:
        """Wait (long-polling the feed) for the next new or edited bot message that matches."""
        deadline = time.monotonic() + within
        while (left := deadline - time.monotonic()) > 0:
            since = self.cursor.get(chat_id, 0)
            async with self.http.get(
                f"{self.url}/sandbox/chats/{chat_id}", params={"since": since, "wait": min(left, 10.0)}
            ) as resp:
                data = await resp.json()
            for event in data["events"]:
                self.cursor[chat_id] = max(self.cursor.get(chat_id, 0), event["seq"])
                message = event.get("message")
                if (
                    event["kind"] in ("message", "edit")
                    and message
                    and message["sender"] == "bot"
                    and match(message)
                ):
                    return dict(message)
        raise TimeoutError(f"chat {chat_id}: no matching bot message")

    async def violations(self) -> list[Any]:
        async with self.http.get(f"{self.url}/sandbox/violations") as resp:
            return list(await resp.json())


def has_button(label: str) -> Callable[[dict[str, Any]], bool]:
    def match(message: dict[str, Any]) -> bool:
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        return any(b.get("text") == label for row in rows for b in row)

    return match


@contextlib.asynccontextmanager
async def sandbox_process(*flags: str) -> AsyncIterator[RemoteSandbox]:
    """`python -m bot.sandbox` on a free port, stopped on exit."""
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.sandbox",
        "--port",
        str(port),
        *flags,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=90)) as session:
            remote = RemoteSandbox(url, session)
            for _ in range(200):
                try:
                    await remote.info()
                    break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            yield remote
    finally:
        proc.terminate()
        await proc.wait()
