"""What the console's station pages read: the station list with its "六有" and rectification counts, and
one station's page — its profile, rules, "六有" with evidence, inspectors, and the three ledgers kept
together ("活动记录、影像留存、整改清单三账合一"): the activity records (its receptions from the reception
diary and its inspections; duty check-ins join them once rosters land), the photo archive (every file
kept for it) and the rectification list with states and history, overdue items red."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.console.reads.base import Reads, clean_query
from bot.stations.records import local_today, overdue
from bot.stations.standards import WEEKDAYS, StandardItem
from storage.models import Person, Station
from storage.models.stations import (
    Rectification,
    RectificationEvent,
    StationFile,
    StationInspection,
    StationProfile,
    StationRule,
)
from storage.repos.stations import ReceptionRecord, StationSummary

__all__ = ["FileRow", "InspectionRow", "ItemRow", "StandardRow", "StationPage", "StationReads"]


@dataclass(frozen=True)
class StandardRow:
    item: StandardItem
    met: bool
    note: str
    files: list[StationFile]


@dataclass(frozen=True)
class InspectionRow:
    inspection: StationInspection
    inspector: str
    recorded_by: str
    items: int
    files: int


@dataclass(frozen=True)
class ItemRow:
    item: Rectification
    responsible: str
    overdue: bool
    held_on: date | None
    history: list[tuple[RectificationEvent, str]]  # the step and who took it ("" for the system)
    files: list[StationFile]


@dataclass(frozen=True)
class FileRow:
    """One entry of the photo archive, with what it is evidence of."""

    file: StationFile
    standard: StandardItem | None
    held_on: date | None  # of the inspection it was taken at
    item_id: int | None  # of the rectification item whose report it came with
    by: str


@dataclass
class StationPage:
    station: Station
    parent: str | None
    profile: StationProfile | None
    hours: dict[str, str]
    rules: list[StationRule]
    standards: list[StandardRow]
    inspectors: list[Person]
    candidates: list[Person]  # who staff may assign (not yet assigned here)
    deputies: list[Person]
    responsible: list[Person]  # whom an item may name: the station's deputies and staff
    receptions: list[ReceptionRecord]
    inspections: list[InspectionRow]
    files: list[FileRow]
    items: list[ItemRow]
    today: date
    weekdays: tuple[str, ...] = WEEKDAYS
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def met(self) -> int:
        return sum(1 for s in self.standards if s.met)


class StationReads(Reads):
    async def stations(self, query: str = "") -> list[StationSummary]:
        today = local_today(self.clock.now(), self.settings.timezone)
        return await self.uow.stations.summaries(today, clean_query(query))

    async def file(self, station_id: int, file_id: int) -> StationFile | None:
        """One of the station's files with its bytes (None for another station's)."""
        found = await self.uow.stations.file_with_data(file_id)
        return found if found is not None and found.station_id == station_id else None

    async def station_page(self, station_id: int) -> StationPage | None:
        repo = self.uow.stations
        station = await repo.station(station_id)
        if station is None:
            return None
        today = local_today(self.clock.now(), self.settings.timezone)
        profile = await repo.profile(station_id)
        files = list(await repo.files(station_id))
        inspectors = list(await repo.inspectors(station_id))
        assigned = {p.id for p in inspectors}
        deputies = list(await repo.deputies_at(station_id))
        staff = [p for p in await repo.staff_people() if p.id not in {d.id for d in deputies}]
        parent = await repo.station(station.parent_id) if station.parent_id else None
        inspections = list(await repo.inspections(station_id))
        items = list(await repo.items(station_id))
        return StationPage(
            station,
            parent.name if parent else None,
            profile,
            {
                d: str(v)
                for d in WEEKDAYS
                if isinstance(v := (profile.hours if profile else {}).get(d), str) and v
            },
            list(await repo.rules(station_id)),
            self._standards(await repo.standards(station_id), files),
            inspectors,
            [p for p in await repo.inspector_candidates() if p.id not in assigned],
            deputies,
            deputies + staff,
            await repo.receptions_at(station_id),
            await self._inspections(inspections, items, files),
            await self._archive(files, inspections),
            await self._items(items, inspections, files, today),
            today,
        )

    @staticmethod
    def _standards(stored: dict[str, object], files: list[StationFile]) -> list[StandardRow]:
        rows = []
        for item in StandardItem:
            row = stored.get(item.value)
            rows.append(
                StandardRow(
                    item,
                    bool(getattr(row, "met", False)),
                    str(getattr(row, "note", "") or ""),
                    [f for f in files if f.standard_item == item.value],
                )
            )
        return rows

    async def _inspections(
        self, inspections: list[StationInspection], items: list[Rectification], files: list[StationFile]
    ) -> list[InspectionRow]:
        names = await self.uow.stations.person_names(
            [i.inspector_person_id for i in inspections] + [i.recorded_by_person_id for i in inspections]
        )
        return [
            InspectionRow(
                i,
                names.get(i.inspector_person_id or 0, "—"),
                names.get(i.recorded_by_person_id or 0, "—"),
                sum(1 for r in items if r.inspection_id == i.id),
                sum(1 for f in files if f.inspection_id == i.id),
            )
            for i in inspections
        ]

    async def _archive(self, files: list[StationFile], inspections: list[StationInspection]) -> list[FileRow]:
        held = {i.id: i.held_on for i in inspections}
        names = await self.uow.stations.person_names(f.uploaded_by_person_id for f in files)
        return [
            FileRow(
                f,
                StandardItem(f.standard_item) if f.standard_item in tuple(StandardItem) else None,
                held.get(f.inspection_id or 0),
                f.rectification_id,
                names.get(f.uploaded_by_person_id or 0, "—"),
            )
            for f in files
        ]

    async def _items(
        self,
        items: list[Rectification],
        inspections: list[StationInspection],
        files: list[StationFile],
        today: date,
    ) -> list[ItemRow]:
        events = list(await self.uow.stations.events([i.id for i in items]))
        names = await self.uow.stations.person_names(
            [i.responsible_person_id for i in items] + [e.actor_person_id for e in events]
        )
        held = {i.id: i.held_on for i in inspections}
        return [
            ItemRow(
                i,
                names.get(i.responsible_person_id or 0, "—"),
                overdue(i, today),
                held.get(i.inspection_id),
                [(e, names.get(e.actor_person_id or 0, "")) for e in events if e.rectification_id == i.id],
                [f for f in files if f.rectification_id == i.id],
            )
            for i in items
        ]
