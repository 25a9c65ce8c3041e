"""One-time secrets (invitation links, console logins and sessions): made, stored, found, spent.

A token is shown once and only its sha256 is stored, so the tables alone open nothing. Issuing one
writes its row and the audit entry in the caller's transaction; spending one is a conditional UPDATE,
so of two openers racing for the same link exactly one wins. Invitations and the console share this
module so the two kinds of link cannot drift apart in how they are hashed, issued or claimed.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any, TypeVar

from storage.unit_of_work import UnitOfWork

__all__ = ["find", "hash_token", "issue", "new_token", "spend"]

T = TypeVar("T")


def hash_token(token: str) -> str:
    """What is stored for a token: its sha256, hex (a token has enough entropy for no salt)."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token(nbytes: int) -> tuple[str, str]:
    """A fresh URL-safe token of `nbytes` random bytes, and its hash."""
    token = secrets.token_urlsafe(nbytes)
    return token, hash_token(token)


async def issue(
    uow: UnitOfWork,
    row: T,
    event: str,
    *,
    actor_telegram_id: int | None,
    actor_person_id: int | None,
    object_type: str,
    **detail: Any,
) -> T:
    """Store a token's row (built with `new_token`'s hash) and audit its creation, in one transaction.

    Args:
        row: the new row (it has an integer `id` once flushed).
        event: the audit action, e.g. `invitation.created`.
        object_type: the audited object's type, e.g. `invitation`.
        detail: further audit details.
    """
    await uow.tokens.add(row)
    await uow.audit.record(
        event,
        actor_telegram_id=actor_telegram_id,
        actor_person_id=actor_person_id,
        object_type=object_type,
        object_id=row.id,  # type: ignore[attr-defined]
        **detail,
    )
    return row


async def find(uow: UnitOfWork, model: type[T], token: str) -> T | None:
    """The row of `model` (with a `token_hash` column) that a presented token names, if any."""
    return await uow.tokens.find(model, hash_token(token))


async def spend(uow: UnitOfWork, model: type[Any], row_id: int, **values: Any) -> bool:
    """Mark a row (with a `used_at` column) used, only if nobody did meanwhile; True for the winner.

    Args:
        values: the columns to set, `used_at` among them.
    """
    return await uow.tokens.spend(model, row_id, **values)
