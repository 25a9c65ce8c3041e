"""How binding and the language choice look in chat: the station picker and the language buttons.

Rendering only; the data strings are the ones sent before ("st:open:7", "lang:en").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup

from bot.kit.callbacks import Button
from bot.kit.i18n import Translator
from bot.network.entities import Station
from bot.people.binding import Bound
from bot.runtime.replies import esc

LANGUAGE_NAMES = {"zh_Hans": "中文", "en": "English"}


@dataclass(frozen=True)
class LanguagePress(Button, prefix="lang"):
    """A language of the /language buttons (checked against the supported ones when saved)."""

    code: str


def language_keyboard(current: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✓ " if code == current else "") + name, callback_data=LanguagePress(code).pack()
                )
                for code, name in LANGUAGE_NAMES.items()
            ]
        ]
    )


class StationAction(StrEnum):
    OPEN = "open"  # show the level below (or pick it, when it has none)
    PICK = "pick"  # "This one"
    NONE = "none"  # "No stations yet": nothing to pick


@dataclass(frozen=True)
class StationPress(Button, prefix="st"):
    """A button of the station picker."""

    action: StationAction
    station_id: int | None = None


def station_keyboard(tr: Translator, rows: Sequence[Station], parent_id: int | None) -> InlineKeyboardMarkup:
    """One level of the station tree (homes, then their townships, then villages)."""
    buttons = [
        [InlineKeyboardButton(s.name, callback_data=StationPress(StationAction.OPEN, s.id).pack())]
        for s in rows
    ]
    if parent_id is not None:
        pick = StationPress(StationAction.PICK, parent_id).pack()
        buttons.insert(0, [InlineKeyboardButton(tr("✔️ This one"), callback_data=pick)])
    none = StationPress(StationAction.NONE).pack()
    return InlineKeyboardMarkup(
        buttons or [[InlineKeyboardButton(tr("No stations yet"), callback_data=none)]]
    )


def share_keyboard(tr: Translator) -> ReplyKeyboardMarkup:
    """Share a location (nearest station) or the phone number (the station's records)."""
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(tr("📍 Share my location"), request_location=True)],
            [KeyboardButton(tr("📱 Share my phone number"), request_contact=True)],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


def welcome_text(tr: Translator, name: str, *, linked: bool, bound: Bound | None, deputy: bool) -> str:
    """/start's greeting: what a deep link (`linked`) bound to, and what to do next."""
    text = tr(
        "Hello, {name}! I am Liaison, the assistant that connects you with your people's congress deputies.",
        name=esc(name),
    )
    if linked and bound is None:
        text += "\n\n" + tr("This link is not valid (any more). You can still write to me.")
    elif bound is not None and bound.deputy_name:
        text += "\n\n" + tr(
            "You are now connected with deputy {deputy} ({station}).",
            deputy=esc(bound.deputy_name),
            station=esc(bound.station_name or "—"),
        )
    elif bound is not None:
        text += "\n\n" + tr(
            "You are now connected with the station {station}.", station=esc(bound.station_name)
        )
    if deputy:
        return (
            text
            + "\n\n"
            + tr(
                "You are registered as a deputy. Opinions for you arrive here as task cards with buttons; "
                "/tasks lists the ones you are handling."
            )
        )
    return (
        text
        + "\n\n"
        + tr(
            "Write your opinion or suggestion here and I will pass it to the deputy responsible. "
            "Send /help to see what I can do."
        )
    )
