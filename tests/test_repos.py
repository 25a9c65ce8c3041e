"""Repository methods that took over raw session calls from bot/ services, on both backends."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from storage.models import Invitation, Person, Station, utcnow
from storage.unit_of_work import UnitOfWork


async def test_try_lock_is_held_until_its_transaction_ends(
    engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    """PostgreSQL: a second unit of work cannot take the lock while the first holds it, and can once
    the first has committed. SQLite has one writer: the lock is always granted."""
    pg = engine.dialect.name == "postgresql"
    async with UnitOfWork(sessionmaker) as first, UnitOfWork(sessionmaker) as second:
        assert await first.try_lock(4711)
        assert await second.try_lock(4711) is not pg
        await first.commit()
        await second.rollback()
        assert await second.try_lock(4711)


async def test_station_subtree_is_the_station_and_every_station_below(
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    async with UnitOfWork(sessionmaker) as uow:
        home = Station(code="H", name="home", kind="home")
        other = Station(code="O", name="other", kind="home")
        uow.session.add_all([home, other])
        await uow.flush()
        town = Station(code="T", name="town", kind="township", parent_id=home.id)
        uow.session.add(town)
        await uow.flush()
        village = Station(code="V", name="village", kind="village", parent_id=town.id)
        elsewhere = Station(code="E", name="elsewhere", kind="village", parent_id=other.id)
        uow.session.add_all([village, elsewhere])
        await uow.flush()
        assert await uow.network.station_subtree(home.id) == {home.id, town.id, village.id}
        assert await uow.network.station_subtree(village.id) == {village.id}
        assert await uow.network.station_names([town.id, village.id]) == {
            town.id: "town",
            village.id: "village",
        }
        assert await uow.network.station_names([]) == {}


async def test_an_invitation_is_claimed_once(sessionmaker: async_sessionmaker[AsyncSession]) -> None:
    """The conditional claim: the first opener consumes the link, a second finds it used."""
    async with UnitOfWork(sessionmaker) as uow:
        inviter = Person(code="S1", name="staff")
        opener = Person(code=None, name="opener")
        uow.session.add_all([inviter, opener])
        await uow.flush()
        now = utcnow()
        invitation = await uow.invitations.add(
            Invitation(
                token_hash="h" * 64,
                role="staff",
                created_by_person_id=inviter.id,
                created_at=now,
                expires_at=now + timedelta(days=1),
            )
        )
        assert await uow.invitations.by_token_hash("h" * 64) is invitation
        assert await uow.invitations.by_token_hash("x" * 64) is None
        assert await uow.invitations.claim(invitation.id, opener.id, now)
        assert not await uow.invitations.claim(invitation.id, inviter.id, now)
        await uow.commit()
