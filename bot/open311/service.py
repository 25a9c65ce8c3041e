"""Open311 GeoReport v2, read-only: services, requests, one request — rules and mapping, no HTTP.

GeoReport v2 (wiki.open311.org/GeoReport_v2) lets anyone list a jurisdiction's service requests and
their status. Here a request is a public record of one of the `sources` (constituents' public opinions
and deputies' filed suggestions). Everything a source hands over passes
`render`, which anonymises it once for all sources:

- ids are tracking numbers, never a person's id; no account, name or phone field exists at all;
- the names and phones of everyone involved (`PublicRecord.people`), and any phone-like number, are
  masked in the texts (the sender's text is published because they made it public, not what it
  says about people; a name of someone outside the record can still pass: this is masking, not NER);
- `agency_responsible` is an office (the station, a suggestion's lead unit, else the congress office),
  never a person;
- a place is rounded to 0.001° (about 100 m) and given only for a public record that has one;
- times are ISO 8601 in the congress's zone (`TIMEZONE`), with its offset.

Lists follow the spec's defaults: the last 90 days unless `start_date`/`end_date` say otherwise, a
span of at most 90 days, and at most the newest 1,000 matches (here as `page` × `page_size`, a page
holding at most 100): narrower dates reach further back.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from bot.kit.i18n import N_, Translator
from bot.open311.opinions import OpinionSource
from bot.open311.sources import PublicRecord, Query, RequestSource, ServiceType, Status
from bot.open311.suggestions import SuggestionSource
from bot.runtime.context import UnitOfWork
from bot.runtime.settings import Settings

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MAX_REACH",
    "MAX_SPAN",
    "Open311Service",
    "Page",
    "Problem",
    "mask",
    "parse_query",
    "sources",
]

MAX_SPAN = timedelta(days=90)
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 100
MAX_REACH = 1000  # the spec's "first 1000 requests": page × page_size
MAX_IDS = 100  # service_request_id=a,b,c…
COORDINATE_DIGITS = 3  # 0.001° ≈ 111 m of latitude, ≈ 100 m of longitude at 25° N
MASK = "***"
# Seven or more digits, perhaps with a leading + and single spaces or dashes between: a phone number.
_PHONE = re.compile(r"\+?\d(?:[ \-]?\d){6,}")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$")
# `…T10:00:00+08:00` sent without URL-encoding arrives with a space for the plus.
_SPACED_OFFSET = re.compile(r"(?<=\d) (\d{2}:?\d{2})$")
OFFICE = N_("People’s Congress Standing Committee")
NOTES = N_("{state}: {answer}")  # status_notes of an answered record: its state, then the answer
RESULT = N_("{state} ({result})")  # a suggestion's state with its result class


@dataclass(frozen=True)
class Problem:
    """A request the spec does not allow: answered 400 with this (translated) description."""

    description: str
    params: Mapping[str, object] | None = None


@dataclass(frozen=True)
class Page:
    """A checked list request: the query for the sources and which slice of the merge to show."""

    query: Query
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def sources(settings: Settings) -> list[RequestSource]:
    """Every kind of record served: public opinions, then filed suggestions."""
    return [OpinionSource(settings.tracking_prefix), SuggestionSource(settings.timezone)]


def mask(text: str, people: Sequence[str]) -> str:
    """The text with the given names and phones, and anything shaped like a phone number, masked."""
    for name in sorted({p for p in people if len(p) >= 2}, key=len, reverse=True):
        text = text.replace(name, MASK)
    return _PHONE.sub(MASK, text)


def _moment(value: str, zone: ZoneInfo, *, end: bool) -> datetime | None:
    """An ISO 8601 date or date-time; a date alone is its whole day, a time without offset the congress's."""
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            start = datetime(day.year, day.month, day.day, tzinfo=zone)
            return start + timedelta(days=1, microseconds=-1) if end else start
        moment = datetime.fromisoformat(_SPACED_OFFSET.sub(r"+\1", value))
    except ValueError:
        return None
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment


def _number(value: str | None, default: int) -> int | None:
    if value is None or value == "":
        return default
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else None


def _listed(value: str | None) -> frozenset[str] | None:
    """A comma-delimited parameter (as the spec allows for several values), or None when absent."""
    if value is None or value.strip() == "":
        return None
    return frozenset(part.strip() for part in value.split(",") if part.strip())


def parse_query(params: Mapping[str, str], now: datetime, zone: ZoneInfo) -> Page | Problem:
    """Check a `requests.json` query string: dates, statuses, codes, ids and paging."""
    size = _number(params.get("page_size"), DEFAULT_PAGE_SIZE)
    number = _number(params.get("page"), 1)
    if size is None or not 1 <= size <= MAX_PAGE_SIZE:
        return Problem(N_("page_size must be a whole number from 1 to {max}."), {"max": MAX_PAGE_SIZE})
    if number is None or number < 1:
        return Problem(N_("page must be a whole number from 1."))
    if number * size > MAX_REACH:
        return Problem(
            N_("At most the newest {max} requests can be paged through; narrow start_date and end_date."),
            {"max": MAX_REACH},
        )
    start = end = None
    if params.get("start_date"):
        start = _moment(params["start_date"], zone, end=False)
        if start is None:
            return Problem(N_("start_date must be an ISO 8601 date or date-time."))
    if params.get("end_date"):
        end = _moment(params["end_date"], zone, end=True)
        if end is None:
            return Problem(N_("end_date must be an ISO 8601 date or date-time."))
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_SPAN  # type: ignore[operator]
    if end is None:
        end = start + MAX_SPAN
    if end < start:
        return Problem(N_("end_date is before start_date."))
    if end - start > MAX_SPAN + timedelta(days=1):  # a whole last day counts as its day
        return Problem(N_("start_date and end_date may not span more than 90 days."))
    statuses = _listed(params.get("status"))
    if statuses is not None and not statuses <= {s.value for s in Status}:
        return Problem(N_("status must be open, closed or both, comma-delimited."))
    ids = _listed(params.get("service_request_id"))
    if ids is not None and (len(ids) > MAX_IDS or not all(_ID.match(i) for i in ids)):
        return Problem(N_("service_request_id takes at most {max} ids, comma-delimited."), {"max": MAX_IDS})
    query = Query(
        start=start,
        end=end,
        service_codes=_listed(params.get("service_code")),
        statuses=frozenset(Status(s) for s in statuses) if statuses is not None else None,
        ids=ids,
        limit=number * size,
    )
    return Page(query, number, size)


class Open311Service:
    """The three reads of GeoReport v2 over every source, rendered in one language."""

    def __init__(self, settings: Settings, request_sources: Sequence[RequestSource] | None = None) -> None:
        self.settings = settings
        self.zone = settings.zone
        self.sources = list(request_sources) if request_sources is not None else sources(settings)
        types = [t for s in self.sources for t in s.service_types()]
        self._names = {t.code: t.name for t in types}
        if len(self._names) != len(types):
            raise ValueError("service codes must be unique across Open311 sources")

    def services(self, tr: Translator) -> list[dict[str, Any]]:
        """`services.json`: one entry per category of every source."""
        return [self._service(t, tr) for s in self.sources for t in s.service_types()]

    async def requests(self, uow: UnitOfWork, page: Page, tr: Translator) -> list[dict[str, Any]]:
        """`requests.json`: the page's slice of every source's matches, merged newest first."""
        wanted = [s for s in self.sources if self._asked(s, page.query)]
        found = [await s.find(uow, page.query) for s in wanted]
        merged = heapq.merge(*found, key=lambda r: (r.requested_at, r.service_request_id), reverse=True)
        shown = islice(merged, page.offset, page.offset + page.size)
        return [self.render(r, tr) for r in shown]

    async def request(
        self, uow: UnitOfWork, service_request_id: str, tr: Translator
    ) -> dict[str, Any] | None:
        """`requests/{id}.json`: None for an unknown or a private id alike."""
        for source in self.sources:
            if source.owns(service_request_id):
                found = await source.get(uow, service_request_id)
                return self.render(found, tr) if found is not None else None
        return None

    def _asked(self, source: RequestSource, query: Query) -> bool:
        if query.service_codes is None or query.ids is not None:
            return True
        return any(t.code in query.service_codes for t in source.service_types())

    def _service(self, t: ServiceType, tr: Translator) -> dict[str, Any]:
        keywords = tr(t.keywords) if t.keywords else ""
        return {
            "service_code": t.code,
            "service_name": tr(t.name),
            "description": "",
            "metadata": False,  # nothing to fill in beyond the text: requests are filed in chat
            "type": "realtime",  # filing returns the tracking number at once
            "keywords": keywords if keywords != t.keywords else "",
            "group": tr(t.group),
        }

    def _time(self, moment: datetime | None) -> str | None:
        return moment.astimezone(self.zone).isoformat(timespec="seconds") if moment is not None else None

    def render(self, r: PublicRecord, tr: Translator) -> dict[str, Any]:
        """One GeoReport v2 request; see the module docstring for what is left out or masked."""
        label = tr(r.state_label)
        if r.result_label:
            label = tr(RESULT, state=label, result=tr(r.result_label))
        notes = tr(NOTES, state=label, answer=mask(r.answer, r.people)) if r.answer else label
        office = self.settings.congress_name or tr(OFFICE)
        placed = r.latitude is not None and r.longitude is not None
        return {
            "service_request_id": r.service_request_id,
            "status": r.status.value,
            "status_notes": notes,
            "service_name": tr(self._names[r.service_code])
            if r.service_code in self._names
            else r.service_code,
            "service_code": r.service_code,
            "description": mask(r.description, r.people),
            "agency_responsible": r.agency or office,
            "service_notice": "",
            "requested_datetime": self._time(r.requested_at),
            "updated_datetime": self._time(r.updated_at),
            "expected_datetime": self._time(r.expected_at),
            "address": "",
            "address_id": "",
            "zipcode": "",
            "lat": round(r.latitude, COORDINATE_DIGITS) if placed else None,  # type: ignore[arg-type]
            "long": round(r.longitude, COORDINATE_DIGITS) if placed else None,  # type: ignore[arg-type]
            "media_url": "",
        }
