"""The reception form as a chat holds it: state `rcp:<step>` with data {"form": …, "saved": …}.

"saved" is what the chat held before the form that must survive it: an unsent opinion draft (other
dialogs are prompts that a new command replaces, as everywhere in the bot). It comes back when the form
ends. Which state is the draft's is the caller's to say (`draft_state`): this module knows the draft's
state only as a name, never its contents. Nothing here knows Telegram.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.kit.dialogs import at
from bot.receptions.service import Form
from storage.unit_of_work import UnitOfWork


class ReceptionDialog(enum.StrEnum):
    FORM = "rcp"  # the chat is in a reception form; the argument is the form's step


class Stale(enum.StrEnum):
    """Why a press does not reach the chat's form (the audited reason)."""

    STALE = "stale"  # no form, another form (its key), or not this deputy's
    EXPIRED = "expired"


@dataclass
class Held:
    """The chat's form (None when the chat is in none, or its data is damaged) and what it keeps."""

    form: Form | None
    saved: dict[str, Any] | None

    def for_press(self, key: str, deputy_id: int, now: datetime) -> Form | Stale:
        """The form a press of a button carrying `key` acts on, when it may."""
        form = self.form
        if form is None or form.key != key or form.deputy_id != deputy_id:
            return Stale.STALE
        return Stale.EXPIRED if form.expired(now) else form

    def takes_message_of(self, deputy_id: int | None) -> bool:
        """Whether a message in this chat is this deputy's answer to the form (damaged data, or a form
        that is not theirs, lets it go on)."""
        return self.form is not None and deputy_id is not None and deputy_id == self.form.deputy_id


class FormChat:
    """One chat's reception form in the chat session."""

    def __init__(self, uow: UnitOfWork, chat_id: int, draft_state: str) -> None:
        self.uow, self.chat_id, self.draft_state = uow, chat_id, draft_state

    async def held(self) -> Held:
        session = await self.uow.chats.get(self.chat_id)
        if (session.state or "").partition(":")[0] != ReceptionDialog.FORM:
            return Held(None, None)
        data = dict(session.data or {})
        saved = data.get("saved")
        return Held(Form.from_dict(data.get("form")), saved if isinstance(saved, dict) else None)

    async def open(self, form: Form) -> Held:
        """Put a new form in the chat, keeping an unsent opinion draft (or what an open form kept)."""
        session = await self.uow.chats.get(self.chat_id)
        data = dict(session.data or {})
        saved: dict[str, Any] | None = None
        if (session.state or "").partition(":")[0] == ReceptionDialog.FORM:
            kept = data.get("saved")
            saved = kept if isinstance(kept, dict) else None
        elif session.state == self.draft_state:
            saved = {"state": self.draft_state, "data": data}
        held = Held(form, saved)
        await self.keep(held)
        return held

    async def keep(self, held: Held) -> None:
        assert held.form is not None
        stored = at(ReceptionDialog.FORM, held.form.step.value)
        await self.uow.chats.set(self.chat_id, stored, {"form": held.form.to_dict(), "saved": held.saved})

    async def end(self, held: Held) -> bool:
        """Close the form; an opinion draft it kept comes back (True when one did)."""
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
