"""Whom a deputy may hand an opinion to: the deputies they share a station or a group with.

The same list is offered as buttons and checked when one is pressed: callback data is untrusted, and
`op:to:<opinion>:<deputy>` names any deputy id a client cares to send.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Deputy, DeputyStation, GroupMembership

__all__ = ["MAX_CANDIDATES", "transfer_candidates"]

MAX_CANDIDATES = 12


async def transfer_candidates(session: AsyncSession, deputy_id: int) -> list[Deputy]:
    """Up to MAX_CANDIDATES deputies of the same stations or groups as this one, by id."""
    stations = select(DeputyStation.station_id).where(DeputyStation.deputy_id == deputy_id)
    groups = select(GroupMembership.group_id).where(GroupMembership.deputy_id == deputy_id)
    rows = await session.scalars(
        select(Deputy)
        .where(
            Deputy.id != deputy_id,
            Deputy.id.in_(select(DeputyStation.deputy_id).where(DeputyStation.station_id.in_(stations)))
            | Deputy.id.in_(select(GroupMembership.deputy_id).where(GroupMembership.group_id.in_(groups))),
        )
        .order_by(Deputy.id)
        .limit(MAX_CANDIDATES)
    )
    return list(rows.all())
