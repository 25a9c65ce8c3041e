"""The notice pages' reads: every notice with its live counts, and one notice's undelivered messages.

A notice still sending is counted from its outbox rows by `bot.broadcasts.service`, and its audience is
described there too (in the reader's language), so the console and the chat say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.broadcasts import service as bc
from bot.console.reads.base import EXPORT_LIMIT, Reads
from bot.kit.i18n import Translator
from storage.models import Broadcast

__all__ = ["BroadcastReads", "BroadcastRow", "Undelivered"]


@dataclass(frozen=True)
class BroadcastRow:
    id: int
    created_at: datetime
    scheduled_for: datetime | None
    finished_at: datetime | None
    sender: str | None
    audience: str  # described in the reader's language, HTML-escaped by bot.broadcasts.service.describe
    status: str
    text: str
    total: int
    sent: int
    blocked: int
    failed: int
    cancelled: int
    pending: int

    @property
    def processed(self) -> int:
        return self.total - self.pending

    @property
    def percent(self) -> int:
        return 100 if self.total == 0 else self.processed * 100 // self.total


@dataclass(frozen=True)
class Undelivered:
    chat_id: int
    name: str | None
    status: str
    error: str | None
    at: datetime | None


class BroadcastReads(Reads):
    """The notice list and one notice's report."""

    async def broadcasts(self, tr: Translator, *, limit: int = EXPORT_LIMIT) -> list[BroadcastRow]:
        """Every notice, newest first; a notice still sending is counted live from its outbox rows."""
        return [await self._broadcast_row(b, tr) for b in await self.uow.console.broadcasts(limit=limit)]

    async def _broadcast_row(self, b: Broadcast, tr: Translator) -> BroadcastRow:
        senders = await self.person_names([b.created_by_person_id])
        live = await bc.progress(self.uow, b.id)
        return BroadcastRow(
            id=b.id,
            created_at=b.created_at,
            scheduled_for=b.scheduled_for,
            finished_at=b.finished_at,
            sender=senders.get(b.created_by_person_id) if b.created_by_person_id is not None else None,
            audience=await bc.audience_words(self.uow, b, tr),
            status=b.status,
            text=b.text,
            total=live.total or b.total,
            sent=live.sent,
            blocked=live.blocked,
            failed=live.failed,
            cancelled=live.cancelled,
            pending=live.pending,
        )

    async def broadcast(
        self, broadcast_id: int, tr: Translator
    ) -> tuple[BroadcastRow, list[Undelivered]] | None:
        """One notice's report: the counts and everyone it did not reach, with the reason."""
        b = await self.uow.console.broadcast(broadcast_id)
        if b is None:
            return None
        rows = await self.uow.console.undelivered(b.id, limit=EXPORT_LIMIT)
        undelivered = [Undelivered(int(c), n, str(s), e, at) for c, n, s, e, at in rows]
        return await self._broadcast_row(b, tr), undelivered
