"""The diary's button kinds ("rd…"). A diary's own buttons carry its id (the lifecycle decides on the
entry as it is now); the registration's buttons carry the dialog's key (a press from an earlier
visitor's messages is stale). All are ephemeral: their format may change between releases."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.kit.callbacks import Button

__all__ = ["CategoryPick", "DiaryAction", "DiaryPress", "ListPress", "StationPick", "StepAction", "StepPress"]


class DiaryAction(enum.StrEnum):
    VISITOR = "v"  # ➕ Visitor
    CLOSE = "x"  # 🏁 Close the day
    VIEW = "o"  # 📖 an entry from the list


@dataclass(frozen=True)
class DiaryPress(Button, prefix="rd:d"):
    action: DiaryAction
    diary_id: int


class StepAction(enum.StrEnum):
    HOME = "home"  # 🏠 Home visit
    LEAVE = "leave"  # ✖️ leave the dialog (the entry stays open)
    ANONYMOUS = "anon"
    CONSENT = "ok"  # 📞 they agree to have their phone recorded
    NO_PHONE = "nop"
    RESOLVE = "spot"  # ✅ Answered on the spot
    ROUTE = "send"  # 📨 Send as opinion
    NEXT = "next"  # 👤 Next visitor
    NO_LOCATION = "nol"  # a home visit without a location


@dataclass(frozen=True)
class StepPress(Button, prefix="rd:s"):
    action: StepAction
    key: str


@dataclass(frozen=True)
class StationPick(Button, prefix="rd:st"):
    key: str
    station_id: int


@dataclass(frozen=True)
class CategoryPick(Button, prefix="rd:c"):
    key: str
    category: str


@dataclass(frozen=True)
class ListPress(Button, prefix="rd:ls"):
    """📋 Recent diary entries."""
