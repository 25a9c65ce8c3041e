"""The station domain's records as its services hand them out: drafts of an inspection and its items and
files, outcomes, notices, and the profile as one reads it. Plain data; nothing here queries."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.stations import lifecycle as lc
from bot.stations.lifecycle import Action, Refusal, Transition
from bot.stations.standards import WEEKDAYS, Invalid, StandardItem
from storage.models import Station
from storage.models.stations import (
    FileKind,
    Rectification,
    RectificationState,
    StationInspection,
    StationProfile,
    StationRule,
)

__all__ = [
    "FileDraft",
    "InspectionDraft",
    "InspectionOutcome",
    "InspectionProblem",
    "ItemDraft",
    "ItemOutcome",
    "ItemView",
    "Notice",
    "ProfileView",
    "Relation",
    "StandardView",
    "local_today",
    "overdue",
]


def local_today(now: datetime, zone: ZoneInfo | str) -> date:
    """The congress's calendar day at `now`."""
    return now.astimezone(zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)).date()


class Relation(enum.StrEnum):
    """How a person relates to a station (what they may see and do there)."""

    DEPUTY = "deputy"
    INSPECTOR = "inspector"
    STAFF = "staff"


@dataclass(frozen=True)
class Notice:
    recipient_person_id: int
    key: str  # "rectification.<…>" (the lifecycle's keys, and "rectification.assigned")
    item_id: int
    urgent: bool = False


@dataclass(frozen=True)
class FileDraft:
    """A photo or document to keep: a Telegram file id (chat) or the bytes of a console upload."""

    kind: FileKind | str
    telegram_file_id: str | None = None
    telegram_unique_id: str | None = None
    file_name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    data: bytes | None = None
    caption: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The chat form keeps Telegram files only (no bytes in the chat session)."""
        return {
            "kind": str(self.kind),
            "telegram_file_id": self.telegram_file_id,
            "telegram_unique_id": self.telegram_unique_id,
            "file_name": self.file_name,
            "mime_type": self.mime_type,
            "size": self.size,
            "caption": self.caption,
        }

    @classmethod
    def from_dict(cls, data: Any) -> FileDraft | None:
        if not isinstance(data, dict) or data.get("kind") not in tuple(FileKind):
            return None
        file_id = data.get("telegram_file_id")
        if not isinstance(file_id, str) or not file_id:
            return None

        def text(key: str) -> str | None:
            value = data.get(key)
            return value if isinstance(value, str) else None

        size = data.get("size")
        return cls(
            FileKind(data["kind"]),
            file_id,
            text("telegram_unique_id"),
            text("file_name"),
            text("mime_type"),
            size if isinstance(size, int) and not isinstance(size, bool) else None,
            None,
            text("caption"),
        )


@dataclass(frozen=True)
class ItemDraft:
    text: str
    due_on: date
    responsible_person_id: int


@dataclass(frozen=True)
class InspectionDraft:
    station_id: int
    inspector_person_id: int
    held_on: date
    kinds: tuple[str, ...]
    findings: str
    items: tuple[ItemDraft, ...] = ()
    files: tuple[FileDraft, ...] = ()
    source: str = "chat"  # chat | console
    dialog_key: str | None = None


class InspectionProblem(enum.StrEnum):
    NOT_FOUND = "not_found"  # no such station
    NOT_INSPECTOR = "not_inspector"  # the inspector is not assigned to it (chat), or not one at all
    NO_KIND = "no_kind"
    DAY = "day"
    FINDINGS = "findings"
    ITEM_TEXT = "item_text"
    ITEM_DUE = "item_due"
    RESPONSIBLE = "responsible"  # neither a deputy of the station nor staff
    TOO_MANY = "too_many"


@dataclass
class InspectionOutcome:
    inspection: StationInspection | None = None
    items: list[Rectification] = field(default_factory=list)
    notices: list[Notice] = field(default_factory=list)
    problem: InspectionProblem | None = None
    invalid: Invalid | None = None  # what was wrong with the day or a text
    index: int = 0  # which item (from 1) a problem is about

    @property
    def ok(self) -> bool:
        return self.problem is None


@dataclass
class ItemOutcome:
    item: Rectification | None = None
    transition: Transition | None = None
    refusal: Refusal | None = None
    notices: list[Notice] = field(default_factory=list)
    invalid: Invalid | None = None

    @property
    def ok(self) -> bool:
        return self.refusal is None and self.invalid is None


@dataclass(frozen=True)
class StandardView:
    item: StandardItem
    met: bool
    note: str | None
    files: int


@dataclass(frozen=True)
class ItemView:
    item: Rectification
    responsible: str
    overdue: bool
    actions: tuple[Action, ...]  # what the viewer may ask for now


@dataclass
class ProfileView:
    station: Station
    profile: StationProfile | None
    rules: list[StationRule]
    standards: list[StandardView]
    inspectors: list[str]
    items: list[ItemView]
    relations: frozenset[Relation]
    today: date

    @property
    def met(self) -> int:
        return sum(1 for s in self.standards if s.met)

    @property
    def hours(self) -> dict[str, str]:
        raw = self.profile.hours if self.profile is not None else {}
        return {day: str(raw[day]) for day in WEEKDAYS if isinstance(raw.get(day), str) and raw[day]}


def overdue(item: Rectification, today: date) -> bool:
    """Red: still to be done (open or reopened) after its due day."""
    return RectificationState(item.state) in lc.OPEN_STATES and item.due_on < today
