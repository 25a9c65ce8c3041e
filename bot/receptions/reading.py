"""Reading the diary: an entry as one reader may see it, its derived counts, the recent entries.

Privacy, once: a visitor's name and phone reach the deputy who registered them and staff; an anonymous
visitor's matter (its text and the answer given) reaches only whoever handles it — the holder of its
opinion once routed, the deputy who answered it on the spot. Who may read an entry at all is the
service's to decide (`DiaryService.view`, through the lifecycle's relations).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.people.roles import is_staff
from bot.receptions.rules import Counts, derive
from storage.models import Opinion, Person, Station
from storage.models.receptions import DiaryKind, MatterOutcome, Reception, ReceptionMatter, ReceptionVisitor
from storage.unit_of_work import UnitOfWork

__all__ = [
    "DiaryView",
    "MatterView",
    "VisitorView",
    "build_view",
    "counts",
    "name_visible",
    "place",
    "place_of",
    "recent",
    "text_visible",
]


@dataclass(frozen=True)
class MatterView:
    category: str
    outcome: str
    text: str | None  # None: an anonymous visitor's matter, for the deputy handling it only
    answer: str | None
    tracking_no: str | None


@dataclass(frozen=True)
class VisitorView:
    number: int
    anonymous: bool
    name: str | None  # None: not shown to this reader (only the registering deputy and staff)
    phone: str | None
    matters: list[MatterView]


@dataclass(frozen=True)
class DiaryView:
    diary: Reception
    place: str
    counts: Counts
    visitors: list[VisitorView]
    can_register: bool


def place_of(diary: Reception, station: Station | None) -> str:
    """What an entry is at: its station's name, or a home visit's place."""
    if diary.kind == DiaryKind.HOME_VISIT:
        return diary.place or ""
    return station.name if station is not None else ""


def name_visible(visitor: ReceptionVisitor, reader: Person) -> bool:
    """A visitor's name and phone: the deputy who registered them, and staff."""
    return is_staff(reader) or visitor.registered_by_person_id == reader.id


def text_visible(
    visitor: ReceptionVisitor, matter: ReceptionMatter, opinion: Opinion | None, reader: Person
) -> bool:
    """A matter's text and answer: anyone who may read the entry, but an anonymous visitor's only to
    whoever handles it — the holder once routed, the deputy who answered it on the spot."""
    if not visitor.anonymous:
        return True
    if matter.outcome == MatterOutcome.RESOLVED:
        return matter.registered_by_person_id == reader.id
    deputy = reader.deputy
    return opinion is not None and deputy is not None and opinion.holder_deputy_id == deputy.id


def _legacy_counts(diary: Reception) -> Counts:
    return Counts(people=diary.people or 0, paper=diary.opinions_paper, legacy=True)


async def counts(uow: UnitOfWork, diary: Reception) -> Counts:
    """An entry's figures: derived from its registrations (typed, for a legacy entry)."""
    if diary.legacy:
        return _legacy_counts(diary)
    visitors, outcomes = (await uow.receptions.registrations([diary.id]))[diary.id]
    return derive(visitors, outcomes)


async def place(uow: UnitOfWork, diary: Reception) -> str:
    station = await uow.network.station(diary.station_id) if diary.station_id else None
    return place_of(diary, station)


async def build_view(uow: UnitOfWork, diary: Reception, reader: Person, *, can_register: bool) -> DiaryView:
    """The entry with its visitors and matters, masked for this reader."""
    matters = await uow.receptions.matters(diary.id)
    visitors = []
    for visitor in await uow.receptions.visitors(diary.id):
        named = name_visible(visitor, reader)
        shown = []
        for matter, opinion in matters:
            if matter.visitor_id != visitor.id:
                continue
            text = text_visible(visitor, matter, opinion, reader)
            shown.append(
                MatterView(
                    matter.category,
                    matter.outcome,
                    matter.text if text else None,
                    matter.answer if text else None,
                    opinion.tracking_no if opinion is not None else None,
                )
            )
        visitors.append(
            VisitorView(
                visitor.number,
                visitor.anonymous,
                visitor.name if named else None,
                visitor.phone if named else None,
                shown,
            )
        )
    return DiaryView(diary, await place(uow, diary), await counts(uow, diary), visitors, can_register)


async def recent(uow: UnitOfWork, person: Person, limit: int) -> list[tuple[Reception, str, Counts]]:
    """The entries this person keeps (and, from before registration, received as the deputy), newest
    first, each with its place and counts."""
    deputy = person.deputy
    rows = await uow.receptions.recent(person.id, deputy.id if deputy else None, limit)
    found = await uow.receptions.registrations(r.id for r, _ in rows if not r.legacy)
    return [
        (diary, place_of(diary, station), _legacy_counts(diary) if diary.legacy else derive(*found[diary.id]))
        for diary, station in rows
    ]
