"""The audit trail: who did or was refused what, on which object."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select

from storage.models import AuditEntry
from storage.repos.base import Repo


class AuditRepo(Repo):
    async def record(
        self,
        action: str,
        *,
        actor_telegram_id: int | None = None,
        actor_person_id: int | None = None,
        object_type: str | None = None,
        object_id: str | int | None = None,
        allowed: bool = True,
        **detail: Any,
    ) -> None:
        self.session.add(
            AuditEntry(
                action=action,
                actor_telegram_id=actor_telegram_id,
                actor_person_id=actor_person_id,
                object_type=object_type,
                object_id=None if object_id is None else str(object_id),
                allowed=allowed,
                detail=detail,
            )
        )

    async def object_ids(self, action: str, object_type: str, prefix: str) -> list[str | None]:
        """The object ids recorded for `action` on `object_type` that start with `prefix`."""
        rows = await self.session.scalars(
            select(AuditEntry.object_id).where(
                AuditEntry.action == action,
                AuditEntry.object_type == object_type,
                AuditEntry.object_id.like(prefix + "%"),
            )
        )
        return list(rows.all())

    async def recent(self, limit: int = 100) -> Sequence[AuditEntry]:
        return (
            await self.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit))
        ).all()
