"""Button kinds of filing after the first File (`sg:mg`, `sg:fc`, `sg:gr`, `sg:dp`), and the small
keyboards that carry them: staff's 🔗 Merge, the filer's card (✏️ Revise, 🗑 Withdraw, file without the
silent co-signers), a deputy group's joint filing in the form, the deputy of a paper suggestion.

Every kind names objects by id only; the handler looks them up and the service decides (the presser's
relation, the state), so a forged or stale press is refused, answered and audited.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import Translator
from storage.models.suggestions import Suggestion

__all__ = [
    "DeputyPress",
    "FilerAction",
    "FilerPress",
    "GroupPress",
    "MergeAction",
    "MergePress",
    "filer_keyboard",
    "merge_button",
    "withdraw_confirm",
]


class MergeAction(enum.StrEnum):
    START = "s"  # on a queue card: which suggestion does it join?
    CHOOSE = "c"  # a candidate pressed: show the confirmation
    CONFIRM = "y"  # merge it


@dataclass(frozen=True)
class MergePress(Button, prefix="sg:mg"):
    """🔗 Merge: staff only; the service checks both suggestions' states and the target."""

    action: MergeAction
    suggestion_id: int
    target_id: int | None = None


class FilerAction(enum.StrEnum):
    REVISE = "e"  # a returned suggestion: open the form filled from it
    WITHDRAW = "w"  # ask to confirm
    WITHDRAW_SURE = "wy"
    WITHOUT = "l"  # file without the co-signers silent for seven days


@dataclass(frozen=True)
class FilerPress(Button, prefix="sg:fc"):
    """The filer's card: only the deputy it was filed by or for, in a state the lifecycle allows."""

    action: FilerAction
    suggestion_id: int


@dataclass(frozen=True)
class GroupPress(Button, prefix="sg:gr"):
    """The form's co-signer step: file jointly with this deputy group (the presser must be a member)."""

    key: str
    group_id: int


@dataclass(frozen=True)
class DeputyPress(Button, prefix="sg:dp"):
    """Staff filing from paper: this deputy (one of the names the search found) is the filer."""

    key: str
    person_id: int


def filer_keyboard(
    tr: Translator, s: Suggestion, *, revise: bool = False, without: bool = False
) -> InlineKeyboardMarkup:
    """The filer's buttons on a notice about their suggestion; 🗑 Withdraw is always offered."""
    rows: list[list[InlineKeyboardButton]] = []
    if revise:
        rows.append([_filer(tr("✏️ Revise and file again"), FilerAction.REVISE, s)])
    if without:
        rows.append([_filer(tr("📨 File without those who did not answer"), FilerAction.WITHOUT, s)])
    rows.append([_filer(tr("🗑 Withdraw"), FilerAction.WITHDRAW, s)])
    return InlineKeyboardMarkup(rows)


def withdraw_confirm(tr: Translator, s: Suggestion) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[_filer(tr("🗑 Yes, withdraw it"), FilerAction.WITHDRAW_SURE, s)]])


def merge_button(tr: Translator, s: Suggestion) -> InlineKeyboardButton:
    """The queue card's 🔗 Merge."""
    return InlineKeyboardButton(tr("🔗 Merge"), callback_data=MergePress(MergeAction.START, s.id).pack())


def _filer(label: str, action: FilerAction, s: Suggestion) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=FilerPress(action, s.id).pack())
