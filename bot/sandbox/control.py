"""The user side of the sandbox: simulated people who write to the bot, and what tests read back.

``Control`` is mixed into ``Sandbox`` so tests call ``sandbox.send_text(...)`` in-process;
``add_control_routes`` exposes the same operations as JSON under ``/sandbox/...`` for a web chat
or an out-of-process test driver.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import time
from collections.abc import Iterator
from typing import Any

from aiohttp import web

from .formatting import find_bot_commands
from .limits import Fault, Faults
from .methods import BotApi, make_png
from .state import (
    CallbackRecord,
    ChatRecord,
    Expectation,
    State,
    StoredMessage,
    UserRecord,
    Violation,
    clone,
    now,
)

__all__ = ["Control", "add_control_routes"]

_OGG = b"OggS\x00\x02" + b"\x00" * 20 + b"OpusHead\x01\x01\x38\x01\x80\xbb\x00\x00\x00\x00\x00"


class Control:
    """Operations a test (or the web chat) performs as the users of the bot."""

    state: State
    api: BotApi
    faults: Faults
    _user_ids: Iterator[int] = itertools.count(1_000_001)

    # ------------------------------------------------------------------------------ users

    def add_user(
        self,
        user_id: int | None = None,
        first_name: str = "User",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
        phone_number: str | None = None,
    ) -> dict[str, Any]:
        """Create a simulated user (who has not yet written to the bot)."""
        uid = user_id if user_id is not None else next(self._user_ids)
        while user_id is None and uid in self.state.users:
            uid = next(self._user_ids)
        if uid in self.state.users:
            raise ValueError(f"user {uid} already exists")
        rec = UserRecord(uid, first_name, last_name, username, language_code, phone_number)
        return self.state.add_user(rec).as_dict()

    def users(self) -> list[dict[str, Any]]:
        return [u.as_dict() for u in self.state.users.values()]

    def add_group(
        self, chat_id: int, title: str, member_ids: list[int], *, username: str | None = None
    ) -> dict[str, Any]:
        """A group the bot is a member of, so group flood limits and group messages can be tested."""
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat = ChatRecord(id=chat_id, type="group", title=title, username=username, members=set(member_ids))
        self.state.chats[chat_id] = chat
        self.state.save_chat(chat)
        return chat.as_chat()

    def _user(self, user_id: int) -> UserRecord:
        try:
            return self.state.users[user_id]
        except KeyError:
            raise ValueError(f"unknown user {user_id}") from None

    def _member_event(self, user: UserRecord, old: str, new: str) -> None:
        bot = dict(self.state.bot_user)
        new_member: dict[str, Any] = {"status": new, "user": bot}
        if new == "kicked":
            new_member["until_date"] = 0
        old_member: dict[str, Any] = {"status": old, "user": bot}
        if old == "kicked":
            old_member["until_date"] = 0
        self.state.push_update(
            "my_chat_member",
            {
                "chat": self.state.chats[user.id].as_chat(),
                "from": user.as_user(),
                "date": now(),
                "old_chat_member": old_member,
                "new_chat_member": new_member,
            },
        )

    def block(self, user_id: int) -> None:
        """The user blocks the bot: later sends get 403, the bot gets a my_chat_member update."""
        user = self._user(user_id)
        if not user.blocked:
            user.blocked = True
            self.state.save_user(user)
            self._member_event(user, "member", "kicked")
            self.state.changes.fire()

    def unblock(self, user_id: int) -> None:
        user = self._user(user_id)
        if user.blocked:
            user.blocked = False
            self.state.save_user(user)
            self._member_event(user, "kicked", "member")
            self.state.changes.fire()

    # --------------------------------------------------------------------------- messages

    def _user_message(
        self,
        user_id: int,
        content: dict[str, Any],
        *,
        reply_to: int | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        """Store a message from the user and queue the update the bot will receive."""
        user = self._user(user_id)
        chat = self.state.chats.get(chat_id if chat_id is not None else user.id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        if chat.user is not None:
            if user.blocked:  # writing to a blocked bot restarts it, as the Telegram app does
                self.unblock(user_id)
            user.started = True
        data: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "from": user.as_user(),
            "chat": chat.as_chat(),
            "date": now(),
            **content,
        }
        if reply_to is not None:
            target = chat.messages.get(reply_to)
            if target is None or target.deleted:
                raise ValueError(f"no message {reply_to} to reply to in chat {chat.id}")
            quoted = clone(target.data)
            quoted.pop("reply_to_message", None)
            data["reply_to_message"] = quoted
        msg = StoredMessage(chat.id, data["message_id"], False, data)
        self.state.store_message(chat, msg)
        self.state.push_update("message", clone(data))
        return clone(data)

    def send_text(
        self, user_id: int, text: str, *, reply_to: int | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        """The user sends text; /commands get bot_command entities like in Telegram."""
        if not text.strip():
            raise ValueError("a Telegram client cannot send an empty message")
        content: dict[str, Any] = {"text": text}
        entities = find_bot_commands(text)
        if entities:
            content["entities"] = entities
        return self._user_message(user_id, content, reply_to=reply_to, chat_id=chat_id)

    def edit_text(self, user_id: int, message_id: int, text: str) -> dict[str, Any]:
        """The user edits one of their text or captioned messages: Telegram sends `edited_message`
        with the whole message as it now reads (and refuses an edit that changes nothing)."""
        user = self._user(user_id)
        chat = self.state.chats[user.id]
        msg = chat.messages.get(message_id)
        if msg is None or msg.deleted or msg.from_bot:
            raise ValueError(f"no message {message_id} of user {user_id} to edit")
        if not text.strip():
            raise ValueError("a Telegram client cannot save an empty text")
        key = "text" if "text" in msg.data else "caption"
        if key == "caption" and not any(k in msg.data for k in ("photo", "document")):
            raise ValueError(f"message {message_id} has no text or caption to edit")
        if msg.data.get(key) == text:
            raise ValueError("nothing changed: a Telegram client does not send this edit")
        data = clone(msg.data)
        data[key] = text
        entities_key = "entities" if key == "text" else "caption_entities"
        data.pop(entities_key, None)
        if key == "text" and (entities := find_bot_commands(text)):
            data["entities"] = entities
        data["edit_date"] = now()
        msg.data = data
        msg.edited = True
        self.state.event(chat, "edit", message_id, {"message": msg.snapshot()})
        self.state.push_update("edited_message", clone(data))
        return clone(data)

    def send_command(self, user_id: int, command: str, payload: str | None = None) -> dict[str, Any]:
        text = "/" + command.lstrip("/") + (f" {payload}" if payload else "")
        return self.send_text(user_id, text)

    def send_start(self, user_id: int, payload: str | None = None) -> dict[str, Any]:
        """/start, optionally with a deep-link payload (t.me/bot?start=payload)."""
        return self.send_command(user_id, "start", payload)

    def send_photo(
        self,
        user_id: int,
        caption: str | None = None,
        *,
        width: int = 2,
        height: int = 2,
        reply_to: int | None = None,
        data: bytes | None = None,
        ext: str = "png",
        mime_type: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo: ``data`` (an image of ``width``×``height``, e.g. one the web chat's
        user picked) or a tiny valid PNG; getFile + download return its bytes."""
        content_bytes = make_png(width, height) if data is None else data
        rec = self.state.new_file(
            "photo", content_bytes, ext, mime_type=mime_type, width=width, height=height
        )
        content: dict[str, Any] = {"photo": BotApi.media_dict(rec)}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, content, reply_to=reply_to)

    def send_voice(self, user_id: int, duration: int = 2) -> dict[str, Any]:
        rec = self.state.new_file("voice", _OGG, "oga", mime_type="audio/ogg", duration=duration)
        return self._user_message(user_id, {"voice": BotApi.media_dict(rec)})

    def send_document(
        self,
        user_id: int,
        data: bytes = b"hello from the sandbox\n",
        file_name: str = "document.txt",
        mime_type: str = "text/plain",
        caption: str | None = None,
    ) -> dict[str, Any]:
        ext = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        rec = self.state.new_file("document", data, ext, mime_type=mime_type, file_name=file_name)
        content: dict[str, Any] = {"document": BotApi.media_dict(rec)}
        if caption:
            content["caption"] = caption
        return self._user_message(user_id, content)

    def send_location(self, user_id: int, latitude: float, longitude: float) -> dict[str, Any]:
        return self._user_message(user_id, {"location": {"latitude": latitude, "longitude": longitude}})

    def share_contact(self, user_id: int, phone_number: str | None = None) -> dict[str, Any]:
        """The user shares their own contact (the request_contact keyboard button)."""
        user = self._user(user_id)
        phone = phone_number or user.phone_number or f"+86138{user.id % 10**8:08d}"
        user.phone_number = phone
        contact: dict[str, Any] = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
        if user.last_name:
            contact["last_name"] = user.last_name
        return self._user_message(user_id, {"contact": contact})

    # ---------------------------------------------------------------------------- buttons

    def find_button(
        self,
        chat_id: int,
        *,
        text: str | None = None,
        callback_data: str | None = None,
        message_id: int | None = None,
    ) -> tuple[StoredMessage, dict[str, Any]]:
        """The newest bot message (or the given one) with a matching inline button."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        candidates = (
            [chat.messages[message_id]] if message_id is not None else list(reversed(chat.messages.values()))
        )
        seen: list[str] = []
        for msg in candidates:
            if not msg.from_bot or msg.deleted:
                continue
            for row in msg.data.get("reply_markup", {}).get("inline_keyboard", []):
                for button in row:
                    seen.append(button.get("text", ""))
                    if (text is None or button.get("text") == text) and (
                        callback_data is None or button.get("callback_data") == callback_data
                    ):
                        return msg, button
        raise ValueError(
            f"no inline button text={text!r} callback_data={callback_data!r}; buttons seen: {seen}"
        )

    def press_button(
        self,
        user_id: int,
        text: str | None = None,
        *,
        callback_data: str | None = None,
        message_id: int | None = None,
        chat_id: int | None = None,
        forge: bool = False,
    ) -> str:
        """Press an inline button; returns the callback query id (see callback_answer).

        With ``forge=True`` the query carries ``callback_data`` as given, on the chat's newest bot
        message (or ``message_id``): what a modified client or a stale keyboard can send.
        """
        user = self._user(user_id)
        cid = chat_id if chat_id is not None else user.id
        if forge:
            if callback_data is None:
                raise ValueError("forge needs callback_data")
            chat = self.state.chats[cid]
            candidates = [m for m in chat.messages.values() if m.data.get("from", {}).get("is_bot")]
            if message_id is not None:
                candidates = [m for m in candidates if m.message_id == message_id]
            if not candidates:
                raise ValueError("no bot message to press on")
            msg, data = candidates[-1], callback_data
        else:
            msg, button = self.find_button(cid, text=text, callback_data=callback_data, message_id=message_id)
            if "callback_data" not in button:
                raise ValueError(f"button {button.get('text')!r} is not a callback button: {button}")
            data = button["callback_data"]
        qid = self.state.new_callback_id()
        self.state.callbacks[qid] = CallbackRecord(qid, user.id, cid, msg.message_id, data, time.monotonic())
        self.state.push_update(
            "callback_query",
            {
                "id": qid,
                "from": user.as_user(),
                "message": clone(msg.data),
                "chat_instance": str(abs(hash((self.state.bot_id, cid))) % 10**18),
                "data": data,
            },
        )
        return qid

    def callback_answer(self, query_id: str) -> dict[str, Any] | None:
        """What answerCallbackQuery said (text, show_alert, url), or None if not answered yet."""
        rec = self.state.callbacks.get(query_id)
        if rec is None:
            raise ValueError(f"unknown callback query {query_id}")
        return clone(rec.answer)

    async def wait_callback_answer(self, query_id: str, within: float = 5.0) -> dict[str, Any]:
        """Wait until the bot answers the callback query (TimeoutError after ``within`` s)."""
        deadline = time.monotonic() + within
        while (answer := self.callback_answer(query_id)) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"callback query {query_id} was not answered within {within} s")
            await self.state.changes.wait(remaining)
        return answer

    # ------------------------------------------------------------------------------ reading

    def transcript(self, chat_id: int) -> list[dict[str, Any]]:
        """Every message of the chat in order, both directions, in its current state."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        return [m.snapshot() for m in chat.messages.values()]

    def chat_feed(self, chat_id: int, since: int = 0) -> dict[str, Any]:
        """Changes after ``since`` (a seq) for a polling web page; pass back ``next`` as since."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        events = [e.as_dict() for e in chat.events_after(since)]
        return {
            "chat": chat.as_chat(),
            "events": events,
            "next": max([since, *[e["seq"] for e in events]]),
            "keyboard": clone(chat.keyboard),
            "blocked": bool(chat.user and chat.user.blocked),
        }

    async def wait_for_change(self, seconds: float) -> None:
        """Sleep until anything in any chat changes (or ``seconds`` pass)."""
        await self.state.changes.wait(seconds)

    async def wait_for_chat(self, chat_id: int, seconds: float) -> None:
        """Sleep until something happens in this chat (or ``seconds`` pass, or the sandbox stops)."""
        chat = self.state.chats.get(chat_id)
        if chat is None:
            raise ValueError(f"unknown chat {chat_id}")
        await chat.changed.wait(seconds)

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        return [c.as_dict() for c in self.state.calls if method is None or c.method.lower() == method.lower()]

    def violations(self) -> list[Violation]:
        return list(self.state.violations)

    def clear_violations(self) -> None:
        self.state.violations.clear()

    @contextlib.contextmanager
    def expect_error(
        self,
        contains: str | None = None,
        *,
        method: str | None = None,
        code: int | None = None,
        count: int | None = None,
    ) -> Iterator[Expectation]:
        """Within the block, refusals matching these filters are deliberate, not violations."""
        exp = Expectation(contains=contains, method=method, code=code, remaining=count)
        self.state.expectations.append(exp)
        try:
            yield exp
        finally:
            with contextlib.suppress(ValueError):
                self.state.expectations.remove(exp)

    def commands(
        self,
        scope_type: str = "default",
        chat_id: int | None = None,
        user_id: int | None = None,
        language_code: str = "",
    ) -> list[dict[str, Any]]:
        """The command list the bot set for a scope (exact scope, as getMyCommands)."""
        return clone(self.state.commands.get((scope_type, chat_id, user_id, language_code), []))

    def inject_fault(
        self,
        kind: str = "error",
        *,
        method: str | None = None,
        count: int = 1,
        status: int = 500,
        delay: float = 0.0,
        after_processing: bool = False,
    ) -> Fault:
        """Make the next ``count`` calls (of ``method``) fail: error 500/502, delay or dropped connection."""
        return self.faults.add(Fault(kind, method, count, status, delay, after_processing))

    def clear_faults(self) -> None:
        self.faults.clear()


# ------------------------------------------------------------------------------ HTTP routes

_ACTIONS = {
    "send": "send_text",
    "edit": "edit_text",
    "start": "send_start",
    "command": "send_command",
    "photo": "send_photo",
    "voice": "send_voice",
    "document": "send_document",
    "location": "send_location",
    "contact": "share_contact",
    "press": "press_button",
    "block": "block",
    "unblock": "unblock",
}


def add_control_routes(app: web.Application, sb: Control) -> None:
    """JSON control API under /sandbox/ mirroring the Control methods."""

    def ok(data: Any, status: int = 200) -> web.Response:
        return web.json_response(data, status=status)

    async def body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        data = await request.json()
        if not isinstance(data, dict):
            raise ValueError("JSON object expected")
        return data

    @web.middleware
    async def errors(request: web.Request, handler: Any) -> web.StreamResponse:
        try:
            return await handler(request)
        except (ValueError, KeyError, TypeError) as exc:
            if not request.path.startswith("/sandbox"):
                raise
            return ok({"error": str(exc)}, 400)
        except TimeoutError as exc:
            return ok({"error": str(exc)}, 408)

    app.middlewares.append(errors)

    async def info(request: web.Request) -> web.Response:
        return ok({"bot": sb.state.bot_user, "token": sb.state.bot_token, "users": sb.users()})

    async def users(request: web.Request) -> web.Response:
        if request.method == "POST":
            return ok(sb.add_user(**(await body(request))), 201)
        return ok(sb.users())

    async def groups(request: web.Request) -> web.Response:
        return ok(sb.add_group(**(await body(request))), 201)

    async def user_action(request: web.Request) -> web.Response:
        user_id = int(request.match_info["user_id"])
        action = request.match_info["action"]
        if action not in _ACTIONS:
            raise ValueError(f"unknown action {action}; known: {sorted(_ACTIONS)}")
        kwargs = await body(request)
        if action == "document" and "data_base64" in kwargs:
            kwargs["data"] = base64.b64decode(kwargs.pop("data_base64"))
        elif action == "document" and isinstance(kwargs.get("data"), str):
            kwargs["data"] = kwargs["data"].encode()
        result = getattr(sb, _ACTIONS[action])(user_id, **kwargs)
        if action == "press":
            result = {"callback_query_id": result}
        return ok(result if result is not None else {"ok": True})

    async def callback(request: web.Request) -> web.Response:
        qid = request.match_info["query_id"]
        wait = float(request.query.get("wait", 0))
        if wait > 0:
            return ok({"answer": await sb.wait_callback_answer(qid, wait)})
        return ok({"answer": sb.callback_answer(qid)})

    async def feed(request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        since = int(request.query.get("since", 0))
        wait = min(float(request.query.get("wait", 0)), 60.0)
        data = sb.chat_feed(chat_id, since)
        deadline = time.monotonic() + wait
        while not data["events"] and (remaining := deadline - time.monotonic()) > 0:
            await sb.wait_for_chat(chat_id, remaining)
            data = sb.chat_feed(chat_id, since)
        return ok(data)

    async def transcript(request: web.Request) -> web.Response:
        return ok(sb.transcript(int(request.match_info["chat_id"])))

    async def calls(request: web.Request) -> web.Response:
        return ok(sb.calls(request.query.get("method")))

    async def violations(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            sb.clear_violations()
            return ok({"ok": True})
        return ok([v.as_dict() for v in sb.violations()])

    async def expectations(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            sb.state.expectations.clear()
            return ok({"ok": True})
        kw = await body(request)
        sb.state.expectations.append(
            Expectation(kw.get("contains"), kw.get("method"), kw.get("code"), kw.get("count"))
        )
        return ok({"ok": True}, 201)

    async def faults(request: web.Request) -> web.Response:
        if request.method == "DELETE":
            sb.clear_faults()
            return ok({"ok": True})
        if request.method == "POST":
            return ok(sb.inject_fault(**(await body(request))).as_dict(), 201)
        return ok([f.as_dict() for f in sb.faults.armed])

    async def commands(request: web.Request) -> web.Response:
        q = request.query
        return ok(
            sb.commands(
                q.get("scope", "default"),
                int(q["chat_id"]) if "chat_id" in q else None,
                int(q["user_id"]) if "user_id" in q else None,
                q.get("language_code", ""),
            )
        )

    async def file(request: web.Request) -> web.Response:
        rec = sb.state.files.get(request.match_info["file_id"])
        if rec is None:
            raise web.HTTPNotFound()
        return web.Response(body=rec.data, content_type=rec.mime_type or "application/octet-stream")

    r = app.router
    r.add_get("/sandbox", info)
    r.add_route("*", "/sandbox/users", users)
    r.add_post("/sandbox/groups", groups)
    r.add_post("/sandbox/users/{user_id}/{action}", user_action)
    r.add_get("/sandbox/callbacks/{query_id}", callback)
    r.add_get("/sandbox/chats/{chat_id}", feed)
    r.add_get("/sandbox/chats/{chat_id}/transcript", transcript)
    r.add_get("/sandbox/calls", calls)
    r.add_route("*", "/sandbox/violations", violations)
    r.add_route("*", "/sandbox/expectations", expectations)
    r.add_route("*", "/sandbox/faults", faults)
    r.add_get("/sandbox/commands", commands)
    r.add_get("/sandbox/files/{file_id}", file)
