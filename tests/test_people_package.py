"""bot.people's shared parts: the one token helper (invitations and console links) and the one is_staff."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.console.auth import ConsoleAuth
from bot.console.auth import Issued as LinkIssued
from bot.opinions.sla import FixedClock
from bot.people import tokens
from bot.people.invitations import InvitationService, Issued
from bot.people.roles import is_staff
from storage.models import AuditEntry, ConsoleLogin, Invitation, Person, Role
from storage.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]
T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def person(uow: UnitOfWork, name: str, *roles: Role, telegram_id: int | None = None) -> Person:
    p = await uow.people.add(Person(name=name, telegram_id=telegram_id))
    for role in roles:
        await uow.people.grant(p, role)
    await uow.session.refresh(p, ["roles"])
    return p


def test_a_token_is_stored_as_its_sha256() -> None:
    token, stored = tokens.new_token(16)
    assert stored == hashlib.sha256(token.encode()).hexdigest() == tokens.hash_token(token)
    assert len(token) >= 20 and token not in stored and tokens.new_token(16)[0] != token


async def test_the_staff_role_alone_makes_staff(uow: Uow) -> None:
    async with uow() as u:
        staff = await person(u, "staff", Role.STAFF)
        admin = await person(u, "admin", Role.ADMIN, Role.STAFF)
        admin_only = await person(u, "admin, staff role taken away", Role.ADMIN)
        deputy = await person(u, "deputy", Role.DEPUTY)
    assert is_staff(staff) and is_staff(admin)
    assert not is_staff(admin_only) and not is_staff(deputy) and not is_staff(None)


async def test_invitations_and_console_links_share_issue_find_and_spend(uow: Uow) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        admin = await person(u, "admin", Role.ADMIN, Role.STAFF, telegram_id=10)
        invited = await InvitationService(u, clock).issue(admin, Role.STAFF, telegram_id=10)
        link = await ConsoleAuth(u, clock).issue(admin, telegram_id=10)
        await u.commit()
    assert isinstance(invited, Issued) and isinstance(link, LinkIssued)
    async with uow() as u:
        invitation = await tokens.find(u, Invitation, invited.token)
        login = await tokens.find(u, ConsoleLogin, link.token)
        assert invitation is not None and invitation.id == invited.invitation.id
        assert login is not None and login.id == link.login.id
        assert await tokens.find(u, Invitation, link.token) is None  # a console token opens no invitation
        audited = [
            (e.action, e.object_type, e.object_id)
            for e in await u.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        ]
    assert audited == [
        ("invitation.created", "invitation", str(invitation.id)),
        ("console.link_issued", "console_login", str(login.id)),
    ]


async def test_of_two_racing_spenders_exactly_one_wins(uow: Uow) -> None:
    clock = FixedClock(T0)
    async with uow() as u:
        staff = await person(u, "staff", Role.STAFF, telegram_id=11)
        link = await ConsoleAuth(u, clock).issue(staff)
        await u.commit()
    assert isinstance(link, LinkIssued)

    async def spend() -> bool:
        async with uow() as u:
            won = await tokens.spend(u, ConsoleLogin, link.login.id, used_at=T0 + timedelta(minutes=1))
            await u.commit()
            return won

    assert sorted(await asyncio.gather(spend(), spend())) == [False, True]
    async with uow() as u:
        assert not await tokens.spend(u, ConsoleLogin, link.login.id, used_at=T0)
