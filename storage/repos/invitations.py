"""Invitations: one-time links that grant a role, stored by the hash of their token, used once."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from storage.models import Invitation
from storage.repos.base import Repo


class InvitationRepo(Repo):
    async def add(self, invitation: Invitation) -> Invitation:
        self.session.add(invitation)
        await self.session.flush()
        return invitation

    async def by_token_hash(self, token_hash: str) -> Invitation | None:
        return await self.session.scalar(select(Invitation).where(Invitation.token_hash == token_hash))

    async def claim(self, invitation_id: int, person_id: int, now: datetime) -> bool:
        """Mark the invitation used by this person, if nobody used it yet: a conditional update, so of
        two openers racing exactly one consumes the link."""
        claimed = await self.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id, Invitation.used_at.is_(None))
            .values(used_at=now, used_by_person_id=person_id)
            .execution_options(synchronize_session=False)
        )
        return int(claimed.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def used_by(self, invitation_id: int, person_id: int) -> None:
        """Record who used it after all (the account moved onto the invited record)."""
        await self.session.execute(
            update(Invitation)
            .where(Invitation.id == invitation_id)
            .values(used_by_person_id=person_id)
            .execution_options(synchronize_session=False)
        )
