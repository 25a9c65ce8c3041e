"""The sandbox's memory on disk: chats, messages, files and counters kept in an SQLite file.

Telegram remembers every chat, message and file, keeps counting update and message ids and keeps
updates the bot has not confirmed; a sandbox that forgets them on restart shows empty chats next to a
bot database full of opinions, and the bot's next edit of a task card it sent yesterday is refused.
``SandboxStore`` gives ``State`` that memory for the demo (tests keep the in-memory default).

Writes go through at once, one small transaction per change, on the caller's thread: the demo's
sandbox runs inside the bot's event loop and a change is a few rows (the event, the message as it now
reads, the chat's counters). With WAL and ``synchronous=NORMAL`` a commit is not flushed to the disk,
so a killed process loses nothing (only a power cut could) and a user's message with its update costs
about 0.4 ms instead of 0.05 ms (2,000 messages on the 2-core machine, December 2026): nothing a
person clicking through the demo notices, and tests and benchmarks do not pay it. An
update id or message id once handed out is on disk before the call that took it returns, so a
restarted sandbox never hands it out again.

Its own file (``<demo db>.sandbox.sqlite``) rather than tables in the bot's database: the sandbox
stands in for Telegram, which the bot's schema and migrations know nothing of.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .state import ChatEvent, ChatRecord, FileRecord, State, StoredMessage, UserRecord

__all__ = ["SandboxStore"]

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS chats (id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS messages (
    chat_id INTEGER NOT NULL, message_id INTEGER NOT NULL, data TEXT NOT NULL,
    PRIMARY KEY (chat_id, message_id));
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, kind TEXT NOT NULL,
    message_id INTEGER, payload TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS files (file_id TEXT PRIMARY KEY, meta TEXT NOT NULL, data BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS commands (scope TEXT PRIMARY KEY, commands TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS updates (update_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
"""
# Bumped when the layout above changes; an older file is then started afresh, not misread.
VERSION = "1"


def _dumps(value: Any) -> str:
    """JSON of Bot API data; anything else is kept as its text rather than failing the call that made it."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class SandboxStore:
    """An SQLite file holding one sandbox's world; ``load`` fills a State, the ``save_*`` keep it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._conn: sqlite3.Connection | None = self._open(self.path)
        version = self._meta("version")
        if version is not None and version != VERSION:
            log.warning(
                "sandbox store %s has layout %s, not %s: starting afresh", self.path, version, VERSION
            )
            for table in ("meta", "users", "chats", "messages", "events", "files", "commands", "updates"):
                self._conn.execute(f"DROP TABLE IF EXISTS {table}")
        self._conn.executescript(SCHEMA)
        self._conn.execute("INSERT OR REPLACE INTO meta VALUES ('version', ?)", (VERSION,))
        self._pending_key: tuple[int, int | None, int | None] | None = None

    @staticmethod
    def remove(path: str | Path) -> None:
        """Delete a store file with its WAL companions (a store whose demo database is gone)."""
        base = Path(path)
        for suffix in ("", "-wal", "-shm"):
            base.with_name(base.name + suffix).unlink(missing_ok=True)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # ------------------------------------------------------------------------------- reading

    def _meta(self, key: str) -> str | None:
        try:
            row = self._connection().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        except sqlite3.OperationalError:  # a new file: no table yet
            return None
        return None if row is None else str(row[0])

    def read_meta(self, key: str) -> str | None:
        """A value the demo keeps beside the chats (e.g. its clock), None when never written."""
        return self._meta(key)

    def write_meta(self, key: str, value: str) -> None:
        with self._connection() as conn:
            conn.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def load(self, state: State) -> None:
        """Put everything the file holds into a fresh ``state`` (ids continue after the stored ones)."""
        from .state import ChatEvent, ChatRecord, FileRecord, StoredMessage, UserRecord

        conn = self._connection()
        for (data,) in conn.execute("SELECT data FROM users ORDER BY id"):
            user = UserRecord(**json.loads(data))
            state.users[user.id] = user
        for (data,) in conn.execute("SELECT data FROM chats ORDER BY id"):
            raw = json.loads(data)
            user_id = raw.pop("user_id")
            raw["members"] = set(raw["members"])
            chat = ChatRecord(**raw, user=state.users.get(user_id) if user_id is not None else None)
            state.chats[chat.id] = chat
        # Message ids grow in the order messages are stored, so this is each chat's original order.
        for chat_id, message_id, data in conn.execute(
            "SELECT chat_id, message_id, data FROM messages ORDER BY chat_id, message_id"
        ):
            raw = json.loads(data)
            chat = state.chats.get(chat_id)
            if chat is not None:
                chat.messages[message_id] = StoredMessage(chat_id, message_id, **raw)
        for seq, chat_id, kind, message_id, payload in conn.execute(
            "SELECT seq, chat_id, kind, message_id, payload FROM events ORDER BY seq"
        ):
            chat = state.chats.get(chat_id)
            if chat is not None:
                chat.events.append(ChatEvent(seq, chat_id, kind, message_id, json.loads(payload)))
            state.seq = max(state.seq, seq)
        for meta, data in conn.execute("SELECT meta, data FROM files"):
            rec = FileRecord(**json.loads(meta), data=bytes(data))
            state.files[rec.file_id] = rec
            state.files_by_path[rec.file_path] = rec
        counters = json.loads(self._meta("counters") or "{}")
        state.next_update_id = max(state.next_update_id, int(counters.get("next_update_id", 0)))
        state.seq = max(state.seq, int(counters.get("seq", 0)))
        state.restart_file_numbers(int(counters.get("next_file", 1)))
        state.updates = [
            json.loads(data) for (data,) in conn.execute("SELECT data FROM updates ORDER BY update_id")
        ]
        self._pending_key = self._updates_key(state)
        for scope, cmds in conn.execute("SELECT scope, commands FROM commands"):
            kind, chat_id, user_id, lang = json.loads(scope)
            state.commands[(kind, chat_id, user_id, lang)] = json.loads(cmds)

    # ------------------------------------------------------------------------------- writing

    def _connection(self) -> sqlite3.Connection:
        """The open connection; a closed store (the sandbox stopped, then started again) reopens."""
        if self._conn is None:
            self._conn = self._open(self.path)
        return self._conn

    @staticmethod
    def _open(path: Path) -> sqlite3.Connection:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def save_event(self, state: State, chat: ChatRecord, event: ChatEvent) -> None:
        """One change in a chat: the event, the message it is about as it now reads, the chat."""
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            conn.execute(
                "INSERT OR REPLACE INTO events VALUES (?, ?, ?, ?, ?)",
                (event.seq, event.chat_id, event.kind, event.message_id, _dumps(event.payload)),
            )
            msg = chat.messages.get(event.message_id) if event.message_id is not None else None
            if msg is not None:
                self._save_message(conn, msg)
            self._save_chat(conn, chat)
            if chat.user is not None:
                self._save_user(conn, chat.user)
            self._save_counters(conn, state)

    def save_chat(self, state: State, chat: ChatRecord) -> None:
        """A chat that appeared or changed without an event (a new user's chat, a group)."""
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            if chat.user is not None:
                self._save_user(conn, chat.user)
            self._save_chat(conn, chat)

    def save_user(self, user: UserRecord) -> None:
        """A user who blocked or unblocked the bot (the chat itself did not change)."""
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            self._save_user(conn, user)

    def save_file(self, state: State, rec: FileRecord) -> None:
        conn = self._connection()
        meta = {
            "file_id": rec.file_id,
            "file_unique_id": rec.file_unique_id,
            "kind": rec.kind,
            "file_path": rec.file_path,
            "mime_type": rec.mime_type,
            "file_name": rec.file_name,
            "width": rec.width,
            "height": rec.height,
            "duration": rec.duration,
        }
        with conn:
            conn.execute("BEGIN")
            conn.execute(
                "INSERT OR REPLACE INTO files VALUES (?, ?, ?)", (rec.file_id, _dumps(meta), rec.data)
            )
            self._save_counters(conn, state)

    def save_update(self, state: State, update: dict[str, Any]) -> None:
        """A new update for the bot, kept until the bot confirms it (as Telegram keeps it)."""
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            conn.execute(
                "INSERT OR REPLACE INTO updates VALUES (?, ?)", (update["update_id"], _dumps(update))
            )
            self._save_counters(conn, state)
        self._pending_key = self._updates_key(state)

    def save_confirmed(self, state: State) -> None:
        """The bot confirmed updates: forget them; a poll that confirmed nothing new writes nothing.

        The queue is in id order (the sandbox counts up), so what is left starts at its first id.
        """
        key = self._updates_key(state)
        if key == self._pending_key:
            return
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            if state.updates:
                conn.execute("DELETE FROM updates WHERE update_id < ?", (state.updates[0]["update_id"],))
            else:
                conn.execute("DELETE FROM updates")
        self._pending_key = key

    def save_commands(
        self, key: tuple[str, int | None, int | None, str], commands: list[dict[str, Any]] | None
    ) -> None:
        """One command scope's list as the bot set it (None: deleted)."""
        conn = self._connection()
        with conn:
            conn.execute("BEGIN")
            if commands is None:
                conn.execute("DELETE FROM commands WHERE scope = ?", (_dumps(list(key)),))
            else:
                conn.execute(
                    "INSERT OR REPLACE INTO commands VALUES (?, ?)", (_dumps(list(key)), _dumps(commands))
                )

    @staticmethod
    def _updates_key(state: State) -> tuple[int, int | None, int | None]:
        updates = state.updates
        if not updates:
            return (state.next_update_id, None, None)
        return (state.next_update_id + len(updates), updates[0]["update_id"], updates[-1]["update_id"])

    @staticmethod
    def _save_message(conn: sqlite3.Connection, msg: StoredMessage) -> None:
        data = {
            "from_bot": msg.from_bot,
            "data": msg.data,
            "keyboard": msg.keyboard,
            "edited": msg.edited,
            "deleted": msg.deleted,
        }
        conn.execute(
            "INSERT OR REPLACE INTO messages VALUES (?, ?, ?)", (msg.chat_id, msg.message_id, _dumps(data))
        )

    @staticmethod
    def _save_chat(conn: sqlite3.Connection, chat: ChatRecord) -> None:
        data = {
            "id": chat.id,
            "type": chat.type,
            "title": chat.title,
            "username": chat.username,
            "user_id": chat.user.id if chat.user is not None else None,
            "members": sorted(chat.members),
            "next_message_id": chat.next_message_id,
            "keyboard": chat.keyboard,
            "last_action": chat.last_action,
        }
        conn.execute("INSERT OR REPLACE INTO chats VALUES (?, ?)", (chat.id, _dumps(data)))

    @staticmethod
    def _save_user(conn: sqlite3.Connection, user: UserRecord) -> None:
        data = {
            "id": user.id,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "username": user.username,
            "language_code": user.language_code,
            "phone_number": user.phone_number,
            "started": user.started,
            "blocked": user.blocked,
        }
        conn.execute("INSERT OR REPLACE INTO users VALUES (?, ?)", (user.id, _dumps(data)))

    @staticmethod
    def _save_counters(conn: sqlite3.Connection, state: State) -> None:
        counters = {
            "next_update_id": state.next_update_id,
            "seq": state.seq,
            "next_file": state.next_file_number,
        }
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('counters', ?)", (_dumps(counters),))
