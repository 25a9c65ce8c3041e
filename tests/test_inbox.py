"""The inbox under stress: database outages while polling, and every kind of update Telegram can send.

Runs the real bot in-process (polling the sandbox over HTTP) on SQLite and PostgreSQL. Updates are
fed either through the sandbox or straight into ``Inbox.store`` (as the webhook route does) when the
sandbox cannot produce that kind.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.runtime.app import Runtime
from bot.runtime.context import Services
from bot.runtime.inbox import Inbox, reader_of
from bot.runtime.outbox import Pacing
from bot.runtime.settings import load_settings
from bot.sandbox import Sandbox
from bot.sandbox.methods import BotApi, make_png
from storage.db import create_engine, create_sessionmaker
from storage.models import InboxUpdate
from tests.conftest import BLNS
from tests.kit import SandboxUser
from tests.reliability.helpers import DbProbe, free_port, greetings, wait_until

FAST = Pacing(global_rate=1000, global_burst=1000, chat_rate=1000, chat_burst=1000)
_ids = itertools.count(900_000_001)


@pytest.fixture
async def bot(sandbox: Sandbox, db_url: str) -> AsyncIterator[Runtime]:
    settings = load_settings(
        bot_token=sandbox.bot_token,
        bot_api_url=sandbox.url,
        database_url=db_url,
        admin_ids="",
        webhook_url="",
        webhook_secret="",
    )
    runtime = Runtime(settings, pacing=FAST, poll_timeout=2)
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


async def settled(probe: DbProbe) -> bool:
    """Every stored update handled (or given up on), nothing left to send."""
    rows = await probe.rows(select(InboxUpdate.processed_at, InboxUpdate.error, InboxUpdate.attempts))
    inbox_done = all(p is not None or (e is not None and a >= 5) or e is not None for p, e, a in rows)
    return inbox_done and "pending" not in await probe.outbox_by_status()


# --------------------------------------------------------------------------- database outage


async def test_polling_survives_a_database_outage(
    sandbox: Sandbox, bot: Runtime, probe: DbProbe, db_url: str, tmp_path: Any
) -> None:
    """The batch cannot be stored: it is not confirmed, polling keeps going, nothing is lost."""
    if db_url.startswith("sqlite"):
        dead_url = f"sqlite+aiosqlite:///{tmp_path / 'no-such-dir' / 'gone.db'}"
    else:
        dead_url = f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/test"
    dead = create_engine(dead_url)
    good = bot.services.sessionmaker
    bot.services.sessionmaker = create_sessionmaker(dead)
    user = SandboxUser.create(sandbox, first_name="Olga")
    try:
        polls = len(sandbox.calls("getUpdates"))
        await user.start()
        # Fetched at least twice (the failed batch is asked for again), never confirmed.
        await wait_until(lambda: len(sandbox.calls("getUpdates")) >= polls + 2, 10, "a second fetch")
        assert len(sandbox.state.updates) == 1
        assert not [t for t in bot._tasks if t.done()], "a runtime task ended during the outage"
    finally:
        bot.services.sessionmaker = good
        await dead.dispose()
    await user.receives(containing="Hello, Olga!", timeout=10)
    await wait_until(lambda: not sandbox.state.updates, 10, "the batch confirmed")
    assert await probe.inbox_count() == 1
    assert len(greetings(sandbox, user.id)) == 1


# --------------------------------------------------------------------------------- fuzzing


def _fuzz_updates(sandbox: Sandbox, uid: int) -> dict[str, dict[str, Any]]:
    """One raw update of each shape Telegram may deliver, keyed by a readable name."""
    now = int(time.time())
    me = {"id": uid, "is_bot": False, "first_name": "Fuzz", "language_code": "en"}
    other = {"id": 77_000_001, "is_bot": False, "first_name": "Other"}
    a_bot = {"id": 77_000_002, "is_bot": True, "first_name": "OtherBot", "username": "other_bot"}
    private = {"id": uid, "type": "private", "first_name": "Fuzz"}
    group = {"id": -4_000_001, "type": "group", "title": "Village group"}
    supergroup = {"id": -1_002_000_000_001, "type": "supergroup", "title": "County", "is_forum": True}
    channel = {"id": -1_003_000_000_001, "type": "channel", "title": "News", "username": "news"}
    mids = itertools.count(10_000)

    def msg(
        chat: dict[str, Any] = private, sender: dict[str, Any] | None = me, **content: Any
    ) -> dict[str, Any]:
        m: dict[str, Any] = {"message_id": next(mids), "date": now, "chat": chat, **content}
        if sender is not None:
            m["from"] = sender
        return m

    def media(kind: str, data: bytes, ext: str, mime: str | None = None) -> Any:
        return BotApi.media_dict(sandbox.state.new_file(kind, data, ext, mime_type=mime, width=2, height=2))

    location = {"latitude": 31.2304, "longitude": 121.4737}
    member = {"status": "member", "user": sandbox.state.bot_user}
    kicked = {"status": "kicked", "user": sandbox.state.bot_user, "until_date": 0}
    left = {"status": "left", "user": sandbox.state.bot_user}
    poll = {
        "id": "5000",
        "question": "Which road first?",
        "options": [
            {"persistent_id": "n", "text": "North", "voter_count": 0},
            {"persistent_id": "s", "text": "South", "voter_count": 1},
        ],
        "total_voter_count": 1,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        "allows_revoting": False,
        "members_only": False,
    }
    animation = media("animation", b"GIF89a\x01\x00\x01\x00", "mp4", "video/mp4")
    start_cmd = {"text": "/start", "entities": [{"type": "bot_command", "offset": 0, "length": 6}]}
    u: dict[str, dict[str, Any]] = {
        "edited_message": {"edited_message": msg(text="fixed typo", edit_date=now)},
        "edited_command": {"edited_message": msg(**start_cmd, edit_date=now)},
        "channel_post": {"channel_post": msg(channel, None, sender_chat=channel, **start_cmd)},
        "edited_channel_post": {
            "edited_channel_post": msg(channel, None, sender_chat=channel, text="x", edit_date=now)
        },
        "sticker": {
            "message": msg(sticker={**media("sticker", b"RIFF\x00\x00\x00\x00WEBP", "webp"), "emoji": "👍"})
        },
        "poll": {"message": msg(poll=poll)},
        "dice": {"message": msg(dice={"emoji": "🎲", "value": 6})},
        "contact_of_someone_else": {
            "message": msg(
                contact={"phone_number": "+8613900000001", "first_name": "Other", "user_id": other["id"]}
            )
        },
        "contact_without_user": {
            "message": msg(contact={"phone_number": "+8613900000002", "first_name": "Paper"})
        },
        "venue": {
            "message": msg(
                location=location, venue={"location": location, "title": "Station", "address": "1 Main St"}
            )
        },
        "live_location": {"message": msg(location={**location, "live_period": 900, "heading": 90})},
        "animation": {"message": msg(animation=animation, document=animation)},
        "video_note": {"message": msg(video_note=media("video_note", b"\x00\x00\x00\x18ftypmp42", "mp4"))},
        "photo_caption": {
            "message": msg(photo=media("photo", make_png(2, 2), "png"), caption="<b>pothole</b> & <i>")
        },
        "document": {"message": msg(document=media("document", b"%PDF-1.4", "pdf", "application/pdf"))},
        "forwarded": {
            "message": msg(
                text="fwd", forward_origin={"type": "hidden_user", "sender_user_name": "X", "date": now}
            )
        },
        "reply_to_unknown": {"message": msg(text="reply", reply_to_message=msg(sender=a_bot, text="old"))},
        "start_long_payload": {
            "message": msg(
                text="/start " + "A" * 64, entities=[{"type": "bot_command", "offset": 0, "length": 6}]
            )
        },
        "unknown_command_with_bot": {
            "message": msg(
                text="/foo@liaison_sandbox_bot", entities=[{"type": "bot_command", "offset": 0, "length": 24}]
            )
        },
        "command_for_other_bot": {
            "message": msg(
                text="/start@other_bot", entities=[{"type": "bot_command", "offset": 0, "length": 16}]
            )
        },
        "zero_width_text": {"message": msg(text="\u200b")},
        "max_text": {"message": msg(text="长" * 4096)},
        "custom_emoji": {
            "message": msg(
                text="🙂",
                entities=[{"type": "custom_emoji", "offset": 0, "length": 2, "custom_emoji_id": "1"}],
            )
        },
        "web_app_data": {"message": msg(web_app_data={"data": "{}", "button_text": "Open"})},
        "users_shared": {"message": msg(users_shared={"request_id": 1, "users": [{"user_id": other["id"]}]})},
        "pinned_service": {"message": msg(pinned_message=msg(sender=sandbox.state.bot_user, text="pinned"))},
        "auto_delete_timer": {
            "message": msg(message_auto_delete_timer_changed={"message_auto_delete_time": 86400})
        },
        "write_access_allowed": {"message": msg(write_access_allowed={"from_request": True})},
        "my_chat_member_kicked": {
            "my_chat_member": {
                "chat": private,
                "from": me,
                "date": now,
                "old_chat_member": member,
                "new_chat_member": kicked,
            }
        },
        "my_chat_member_restarted": {
            "my_chat_member": {
                "chat": private,
                "from": me,
                "date": now,
                "old_chat_member": kicked,
                "new_chat_member": member,
            }
        },
        "my_chat_member_added_to_group": {
            "my_chat_member": {
                "chat": group,
                "from": me,
                "date": now,
                "old_chat_member": left,
                "new_chat_member": member,
            }
        },
        "callback_without_message": {
            "callback_query": {
                "id": "9001",
                "from": me,
                "chat_instance": "42",
                "inline_message_id": "AAQ",
                "data": "lang:en",
            }
        },
        "callback_game_no_data": {
            "callback_query": {
                "id": "9002",
                "from": me,
                "chat_instance": "42",
                "inline_message_id": "AAR",
                "game_short_name": "g",
            }
        },
        "group_start": {"message": msg(group, **start_cmd)},
        "group_text": {"message": msg(group, text="hello all")},
        "group_from_bot": {"message": msg(group, a_bot, text="/start")},
        "group_new_members": {"message": msg(group, new_chat_members=[me, sandbox.state.bot_user])},
        "group_left_member": {"message": msg(group, left_chat_member=other)},
        "group_created": {"message": msg(group, group_chat_created=True)},
        "group_migrated": {"message": msg(group, migrate_to_chat_id=supergroup["id"])},
        "supergroup_topic": {
            "message": msg(supergroup, message_thread_id=7, is_topic_message=True, text="/help")
        },
        "anonymous_admin": {
            "message": msg(
                supergroup,
                {"id": 1087968824, "is_bot": True, "first_name": "Group"},
                sender_chat=supergroup,
                text="/start",
            )
        },
        "chat_member": {
            "chat_member": {
                "chat": group,
                "from": other,
                "date": now,
                "old_chat_member": {"status": "left", "user": other},
                "new_chat_member": {"status": "member", "user": other},
            }
        },
        "chat_join_request": {
            "chat_join_request": {"chat": supergroup, "from": me, "user_chat_id": uid, "date": now}
        },
        "message_reaction": {
            "message_reaction": {
                "chat": private,
                "message_id": 1,
                "user": me,
                "date": now,
                "old_reaction": [],
                "new_reaction": [{"type": "emoji", "emoji": "👍"}],
            }
        },
        "message_reaction_count": {
            "message_reaction_count": {
                "chat": channel,
                "message_id": 1,
                "date": now,
                "reactions": [{"type": {"type": "emoji", "emoji": "👍"}, "total_count": 3}],
            }
        },
        "inline_query": {"inline_query": {"id": "77", "from": me, "query": "roads", "offset": ""}},
        "chosen_inline_result": {"chosen_inline_result": {"result_id": "1", "from": me, "query": "roads"}},
        "poll_update": {"poll": poll},
        "poll_answer": {
            "poll_answer": {"poll_id": "5000", "user": me, "option_ids": [1], "option_persistent_ids": ["s"]}
        },
        "shipping_query": {
            "shipping_query": {
                "id": "s1",
                "from": me,
                "invoice_payload": "p",
                "shipping_address": {
                    "country_code": "CN",
                    "state": "",
                    "city": "SH",
                    "street_line1": "a",
                    "street_line2": "",
                    "post_code": "200000",
                },
            }
        },
        "pre_checkout_query": {
            "pre_checkout_query": {
                "id": "c1",
                "from": me,
                "currency": "XTR",
                "total_amount": 1,
                "invoice_payload": "p",
            }
        },
        "chat_boost": {
            "chat_boost": {
                "chat": channel,
                "boost": {
                    "boost_id": "b",
                    "add_date": now,
                    "expiration_date": now + 86400,
                    "source": {"source": "premium", "user": me},
                },
            }
        },
        "removed_chat_boost": {
            "removed_chat_boost": {
                "chat": channel,
                "boost_id": "b",
                "remove_date": now,
                "source": {"source": "premium", "user": me},
            }
        },
        "business_connection": {
            "business_connection": {
                "id": "bc",
                "user": me,
                "user_chat_id": uid,
                "date": now,
                "is_enabled": True,
            }
        },
        "deleted_business_messages": {
            "deleted_business_messages": {"business_connection_id": "bc", "chat": private, "message_ids": [1]}
        },
        "unknown_future_type": {"some_future_update": {"x": 1}},
    }
    return {name: {"update_id": next(_ids), **body} for name, body in u.items()}


async def test_every_update_type_is_handled_without_errors(
    sandbox: Sandbox, bot: Runtime, probe: DbProbe
) -> None:
    user = SandboxUser.create(sandbox, first_name="Fuzz")
    await user.start()
    await user.receives(containing="Hello, Fuzz!")
    updates = _fuzz_updates(sandbox, user.id)
    names = {u["update_id"]: name for name, u in updates.items()}
    assert await bot.inbox.store(list(updates.values())) == len(updates)
    await wait_until(lambda: settled(probe), 15, "every fuzz update handled")
    errors = {names.get(uid, uid): err for uid, err in await probe.inbox_errors()}
    assert errors == {}
    assert await probe.inbox_count(processed=False) == 0
    violations = [str(v) for v in sandbox.violations()]
    assert violations == []


async def test_a_malformed_update_does_not_block_the_inbox(
    sandbox: Sandbox, bot: Runtime, probe: DbProbe
) -> None:
    """An update python-telegram-bot cannot parse is recorded as failed; the ones after it still run."""
    user = SandboxUser.create(sandbox, first_name="Next")
    broken = {"update_id": next(_ids), "message": {"message_id": 1, "text": "no chat, no date"}}
    await bot.inbox.store([broken])
    await user.start()
    await user.receives(containing="Hello, Next!", timeout=10)
    errors = dict(await probe.inbox_errors())
    assert broken["update_id"] in errors


async def test_polling_drops_malformed_updates_and_goes_on(
    sandbox: Sandbox, bot: Runtime, probe: DbProbe
) -> None:
    """Ids that are not 64-bit integers, or nesting deeper than any update: dropped, never stored,
    confirmed to Telegram with the next offset; the updates after them are handled."""
    private = {"id": "abc", "type": "private", "first_name": "X"}
    sender = {"id": 5, "is_bot": False, "first_name": "X"}
    deep: dict[str, Any] = {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}}
    node = deep
    for _ in range(200):
        node["reply_to_message"] = {"message_id": 1, "date": 1, "chat": {"id": 5, "type": "private"}}
        node = node["reply_to_message"]
    bodies = [
        {"message_id": 1, "date": 1, "chat": private, "from": sender, "text": "/start"},
        {
            "message_id": 1,
            "date": 1,
            "chat": {**private, "id": 5},
            "from": {**sender, "id": 2**64},
            "text": "x",
        },
        {**deep, "from": sender, "text": "hi"},
    ]
    for body in bodies:
        sandbox.state.updates.append({"update_id": sandbox.state.next_update_id, "message": body})
        sandbox.state.next_update_id += 1
    user = SandboxUser.create(sandbox, first_name="After")
    await user.start()
    await user.receives(containing="Hello, After!", timeout=10)
    assert bot.inbox.dropped == 3
    assert await probe.inbox_count() == 1  # only the good /start
    await wait_until(lambda: _no_updates_left(sandbox), 10, "every update confirmed")
    await wait_until(lambda: settled(probe), 10, "the replies sent")


async def _no_updates_left(sandbox: Sandbox) -> bool:
    return not sandbox.state.updates


async def test_storing_a_malformed_update_neither_raises_nor_stores(bot: Runtime, probe: DbProbe) -> None:
    good = {
        "update_id": next(_ids),
        "message": {"message_id": 1, "date": 1, "chat": {"id": -7, "type": "group"}},
    }
    bad = [{"update_id": 2**70}, {"update_id": "12"}, {"update_id": -3}, {"update_id": 1.0}, ["list"]]
    assert await bot.inbox.store([*bad, good]) == 1  # type: ignore[list-item]
    assert bot.inbox.dropped == len(bad)
    await wait_until(lambda: settled(probe), 10, "the good one handled")


async def test_hostile_names_are_greeted_safely(sandbox: Sandbox, bot: Runtime, probe: DbProbe) -> None:
    """Big List of Naughty Strings entries as first names (Telegram allows 1-64 characters).

    Every fourth entry, to stay fast; the strings are grouped by kind, so each group is still hit.
    """
    corpus: list[str] = json.loads((BLNS).read_text(encoding="utf-8"))
    names = sorted({s[:64] for s in corpus[::4] if s.strip() and "\n" not in s[:64]})
    users = [SandboxUser.create(sandbox, first_name=n) for n in names]
    for u in users:
        await u.start()
    await wait_until(lambda: all(greetings(sandbox, u.id) for u in users), 30, "every hostile name greeted")
    await wait_until(lambda: settled(probe), 10, "everything handled")
    assert await probe.inbox_errors() == []
    assert all(len(greetings(sandbox, u.id)) == 1 for u in users)


# --------------------------------------------------------------------------- two workers, one inbox


async def test_an_update_two_workers_read_is_handled_once(
    sandbox: Sandbox, bot: Runtime, db_url: str, probe: DbProbe
) -> None:
    """Two workers on one database (another process, or a webhook worker) both read an update as
    pending: the first to claim it handles it, the other leaves it, so the user is greeted once."""
    bot.inbox.stop()  # this worker no longer polls or handles by itself: the test hands it the update
    await wait_until(lambda: _processor_stopped(bot), 10, "the runtime's inbox processor stopped")
    engine = create_engine(db_url)
    other = Inbox(bot.application, Services(bot.settings, create_sessionmaker(engine), bot.clock))
    try:
        user = SandboxUser.create(sandbox, first_name="Twice")
        # Stored as the webhook route would (this worker's polling ended with its processor).
        await bot.inbox.store([{"update_id": next(_ids), "message": await user.start()}])
        async with bot.services.uow() as uow:
            (row,) = await uow.inbox.pending()
            row_id, payload, _attempts = row
            read = (row_id, payload)
        if db_url.startswith("postgresql"):
            # Side by side: the second waits on the row for the first's commit, then finds it handled.
            results = await asyncio.gather(
                bot.inbox._handle(*read, last_try=False), other._handle(*read, last_try=False)
            )
        else:
            # SQLite has one writer: in one process the two can only take turns.
            results = [
                await other._handle(*read, last_try=False),
                await bot.inbox._handle(*read, last_try=False),
            ]
        assert results == [True, True]
        assert bot.inbox.handled + other.handled == 1
        await wait_until(lambda: greetings(sandbox, user.id) != [], 10, "the greeting sent")
        await wait_until(lambda: settled(probe), 10, "everything handled and sent")
        assert len(greetings(sandbox, user.id)) == 1
        assert len(await probe.rows(select(InboxUpdate.id))) == 1
    finally:
        await engine.dispose()


def _processor_stopped(bot: Runtime) -> bool:
    return all(task.done() for task in bot._tasks if task.get_name() == "inbox")


@pytest.mark.parametrize(
    ("payload", "reader"),
    [
        ({"message": {"chat": {"id": 5}, "from": {"id": 7}}}, (7, 5)),
        ({"callback_query": {"from": {"id": 7}, "message": {"chat": {"id": -100}}}}, (7, -100)),
        ({"callback_query": {"from": {"id": 7}}}, (7, 7)),  # an inline message: the sender's chat
        ({"message": {"chat": {"id": 5}}}, None),  # sent on behalf of a chat: no sender
        ({"message": {"chat": {"id": 5}, "from": {"id": "7"}}}, None),
        ({"poll": {"id": "1"}}, None),
    ],
)
def test_the_reader_of_an_update(payload: dict[str, Any], reader: tuple[int, int] | None) -> None:
    assert reader_of(payload) == reader
