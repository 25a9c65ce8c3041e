"""In-memory world of the sandbox: users, chats, messages, files, pending updates, call logs.

Everything a test may want to inspect lives here, in plain data, so the Bot API side (methods.py)
and the user side (control.py) change one shared model and every change is an ordered event.
"""

from __future__ import annotations

import asyncio
import bisect
import secrets
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .store import SandboxStore

__all__ = [
    "CallRecord",
    "CallbackRecord",
    "ChatEvent",
    "ChatRecord",
    "FileRecord",
    "Signal",
    "State",
    "StoredMessage",
    "UserRecord",
    "Violation",
]

# Update kinds Telegram sends when allowed_updates is not given (or given as an empty list).
DEFAULT_EXCLUDED_UPDATES = {"chat_member", "message_reaction", "message_reaction_count"}


def now() -> int:
    return int(time.time())


def clone(value: Any) -> Any:
    """A deep copy of JSON-shaped data (dicts, lists, scalars).

    What the sandbox hands out (results, updates, transcript events) must not change when the chat
    does later; `copy.deepcopy`'s general machinery was a tenth of the sandbox's CPU in benchmarks.
    """
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


class Signal:
    """Wakes every waiter on fire(); used for long polling and for tests waiting on the chat."""

    def __init__(self) -> None:
        self._waiters: set[asyncio.Future[None]] = set()

    def fire(self) -> None:
        for fut in self._waiters:
            if not fut.done():
                fut.set_result(None)
        self._waiters.clear()

    async def wait(self, seconds: float) -> None:
        """Return when fired or after ``seconds``, whichever comes first."""
        if seconds <= 0:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.add(fut)
        try:
            await asyncio.wait_for(fut, seconds)
        except TimeoutError:
            pass
        finally:
            self._waiters.discard(fut)


# What a message can carry, in the order that names its kind (text first).
MESSAGE_KINDS = (
    "text",
    "photo",
    "document",
    "voice",
    "audio",
    "video",
    "animation",
    "sticker",
    "video_note",
    "location",
    "contact",
    "venue",
    "poll",
    "dice",
)


@dataclass
class UserRecord:
    """A simulated Telegram user; ``started`` once they wrote to the bot, ``blocked`` if they blocked it."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    phone_number: str | None = None
    started: bool = False
    blocked: bool = False

    def as_user(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        for key in ("last_name", "username", "language_code"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {**self.as_user(), "started": self.started, "blocked": self.blocked}


@dataclass
class FileRecord:
    """A stored file: uploaded by the bot or generated for a user's photo/voice/document."""

    file_id: str
    file_unique_id: str
    kind: str
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int | None = None
    height: int | None = None
    duration: int | None = None

    def as_file(self) -> dict[str, Any]:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.data),
            "file_path": self.file_path,
        }


@dataclass
class StoredMessage:
    """A message as Telegram keeps it; ``data`` is the current Bot API Message dict."""

    chat_id: int
    message_id: int
    from_bot: bool
    data: dict[str, Any]
    keyboard: dict[str, Any] | None = None
    edited: bool = False
    deleted: bool = False

    @property
    def kind(self) -> str:
        for key in MESSAGE_KINDS:
            if key in self.data:
                return key
        return "other"

    def snapshot(self) -> dict[str, Any]:
        """Transcript view: current text/caption/markup plus edited/deleted flags."""
        d = clone(self.data)  # one copy: the fields below share its parts, within one snapshot
        return {
            "message_id": self.message_id,
            "chat_id": self.chat_id,
            "sender": "bot" if self.from_bot else "user",
            "from_id": d.get("from", {}).get("id"),
            "date": d.get("date"),
            "kind": self.kind,
            "text": d.get("text"),
            "entities": d.get("entities", []),
            "caption": d.get("caption"),
            "caption_entities": d.get("caption_entities", []),
            "reply_markup": d.get("reply_markup"),
            "keyboard": clone(self.keyboard),
            "reply_to_message_id": d.get("reply_to_message", {}).get("message_id"),
            "edited": self.edited,
            "deleted": self.deleted,
            "message": d,
        }


@dataclass
class ChatEvent:
    """One change in a chat, ordered by a sandbox-wide ``seq`` (what a web page polls with since=N)."""

    seq: int
    chat_id: int
    kind: str  # message | edit | delete | action | callback_answer
    message_id: int | None
    payload: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "chat_id": self.chat_id,
            "kind": self.kind,
            "message_id": self.message_id,
            **self.payload,
        }


@dataclass
class ChatRecord:
    """A private chat (id == user id) or a group the bot is a member of."""

    id: int
    type: str
    title: str | None = None
    username: str | None = None
    user: UserRecord | None = None
    members: set[int] = field(default_factory=set)
    messages: dict[int, StoredMessage] = field(default_factory=dict)
    events: list[ChatEvent] = field(default_factory=list)
    next_message_id: int = 1
    keyboard: dict[str, Any] | None = None
    last_action: str | None = None
    # Fired on this chat's events only: a long poll of one chat's feed wakes for its own chat, not
    # for each of the thousands of changes elsewhere (with 100 chats polled, waking every poller on
    # every change cost the sandbox more CPU than the calls themselves).
    changed: Signal = field(default_factory=Signal, repr=False, compare=False)

    def events_after(self, seq: int) -> list[ChatEvent]:
        """Events after ``seq``; they are kept in seq order, so the search is a bisection."""
        return self.events[bisect.bisect_right(self.events, seq, key=lambda e: e.seq) :]

    def as_chat(self) -> dict[str, Any]:
        if self.user is not None:
            out: dict[str, Any] = {"id": self.id, "type": "private", "first_name": self.user.first_name}
            if self.user.last_name:
                out["last_name"] = self.user.last_name
            if self.user.username:
                out["username"] = self.user.username
            return out
        out = {"id": self.id, "type": self.type, "title": self.title or ""}
        if self.username:
            out["username"] = self.username
        return out

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class CallbackRecord:
    """A pressed inline button; the answer is kept so a test can check the toast/alert."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    created: float
    answered: bool = False
    answer: dict[str, Any] | None = None


@dataclass
class CallRecord:
    """One Bot API call as the bot made it, successful or not."""

    seq: int
    time: float
    method: str
    params: dict[str, Any]
    ok: bool
    error_code: int | None = None
    description: str | None = None
    injected: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "time": self.time,
            "method": self.method,
            "params": self.params,
            "ok": self.ok,
            "error_code": self.error_code,
            "description": self.description,
            "injected": self.injected,
        }


@dataclass
class Violation:
    """A call Telegram would refuse: the bot has a bug unless the test expected it."""

    method: str
    params: dict[str, Any]
    error_code: int
    description: str
    time: float = field(default_factory=time.time)

    def as_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "params": self.params,
            "error_code": self.error_code,
            "description": self.description,
            "time": self.time,
        }

    def __str__(self) -> str:
        return f"{self.method}: {self.error_code} {self.description} (params={self.params})"


@dataclass
class Expectation:
    """An error a test provokes on purpose, so it is not reported as a violation."""

    contains: str | None = None
    method: str | None = None
    code: int | None = None
    remaining: int | None = None  # None = unlimited while active
    matched: int = 0

    def matches(self, method: str, code: int, description: str) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        if self.method and self.method.lower() != method.lower():
            return False
        if self.code is not None and self.code != code:
            return False
        return not (self.contains and self.contains.lower() not in description.lower())


@dataclass
class WebhookConfig:
    url: str
    secret_token: str | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class State:
    """The whole sandbox world; single event loop, so no locks are needed.

    In memory only, unless ``attach`` gives it a ``SandboxStore``: then every chat change, file,
    user and counter is written through to disk as it happens (the demo keeps its chats that way).
    """

    def __init__(self, bot_token: str, bot_username: str, bot_name: str) -> None:
        self.bot_token = bot_token
        self.bot_id = int(bot_token.split(":", 1)[0])
        self.bot_user: dict[str, Any] = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.users: dict[int, UserRecord] = {}
        self.chats: dict[int, ChatRecord] = {}
        self.files: dict[str, FileRecord] = {}
        self.files_by_path: dict[str, FileRecord] = {}
        self.updates: list[dict[str, Any]] = []
        self.next_update_id = 500_000_001
        self.allowed_updates: list[str] | None = None
        self.webhook: WebhookConfig | None = None
        self.poller: object | None = None
        self.callbacks: dict[str, CallbackRecord] = {}
        self.commands: dict[tuple[str, int | None, int | None, str], list[dict[str, Any]]] = {}
        self.calls: list[CallRecord] = []
        self.violations: list[Violation] = []
        self.expectations: list[Expectation] = []
        self.seq = 0
        self.next_file_number = 1
        self.store: SandboxStore | None = None
        self.updates_signal = Signal()
        self.changes = Signal()

    # ---------------------------------------------------------------------------- persistence

    def attach(self, store: SandboxStore) -> None:
        """Load what ``store`` kept (a fresh state only) and write every later change through to it."""
        if self.chats or self.users or self.seq:
            raise RuntimeError("attach a sandbox store before anything happens in the sandbox")
        store.load(self)
        self.store = store

    def restart_file_numbers(self, at: int) -> None:
        """Continue file numbering at ``at`` (file paths and ids of a restored sandbox stay unique)."""
        self.next_file_number = max(self.next_file_number, at)

    def save_chat(self, chat: ChatRecord) -> None:
        """Tell the store about a chat (or its user) changed outside ``event``."""
        if self.store is not None:
            self.store.save_chat(self, chat)

    def save_user(self, user: UserRecord) -> None:
        if self.store is not None:
            self.store.save_user(user)

    def save_commands(self, key: tuple[str, int | None, int | None, str]) -> None:
        """Tell the store a command scope's list was set or deleted."""
        if self.store is not None:
            self.store.save_commands(key, self.commands.get(key))

    # ------------------------------------------------------------------------------ updates

    def update_allowed(self, kind: str) -> bool:
        allowed = self.allowed_updates
        if allowed:
            return kind in allowed
        return kind not in DEFAULT_EXCLUDED_UPDATES

    def push_update(self, kind: str, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Queue an update for getUpdates/webhook; dropped if the bot did not subscribe to its kind."""
        if not self.update_allowed(kind):
            return None
        update = {"update_id": self.next_update_id, kind: payload}
        self.next_update_id += 1
        self.updates.append(update)
        if self.store is not None:
            self.store.save_update(self, update)
        self.updates_signal.fire()
        return update

    def confirm_updates(self, offset: int) -> None:
        """getUpdates offset semantics: ids below offset are confirmed; negative keeps the last -offset."""
        if offset < 0:
            self.updates = self.updates[offset:]
        else:
            self.updates = [u for u in self.updates if u["update_id"] >= offset]
        self.updates_gone()

    def updates_gone(self) -> None:
        """Updates left the queue (confirmed, delivered to a webhook, dropped): the store forgets them."""
        if self.store is not None:
            self.store.save_confirmed(self)

    # ----------------------------------------------------------------------------- entities

    def add_user(self, user: UserRecord) -> UserRecord:
        self.users[user.id] = user
        self.chats[user.id] = ChatRecord(id=user.id, type="private", user=user)
        self.save_chat(self.chats[user.id])
        return user

    def event(
        self, chat: ChatRecord, kind: str, message_id: int | None, payload: dict[str, Any]
    ) -> ChatEvent:
        self.seq += 1
        ev = ChatEvent(self.seq, chat.id, kind, message_id, payload)
        chat.events.append(ev)
        if self.store is not None:
            self.store.save_event(self, chat, ev)
        chat.changed.fire()
        self.changes.fire()
        return ev

    def wake_all(self) -> None:
        """Every waiter, global and per chat, returns (the sandbox is stopping)."""
        self.updates_signal.fire()
        self.changes.fire()
        for chat in self.chats.values():
            chat.changed.fire()

    def store_message(self, chat: ChatRecord, msg: StoredMessage) -> StoredMessage:
        chat.messages[msg.message_id] = msg
        self.event(chat, "message", msg.message_id, {"message": msg.snapshot()})
        return msg

    def new_file(
        self,
        kind: str,
        data: bytes,
        ext: str,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
        width: int | None = None,
        height: int | None = None,
        duration: int | None = None,
    ) -> FileRecord:
        n = self.next_file_number
        self.next_file_number += 1
        folder = {"photo": "photos", "voice": "voice", "document": "documents"}.get(kind, f"{kind}s")
        rec = FileRecord(
            file_id=f"SBX{kind[:3].upper()}{n:06d}" + secrets.token_urlsafe(24),
            file_unique_id=f"U{n:06d}" + secrets.token_urlsafe(6),
            kind=kind,
            data=data,
            file_path=f"{folder}/file_{n}.{ext}",
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
            duration=duration,
        )
        self.files[rec.file_id] = rec
        self.files_by_path[rec.file_path] = rec
        if self.store is not None:
            self.store.save_file(self, rec)
        return rec

    def new_callback_id(self) -> str:
        return str(secrets.randbits(62))
