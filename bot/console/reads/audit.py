"""The audit page's reads: the log newest first, filtered by action prefix or refusals, with the
sender of an anonymous opinion never named in an entry about that opinion."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.console.reads.base import AUDIT_PAGE_SIZE, EXPORT_LIMIT, Page, Reads
from storage.models import AuditEntry

__all__ = ["AuditReads", "AuditRow"]


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor: str | None
    actor_telegram_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    allowed: bool
    detail: dict[str, Any]
    anonymous: bool = False  # the sender of an anonymous opinion, about that opinion: not named


class AuditReads(Reads):
    """The audit log."""

    async def audit(
        self, page: int = 1, *, action: str = "", refused_only: bool = False, size: int = AUDIT_PAGE_SIZE
    ) -> tuple[list[AuditRow], Page]:
        """The audit log, newest first; `action` matches the start of the action name."""
        repo = self.uow.console
        total = await repo.audit_count(action=action, refused_only=refused_only)
        paging = Page(page, size or max(total, 1), total)
        rows = await repo.audit_entries(
            action=action,
            refused_only=refused_only,
            limit=size or EXPORT_LIMIT,
            offset=paging.offset if size else 0,
        )
        hidden = await self._anonymous_senders(a for a, _name in rows)
        out: list[AuditRow] = []
        for a, name in rows:
            masked = (a.object_id, a.actor_person_id) in hidden
            out.append(
                AuditRow(
                    a.id,
                    a.at,
                    None if masked else name,
                    None if masked else a.actor_telegram_id,
                    a.action,
                    a.object_type,
                    a.object_id,
                    a.allowed,
                    dict(a.detail or {}),
                    anonymous=masked,
                )
            )
        return out, paging

    async def _anonymous_senders(self, entries: Iterable[AuditEntry]) -> set[tuple[str, int]]:
        """(opinion id as the audit stores it, sender's person id) of the anonymous opinions these
        entries are about: an entry by that sender about that opinion would name them."""
        ids = {
            int(e.object_id)
            for e in entries
            if e.object_type == "opinion" and e.object_id and e.object_id.isdigit()
        }
        found = await self.uow.console.anonymous_senders(ids)
        return {(str(opinion_id), sender) for opinion_id, sender in found}
