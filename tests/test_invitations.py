"""The invitation service: who may issue, hashed one-time tokens, expiry on the services' clock, linking."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.people.invitations import (
    DEFAULT_TTL,
    Accepted,
    InvitationService,
    Issued,
    Refusal,
    Refused,
    invitable_roles,
    invitation_link,
    is_ttl_word,
    parse_role,
    parse_ttl,
    payload_of,
    token_from_payload,
)
from bot.people.tokens import hash_token
from bot.people.views import InvitePress
from bot.runtime.clock import ManualClock
from storage.models import AuditEntry, ContactLink, ContactTier, Deputy, Invitation, Person, Role, Unit
from storage.unit_of_work import UnitOfWork

Uow = Callable[[], UnitOfWork]


async def person(
    uow: UnitOfWork, name: str, *roles: Role, telegram_id: int | None = None, code: str | None = None
) -> Person:
    p = await uow.people.add(Person(name=name, telegram_id=telegram_id, code=code))
    for role in roles:
        await uow.people.grant(p, role)
    return p


async def actions(uow: UnitOfWork) -> list[tuple[str, bool, object]]:
    rows = await uow.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
    return [(e.action, e.allowed, e.detail.get("reason")) for e in rows]


async def a_unit(uow: UnitOfWork, code: str = "JTJ", name: str = "交通运输局") -> Unit:
    """A handling unit a unit officer's invitation can name (units come from the network file)."""
    unit = Unit(code=code, name=name, kind="government")
    uow.session.add(unit)
    await uow.session.flush()
    return unit


def issued(result: Issued | Refused) -> Issued:
    assert isinstance(result, Issued), result
    return result


class TestPureParts:
    def test_payload_round_trip_and_link(self) -> None:
        token = "abcdefghijklmnopqrstuv"
        assert token_from_payload(payload_of(token)) == token
        assert invitation_link("bot", token) == f"https://t.me/bot?start=inv_{token}"
        assert len(payload_of(token)) <= 64

    @pytest.mark.parametrize(
        "payload", ["", "inv_", "inv_short", "d_D1", "inv_" + "a" * 60, "inv_abc/def+ghijklmnopq"]
    )
    def test_malformed_payloads_are_no_token(self, payload: str) -> None:
        assert token_from_payload(payload) is None

    def test_hash_is_sha256_hex(self) -> None:
        assert len(hash_token("x")) == 64 and hash_token("x") != hash_token("y")

    def test_parse(self) -> None:
        assert parse_role("Committee") is Role.COMMITTEE_MEMBER and parse_role("admin") is None
        assert parse_ttl("24h") == timedelta(hours=24) and parse_ttl("7d") == timedelta(days=7)
        assert parse_ttl("0h") is None and parse_ttl("31d") is None and parse_ttl("1w") is None
        assert is_ttl_word("99d") and not is_ttl_word("D1")


class TestIssue:
    async def test_roles_by_inviter(self, uow: Uow) -> None:
        async with uow() as u:
            admin = await person(u, "a", Role.ADMIN, Role.STAFF)
            staff = await person(u, "s", Role.STAFF)
            nobody = await person(u, "c", Role.CONSTITUENT)
            assert Role.STAFF in invitable_roles(admin)
            assert Role.STAFF not in invitable_roles(staff) and Role.DEPUTY in invitable_roles(staff)
            assert invitable_roles(nobody) == ()

    async def test_token_is_stored_hashed_with_default_expiry(self, uow: Uow) -> None:
        clock = ManualClock()
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            unit = await a_unit(u)
            service = InvitationService(u, clock)
            result = issued(await service.issue(staff, Role.UNIT_OFFICER, unit_code="JTJ"))
            await u.commit()
        async with uow() as u:
            row = (await u.session.scalars(select(Invitation))).one()
            assert row.token_hash == hash_token(result.token) and result.token not in row.token_hash
            assert row.role == "unit_officer" and row.created_by_person_id == staff.id
            assert row.unit_id == unit.id
            assert abs(row.expires_at - (clock.now() + DEFAULT_TTL)) < timedelta(seconds=5)
            assert row.used_at is None

    async def test_refusals_are_audited(self, uow: Uow) -> None:
        clock = ManualClock()
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            nobody = await person(u, "c", Role.CONSTITUENT)
            linked = await person(u, "d", Role.DEPUTY, telegram_id=5, code="D5")
            u.session.add(Deputy(person_id=linked.id, level="county"))
            await u.session.flush()
            await u.session.refresh(linked, ["deputy"])
            service = InvitationService(u, clock)
            cases = [
                (nobody, Role.UNIT_OFFICER, None, DEFAULT_TTL, Refusal.NOT_PERMITTED),
                (staff, Role.STAFF, None, DEFAULT_TTL, Refusal.NOT_PERMITTED),
                (staff, None, None, DEFAULT_TTL, Refusal.UNKNOWN_ROLE),
                (staff, Role.DEPUTY, None, DEFAULT_TTL, Refusal.TARGET_REQUIRED),
                (staff, Role.DEPUTY, "NOPE", DEFAULT_TTL, Refusal.UNKNOWN_TARGET),
                (staff, Role.DEPUTY, "D5", DEFAULT_TTL, Refusal.TARGET_LINKED),
                (staff, Role.UNIT_OFFICER, None, timedelta(days=90), Refusal.BAD_TTL),
            ]
            for inviter, role, code, ttl, reason in cases:
                assert await service.issue(inviter, role, target_code=code, ttl=ttl) == Refused(reason)
            assert [a for a in await actions(u) if a[0] == "invitation.refused"] == [
                ("invitation.refused", False, r.value) for *_, r in cases
            ]
            assert (await u.session.scalars(select(Invitation))).all() == []


class TestAccept:
    async def test_valid_link_grants_once(self, uow: Uow) -> None:
        clock = ManualClock()
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            opener = await person(u, "o", Role.CONSTITUENT, telegram_id=11)
            other = await person(u, "x", Role.CONSTITUENT, telegram_id=12)
            service = InvitationService(u, clock)
            token = issued(await service.issue(staff, Role.COMMITTEE_MEMBER)).token
            result = await service.accept(opener, payload_of(token), telegram_id=11)
            assert isinstance(result, Accepted) and result.person.id == opener.id and not result.already
            assert Role.COMMITTEE_MEMBER in opener.role_set
            assert await service.accept(other, payload_of(token), telegram_id=12) == Refused(Refusal.USED)
            row = (await u.session.scalars(select(Invitation))).one()
            assert row.used_by_person_id == opener.id and row.used_at is not None
            assert ("role.granted", True, None) in await actions(u)

    async def test_expiry_follows_the_services_clock(self, uow: Uow) -> None:
        clock = ManualClock()
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            opener = await person(u, "o", Role.CONSTITUENT, telegram_id=11)
            service = InvitationService(u, clock)
            await a_unit(u)
            token = issued(
                await service.issue(staff, Role.UNIT_OFFICER, unit_code="JTJ", ttl=timedelta(hours=2))
            ).token
            clock.advance(timedelta(hours=2))
            assert await service.accept(opener, payload_of(token), telegram_id=11) == Refused(Refusal.EXPIRED)
            assert Role.UNIT_OFFICER not in opener.role_set
            assert (await actions(u))[-1] == ("invitation.refused", False, "expired")

    async def test_unknown_and_malformed_tokens(self, uow: Uow) -> None:
        async with uow() as u:
            opener = await person(u, "o", Role.CONSTITUENT, telegram_id=11)
            service = InvitationService(u, ManualClock())
            for payload in ("inv_" + "A" * 22, "inv_bad", "", "d_D1"):
                assert await service.accept(opener, payload, telegram_id=11) == Refused(Refusal.UNKNOWN)

    async def test_role_already_held_leaves_the_link_unused(self, uow: Uow) -> None:
        async with uow() as u:
            staff = await person(u, "s", Role.ADMIN, Role.STAFF, telegram_id=10)
            service = InvitationService(u, ManualClock())
            token = issued(await service.issue(staff, Role.STAFF)).token
            result = await service.accept(staff, payload_of(token), telegram_id=10)
            assert isinstance(result, Accepted) and result.already
            assert (await u.session.scalars(select(Invitation))).one().used_at is None

    async def test_deputy_link_moves_the_account_onto_the_record(self, uow: Uow) -> None:
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            record = await person(u, "王新", Role.DEPUTY, code="D9")
            u.session.add(Deputy(person_id=record.id, level="township"))
            await u.session.flush()
            await u.session.refresh(record, ["deputy"])
            helper = await person(u, "h", Role.DEPUTY, code="D8")
            opener = await person(u, "tmp", Role.CONSTITUENT, telegram_id=44)
            opener.language = "en"
            u.session.add(
                ContactLink(
                    tier=ContactTier.DEPUTY_CONSTITUENT.value,
                    from_person_id=helper.id,
                    to_person_id=opener.id,
                )
            )
            await u.session.flush()
            service = InvitationService(u, ManualClock())
            token = issued(await service.issue(staff, Role.DEPUTY, target_code="D9")).token
            result = await service.accept(opener, payload_of(token), telegram_id=44)
            assert isinstance(result, Accepted) and result.person.id == record.id
            assert result.target_name == "王新"
            await u.commit()
        async with uow() as u:
            moved = await u.people.by_telegram_id(44)
            assert moved is not None and moved.code == "D9" and moved.language == "en"
            assert {Role.DEPUTY, Role.CONSTITUENT} <= moved.role_set
            link = (await u.session.scalars(select(ContactLink))).one()
            assert link.to_person_id == moved.id
            assert len((await u.session.scalars(select(Person).where(Person.name == "tmp"))).all()) == 0
            row = (await u.session.scalars(select(Invitation))).one()
            assert row.used_by_person_id == moved.id

    async def test_deputy_link_refused_for_an_account_on_another_record(self, uow: Uow) -> None:
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            record = await person(u, "王新", Role.DEPUTY, code="D9")
            u.session.add(Deputy(person_id=record.id, level="township"))
            await u.session.flush()
            await u.session.refresh(record, ["deputy"])
            member = await person(u, "m", Role.COMMITTEE_MEMBER, telegram_id=45, code="M1")
            service = InvitationService(u, ManualClock())
            token = issued(await service.issue(staff, Role.DEPUTY, target_code="D9")).token
            refused = await service.accept(member, payload_of(token), telegram_id=45)
            assert refused == Refused(Refusal.ACCOUNT_LINKED)
            assert record.telegram_id is None
            assert (await u.session.scalars(select(Invitation))).one().used_at is None


class TestInviteWords:
    """`/invite role [code] [ttl]` as typed, and the role buttons' data."""

    def test_invite_press(self) -> None:
        assert InvitePress(Role.STAFF).pack() == "inv:staff"  # the data role buttons carried before
        assert InvitePress.parse("inv:committee_member") == InvitePress(Role.COMMITTEE_MEMBER)
        for forged in ("inv", "inv:nobody", "inv:staff:1", "inv:¹", "invx:staff"):
            assert InvitePress.parse(forged) is None, forged

    async def test_words(self, uow: Uow) -> None:
        clock = ManualClock()
        async with uow() as u:
            staff = await person(u, "s", Role.STAFF)
            nobody = await person(u, "c", Role.CONSTITUENT)
            service = InvitationService(u, clock)
            await a_unit(u)
            unit = issued(await service.issue_from_words(staff, ["unit", "JTJ", "24h"]))
            assert unit.invitation.role == "unit_officer"
            assert abs(unit.invitation.expires_at - (clock.now() + timedelta(hours=24))) < timedelta(
                seconds=5
            )
            cases = [
                (nobody, ["unit"], Refusal.NOT_PERMITTED),
                (nobody, [], Refusal.NOT_PERMITTED),
                (staff, ["unit", "99d"], Refusal.BAD_TTL),
                (staff, ["unit"], Refusal.UNIT_REQUIRED),
                (staff, ["unit", "NOPE", "7d"], Refusal.UNKNOWN_UNIT),
                (staff, ["boss"], Refusal.UNKNOWN_ROLE),
                (staff, ["deputy"], Refusal.TARGET_REQUIRED),
                (staff, ["deputy", "NOPE", "7d"], Refusal.UNKNOWN_TARGET),
                (staff, ["staff"], Refusal.NOT_PERMITTED),
            ]
            for inviter, words, reason in cases:
                assert await service.issue_from_words(inviter, words) == Refused(reason), words
            refused = [a for a in await actions(u) if a[0] == "invitation.refused"]
            assert [r[2] for r in refused] == [reason.value for _, _, reason in cases]
            assert not any(r[1] for r in refused)
