"""`liaison demo` as a person runs it: what it prints at start-up, a restart that keeps the chats,
`--reset` that starts from the example network again, and the console on the port it names."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.runtime.demo import Demo, reset_demo, sandbox_store_path, shown_database

CONSTITUENT = 2000001
READY = "Liaison demo is running"


def free_port_pair() -> int:
    """A port P with P + 1 also free (the web chat and the console beside it)."""
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port >= 65535:
            continue
        with socket.socket() as a, socket.socket() as b:
            try:
                a.bind(("127.0.0.1", port))
                b.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two adjacent free ports")


@asynccontextmanager
async def liaison_demo(home: Path, *args: str) -> AsyncIterator[tuple[list[str], int]]:
    """Run `liaison demo ARGS` in its own process until it says it is running; yield what it printed
    and its web chat port; Ctrl-C (SIGINT) at the end, which must stop it cleanly."""
    port = free_port_pair()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "DATABASE_", "CONSOLE_", "WEBHOOK_"))
    }
    env["XDG_DATA_HOME"] = str(home / "data")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.runtime.cli",
        "demo",
        "--port",
        str(port),
        *args,
        cwd=home,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    lines: list[str] = []
    try:
        async with asyncio.timeout(90):
            while not any(READY in line for line in lines):
                raw = await proc.stdout.readline()
                if not raw:
                    raise AssertionError(f"the demo ended: {lines} {(await proc.stderr.read()).decode()}")
                lines.append(raw.decode().rstrip("\n"))
        yield lines, port
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGINT)
            async with asyncio.timeout(30):
                await proc.wait()
    assert proc.returncode == 0, (await proc.stderr.read()).decode()


async def chat_events(port: int, wait: float = 0) -> list[dict[str, Any]]:
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{port}/api/chats/{CONSTITUENT}?since=0&wait={wait}"
        async with http.get(url) as resp:
            assert resp.status == 200
            return list((await resp.json())["events"])


async def write_and_wait_for_the_bot(port: int, text: str) -> None:
    async with aiohttp.ClientSession() as http:
        sent = await http.post(f"http://127.0.0.1:{port}/api/users/{CONSTITUENT}/send", json={"text": text})
        assert sent.status == 200

    def bot_answered(events: list[dict[str, Any]]) -> bool:
        return any(e["kind"] == "message" and e["message"]["sender"] == "bot" for e in events)

    async with asyncio.timeout(20):
        while not bot_answered(await chat_events(port, wait=2)):  # a long poll: no busy loop
            pass


async def test_the_demo_names_its_database_and_serves_its_console(tmp_path: Path) -> None:
    database = tmp_path / "mine.db"
    async with liaison_demo(tmp_path, "--database", f"sqlite:///{database}") as (lines, port):
        assert f"Database: {database}" in lines
        assert f"Chats kept in: {database}.sandbox.sqlite (liaison demo --reset starts afresh)" in lines
        console = f"http://127.0.0.1:{port + 1}/console/"
        assert any(line.startswith(f"Staff console: {console} ") for line in lines), lines
        async with aiohttp.ClientSession() as http, http.get(console) as page:
            assert page.status == 200
            assert "/console" in str(page.url)


async def test_a_restart_keeps_the_chats_and_reset_starts_afresh(tmp_path: Path) -> None:
    async with liaison_demo(tmp_path) as (lines, port):
        # Without --database: the file in the user's data folder.
        assert f"Database: {tmp_path / 'data' / 'liaison' / 'demo.db'}" in lines
        assert not any(line.startswith("Reset:") for line in lines)
        await write_and_wait_for_the_bot(port, "小区门口的垃圾没人清运")
    async with liaison_demo(tmp_path) as (_, port):
        kept = await chat_events(port)
        assert any(
            "小区门口的垃圾没人清运" in (e["message"]["text"] or "") for e in kept if e["kind"] == "message"
        )
    store = tmp_path / "data" / "liaison" / "demo.db.sandbox.sqlite"
    assert store.exists()
    async with liaison_demo(tmp_path, "--reset") as (lines, port):
        assert any(line.startswith("Reset: removed ") for line in lines), lines
        assert await chat_events(port) == []  # the constituent's chat is empty again
        async with aiohttp.ClientSession() as http:
            people = await (await http.get(f"http://127.0.0.1:{port}/api/people")).json()
        assert not [p for p in people if p["role"] == "visitor"]


def test_where_the_demo_keeps_things(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    db = tmp_path / "demo.db"
    assert sandbox_store_path(f"sqlite+aiosqlite:///{db}") == tmp_path / "demo.db.sandbox.sqlite"
    assert sandbox_store_path("sqlite+aiosqlite:///:memory:") is None
    pg = "postgresql+asyncpg://demo:secret@db.example.org/liaison"
    assert sandbox_store_path(pg).parent == tmp_path / "data" / "liaison"  # type: ignore[union-attr]
    assert shown_database(pg) == "postgresql+asyncpg://demo:***@db.example.org/liaison"
    assert shown_database(f"sqlite+aiosqlite:///{db}") == str(db)


def test_reset_removes_the_database_and_the_kept_chats_only(tmp_path: Path) -> None:
    names = ["demo.db", "demo.db-wal", "demo.db.sandbox.sqlite", "demo.db.sandbox.sqlite-shm", "other.db"]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    removed = reset_demo(f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}")
    assert sorted(p.name for p in removed) == sorted(names[:-1])
    assert [p.name for p in tmp_path.iterdir()] == ["other.db"]
    with pytest.raises(ValueError, match="SQLite"):
        reset_demo("postgresql+asyncpg://demo@localhost/liaison")


def test_kept_chats_without_their_database_are_dropped(tmp_path: Path) -> None:
    """A store whose database was deleted by hand would show opinions the bot does not know."""
    database = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    demo = Demo(port=0, database=database)
    first = demo._open_sandbox()
    first.add_user(42, "张三")
    first.send_text(42, "你好")
    first.state.store.close()  # type: ignore[union-attr]
    (tmp_path / "demo.db").write_bytes(b"")  # the bot's database is there: the chats are kept
    kept = Demo(port=0, database=database)._open_sandbox()
    assert [m["text"] for m in kept.transcript(42)] == ["你好"]
    kept.state.store.close()  # type: ignore[union-attr]
    (tmp_path / "demo.db").unlink()
    dropped = Demo(port=0, database=database)._open_sandbox()
    assert dropped.state.users == {} and dropped.state.store is not None
    dropped.state.store.close()
