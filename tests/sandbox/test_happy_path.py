"""The sandbox behaves like Telegram for the calls the bot makes every day (driven by real PTB)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaPhoto,
    ReplyKeyboardMarkup,
)
from telegram.error import Conflict, NetworkError

from bot.sandbox import Sandbox
from bot.sandbox.methods import make_png
from tests.kit import SandboxUser, assert_no_violations


async def test_get_me(bot: Bot, sandbox: Sandbox) -> None:
    me = await bot.get_me()
    assert me.is_bot and me.username == "liaison_sandbox_bot"
    assert me.id == int(sandbox.bot_token.split(":")[0])


async def test_send_edit_delete_and_transcript(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("OK", callback_data="ok")]])
    sent = await bot.send_message(user.id, "Hello <b>Ann</b>", parse_mode="HTML", reply_markup=markup)
    assert sent.text == "Hello Ann" and sent.entities[0].type == "bold"
    assert sent.from_user.id == bot.id and sent.chat.id == user.id
    assert sent.message_id == 2  # /start was message 1 in this chat
    edited = await bot.edit_message_text("Hi again", user.id, sent.message_id)
    assert edited.text == "Hi again" and edited.edit_date is not None
    assert await bot.delete_message(user.id, sent.message_id)
    log = user.transcript()
    assert [m["sender"] for m in log] == ["user", "bot"]
    assert log[0]["text"] == "/start"
    assert log[1]["text"] == "Hi again" and log[1]["edited"] and log[1]["deleted"]
    assert log[1]["reply_markup"] is None  # editMessageText without markup removes the keyboard
    assert_no_violations(sandbox)


async def test_receives_waits_for_new_message_and_edit(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    async def later() -> None:
        await asyncio.sleep(0.05)
        msg = await bot.send_message(user.id, "Draft saved")
        await bot.edit_message_text("Draft submitted", user.id, msg.message_id)

    task = asyncio.create_task(later())
    first = await user.receives(containing="Draft")
    second = await user.receives(containing="submitted")
    await task
    assert first["text"] == "Draft saved" and not first["edited"]
    assert second["edited"] and second["message_id"] == first["message_id"]
    with pytest.raises(AssertionError, match="transcript"):
        await user.receives(containing="never", timeout=0.1)


async def test_get_updates_long_poll_and_offset(sandbox: Sandbox, bot: Bot) -> None:
    ann = SandboxUser.create(sandbox, first_name="Ann")
    started = time.monotonic()
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    assert not poll.done()  # it waits for an update
    await ann.send("first")
    updates = await poll
    assert time.monotonic() - started < 2
    assert [u.message.text for u in updates] == ["first"]
    await ann.send("second")
    again = await bot.get_updates(timeout=0)
    assert [u.message.text for u in again] == ["first", "second"]  # not confirmed yet
    rest = await bot.get_updates(offset=again[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest] == ["second"]
    assert await bot.get_updates(offset=rest[-1].update_id + 1, timeout=0) == ()
    assert sandbox.state.updates == []


async def test_allowed_updates_filter(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    await bot.get_updates(offset=-1, timeout=0, allowed_updates=["callback_query"])
    await bot.get_updates(offset=10**10, timeout=0, allowed_updates=["callback_query"])
    await user.send("ignored")
    assert await bot.get_updates(timeout=0) == ()


async def test_webhook_delivery_with_secret_and_retry(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    received: list[tuple[str | None, dict[str, Any]]] = []
    answers = [500, 200, 200]

    async def hook(request: web.Request) -> web.Response:
        received.append((request.headers.get("X-Telegram-Bot-Api-Secret-Token"), await request.json()))
        return web.Response(status=answers.pop(0) if answers else 200)

    app = web.Application()
    app.router.add_post("/hook", hook)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        await bot.get_updates(offset=-1, timeout=0)
        await bot.get_updates(offset=10**10, timeout=0)  # confirm the /start
        assert await bot.set_webhook(f"http://127.0.0.1:{port}/hook", secret_token="s3cr3t")
        await user.send("via webhook")
        for _ in range(100):
            if len(received) >= 2:
                break
            await asyncio.sleep(0.05)
        assert [secret for secret, _ in received] == ["s3cr3t", "s3cr3t"]
        assert received[0][1] == received[1][1]  # the same update, retried after a 500
        assert received[1][1]["message"]["text"] == "via webhook"
        info = await bot.get_webhook_info()
        assert info.url.endswith("/hook") and info.pending_update_count == 0
        assert "500" in (info.last_error_message or "")
        with sandbox.expect_error("webhook is active", code=409), pytest.raises(Conflict):
            await bot.get_updates(timeout=0)
        assert await bot.delete_webhook()
        assert_no_violations(sandbox)
    finally:
        await runner.cleanup()


async def test_photo_upload_get_file_and_download(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    png = make_png(40, 30)
    sent = await bot.send_photo(user.id, png, caption="<i>map</i>", parse_mode="HTML")
    size = sent.photo[-1]
    assert (size.width, size.height) == (40, 30)
    assert sent.caption == "map" and sent.caption_entities[0].type == "italic"
    file = await bot.get_file(size.file_id)
    assert bytes(await file.download_as_bytearray()) == png
    # Re-sending by file_id works without upload.
    again = await bot.send_photo(user.id, size.file_id)
    assert again.photo[-1].file_id == size.file_id
    # A user's photo can be fetched the same way.
    incoming = await user.send_photo(caption="pothole")
    their = await bot.get_file(incoming["photo"][-1]["file_id"])
    assert (await their.download_as_bytearray())[:8] == b"\x89PNG\r\n\x1a\n"
    assert_no_violations(sandbox)


async def test_documents_voice_location_media_group_copy_forward(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    doc = await bot.send_document(user.id, b"a,b\n1,2\n", filename="report.csv", caption="figures")
    assert doc.document.file_name == "report.csv"
    voice = await bot.send_voice(user.id, b"OggS....", duration=3)
    assert voice.voice.duration == 3
    loc = await bot.send_location(user.id, 30.6, 114.3)
    assert loc.location.latitude == pytest.approx(30.6)
    album = await bot.send_media_group(
        user.id, [InputMediaPhoto(make_png()), InputMediaPhoto(make_png(), caption="2")]
    )
    assert len(album) == 2 and album[0].media_group_id == album[1].media_group_id
    copied = await bot.copy_message(user.id, user.id, doc.message_id)
    forwarded = await bot.forward_message(user.id, user.id, 1)
    assert forwarded.text == "/start" and forwarded.forward_origin.sender_user.id == user.id
    assert user.transcript()[-2]["message_id"] == copied.message_id
    assert await bot.send_chat_action(user.id, "typing")
    chat = await bot.get_chat(user.id)
    assert chat.first_name == "Ann" and chat.username == "ann"
    kb = ReplyKeyboardMarkup([["Yes", "No"]], one_time_keyboard=True)
    await bot.send_message(user.id, "Choose", reply_markup=kb)
    assert sandbox.chat_feed(user.id)["keyboard"]["keyboard"][0][0]["text"] == "Yes"
    assert_no_violations(sandbox)


async def test_set_my_commands_with_chat_scope(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    await bot.set_my_commands([BotCommand("start", "Start"), BotCommand("help", "Help")])
    scope = BotCommandScopeChat(user.id)
    await bot.set_my_commands([BotCommand("tasks", "我的任务")], scope=scope, language_code="zh")
    assert [c.command for c in await bot.get_my_commands()] == ["start", "help"]
    assert [c.command for c in await bot.get_my_commands(scope=scope, language_code="zh")] == ["tasks"]
    assert await bot.get_my_commands(scope=scope) == ()
    assert sandbox.commands("chat", chat_id=user.id, language_code="zh")[0]["description"] == "我的任务"
    await bot.delete_my_commands(scope=scope, language_code="zh")
    assert sandbox.commands("chat", chat_id=user.id, language_code="zh") == []
    with (
        sandbox.expect_error("BOT_COMMAND_INVALID"),
        pytest.raises(Exception, match=r"(?i)bot_command_invalid"),
    ):
        await bot.set_my_commands([BotCommand("Bad-Command", "x")])
    assert_no_violations(sandbox)


async def test_unmodelled_methods_return_their_declared_type(
    sandbox: Sandbox, bot: Bot, user: SandboxUser
) -> None:
    assert await bot.set_my_description("A bot")
    dice = await bot.send_dice(user.id)
    assert 1 <= dice.dice.value <= 6
    member = await bot.get_chat_member(user.id, user.id)
    assert member.status == "member"
    assert_no_violations(sandbox)


async def test_fault_injection(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    sandbox.inject_fault("error", method="sendMessage", status=502)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(user.id, "lost")
    sandbox.inject_fault("drop", method="sendMessage")
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "dropped")
    sandbox.inject_fault("drop", method="sendMessage", after_processing=True)
    with pytest.raises(NetworkError):
        await bot.send_message(user.id, "sent but unacknowledged")
    sandbox.inject_fault("delay", delay=0.3)
    started = time.monotonic()
    await bot.send_message(user.id, "slow")
    assert time.monotonic() - started >= 0.3
    texts = [m["text"] for m in user.transcript() if m["sender"] == "bot"]
    assert texts == ["sent but unacknowledged", "slow"]
    assert [c["injected"] for c in sandbox.calls("sendMessage")] == [True, True, False, False]
    assert_no_violations(sandbox)


async def test_control_http_api(sandbox: Sandbox, bot: Bot) -> None:
    base = sandbox.url + "/sandbox"
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/users", json={"user_id": 7, "first_name": "Li", "language_code": "zh"}
        ) as r:
            assert r.status == 201
        async with http.post(f"{base}/users/7/start", json={"payload": "station-12"}) as r:
            assert (await r.json())["text"] == "/start station-12"
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("接受", callback_data="accept:1")]])
        await bot.send_message(7, "新意见", reply_markup=markup)
        async with http.get(f"{base}/chats/7", params={"since": 0}) as r:
            feed = await r.json()
        assert [e["kind"] for e in feed["events"]] == ["message", "message"]
        async with http.get(f"{base}/chats/7", params={"since": feed["next"], "wait": 0.1}) as r:
            assert (await r.json())["events"] == []
        async with http.post(f"{base}/users/7/press", json={"text": "接受"}) as r:
            qid = (await r.json())["callback_query_id"]
        updates = await bot.get_updates(timeout=0)
        query = updates[-1].callback_query
        assert query.data == "accept:1" and query.message.text == "新意见"
        await query.answer("已接受", show_alert=True)
        async with http.get(f"{base}/callbacks/{qid}") as r:
            assert (await r.json())["answer"] == {
                "text": "已接受",
                "show_alert": True,
                "url": None,
                "cache_time": 0,
            }
        async with http.post(f"{base}/users/7/block") as r:
            assert r.status == 200
        async with http.get(f"{base}/chats/7/transcript") as r:
            assert [m["text"] for m in await r.json()] == ["/start station-12", "新意见"]
        async with http.get(f"{base}/violations") as r:
            assert await r.json() == []
        async with http.post(f"{base}/users/99/send", json={"text": "x"}) as r:
            assert r.status == 400


async def test_a_chats_long_poll_wakes_for_its_own_chat_only(
    sandbox: Sandbox, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A web page or benchmark user long-polls one chat's feed. News elsewhere neither ends the wait
    nor wakes it (with a hundred chats polled, waking every poller on every change cost the sandbox
    more than the calls); news in its chat answers it, with only what came after `since`."""
    base = sandbox.url + "/sandbox"
    looked: list[int] = []
    real_feed = sandbox.chat_feed

    def feed_of(chat_id: int, since: int = 0) -> dict[str, Any]:
        looked.append(chat_id)
        return real_feed(chat_id, since)

    monkeypatch.setattr(sandbox, "chat_feed", feed_of)
    async with aiohttp.ClientSession() as http:
        for uid in (7, 8):
            async with http.post(f"{base}/users", json={"user_id": uid, "first_name": f"U{uid}"}) as r:
                assert r.status == 201
            async with http.post(f"{base}/users/{uid}/start", json={}) as r:
                assert r.status == 200
        await bot.send_message(7, "第一条")
        async with http.get(f"{base}/chats/7", params={"since": 0}) as r:
            since = (await r.json())["next"]

        async def poll() -> dict[str, Any]:
            async with http.get(f"{base}/chats/7", params={"since": since, "wait": 5}) as r:
                return dict(await r.json())

        waiting = asyncio.create_task(poll())
        await asyncio.sleep(0.1)
        looked.clear()
        await bot.send_message(8, "给别人的")
        await asyncio.sleep(0.2)
        assert not waiting.done() and looked == []
        await bot.send_message(7, "第二条")
        feed = await asyncio.wait_for(waiting, 2)
        assert [e["message"]["text"] for e in feed["events"]] == ["第二条"]
        assert feed["next"] > since


async def test_a_user_edit_arrives_as_edited_message(sandbox: Sandbox, bot: Bot, user: SandboxUser) -> None:
    """As in Telegram: the whole message as it now reads, with edit_date; no edit without a change."""
    sent = await user.send("street light broken")
    await user.edit(sent["message_id"], "/tasks")
    updates = await bot.get_updates(timeout=1)
    edited = [u.edited_message for u in updates if u.edited_message is not None]
    assert len(edited) == 1
    message = edited[0]
    assert message.message_id == sent["message_id"] and message.text == "/tasks"
    assert message.edit_date is not None and message.entities[0].type == "bot_command"
    assert user.transcript()[-1]["text"] == "/tasks" and user.transcript()[-1]["edited"]
    with pytest.raises(ValueError, match="nothing changed"):
        await user.edit(sent["message_id"], "/tasks")
    reply = await bot.send_message(user.id, "bot text")
    with pytest.raises(ValueError, match="no message"):
        await user.edit(reply.message_id, "mine now")
