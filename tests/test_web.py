"""Webhook mode end to end: the sandbox delivers with the secret header, the bot stores then answers.

Also the refusals (no or wrong secret → 403, nothing stored; a body that is not an update we can
store → dropped with 200, since Telegram retries every non-2xx with the same bytes) and the database
being away (→ 503, and the sandbox delivers the same update again later, as Telegram does).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event

from bot.runtime.app import Runtime
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.runtime.web import SECRET_HEADER, WEBHOOK_PATH, WebServer, serve_web
from bot.sandbox import Sandbox
from storage.db import create_engine, create_sessionmaker
from storage.models import Opinion, OpinionState, Person
from tests.kit import SandboxUser, assert_no_violations, running_sandbox
from tests.reliability.helpers import DbProbe, free_port, greetings, wait_until

SECRET = "s3cret_Token-42"
FAST = Pacing(global_rate=1000, global_burst=1000, chat_rate=1000, chat_burst=1000)


@pytest.fixture
async def sandbox() -> AsyncIterator[Sandbox]:
    async with running_sandbox(webhook_retry_delay=0.1, webhook_retry_max=0.5) as sb:
        yield sb
        assert_no_violations(sb)


@pytest.fixture
async def webhook_bot(sandbox: Sandbox, db_url: str) -> AsyncIterator[tuple[Runtime, str]]:
    """The bot in webhook mode with its web server on a free port; yields (runtime, webhook URL)."""
    port = free_port()
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.url,
        database_url=db_url,
        admin_ids="",
        webhook_url=f"http://127.0.0.1:{port}",
        webhook_secret=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=port,
    )
    runtime = Runtime(settings, pacing=FAST)
    await runtime.start()
    site: WebServer | None = None
    try:
        site = await serve_web(runtime, settings)
        yield runtime, f"http://127.0.0.1:{port}{WEBHOOK_PATH}"
    finally:
        if site is not None:
            await site.stop()
        await runtime.stop()


async def post(url: str, body: bytes, headers: dict[str, str] | None = None) -> tuple[int, str]:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers={"Content-Type": "application/json", **(headers or {})}) as resp,
    ):
        return resp.status, await resp.text()


def an_update(update_id: int, user_id: int = 4242, text: str = "/start") -> dict[str, Any]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": 1_700_000_000,
            "chat": {"id": user_id, "type": "private", "first_name": "Eve"},
            "from": {"id": user_id, "is_bot": False, "first_name": "Eve", "language_code": "en"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text)}],
        },
    }


async def test_sandbox_delivers_with_secret_and_bot_answers(
    sandbox: Sandbox, webhook_bot: tuple[Runtime, str], probe: DbProbe
) -> None:
    _, url = webhook_bot
    [hook] = [c for c in sandbox.calls("setWebhook") if c["ok"]]
    assert hook["params"]["url"] == url and hook["params"]["secret_token"] == SECRET
    zh = SandboxUser.create(sandbox, first_name="王五", language_code="zh-hans")
    en = SandboxUser.create(sandbox, first_name="Ann", language_code="en")
    await zh.start()
    await en.start()
    await zh.receives(containing="王五，您好！")
    await en.receives(containing="Hello, Ann!")
    assert sandbox.state.updates == []  # both delivered and acknowledged
    assert sandbox.state.webhook is not None and sandbox.state.webhook.last_error_message is None
    assert await probe.inbox_count(processed=True) == 2
    assert not sandbox.calls("getUpdates")  # webhook mode never polls


@pytest.mark.parametrize(
    "headers",
    [{}, {SECRET_HEADER: "wrong"}, {SECRET_HEADER: SECRET + "x"}, {SECRET_HEADER: ""}],
    ids=["missing", "wrong", "longer", "empty"],
)
async def test_bad_secret_is_refused_and_nothing_stored(
    webhook_bot: tuple[Runtime, str], probe: DbProbe, headers: dict[str, str]
) -> None:

    _, url = webhook_bot
    status, _ = await post(url, json.dumps(an_update(777)).encode(), headers)
    assert status == 403
    assert await probe.inbox_count() == 0


def _nested(depth: int) -> dict[str, Any]:
    update = an_update(901, text="hello")
    update["message"]["chat"] = {"id": -4242, "type": "group", "title": "g"}  # ignored: no reply
    node = update["message"]
    for _ in range(depth):
        node["reply_to_message"] = {"message_id": 1, "date": 1_700_000_000}
        node = node["reply_to_message"]
    return update


def _with(update: dict[str, Any], path: tuple[str, ...], value: object) -> bytes:
    node = update
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return json.dumps(update).encode()


MALFORMED = {
    "broken": b"{not json",
    "empty": b"",
    "list": b"[]",
    "string": b'"x"',
    "no-id": b'{"message": {}}',
    "str-id": b'{"update_id": "7"}',
    "not-utf8": b"\xff\xfe",
    "id-2**70": _with(an_update(0), ("update_id",), 2**70),
    "negative-id": _with(an_update(0), ("update_id",), -1),
    "bool-id": _with(an_update(0), ("update_id",), True),
    "str-chat-id": _with(an_update(902), ("message", "chat", "id"), "abc"),
    "float-chat-id": _with(an_update(903), ("message", "chat", "id"), 4242.5),
    "huge-user-id": _with(an_update(904), ("message", "from", "id"), 2**64),
    "str-message-id": _with(an_update(905), ("message", "message_id"), "1"),
    "nested-100": json.dumps(_nested(100)).encode(),
    "nested-100000": b'{"update_id": 906, "message": ' + b'{"a": [' * 100_000 + b"]}" * 100_000 + b"}",
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_a_malformed_update_is_dropped_with_200_and_nothing_stored(
    webhook_bot: tuple[Runtime, str], probe: DbProbe, body: bytes
) -> None:
    """Telegram would deliver the same bytes again after any other answer, holding back the rest."""
    runtime, url = webhook_bot
    status, _ = await post(url, body, {SECRET_HEADER: SECRET})
    assert status == 200
    assert await probe.inbox_count() == 0
    assert runtime.inbox.dropped == 1
    # The route still stores the next good update.
    status, _ = await post(url, json.dumps(_nested(5)).encode(), {SECRET_HEADER: SECRET})
    assert status == 200 and await probe.inbox_count() == 1


async def test_redelivered_update_is_stored_once(webhook_bot: tuple[Runtime, str], probe: DbProbe) -> None:

    _, url = webhook_bot
    update = an_update(555, text="hello")
    update["message"]["chat"] = {"id": -4242, "type": "group", "title": "g"}  # ignored: no reply
    body = json.dumps(update).encode()
    for _ in range(3):
        assert (await post(url, body, {SECRET_HEADER: SECRET}))[0] == 200
    assert await probe.inbox_count() == 1


async def test_database_down_answers_503_and_sandbox_redelivers(
    sandbox: Sandbox, webhook_bot: tuple[Runtime, str], probe: DbProbe, db_url: str, tmp_path: Any
) -> None:
    runtime, _ = webhook_bot
    # The database goes away: the bot's sessions now reach a server/file that is not there.
    if db_url.startswith("sqlite"):
        dead_url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'gone.db'}"
    else:
        dead_url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"
    dead = create_engine(dead_url)
    good = runtime.services.sessionmaker
    runtime.services.sessionmaker = create_sessionmaker(dead)
    try:
        user = SandboxUser.create(sandbox, first_name="Dora", language_code="en")
        await user.start()
        hook = sandbox.state.webhook
        assert hook is not None
        await wait_until(lambda: hook.last_error_message, 5, "a failed delivery")
        assert "503" in (hook.last_error_message or ""), hook.last_error_message
        assert len(sandbox.state.updates) == 1  # Telegram keeps it
    finally:
        runtime.services.sessionmaker = good
        await dead.dispose()
    # The database is back: the next retry is stored and answered, once.
    await user.receives(containing="Hello, Dora!", timeout=10)
    await wait_until(lambda: not sandbox.state.updates, 5, "the update acknowledged")
    assert await probe.inbox_count() == 1
    assert len(greetings(sandbox, user.id)) == 1


async def test_healthz_and_metrics(webhook_bot: tuple[Runtime, str], sandbox: Sandbox) -> None:
    """/metrics counts what the bot did: a handled /start and its greeting show up."""
    _runtime, url = webhook_bot
    base = url.removesuffix(WEBHOOK_PATH)
    user = SandboxUser.create(sandbox, first_name="Metric", language_code="en")
    await user.start()
    await user.receives(containing="Hello")
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{base}/healthz") as resp:
            assert resp.status == 200 and (await resp.json()) == {"ok": True}
        async with session.get(f"{base}/metrics") as resp:
            assert resp.status == 200
            body = await resp.text()
    values = {
        line.split(" ")[0]: float(line.split(" ")[1]) for line in body.splitlines() if line and line[0] != "#"
    }
    assert values["liaison_updates_handled_total"] >= 1
    assert values['liaison_sends_total{result="sent"}'] >= 1
    assert values["liaison_outbox_depth"] >= 0 and values["liaison_opinions_overdue"] == 0


async def test_metrics_counts_overdue_opinions_in_sql(webhook_bot: tuple[Runtime, str]) -> None:
    """The overdue figures are right, and come from COUNT ... GROUP BY: no opinion row is loaded."""
    runtime, url = webhook_bot
    now = runtime.services.clock.now()
    past, future = now - timedelta(hours=1), now + timedelta(hours=1)
    cases = [  # (state, accept deadline, answer deadline, overdue?)
        *[(OpinionState.ROUTED, past, None, True)] * 3,
        (OpinionState.TRANSFERRED, past, None, True),
        (OpinionState.ROUTED, future, None, False),
        *[(OpinionState.ACCEPTED, past, past, True)] * 2,
        (OpinionState.ACCEPTED, past, future, False),  # the accept clock stopped when it was accepted
        (OpinionState.REOPENED, None, past, True),
        (OpinionState.CLOSED, past, past, False),
        (OpinionState.ANSWERED, past, past, False),
    ]
    async with runtime.services.uow() as uow:
        person = Person(name="Sender")
        uow.session.add(person)
        await uow.session.flush()
        for i, (state, accept_by, answer_by, _) in enumerate(cases):
            uow.session.add(
                Opinion(
                    tracking_no=f"LX-2026-{i:06d}",
                    sender_person_id=person.id,
                    category="other",
                    text="t",
                    state=state,
                    accept_deadline=accept_by,
                    answer_deadline=answer_by,
                )
            )
        await uow.commit()
    statements: list[str] = []

    def seen(conn: object, cursor: object, statement: str, *args: object) -> None:
        statements.append(statement.lower())

    event.listen(runtime.engine.sync_engine, "before_cursor_execute", seen)
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{url.removesuffix(WEBHOOK_PATH)}/metrics") as resp,
        ):
            assert resp.status == 200
            body = await resp.text()
    finally:
        event.remove(runtime.engine.sync_engine, "before_cursor_execute", seen)
    values = {line.split(" ")[0]: line.split(" ")[1] for line in body.splitlines() if line and line[0] != "#"}
    assert values["liaison_opinions_overdue"] == str(sum(1 for *_, due in cases if due))
    by_state = {k: v for k, v in values.items() if k.startswith("liaison_opinions_overdue_by_state")}
    assert by_state == {
        'liaison_opinions_overdue_by_state{state="accepted"}': "2",
        'liaison_opinions_overdue_by_state{state="reopened"}': "1",
        'liaison_opinions_overdue_by_state{state="routed"}': "3",
        'liaison_opinions_overdue_by_state{state="transferred"}': "1",
    }
    on_opinions = [s for s in statements if "from opinion" in s]
    assert on_opinions and all("count(" in s and "opinion.text" not in s for s in on_opinions)
