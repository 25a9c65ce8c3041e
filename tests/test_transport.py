"""The Bot API transport (aiohttp under python-telegram-bot) against the sandbox over real HTTP.

PTB maps answers to its errors above the transport; these tests pin that every kind of answer and
failure arrives as the error the outbox and inbox expect, and that uploads and timeouts work.
"""

from __future__ import annotations

import asyncio

import pytest
from telegram import Bot, InputFile
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from bot.runtime.transport import AiohttpRequest
from tests.kit import SandboxUser, make_bot, running_sandbox


async def test_calls_uploads_and_refusals_arrive_as_ptb_expects() -> None:
    async with running_sandbox() as sandbox:
        user = SandboxUser.create(sandbox, first_name="Ann")
        await user.start()
        stranger = sandbox.add_user(first_name="Never started")["id"]
        async with make_bot(sandbox) as bot:
            sent = await bot.send_message(user.id, "<b>你好</b> &amp; 🎉", parse_mode="HTML")
            assert sent.text == "你好 & 🎉" and sent.chat.id == user.id
            raw = await bot.do_api_request("sendMessage", api_kwargs={"chat_id": user.id, "text": "raw"})
            assert isinstance(raw, dict) and raw["text"] == "raw"
            document = InputFile("名字,电话\n".encode("utf-8-sig"), filename="名单.csv")
            message = await bot.send_document(user.id, document, caption="list")
            assert message.document is not None and message.document.file_name == "名单.csv"
            stored = sandbox.state.files[message.document.file_id]
            assert stored.data.decode("utf-8-sig") == "名字,电话\n"
            with pytest.raises(Forbidden):
                await bot.send_message(stranger, "hello")
            with pytest.raises(BadRequest):
                await bot.send_message(user.id, "")
        assert [c["ok"] for c in sandbox.calls("sendMessage")] == [True, True, False, False]


async def test_flood_limits_arrive_as_retry_after() -> None:
    async with running_sandbox(flood_limits=True) as sandbox:
        user = SandboxUser.create(sandbox, first_name="Ann")
        await user.start()
        async with make_bot(sandbox) as bot:
            for i in range(3):  # a private chat's burst
                await bot.send_message(user.id, f"#{i}")
            with pytest.raises(RetryAfter) as caught:
                await bot.send_message(user.id, "one too many")
        assert caught.value.retry_after in (1, 1.0) or caught.value.retry_after.total_seconds() == 1


async def test_failures_on_the_wire_arrive_as_network_errors_and_timeouts() -> None:
    async with running_sandbox() as sandbox:
        user = SandboxUser.create(sandbox, first_name="Ann")
        await user.start()
        async with make_bot(sandbox) as bot:
            sandbox.inject_fault("drop", method="sendMessage")
            with pytest.raises(NetworkError):
                await bot.send_message(user.id, "dropped")
            sandbox.inject_fault("error", method="sendMessage", status=502)
            with pytest.raises(NetworkError):
                await bot.send_message(user.id, "bad gateway")
            sandbox.inject_fault("delay", method="sendMessage", delay=1.5)
            with pytest.raises(TimedOut):
                await bot.send_message(user.id, "slow", read_timeout=0.3)
            # The transport is still usable afterwards.
            assert (await bot.send_message(user.id, "fine")).text == "fine"


async def test_an_uninitialised_transport_refuses_to_send() -> None:
    request = AiohttpRequest()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")
    await request.initialize()
    await request.shutdown()
    with pytest.raises(RuntimeError, match="not initialized"):
        await request.do_request("http://127.0.0.1:9/", "POST")


async def test_opening_connections_does_not_count_against_the_pool_wait() -> None:
    """PTB's pool timeout is for waiting on a free connection; opening a new one has the connect
    timeout. Many calls at once each open a connection: none may time out for that."""
    async with running_sandbox() as sandbox:
        users = [SandboxUser.create(sandbox, first_name=f"U{i}") for i in range(40)]
        for user in users:
            await user.start()
        request = AiohttpRequest(pool_timeout=0.001, connect_timeout=5.0)
        bot = Bot(sandbox.bot_token, base_url=sandbox.base_url, request=request)
        async with bot:
            sent = await asyncio.gather(*(bot.send_message(user.id, "hello") for user in users))
        assert [m.chat.id for m in sent] == [user.id for user in users]


async def test_a_redirect_is_not_followed_and_no_error_text_names_the_token() -> None:
    """A redirect would carry the token (in the URL) to wherever it points; aiohttp's own errors quote
    the URL. Refused at the first hop, and a connection error's text has the token masked."""
    from aiohttp import web

    from tests.reliability.helpers import free_port

    token = "7412589630:AAHk3vQ9xZpL2mW8rT5yU1oI4eE6nB0cDfG"
    hits: list[str] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        hits.append(request.path)
        raise web.HTTPTemporaryRedirect(f"/elsewhere{request.path}")

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        request = AiohttpRequest()
        await request.initialize()
        try:
            with pytest.raises(NetworkError) as redirected:
                await request.post(f"http://127.0.0.1:{port}/bot{token}/getMe")
            closed = free_port()  # nothing listens there: a connection error that quotes the URL
            with pytest.raises(NetworkError) as refused:
                await request.post(f"http://127.0.0.1:{closed}/bot{token}/getMe")
        finally:
            await request.shutdown()
    finally:
        await runner.cleanup()
    assert hits == [f"/bot{token}/getMe"]
    assert "307" in str(redirected.value) and token not in str(redirected.value)
    # Not chained either: the aiohttp error under it quotes the URL.
    assert token not in str(refused.value) and refused.value.__cause__ is None
