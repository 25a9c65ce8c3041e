"""What the console's reads share: bounds on untrusted input (ids, search texts, page numbers), the
paging arithmetic, and `Reads`, the base of each page family's reads (its unit of work, settings,
SLA policy and clock, the names beside ids, an opinion's colour now)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.opinions.digest import colour_of
from bot.opinions.sla import SlaPolicy
from bot.runtime.clock import Clock
from bot.runtime.settings import Settings
from storage.models import ACCEPT_CLOCK_STATES, ANSWER_CLOCK_STATES, Opinion, WarningColour
from storage.unit_of_work import UnitOfWork

__all__ = [
    "AUDIT_PAGE_SIZE",
    "CLOCK_STATES",
    "COLOURS",
    "EXPORT_LIMIT",
    "PAGE_SIZE",
    "Page",
    "Reads",
    "clean_query",
    "page_number",
    "parse_id",
]

PAGE_SIZE = 50
AUDIT_PAGE_SIZE = 100
# An export holds every matching row up to this many (a province has tens of thousands of opinions).
EXPORT_LIMIT = 100_000
MAX_QUERY = 64
CLOCK_STATES = sorted(s.value for s in ACCEPT_CLOCK_STATES | ANSWER_CLOCK_STATES)
COLOURS = tuple(c.value for c in WarningColour)

MAX_ID = 2**31 - 1  # ids are 32-bit integers: anything larger matches nothing (and PostgreSQL would object)
_DIGITS = re.compile(r"^[0-9]{1,10}$")  # ASCII only: str.isdigit() also accepts "²"


def parse_id(value: object) -> int | None:
    """An id (0 included) from a query string or form, or None: anything else is ignored, never trusted."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= MAX_ID else None
    if isinstance(value, str) and _DIGITS.match(value):
        number = int(value)
        return number if number <= MAX_ID else None
    return None


def clean_query(value: object) -> str:
    """A search text: collapsed whitespace, bounded length."""
    return " ".join(str(value or "").split())[:MAX_QUERY]


@dataclass(frozen=True)
class Page:
    """Which slice of a list a page shows (numbers from 1)."""

    number: int
    size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def has_prev(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages


def page_number(value: object) -> int:
    """A page number from a query string: 1 for anything that is not one."""
    number = parse_id(value)
    return number if number is not None and 1 <= number <= 1_000_000 else 1


def _wanted(ids: Iterable[int | None]) -> list[int]:
    return sorted({i for i in ids if i is not None})


class Reads:
    """A page family's reads inside the caller's unit of work.

    Args:
        uow: an entered unit of work; reads only, except `Reassignment.reassign` (the caller commits).
        settings: the zone and tracking prefix.
        policy: SLA windows for the colours.
        clock: the service clock (colours and deadlines are read against it).
    """

    def __init__(self, uow: UnitOfWork, settings: Settings, policy: SlaPolicy, clock: Clock) -> None:
        self.uow = uow
        self.settings = settings
        self.policy = policy
        self.clock = clock

    async def deputy_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = _wanted(ids)
        return await self.uow.people.deputy_names(wanted) if wanted else {}

    async def person_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        return await self.uow.console.person_names(_wanted(ids))

    async def station_names(self, ids: Iterable[int | None]) -> dict[int, str]:
        wanted = _wanted(ids)
        return await self.uow.network.station_names(wanted) if wanted else {}

    def _colour(self, opinion: Opinion) -> str | None:
        shade = colour_of(opinion, self.clock.now(), self.policy)
        return shade.value if shade is not None else None
