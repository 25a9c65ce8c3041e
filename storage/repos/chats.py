"""A chat's dialog state (`chat_session`): read once per unit of work, written with one upsert."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import fast
from storage.lists import among
from storage.models import ChatSession, utcnow
from storage.repos.base import Repo, on_conflict


@dataclass(frozen=True, slots=True)
class ChatState:
    """A copy of a chat's stored dialog state (`chat_session` row); change it with ChatSessionRepo.set."""

    chat_id: int
    state: str | None
    data: dict[str, Any]
    updated_at: datetime | None


class ChatSessionRepo(Repo):
    """A chat's dialog state: read once per unit of work, written with one upsert.

    Every update reads it and many write it, so this is Core, not the ORM: what `get` returns is a
    plain copy, and only `set` changes the stored state.
    """

    def __init__(self, session: AsyncSession) -> None:
        super().__init__(session)
        self._known: dict[int, ChatState] = {}

    async def get(self, chat_id: int) -> ChatState:
        row = self._known.get(chat_id)
        if row is None:
            found = (await fast.run(self.session, _CHAT_SELECT, {"chat_id": chat_id})).first()
            if found is None:
                row = ChatState(chat_id, None, {}, None)
            else:
                state, data, updated_at = found
                row = ChatState(chat_id, state, data or {}, updated_at)
            self._known[chat_id] = row
        return row

    async def set(self, chat_id: int, state: str | None, data: dict[str, Any] | None = None) -> None:
        row = ChatState(chat_id, state, dict(data or {}), utcnow())
        await fast.run(
            self.session,
            _CHAT_UPSERT,
            {"chat_id": chat_id, "state": row.state, "data": row.data, "updated_at": row.updated_at},
        )
        self._known[chat_id] = row

    async def opened(self, chat_ids: Iterable[int]) -> set[int]:
        """Which of these chats have a stored dialog state (someone wrote to the bot there)."""
        rows = await self.session.scalars(select(_chat.c.chat_id).where(among(_chat.c.chat_id, chat_ids)))
        return set(rows.all())

    def remember(self, row: ChatState) -> None:
        """A chat's state read along with something else (`PeopleRepo.brief_in_chat`): `get` needs no
        query for it. A state read or set in this unit of work already is newer and stays."""
        self._known.setdefault(row.chat_id, row)

    def forget(self) -> None:
        """Drop what was read or set (the unit of work rolled back)."""
        self._known = {}


_chat = ChatSession.__table__
_CHAT_SELECT = fast.Prepared(
    select(_chat.c.state, _chat.c.data, _chat.c.updated_at).where(_chat.c.chat_id == bindparam("chat_id"))
)
_CHAT_UPSERT = on_conflict(
    lambda insert_: (ins := insert_(_chat)).on_conflict_do_update(
        index_elements=[_chat.c.chat_id],
        set_={"state": ins.excluded.state, "data": ins.excluded.data, "updated_at": ins.excluded.updated_at},
    )
)
