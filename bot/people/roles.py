"""What a person's roles let them do, decided in one place."""

from __future__ import annotations

from storage.models import Person, Role

__all__ = ["is_staff"]


def is_staff(person: Person | None) -> bool:
    """Whether the person works for the congress office now: supervision, notices, figures, the console.

    The STAFF role alone decides. An administrator holds it too (ADMIN_IDS grants both, again on each
    update), so checking ADMIN as well would only matter once STAFF is taken away — and then the
    person has stopped being staff, as the console already held (tests/e2e/test_console_e2e.py).
    """
    return person is not None and Role.STAFF in person.role_set
