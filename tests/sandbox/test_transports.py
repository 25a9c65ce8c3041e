"""Raw HTTP: the sandbox accepts every encoding the Bot API accepts and answers in Telegram's shape."""

from __future__ import annotations

import aiohttp
import pytest
from telegram.error import RetryAfter

from bot.sandbox import Sandbox
from tests.kit import SandboxUser, assert_no_violations, make_bot, running_sandbox


async def test_get_json_form_and_multipart(sandbox: Sandbox, user: SandboxUser) -> None:
    api = f"{sandbox.url}/bot{sandbox.bot_token}"
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{api}/getme") as r:
            body = await r.json()
            assert body["ok"] is True and body["result"]["is_bot"] is True
        async with http.get(f"{api}/sendMessage", params={"chat_id": str(user.id), "text": "via GET"}) as r:
            assert (await r.json())["result"]["text"] == "via GET"
        async with http.post(f"{api}/sendMessage", json={"chat_id": user.id, "text": "via JSON"}) as r:
            assert (await r.json())["result"]["text"] == "via JSON"
        async with http.post(f"{api}/sendMessage", data={"chat_id": str(user.id), "text": "via form"}) as r:
            assert (await r.json())["result"]["text"] == "via form"
        form = aiohttp.FormData()
        form.add_field("chat_id", str(user.id))
        form.add_field("document", b"col1\n", filename="a.csv", content_type="text/csv")
        async with http.post(f"{api}/sendDocument", data=form) as r:
            doc = (await r.json())["result"]["document"]
            assert doc["file_name"] == "a.csv" and doc["mime_type"] == "text/csv"
        async with http.post(f"{api}/sendMessage", json={"chat_id": user.id}) as r:
            assert r.status == 400
            assert await r.json() == {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message text is empty",
            }
        async with http.get(f"{sandbox.url}/bot1:nope/getMe") as r:
            assert r.status == 401
            assert await r.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
        async with http.get(f"{api}/noSuchMethod") as r:
            assert r.status == 404
            assert await r.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
        async with http.get(f"{sandbox.url}/file/bot{sandbox.bot_token}/photos/missing.jpg") as r:
            assert r.status == 404
    assert [v.error_code for v in sandbox.violations()] == [400, 404]


async def test_group_flood_limit_is_20_per_minute() -> None:
    async with running_sandbox(flood_limits=True) as sandbox, make_bot(sandbox) as bot:
        ann = SandboxUser.create(sandbox)
        sandbox.add_group(-100123, "Station 12", [ann.id])
        for i in range(20):
            await bot.send_message(-100123, f"notice {i}")
        with sandbox.expect_error(code=429), pytest.raises(RetryAfter):
            await bot.send_message(-100123, "one more")
        assert_no_violations(sandbox)
