"""What the Open311 service asks of each kind of public record it serves: the `RequestSource` protocol.

Two sources: constituents' opinions (`bot.open311.opinions`) and deputies' suggestions
(`bot.open311.suggestions`), each a class with these four members, listed in `bot.open311.service.sources`.
Each source decides what of its records is public and hands over `PublicRecord`s; the service does
the rest once for all of them (merging, paging, masking names and phones, rounding places, times in
the congress's zone), so a new source cannot forget it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from bot.runtime.context import UnitOfWork

__all__ = ["PublicRecord", "Query", "RequestSource", "ServiceType", "Status"]


class Status(enum.StrEnum):
    """GeoReport v2 knows two statuses; each source maps its lifecycle states onto them."""

    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class ServiceType:
    """One Open311 service: a category of one source. Codes are unique across sources."""

    code: str
    name: str  # message id, translated per request
    group: str  # message id
    keywords: str | None = None  # message id whose translation is a comma-separated list


@dataclass(frozen=True)
class PublicRecord:
    """One record a source may publish, before the service anonymises and formats it."""

    service_request_id: str  # the tracking number: never a person's id
    service_code: str
    status: Status
    state_label: str  # message id of the lifecycle state's label
    description: str  # the record's own public text
    answer: str | None  # an answer already public to the record's followers
    agency: str | None  # the responsible office's name; None: the congress office
    requested_at: datetime
    updated_at: datetime
    expected_at: datetime | None
    latitude: float | None
    longitude: float | None
    # Names and phones of the people involved, masked wherever they appear in the texts above.
    people: tuple[str, ...] = ()
    # Message id of a result (a suggestion's class A/B/C), shown after the state in `status_notes`.
    result_label: str | None = None


@dataclass(frozen=True)
class Query:
    """A request for a list, already checked (`bot.open311.service.parse_query`)."""

    start: datetime
    end: datetime
    service_codes: frozenset[str] | None = None
    statuses: frozenset[Status] | None = None
    ids: frozenset[str] | None = None  # service_request_id=…: overrides the other filters
    limit: int = 100  # how many of the newest matches the service needs from each source


class RequestSource(Protocol):
    """A kind of record served as Open311 service requests."""

    def service_types(self) -> Sequence[ServiceType]:
        """Its services (categories), in the order they are listed."""
        ...

    def owns(self, service_request_id: str) -> bool:
        """Whether an id has this source's form (e.g. `LX-2026-000042` for opinions)."""
        ...

    async def find(self, uow: UnitOfWork, query: Query) -> Sequence[PublicRecord]:
        """Its public records matching the query, newest first (ties: higher id first), at most `query.limit`."""
        ...

    async def get(self, uow: UnitOfWork, service_request_id: str) -> PublicRecord | None:
        """One public record; None when there is none *or* it is not public (no existence leak)."""
        ...
