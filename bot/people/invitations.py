"""Invitations: one-time, expiring links (`?start=inv_<token>`) that give their opener a role.

Staff invite deputies, committee members and unit officers; only administrators invite staff.
A unit officer is invited to one handling unit (承办单位): opening the link records them among its
officers, as a second link to another unit adds them there too. A station head (站长) or liaison officer
(联络员) is invited to one station (`/invite station_head V0001`): opening the link records them there
(a head replaces the one before).
The token is shown once and stored as its sha256, so the table alone opens nothing. A deputy's
invitation names the imported record: the opener's Telegram account moves onto it (as a shared
phone does in `bot.people.binding.match_phone`). Tokens are made, found and spent by
`bot.people.tokens`, as console links are.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot.people import tokens
from bot.people.binding import move_account
from bot.people.roles import is_staff
from bot.runtime.clock import Clock
from storage.models import Invitation, Person, Role, Station, Unit
from storage.models.duty import StationRole
from storage.unit_of_work import UnitOfWork

PAYLOAD_PREFIX = "inv_"
DEFAULT_TTL = timedelta(hours=72)
MIN_TTL = timedelta(hours=1)
MAX_TTL = timedelta(days=30)
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,43}$")
_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,32}$")
_TTL = re.compile(r"^(\d{1,4})([hd])$")
HEAD_WORD = "head"  # `/invite unit JTJ head`: the opener becomes the unit's head officer

# Who may invite to which role.
STAFF_INVITES = (Role.DEPUTY, Role.COMMITTEE_MEMBER, Role.UNIT_OFFICER, Role.STATION_HEAD, Role.LIAISON)
# The roles held at one station (#24), and the station role each records.
STATION_ROLES: dict[Role, StationRole] = {
    Role.STATION_HEAD: StationRole.HEAD,
    Role.LIAISON: StationRole.LIAISON,
}
ADMIN_INVITES = (*STAFF_INVITES, Role.STAFF)
ROLE_ALIASES = {
    "deputy": Role.DEPUTY,
    "committee": Role.COMMITTEE_MEMBER,
    "committee_member": Role.COMMITTEE_MEMBER,
    "unit": Role.UNIT_OFFICER,
    "unit_officer": Role.UNIT_OFFICER,
    "staff": Role.STAFF,
    "station_head": Role.STATION_HEAD,
    "liaison": Role.LIAISON,
}


class Refusal(enum.StrEnum):
    """Why an invitation was not issued or not accepted."""

    NOT_PERMITTED = "not_permitted"
    UNKNOWN_ROLE = "unknown_role"
    TARGET_REQUIRED = "target_required"
    UNKNOWN_TARGET = "unknown_target"
    TARGET_LINKED = "target_linked"
    BAD_TTL = "bad_ttl"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    USED = "used"
    ACCOUNT_LINKED = "account_linked"
    UNIT_REQUIRED = "unit_required"
    UNKNOWN_UNIT = "unknown_unit"
    STATION_REQUIRED = "station_required"
    UNKNOWN_STATION = "unknown_station"


@dataclass(frozen=True)
class Refused:
    reason: Refusal


@dataclass(frozen=True)
class Issued:
    """A new invitation; `token` exists only here (the database keeps its hash)."""

    token: str
    invitation: Invitation
    target_name: str | None


@dataclass(frozen=True)
class Accepted:
    """An accepted invitation: `person` is who the opener is from now on (their record may have moved)."""

    person: Person
    role: Role
    target_name: str | None
    already: bool = False
    # The unit a unit officer's invitation recorded them in, and whether as its head.
    unit_name: str | None = None
    head: bool = False
    # The station a station head's or liaison officer's invitation recorded them at (#24).
    station_name: str | None = None


def payload_of(token: str) -> str:
    """The /start payload of an invitation (Telegram allows 64 chars of [A-Za-z0-9_-])."""
    return PAYLOAD_PREFIX + token


def token_from_payload(payload: str) -> str | None:
    """The token in a /start payload, or None when the payload cannot be one."""
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    token = payload.removeprefix(PAYLOAD_PREFIX)
    return token if _TOKEN.match(token) else None


def invitation_link(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={payload_of(token)}"


def parse_role(word: str) -> Role | None:
    return ROLE_ALIASES.get(word.strip().lower())


def is_ttl_word(word: str) -> bool:
    """Whether a word is meant as a validity (`24h`, `7d`), in range or not."""
    return _TTL.match(word.strip().lower()) is not None


def parse_ttl(word: str) -> timedelta | None:
    """`24h` or `7d` within [1 h, 30 d]; None otherwise."""
    found = _TTL.match(word.strip().lower())
    if found is None:
        return None
    amount, unit = int(found.group(1)), found.group(2)
    ttl = timedelta(hours=amount) if unit == "h" else timedelta(days=amount)
    return ttl if MIN_TTL <= ttl <= MAX_TTL else None


def invitable_roles(inviter: Person) -> tuple[Role, ...]:
    """The roles this person may invite to (none for anyone who is neither staff nor admin)."""
    if Role.ADMIN in inviter.role_set:
        return ADMIN_INVITES
    if is_staff(inviter):
        return STAFF_INVITES
    return ()


def may_invite(inviter: Person) -> bool:
    return bool(invitable_roles(inviter))


class InvitationService:
    """Issues and accepts invitations inside one unit of work (the caller commits)."""

    def __init__(self, uow: UnitOfWork, clock: Clock) -> None:
        self.uow = uow
        self.clock = clock

    async def issue(
        self,
        inviter: Person,
        role: Role | None,
        *,
        target_code: str | None = None,
        unit_code: str | None = None,
        unit_id: int | None = None,
        head: bool = False,
        ttl: timedelta = DEFAULT_TTL,
        telegram_id: int | None = None,
        station_code: str | None = None,
    ) -> Issued | Refused:
        """Create an invitation, or say why not (the refusal is audited).

        Args:
            inviter: who asks; staff for deputies, committee members and unit officers, admins also staff.
            role: the role the opener gets.
            target_code: the imported record the opener becomes; required for a deputy.
            unit_code: the unit a unit officer joins (typed); a unit officer's invitation needs a unit.
            unit_id: the same unit from a button (untrusted: looked up).
            head: the opener becomes the unit's head officer (reminded when its officers are late).
            ttl: how long the link stays valid, within [1 h, 30 d].
            telegram_id: the inviter's account, for the audit log.
            station_code: the station a station head or liaison officer joins (typed).
        """
        station_role = role in STATION_ROLES
        refusal, target = await self._check_issue(inviter, role, None if station_role else target_code, ttl)
        unit: Unit | None = None
        station: Station | None = None
        if refusal is None and role is Role.UNIT_OFFICER:
            refusal, unit = await self._check_unit(unit_code, unit_id)
        if refusal is None and station_role:
            refusal, station = await self._check_station(station_code)
        if refusal is not None or role is None:
            await self.uow.audit.record(
                "invitation.refused",
                actor_telegram_id=telegram_id,
                actor_person_id=inviter.id,
                allowed=False,
                stage="issue",
                reason=(refusal or Refusal.UNKNOWN_ROLE).value,
                role=role.value if role else None,
                target=(target_code or "")[:32] or None,
                unit=(unit_code or "")[:32] or unit_id,
                station=(station_code or "")[:32] or None,
            )
            return Refused(refusal or Refusal.UNKNOWN_ROLE)
        token, token_hash = tokens.new_token(16)
        now = self.clock.now()
        invitation = Invitation(
            token_hash=token_hash,
            role=role.value,
            target_person_id=target.id if target else None,
            target_code=target.code if target else None,
            created_by_person_id=inviter.id,
            created_at=now,
            expires_at=now + ttl,
            unit_id=unit.id if unit else None,
            unit_head=head and unit is not None,
            station_id=station.id if station else None,
        )
        await tokens.issue(
            self.uow,
            invitation,
            "invitation.created",
            actor_telegram_id=telegram_id,
            actor_person_id=inviter.id,
            object_type="invitation",
            role=role.value,
            target=invitation.target_code,
            unit=unit.code if unit else None,
            head=invitation.unit_head,
            station=station.code if station else None,
            expires_at=invitation.expires_at.isoformat(),
        )
        named = unit.name if unit else station.name if station else target.name if target else None
        return Issued(token, invitation, named)

    async def issue_from_words(
        self, inviter: Person, words: Sequence[str], *, telegram_id: int | None = None
    ) -> Issued | Refused:
        """`/invite role [code] [head] [ttl]` as typed: the words read here, then `issue` (refusals audited).

        A last word that looks like a validity (`24h`, `7d`) is one, and is refused when out of range;
        the word before it (or the last one) is the record's code — for a unit officer, the unit's,
        optionally followed by `head` (the opener becomes the unit's head officer).
        """
        if not may_invite(inviter):
            return await self._refuse_issue(inviter, telegram_id, Refusal.NOT_PERMITTED)
        rest = list(words)
        role = parse_role(rest.pop(0)) if rest else None
        ttl: timedelta | None = DEFAULT_TTL
        if rest and is_ttl_word(rest[-1]):
            ttl = parse_ttl(rest.pop())
        if ttl is None:
            return await self._refuse_issue(inviter, telegram_id, Refusal.BAD_TTL)
        code = rest[0] if rest else None
        if role in STATION_ROLES:
            return await self.issue(inviter, role, station_code=code, ttl=ttl, telegram_id=telegram_id)
        if role is Role.UNIT_OFFICER:
            head = len(rest) > 1 and rest[1].lower() == HEAD_WORD
            return await self.issue(
                inviter, role, unit_code=code, head=head, ttl=ttl, telegram_id=telegram_id
            )
        return await self.issue(inviter, role, target_code=code, ttl=ttl, telegram_id=telegram_id)

    async def _refuse_issue(self, inviter: Person, telegram_id: int | None, reason: Refusal) -> Refused:
        """A refusal before the words name a role and a record (audited as `issue` refuses)."""
        await self.uow.audit.record(
            "invitation.refused",
            actor_telegram_id=telegram_id,
            actor_person_id=inviter.id,
            allowed=False,
            stage="issue",
            reason=reason.value,
        )
        return Refused(reason)

    async def _check_unit(
        self, unit_code: str | None, unit_id: int | None
    ) -> tuple[Refusal | None, Unit | None]:
        """The unit a unit officer's invitation names, by typed code or by a button's id."""
        if unit_id is not None:
            unit = await self.uow.units.get(unit_id)
        elif unit_code:
            unit = await self.uow.units.by_code(unit_code) if _CODE.match(unit_code) else None
        else:
            return Refusal.UNIT_REQUIRED, None
        return (None, unit) if unit is not None else (Refusal.UNKNOWN_UNIT, None)

    async def _check_station(self, station_code: str | None) -> tuple[Refusal | None, Station | None]:
        """The station a station role's invitation names, by its typed code."""
        if not station_code:
            return Refusal.STATION_REQUIRED, None
        station = await self.uow.network.station_by_code(station_code) if _CODE.match(station_code) else None
        return (None, station) if station is not None else (Refusal.UNKNOWN_STATION, None)

    async def _check_issue(
        self, inviter: Person, role: Role | None, target_code: str | None, ttl: timedelta
    ) -> tuple[Refusal | None, Person | None]:
        if not may_invite(inviter):
            return Refusal.NOT_PERMITTED, None
        if role is None:
            return Refusal.UNKNOWN_ROLE, None
        if role not in invitable_roles(inviter):
            return Refusal.NOT_PERMITTED, None
        if not MIN_TTL <= ttl <= MAX_TTL:
            return Refusal.BAD_TTL, None
        if not target_code:
            return (Refusal.TARGET_REQUIRED, None) if role is Role.DEPUTY else (None, None)
        target = await self.uow.people.by_code(target_code) if _CODE.match(target_code) else None
        if target is None or (role is Role.DEPUTY and await self.uow.people.deputy_of(target.id) is None):
            return Refusal.UNKNOWN_TARGET, None
        if target.telegram_id is not None:
            return Refusal.TARGET_LINKED, None
        return None, target

    async def accept(self, person: Person, payload: str, *, telegram_id: int) -> Accepted | Refused:
        """Open an invitation: grant its role (moving the account onto its record), or refuse and audit.

        Args:
            person: the opener as identified from their account.
            payload: the /start payload (`inv_<token>`), untrusted.
            telegram_id: the opener's account.
        """
        token = token_from_payload(payload)
        invitation = await tokens.find(self.uow, Invitation, token) if token is not None else None
        now = self.clock.now()
        refusal: Refusal | None = None
        target: Person | None = None
        if invitation is None:
            refusal = Refusal.UNKNOWN
        elif invitation.used_at is not None:
            refusal = Refusal.USED
        elif now >= invitation.expires_at:
            refusal = Refusal.EXPIRED
        elif invitation.target_code is not None:
            refusal, target = await self._check_target(person, invitation)
        if refusal is not None or invitation is None:
            return await self._refuse(person, telegram_id, invitation, refusal or Refusal.UNKNOWN)
        role = Role(invitation.role)
        unit = await self.uow.units.get(invitation.unit_id) if invitation.unit_id else None
        membership = await self.uow.units.officer(unit.id, person.id) if unit is not None else None
        in_unit = unit is None or (membership is not None and membership.head >= invitation.unit_head)
        station = await self.uow.network.station(invitation.station_id) if invitation.station_id else None
        if role in STATION_ROLES and station is None:
            return await self._refuse(person, telegram_id, invitation, Refusal.UNKNOWN_STATION)
        if station is not None and not await self.uow.station_officers.holds(
            station.id, person.id, STATION_ROLES[role]
        ):
            in_unit = False  # not yet at this station: accepting records them there
        if (target is None or target.id == person.id) and role in person.role_set and in_unit:
            await self.uow.audit.record(
                "invitation.already",
                actor_telegram_id=telegram_id,
                actor_person_id=person.id,
                object_type="invitation",
                object_id=invitation.id,
                role=role.value,
            )
            name = target.name if target else None
            return Accepted(
                person,
                role,
                name,
                already=True,
                unit_name=unit.name if unit else None,
                station_name=station.name if station else None,
            )
        # A conditional update: of two openers racing, exactly one consumes the link.
        if not await tokens.spend(
            self.uow, Invitation, invitation.id, used_at=now, used_by_person_id=person.id
        ):
            return await self._refuse(person, telegram_id, invitation, Refusal.USED)
        if target is not None and target.id != person.id:
            merged = person.id
            person = await move_account(self.uow, person, target)
            await self.uow.audit.record(
                "binding.invitation",
                actor_telegram_id=person.telegram_id,
                actor_person_id=person.id,
                object_type="person",
                object_id=person.id,
                merged_person=merged,
            )
            await self.uow.invitations.used_by(invitation.id, person.id)
        new = await self.uow.people.grant(person, role)
        await self.uow.audit.record(
            "role.granted",
            actor_telegram_id=telegram_id,
            actor_person_id=person.id,
            object_type="person",
            object_id=person.id,
            role=role.value,
            source="invitation",
            invitation_id=invitation.id,
            invited_by=invitation.created_by_person_id,
            record=invitation.target_code,
            new_on_record=new,
        )
        if unit is not None and await self.uow.units.add_officer(
            unit.id, person.id, head=invitation.unit_head
        ):
            await self.uow.audit.record(
                "unit.officer_added",
                actor_telegram_id=telegram_id,
                actor_person_id=person.id,
                object_type="unit",
                object_id=unit.id,
                unit=unit.code,
                head=invitation.unit_head,
                invitation_id=invitation.id,
                invited_by=invitation.created_by_person_id,
            )
        if station is not None and await self.uow.station_officers.add(
            station.id, person.id, STATION_ROLES[role]
        ):
            await self.uow.audit.record(
                "station.officer_added",
                actor_telegram_id=telegram_id,
                actor_person_id=person.id,
                object_type="station",
                object_id=station.id,
                station=station.code,
                role=STATION_ROLES[role].value,
                invitation_id=invitation.id,
                invited_by=invitation.created_by_person_id,
            )
        await self.uow.session.refresh(invitation)
        return Accepted(
            person,
            role,
            target.name if target else None,
            unit_name=unit.name if unit else None,
            head=invitation.unit_head and unit is not None,
            station_name=station.name if station else None,
        )

    async def _check_target(
        self, person: Person, invitation: Invitation
    ) -> tuple[Refusal | None, Person | None]:
        target = (
            await self.uow.people.get(invitation.target_person_id) if invitation.target_person_id else None
        )
        if target is None or (
            invitation.role == Role.DEPUTY and await self.uow.people.deputy_of(target.id) is None
        ):
            return Refusal.UNKNOWN_TARGET, None
        if target.id == person.id:
            return None, target
        if target.telegram_id is not None:
            return Refusal.TARGET_LINKED, None
        # An account already on an imported record (a code) or on a deputy is not merged into another.
        if person.code is not None or await self.uow.people.deputy_of(person.id) is not None:
            return Refusal.ACCOUNT_LINKED, None
        return None, target

    async def _refuse(
        self, person: Person, telegram_id: int, invitation: Invitation | None, reason: Refusal
    ) -> Refused:
        await self.uow.audit.record(
            "invitation.refused",
            actor_telegram_id=telegram_id,
            actor_person_id=person.id,
            object_type="invitation" if invitation else None,
            object_id=invitation.id if invitation else None,
            allowed=False,
            stage="open",
            reason=reason.value,
        )
        return Refused(reason)
