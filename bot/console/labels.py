"""Words for stored codes (states, colours, kinds, tiers, timeline actions), marked for translation."""

from __future__ import annotations

from bot.broadcasts.service import LEVEL_LABELS
from bot.kit.i18n import N_, Translator
from bot.network.units import UNIT_KIND_LABELS
from bot.opinions.drafts import CATEGORIES
from bot.opinions.views import STATE_LABELS
from storage.models import BroadcastStatus, ContactTier, StationKind, WarningColour

__all__ = [
    "ACTION_LABELS",
    "BROADCAST_STATUS_LABELS",
    "CATEGORIES",
    "COLOUR_LABELS",
    "KIND_LABELS",
    "LEVEL_LABELS",
    "STATE_LABELS",
    "TIER_LABELS",
    "UNIT_KIND_LABELS",
    "label",
]

COLOUR_LABELS: dict[str, str] = {
    WarningColour.GREEN: N_("green: on time"),
    WarningColour.YELLOW: N_("yellow: near the deadline"),
    WarningColour.RED: N_("red: overdue"),
}

KIND_LABELS: dict[str, str] = {
    StationKind.HOME: N_("deputies' home"),
    StationKind.TOWNSHIP: N_("township work station"),
    StationKind.VILLAGE: N_("village liaison station"),
    StationKind.PROFESSIONAL: N_("professional station"),
}

TIER_LABELS: dict[str, str] = {
    ContactTier.PRESIDIUM_COMMITTEE: N_("presidium member → committee member"),
    ContactTier.COMMITTEE_DEPUTY: N_("committee member → deputy"),
    ContactTier.SPECIAL_COMMITTEE_DEPUTY: N_("special committee → deputy"),
    ContactTier.DEPUTY_CONSTITUENT: N_("deputy → constituent"),
}

BROADCAST_STATUS_LABELS: dict[str, str] = {
    BroadcastStatus.SCHEDULED: N_("scheduled"),
    BroadcastStatus.SENDING: N_("sending"),
    BroadcastStatus.DONE: N_("finished"),
    BroadcastStatus.CANCELLED: N_("cancelled"),
}

# Timeline steps: the lifecycle's actions plus the service's timeline-only events.
ACTION_LABELS: dict[str, str] = {
    "submit": N_("submitted by the sender"),
    "route": N_("routed"),
    "accept": N_("accepted"),
    "ask": N_("question to the sender"),
    "info_received": N_("the sender answered the question"),
    "transfer": N_("transferred"),
    "escalate": N_("escalated to a formal suggestion"),
    "answer": N_("answered"),
    "confirm_satisfied": N_("the sender is satisfied"),
    "confirm_basic": N_("the sender is basically satisfied"),
    "confirm_dissatisfied": N_("the sender is not satisfied: reopened"),
    "auto_close": N_("closed without a verdict"),
    "reject": N_("not taken up"),
    "mark_duplicate": N_("joined to another opinion"),
    "warn": N_("deadline warning"),
}


def label(tr: Translator, table: dict[str, str], code: str | None) -> str:
    """The translated word for a code; an unknown code is shown as it is (templates escape it)."""
    if code is None:
        return "—"
    found = table.get(code)
    return tr(found) if found is not None else code
