"""The button kinds of stations in chat (`stn…`): the /station card, evidence uploads, the /inspect form
and a rectification item's card. Each is parsed once by `@button`; the data is never trusted — the
handlers look the station, form or item up again and check the presser's relation to it.

Anchored patterns keep the kinds apart ("stn:f" does not match "stn:fs:…"); all are ephemeral.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.kit.callbacks import Button
from storage.models.stations import InspectionKind, StandardItem

__all__ = [
    "DayPress",
    "DuePress",
    "EvidenceDone",
    "EvidencePress",
    "FormAction",
    "FormPress",
    "ItemAction",
    "ItemPress",
    "KindPress",
    "StationAction",
    "StationPick",
    "StationPress",
    "WhoPress",
]


class StationAction(enum.StrEnum):
    RULES = "rules"  # 📜 the rules' texts
    MAP = "map"  # 📍 the map point as a venue
    EVIDENCE = "ev"  # 📎 add evidence: which "六有" item


@dataclass(frozen=True)
class StationPress(Button, prefix="stn:v"):
    """A button under the /station card."""

    action: StationAction
    station_id: int


@dataclass(frozen=True)
class EvidencePress(Button, prefix="stn:ev"):
    """A "六有" item to add evidence to; then photos or documents are awaited."""

    station_id: int
    item: StandardItem


@dataclass(frozen=True)
class EvidenceDone(Button, prefix="stn:ed"):
    """✅ Done: no more evidence files."""

    station_id: int


class FormAction(enum.StrEnum):
    NEXT = "next"  # the kinds ticked / the files sent: go on
    SKIP = "skip"  # no files
    FINISH = "fin"  # no (more) rectification items
    SAVE = "ok"
    CANCEL = "x"


@dataclass(frozen=True)
class FormPress(Button, prefix="stn:f"):
    """A button of the /inspect form that carries nothing but the form's key."""

    action: FormAction
    key: str


@dataclass(frozen=True)
class StationPick(Button, prefix="stn:fs"):
    """One of the inspector's stations."""

    key: str
    station_id: int


@dataclass(frozen=True)
class KindPress(Button, prefix="stn:fk"):
    """Tick or untick a kind of inspection."""

    key: str
    kind: InspectionKind


@dataclass(frozen=True)
class DayPress(Button, prefix="stn:fd"):
    key: str
    day: str  # YYYY-MM-DD


@dataclass(frozen=True)
class DuePress(Button, prefix="stn:fu"):
    """A deadline this many days from today."""

    key: str
    days: int


@dataclass(frozen=True)
class WhoPress(Button, prefix="stn:fw"):
    """The item's responsible person (a deputy of the station, or the inspector when staff)."""

    key: str
    person_id: int


class ItemAction(enum.StrEnum):
    REPORT = "rep"  # ✅ Done: a note or a photo follows
    CONFIRM = "ok"
    REOPEN = "re"  # ↩️ a reason follows


@dataclass(frozen=True)
class ItemPress(Button, prefix="stn:r"):
    """A rectification item's button (its card, or the /station card)."""

    action: ItemAction
    item_id: int
