"""A visitor's one-time link (`?start=vis_<token>`): how someone registered at a reception without
Telegram follows the opinions filed for them, with no SMS.

The deputy gets the link on a card to hand over (forward it, or let the visitor read it off the
screen). Whoever opens it first becomes the sender of the visitor's opinions: what the stand-in person
collected (opinions, their timeline) passes to the opener's account, and the stand-in is removed, so
every later step of those opinions reaches them as it reaches any sender. The token is shown once and
stored as its sha256 (`bot.people.tokens`, as invitations are); the link is masked in the stored copy
of the card once it is sent and of `/start vis_…` once it is handled (bot/runtime/redact.py), and no
audit entry holds it. The deputy who registered the visitor cannot open it themselves.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.people import tokens
from storage.models import Opinion, Person, Reception
from storage.models.receptions import VisitorLink
from storage.unit_of_work import UnitOfWork

__all__ = [
    "LINK_TTL",
    "PAYLOAD_PREFIX",
    "Followed",
    "Issued",
    "LinkRefusal",
    "issue",
    "link_of",
    "open_link",
    "usable",
]

PAYLOAD_PREFIX = "vis_"
LINK_TTL = timedelta(days=30)
AUDIT_REFUSED = "reception.link_refused"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{16,43}$")


class LinkRefusal(enum.StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    OWN = "own"  # the registering deputy opened it


@dataclass(frozen=True)
class Issued:
    """A new link; `token` exists only here (the table keeps its hash)."""

    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Followed:
    """An opened link: the opinions the opener now follows as their sender, and where they were filed."""

    opinions: Sequence[Opinion]
    diary: Reception


def payload_of(token: str) -> str:
    return PAYLOAD_PREFIX + token


def link_of(bot_username: str, token: str) -> str:
    return f"https://t.me/{bot_username}?start={payload_of(token)}"


def token_from_payload(payload: str) -> str | None:
    if not payload.startswith(PAYLOAD_PREFIX):
        return None
    token = payload.removeprefix(PAYLOAD_PREFIX)
    return token if _TOKEN.match(token) else None


async def usable(uow: UnitOfWork, visitor_id: int, now: datetime) -> bool:
    """Whether a link handed over for this visitor may still be opened (then it covers new opinions)."""
    return any(
        link.used_at is None and link.expires_at > now for link in await uow.receptions.links_of(visitor_id)
    )


async def issue(uow: UnitOfWork, visitor_id: int, person: Person, now: datetime) -> Issued:
    """A new link for the visitor, written with its audit entry (which holds no token)."""
    token, digest = tokens.new_token(16)
    row = VisitorLink(
        token_hash=digest,
        visitor_id=visitor_id,
        created_by_person_id=person.id,
        created_at=now,
        expires_at=now + LINK_TTL,
    )
    await tokens.issue(
        uow,
        row,
        "reception.link_issued",
        actor_telegram_id=person.telegram_id,
        actor_person_id=person.id,
        object_type="reception_visitor",
        visitor_id=visitor_id,
    )
    return Issued(token, row.expires_at)


async def _refused(uow: UnitOfWork, person: Person, reason: LinkRefusal, link_id: int | None) -> LinkRefusal:
    await uow.audit.record(
        AUDIT_REFUSED,
        actor_telegram_id=person.telegram_id,
        actor_person_id=person.id,
        object_type="reception_visitor_link" if link_id is not None else None,
        object_id=link_id,
        allowed=False,
        reason=reason.value,
    )
    return reason


async def open_link(uow: UnitOfWork, person: Person, payload: str, now: datetime) -> Followed | LinkRefusal:
    """The opener becomes the sender of the visitor's opinions; an unknown, used or expired link (or
    the registering deputy's own press) is refused and audited.

    Args:
        payload: the /start payload (`vis_<token>`), untrusted.
    """
    token = token_from_payload(payload)
    row = await tokens.find(uow, VisitorLink, token) if token is not None else None
    if row is None:
        return await _refused(uow, person, LinkRefusal.UNKNOWN, None)
    visitor = await uow.receptions.visitor(row.visitor_id)
    if row.used_at is not None or visitor is None:
        return await _refused(uow, person, LinkRefusal.USED, row.id)
    if row.expires_at <= now:
        return await _refused(uow, person, LinkRefusal.EXPIRED, row.id)
    if visitor.registered_by_person_id == person.id:
        return await _refused(uow, person, LinkRefusal.OWN, row.id)
    if not await tokens.spend(uow, VisitorLink, row.id, used_at=now, used_by_person_id=person.id):
        return await _refused(uow, person, LinkRefusal.USED, row.id)
    stand_in = await uow.people.get(visitor.person_id) if visitor.person_id is not None else None
    was_stand_in = visitor.stand_in
    if stand_in is not None and was_stand_in and stand_in.id != person.id:
        await uow.people.hand_over(stand_in.id, person.id)
    visitor.person_id, visitor.stand_in = person.id, False
    await uow.flush()
    if stand_in is not None and was_stand_in and stand_in.id != person.id:
        await uow.people.remove(stand_in)
    diary = await uow.receptions.get(visitor.reception_id)
    assert diary is not None  # a visitor's entry is deleted only with them
    if person.station_id is None and diary.station_id is not None:
        person.station_id = diary.station_id
    await uow.flush()
    await uow.audit.record(
        "reception.link_opened",
        actor_telegram_id=person.telegram_id,
        actor_person_id=person.id,
        object_type="reception_visitor",
        object_id=visitor.id,
        link_id=row.id,
    )
    opinions = [await uow.opinions.get(i) for i in await uow.receptions.routed_opinion_ids(visitor.id)]
    return Followed([o for o in opinions if o is not None], diary)
