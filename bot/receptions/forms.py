"""The diary dialog as a chat holds it: state `rcd:<step>` with data {"cursor": …, "saved": …}.

"saved" is what the chat held before the dialog that must survive it: an unsent opinion draft (other
dialogs are prompts that a new command replaces, as everywhere in the bot). It comes back when the
dialog ends. Which state is the draft's is the caller's to say (`draft_state`): this module knows the
draft's state only as a name, never its contents. Nothing here knows Telegram.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.kit.dialogs import at
from bot.receptions.cursor import Cursor
from storage.unit_of_work import UnitOfWork

__all__ = ["DiaryChat", "DiaryDialog", "Held", "Stale"]


class DiaryDialog(enum.StrEnum):
    STEP = "rcd"  # the chat is in the diary dialog; the argument is the cursor's step


class Stale(enum.StrEnum):
    """Why a press does not reach the chat's dialog (the audited reason)."""

    STALE = "stale"  # no dialog, another visitor's (its key), or not this person's
    EXPIRED = "expired"


@dataclass
class Held:
    """The chat's cursor (None when the chat is in no diary dialog, or its data is damaged) and what
    it keeps."""

    cursor: Cursor | None
    saved: dict[str, Any] | None

    def for_press(self, key: str, person_id: int, now: datetime) -> Cursor | Stale:
        """The cursor a press of a button carrying `key` acts on, when it may."""
        cursor = self.cursor
        if cursor is None or cursor.key != key or cursor.person_id != person_id:
            return Stale.STALE
        return Stale.EXPIRED if cursor.expired(now) else cursor

    def takes_message_of(self, person_id: int) -> bool:
        """Whether a message in this chat is this person's answer to the dialog (damaged data, or a
        dialog that is not theirs, lets it go on)."""
        return self.cursor is not None and self.cursor.person_id == person_id


class DiaryChat:
    """One chat's diary dialog in the chat session."""

    def __init__(self, uow: UnitOfWork, chat_id: int, draft_state: str) -> None:
        self.uow, self.chat_id, self.draft_state = uow, chat_id, draft_state

    async def held(self) -> Held:
        session = await self.uow.chats.get(self.chat_id)
        if (session.state or "").partition(":")[0] != DiaryDialog.STEP:
            return Held(None, None)
        data = dict(session.data or {})
        saved = data.get("saved")
        return Held(Cursor.from_dict(data.get("cursor")), saved if isinstance(saved, dict) else None)

    async def open(self, cursor: Cursor) -> Held:
        """Put a cursor in the chat, keeping an unsent opinion draft (or what an open dialog kept)."""
        session = await self.uow.chats.get(self.chat_id)
        data = dict(session.data or {})
        saved: dict[str, Any] | None = None
        if (session.state or "").partition(":")[0] == DiaryDialog.STEP:
            kept = data.get("saved")
            saved = kept if isinstance(kept, dict) else None
        elif session.state == self.draft_state:
            saved = {"state": self.draft_state, "data": data}
        held = Held(cursor, saved)
        await self.keep(held)
        return held

    async def keep(self, held: Held) -> None:
        assert held.cursor is not None
        stored = at(DiaryDialog.STEP, held.cursor.step.value)
        await self.uow.chats.set(self.chat_id, stored, {"cursor": held.cursor.to_dict(), "saved": held.saved})

    async def end(self, held: Held) -> bool:
        """Leave the dialog; an opinion draft it kept comes back (True when one did)."""
        saved = held.saved
        if (
            saved is not None
            and saved.get("state") == self.draft_state
            and isinstance(saved.get("data"), dict)
        ):
            await self.uow.chats.set(self.chat_id, self.draft_state, saved["data"])
            return True
        await self.uow.chats.set(self.chat_id, None)
        return False
