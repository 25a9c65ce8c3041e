"""The kinds of the notice's buttons (callback data "bc:…"), one frozen dataclass per button.

The dialog's buttons are ephemeral (a draft lives minutes), so their format may change between
releases; Cancel on a progress or scheduled message ("bc:x:<id>"), the recipients' ✅ ("bc:rcv:<id>")
and the progress message's list and reminder buttons outlive a deploy and keep their format. No Telegram types here: the progress message (sent by the service) draws Cancel too.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.broadcasts.audience import ALL, COMMITTEE, DEPUTIES, PRESIDIUM
from bot.kit.callbacks import Button
from storage.models import DeputyLevel

__all__ = [
    "Acknowledge",
    "AskStation",
    "AskStationDeputies",
    "Back",
    "CancelNotice",
    "Discard",
    "Fixed",
    "Later",
    "Levels",
    "Listing",
    "Menu",
    "Page",
    "PaidToggle",
    "PickCommittee",
    "PickFixed",
    "PickGroup",
    "PickLevel",
    "Preset",
    "PresetTime",
    "ReceiptToggle",
    "Remind",
    "Send",
    "TypeTime",
    "Unconfirmed",
]


class Fixed(StrEnum):
    """The audiences that name nothing (values are the audience keys)."""

    ALL = ALL
    DEPUTIES = DEPUTIES
    COMMITTEE = COMMITTEE
    PRESIDIUM = PRESIDIUM


class Listing(StrEnum):
    GROUPS = "groups"
    COMMITTEES = "scoms"


class Preset(StrEnum):
    IN_AN_HOUR = "h1"
    TONIGHT = "t20"
    TOMORROW_MORNING = "m0830"


@dataclass(frozen=True)
class CancelNotice(Button, prefix="bc:x"):
    """Cancel a scheduled notice, or the rest of one being sent (on the progress message too)."""

    broadcast_id: int


@dataclass(frozen=True)
class Send(Button, prefix="bc:ok"):
    """Confirm and send the draft now."""


@dataclass(frozen=True)
class Discard(Button, prefix="bc:no"):
    """Drop the draft."""


@dataclass(frozen=True)
class Later(Button, prefix="bc:later"):
    """Show the send-at choices."""


@dataclass(frozen=True)
class Back(Button, prefix="bc:back"):
    """From the send-at choices back to Send / Schedule."""


@dataclass(frozen=True)
class TypeTime(Button, prefix="bc:type"):
    """Ask for a typed date and time."""


@dataclass(frozen=True)
class PresetTime(Button, prefix="bc:at"):
    preset: Preset


@dataclass(frozen=True)
class PaidToggle(Button, prefix="bc:paid"):
    """Tick or untick Telegram's paid tier."""


@dataclass(frozen=True)
class Menu(Button, prefix="bc:a:menu"):
    """Back to the audience menu."""


@dataclass(frozen=True)
class Levels(Button, prefix="bc:a:levels"):
    """The list of deputy levels."""


@dataclass(frozen=True)
class PickLevel(Button, prefix="bc:a:level"):
    level: DeputyLevel


@dataclass(frozen=True)
class PickFixed(Button, prefix="bc:a:to"):
    audience: Fixed


@dataclass(frozen=True)
class AskStation(Button, prefix="bc:a:station"):
    """The constituents of a station: its code is typed next."""


@dataclass(frozen=True)
class AskStationDeputies(Button, prefix="bc:a:sdep"):
    """The deputies of a station: its code is typed next."""


@dataclass(frozen=True)
class Page(Button, prefix="bc:a:list"):
    """A page of deputy groups or special committees."""

    listing: Listing
    page: int = 0


@dataclass(frozen=True)
class PickGroup(Button, prefix="bc:a:group"):
    group_id: int


@dataclass(frozen=True)
class PickCommittee(Button, prefix="bc:a:scom"):
    committee_id: int


@dataclass(frozen=True)
class ReceiptToggle(Button, prefix="bc:ask"):
    """Tick or untick "ask recipients to confirm receipt" on the draft."""


@dataclass(frozen=True)
class Acknowledge(Button, prefix="bc:rcv"):
    """A recipient's "✅ received" under a notice (or its reminder)."""

    broadcast_id: int


@dataclass(frozen=True)
class Unconfirmed(Button, prefix="bc:who"):
    """The sender's list of recipients who have not confirmed receipt."""

    broadcast_id: int


@dataclass(frozen=True)
class Remind(Button, prefix="bc:rem"):
    """Remind the recipients who have not confirmed receipt (once)."""

    broadcast_id: int
