"""The sandbox's store (bot/sandbox/store.py): what the demo's Telegram remembers across a restart."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from bot.sandbox import Sandbox

KEYBOARD = {"inline_keyboard": [[{"text": "✅ 受理", "callback_data": "acc:1"}]]}
REPLY_KEYBOARD = {"keyboard": [[{"text": "📍 位置", "request_location": True}]], "resize_keyboard": True}


async def call(sandbox: Sandbox, method: str, **params: Any) -> Any:
    status, body = await sandbox.execute(method, params)
    assert status == 200, body
    return body["result"]


async def lived_in(sandbox: Sandbox) -> dict[str, Any]:
    """A run's worth of chat: a user writes, the bot answers with buttons, edits, files, commands."""
    sandbox.add_user(42, "张三", language_code="zh-hans", phone_number="+8613900000001")
    sandbox.add_user(43, "李四", language_code="zh-hans")
    sandbox.send_start(42)
    sandbox.send_photo(42, "路灯", width=3, height=2)
    card = await call(sandbox, "sendMessage", chat_id=42, text="任务卡", reply_markup=KEYBOARD)
    await call(
        sandbox,
        "editMessageText",
        chat_id=42,
        message_id=card["message_id"],
        text="任务卡（已改）",
        reply_markup=KEYBOARD,
    )
    await call(sandbox, "sendMessage", chat_id=42, text="请分享位置", reply_markup=REPLY_KEYBOARD)
    await call(
        sandbox,
        "setMyCommands",
        commands=[{"command": "tasks", "description": "任务"}],
        scope={"type": "chat", "chat_id": 42},
    )
    confirmed = await call(sandbox, "getUpdates", timeout=0)
    await call(sandbox, "getUpdates", offset=confirmed[-1]["update_id"] + 1, timeout=0)
    sandbox.send_text(42, "还没确认的消息")  # pending: the bot has not fetched it yet
    sandbox.block(43)
    return {"card": card, "confirmed": confirmed}


async def test_a_restarted_sandbox_shows_every_chat_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "demo.db.sandbox.sqlite"
    before = Sandbox(store=path)
    run = await lived_in(before)
    transcript, feed = before.transcript(42), before.chat_feed(42)
    await before.stop()

    after = Sandbox(store=path)
    assert after.transcript(42) == transcript
    assert after.chat_feed(42) == feed  # the web page polling since=0 gets the same events
    assert after.chat_feed(42, since=feed["next"])["events"] == []  # a page left open misses nothing
    assert after.chat_feed(42)["keyboard"] == REPLY_KEYBOARD
    assert after.users() == before.users()
    assert after.state.users[43].blocked and after.state.users[42].started
    photo = next(m for m in transcript if m["kind"] == "photo")["message"]["photo"][0]
    got = await call(after, "getFile", file_id=photo["file_id"])
    assert after.state.files_by_path[got["file_path"]].data.startswith(b"\x89PNG")
    assert after.commands("chat", chat_id=42) == [{"command": "tasks", "description": "任务"}]
    # The old card's button still works: pressing it reaches the bot, which may edit the card.
    sandbox_card = run["card"]["message_id"]
    after.press_button(42, "✅ 受理", message_id=sandbox_card)
    await call(after, "editMessageText", chat_id=42, message_id=sandbox_card, text="办理中")
    await after.stop()


async def test_ids_continue_and_old_updates_stay_confirmed(tmp_path: Path) -> None:
    path = tmp_path / "demo.db.sandbox.sqlite"
    before = Sandbox(store=path)
    run = await lived_in(before)
    pending = [u["update_id"] for u in before.state.updates]
    highest_update = before.state.next_update_id - 1
    highest_message = max(m["message_id"] for m in before.transcript(42))
    highest_seq = before.state.seq
    files = set(before.state.files_by_path)
    await before.stop()

    after = Sandbox(store=path)
    # Only what the bot never confirmed comes again; what it confirmed stays confirmed.
    fetched = await call(after, "getUpdates", timeout=0)
    assert [u["update_id"] for u in fetched] == pending
    assert not {u["update_id"] for u in run["confirmed"]} & {u["update_id"] for u in fetched}
    sent = after.send_text(42, "重启后的第一条")
    new = await call(after, "getUpdates", offset=fetched[-1]["update_id"] + 1, timeout=0)
    assert new[-1]["update_id"] > highest_update
    assert sent["message_id"] > highest_message
    reply = await call(after, "sendMessage", chat_id=42, text="收到")
    assert reply["message_id"] == sent["message_id"] + 1
    assert after.state.seq > highest_seq
    photo = after.send_photo(42)
    assert photo["photo"][0]["file_id"] not in {
        r.file_id for r in after.state.files.values() if r.file_path in files
    }
    assert len(after.state.files_by_path) == len(files) + 1  # no path was handed out twice
    await after.stop()


async def test_the_sandbox_keeps_nothing_on_disk_unless_asked(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.chdir(tmp_path)
    sandbox = Sandbox()
    await lived_in(sandbox)
    assert sandbox.state.store is None
    await sandbox.stop()
    assert await asyncio.to_thread(os.listdir, tmp_path) == []


async def test_dropped_updates_stay_dropped(tmp_path: Path) -> None:
    path = tmp_path / "demo.db.sandbox.sqlite"
    before = Sandbox(store=path)
    before.add_user(42, "张三")
    before.send_text(42, "一")
    before.send_text(42, "二")
    await call(before, "deleteWebhook", drop_pending_updates=True)
    await before.stop()
    after = Sandbox(store=path)
    assert await call(after, "getUpdates", timeout=0) == []
    assert [m["text"] for m in after.transcript(42)] == ["一", "二"]
    await after.stop()
