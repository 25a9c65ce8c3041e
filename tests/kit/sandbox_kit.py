"""Test kit for driving a bot through the sandbox as real users would.

The bot talks to the sandbox over real HTTP; the kit acts as users by calling the in-process
``Sandbox`` directly (no fixtures needed), e.g.::

    async with running_sandbox() as sandbox:
        app = application_builder(sandbox).build()
        ... start the bot ...
        ann = SandboxUser.create(sandbox, first_name="Ann")
        await ann.start()
        msg = await ann.receives(containing="Welcome")
        await ann.press("Submit")
        assert_no_violations(sandbox)
"""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from telegram import Bot
from telegram.ext import ApplicationBuilder

from bot.runtime.transport import AiohttpRequest
from bot.sandbox import Sandbox

from .idle import wait_idle, watched

__all__ = [
    "PressResult",
    "SandboxUser",
    "application_builder",
    "assert_no_violations",
    "format_transcript",
    "make_bot",
    "running_sandbox",
]


@contextlib.asynccontextmanager
async def running_sandbox(**kwargs: Any) -> AsyncIterator[Sandbox]:
    """A Sandbox listening on 127.0.0.1 with a free port; stopped on exit."""
    sandbox = Sandbox(**kwargs)
    await sandbox.start(host="127.0.0.1", port=0)
    try:
        yield sandbox
    finally:
        await sandbox.stop()


def make_bot(sandbox: Sandbox) -> Bot:
    """A python-telegram-bot ``Bot`` pointed at the sandbox (use ``async with``), on the bot's transport."""
    return Bot(
        sandbox.bot_token,
        base_url=sandbox.base_url,
        base_file_url=sandbox.base_file_url,
        request=AiohttpRequest(),
        get_updates_request=AiohttpRequest(1),
    )


def application_builder(sandbox: Sandbox) -> ApplicationBuilder:  # type: ignore[type-arg]
    """``Application.builder()`` preset with the sandbox's token and URLs."""
    return (
        ApplicationBuilder()
        .token(sandbox.bot_token)
        .base_url(sandbox.base_url)
        .base_file_url(sandbox.base_file_url)
    )


def assert_no_violations(sandbox: Sandbox, *, ignore_codes: tuple[int, ...] = ()) -> None:
    """Fail listing every call Telegram would have refused (except codes in ``ignore_codes``)."""
    found = [v for v in sandbox.violations() if v.error_code not in ignore_codes]
    if found:
        lines = "\n".join(f"  - {v}" for v in found)
        raise AssertionError(f"{len(found)} Bot API call(s) Telegram would refuse:\n{lines}")


def format_transcript(entries: list[dict[str, Any]]) -> str:
    """A readable chat log for assertion messages."""
    out = []
    for e in entries:
        who = "BOT " if e["sender"] == "bot" else "USER"
        body = e["text"] if e["text"] is not None else f"[{e['kind']}] {e['caption'] or ''}".rstrip()
        flags = "".join([" (edited)" if e["edited"] else "", " (deleted)" if e["deleted"] else ""])
        buttons = [b["text"] for row in (e["reply_markup"] or {}).get("inline_keyboard", []) for b in row]
        extra = f"  buttons={buttons}" if buttons else ""
        out.append(f"  #{e['message_id']} {who}: {body}{flags}{extra}")
    return "\n".join(out) or "  (empty chat)"


class PressResult:
    """A pressed inline button; ``await result.answer()`` gives what answerCallbackQuery said."""

    def __init__(self, sandbox: Sandbox, query_id: str) -> None:
        self.sandbox = sandbox
        self.query_id = query_id

    async def answer(self, within: float = 5.0) -> dict[str, Any]:
        """{"text", "show_alert", "url", "cache_time"} once the bot answered."""
        return await self.sandbox.wait_callback_answer(self.query_id, within)


class SandboxUser:
    """One simulated Telegram user chatting with the bot in a private chat."""

    def __init__(self, sandbox: Sandbox, user_id: int) -> None:
        self.sandbox = sandbox
        self.id = user_id
        self._baseline = sandbox.state.seq
        self._consumed: set[int] = set()
        self._events: list[Any] = []  # the chat's event list that _settled indexes
        self._settled = 0  # index in it before which nothing can be returned any more

    @classmethod
    def create(
        cls,
        sandbox: Sandbox,
        *,
        user_id: int | None = None,
        first_name: str = "Tester",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
    ) -> SandboxUser:
        user = sandbox.add_user(
            user_id,
            first_name,
            last_name=last_name,
            username=username,
            language_code=language_code,
            phone_number=phone_number,
        )
        return cls(sandbox, user["id"])

    # --------------------------------------------------------------------------- actions

    async def send(self, text: str, *, reply_to: int | None = None) -> dict[str, Any]:
        return self.sandbox.send_text(self.id, text, reply_to=reply_to)

    async def edit(self, message_id: int, text: str) -> dict[str, Any]:
        """Edit one of this user's messages (text, or a photo's or document's caption)."""
        return self.sandbox.edit_text(self.id, message_id, text)

    async def start(self, payload: str | None = None) -> dict[str, Any]:
        return self.sandbox.send_start(self.id, payload)

    async def command(self, command: str, payload: str | None = None) -> dict[str, Any]:
        return self.sandbox.send_command(self.id, command, payload)

    async def send_photo(self, caption: str | None = None, *, reply_to: int | None = None) -> dict[str, Any]:
        return self.sandbox.send_photo(self.id, caption, reply_to=reply_to)

    async def send_voice(self, duration: int = 2) -> dict[str, Any]:
        return self.sandbox.send_voice(self.id, duration)

    async def send_document(
        self, data: bytes = b"hello\n", file_name: str = "note.txt", caption: str | None = None
    ) -> dict[str, Any]:
        return self.sandbox.send_document(self.id, data, file_name, caption=caption)

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        return self.sandbox.send_location(self.id, latitude, longitude)

    async def share_contact(self, phone: str | None = None) -> dict[str, Any]:
        return self.sandbox.share_contact(self.id, phone)

    async def press(
        self,
        text: str | None = None,
        *,
        data: str | None = None,
        message_id: int | None = None,
        forge: bool = False,
    ) -> PressResult:
        """Press the inline button with this text (or callback data) on the newest bot message having it.

        ``forge=True`` sends ``data`` whether or not such a button exists (forged or stale presses).
        """
        qid = self.sandbox.press_button(self.id, text, callback_data=data, message_id=message_id, forge=forge)
        return PressResult(self.sandbox, qid)

    async def block(self) -> None:
        self.sandbox.block(self.id)

    async def unblock(self) -> None:
        self.sandbox.unblock(self.id)

    # --------------------------------------------------------------------------- reading

    def transcript(self) -> list[dict[str, Any]]:
        return self.sandbox.transcript(self.id)

    def last_bot_message(self) -> dict[str, Any] | None:
        bot_msgs = [m for m in self.transcript() if m["sender"] == "bot" and not m["deleted"]]
        return bot_msgs[-1] if bot_msgs else None

    def _pending(self, match: Callable[[dict[str, Any]], bool]) -> dict[str, Any] | None:
        """The oldest bot message or edit not yet returned that ``match`` accepts (marked returned).

        The chat's events only grow; the leading run of events that can never be returned (before
        the baseline, returned already, the user's own, not a message) is skipped on later calls,
        so a chat of thousands of messages is not read whole for each one awaited.
        """
        events = self.sandbox.state.chats[self.id].events
        if events is not self._events:  # the user was added again: a new chat record
            self._events, self._settled = events, 0
        settled = True  # every event before index i can never be returned
        for i in range(self._settled, len(events)):
            ev = events[i]
            msg = ev.payload.get("message") if ev.kind in ("message", "edit") else None
            if ev.seq <= self._baseline or ev.seq in self._consumed or msg is None or msg["sender"] != "bot":
                if settled:
                    self._settled = i + 1
                continue
            if match(msg):
                self._consumed.add(ev.seq)
                if settled:
                    self._settled = i + 1
                return msg
            settled = False
        return None

    async def receives(
        self,
        containing: str | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the kit's documented API takes a timeout
        *,
        where: Callable[[dict[str, Any]], bool] | None = None,
    ) -> dict[str, Any]:
        """Wait for a new bot message or edit whose text/caption contains ``containing``.

        Each message version is returned once, so two calls wait for two messages. The result is a
        transcript entry: message_id, text, entities, caption, reply_markup, edited, deleted, message.
        """

        def match(msg: dict[str, Any]) -> bool:
            body = (msg["text"] or "") + "\n" + (msg["caption"] or "")
            if containing is not None and containing not in body:
                return False
            return where is None or where(msg)

        deadline = time.monotonic() + timeout
        while (found := self._pending(match)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                wanted = f"containing {containing!r}" if containing is not None else "(any)"
                raise AssertionError(
                    f"user {self.id} got no new bot message {wanted} within {timeout} s; transcript:\n"
                    + format_transcript(self.transcript())
                )
            # This chat's signal, not every chat's: with many users waiting at once (test_blns),
            # a message to one woke them all to scan their chats again.
            await self.sandbox.wait_for_chat(self.id, remaining)
        return found

    async def receives_nothing(self, *, grace: float = 0.0, idle_within: float = 20.0) -> None:
        """Assert the bot sends this user no new message or edit once it has done all it can do now.

        Waits until the bot is idle (see `tests.kit.idle`: every update confirmed and handled, every
        due outbox row sent and recorded), then looks. ``grace`` adds a window on the clock, for what
        a timer rather than the bot's queue would send (a periodic job), or for a bot whose database
        the kit cannot see (a bare PTB application: then only the sandbox's queue is known).
        """
        if grace <= 0 and not watched(self.sandbox):
            # Without a probe only the sandbox's queue is known: the check would pass at once.
            raise AssertionError(
                "receives_nothing: no bot is watched on this sandbox (tests.kit.watching), "
                "so idle cannot be known; register the runtime or pass a grace"
            )
        await wait_idle(self.sandbox, idle_within)
        deadline = time.monotonic() + grace
        while (remaining := deadline - time.monotonic()) > 0:
            await self.sandbox.wait_for_change(remaining)
        found = self._pending(lambda m: True)
        if found is not None:
            raise AssertionError(f"unexpected bot message: {json.dumps(found['text'] or found['caption'])}")
