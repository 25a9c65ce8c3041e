"""What a person's roles let them do, decided in one place."""

from __future__ import annotations

from storage.models import Person, Role

__all__ = ["OFFICE_ROLES", "is_staff"]

# The congress office: staff, and administrators (who invite staff, so are at least staff themselves;
# ADMIN_IDS grants both roles together).
OFFICE_ROLES = frozenset({Role.STAFF, Role.ADMIN})


def is_staff(person: Person | None) -> bool:
    """Whether the person works for the congress office: supervision, notices, figures, the console."""
    return person is not None and bool(person.role_set & OFFICE_ROLES)
