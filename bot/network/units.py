"""Handling units (承办单位) as the services use them: their kinds' labels, the 归口 lookup that
proposes a suggestion's lead and co-units, and the units an officer works for.

The units themselves come from the network file's `units` section (`schema.UnitRow`, written by
storage's `network_writer`); officers join them through invitations (`bot.people.invitations`).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.kit.i18n import N_
from storage.models import Person, Role, Unit, UnitKind
from storage.unit_of_work import UnitOfWork

__all__ = ["UNIT_KIND_LABELS", "Unit", "UnitKind", "all_units", "unit_names_of", "units_for_category"]

UNIT_KIND_LABELS: dict[UnitKind, str] = {
    UnitKind.GOVERNMENT: N_("Government department"),
    UnitKind.COURT: N_("Court"),
    UnitKind.PROCURATORATE: N_("Procuratorate"),
    UnitKind.STATE_ENTERPRISE: N_("State enterprise"),
    UnitKind.OTHER: N_("Other unit"),
}


async def units_for_category(uow: UnitOfWork, category: str) -> Sequence[Unit]:
    """The units whose 归口 covers this category: the one marked to lead it first (the network file's
    `leads`), then by code — the proposal of lead and co-units.

    Args:
        uow: the caller's unit of work.
        category: a category code (`CATEGORIES`); an unknown one has no units.
    """
    return await uow.units.for_category(category)


async def all_units(uow: UnitOfWork) -> Sequence[Unit]:
    """Every unit by code (the /invite picker lists them)."""
    return await uow.units.all()


async def unit_names_of(uow: UnitOfWork, person: Person) -> list[str]:
    """The names of the units this person is an officer of (none, without a query, for anyone else)."""
    if Role.UNIT_OFFICER not in person.role_set:
        return []
    return [unit.name for unit in await uow.units.units_of(person.id)]
