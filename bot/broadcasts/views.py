"""The /broadcast dialog as the staff member sees it: its keyboards, prompts and label tables.

Each button is drawn from its kind (bot/broadcasts/buttons.py), so what is drawn is what the handler
parses. The progress message and the report are drawn by `progress`, which the service sends.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.broadcasts.audience import LEVEL_LABELS
from bot.broadcasts.buttons import (
    Acknowledge,
    AskStation,
    AskStationDeputies,
    Back,
    CancelNotice,
    Discard,
    Fixed,
    Later,
    Levels,
    Listing,
    Menu,
    Page,
    PaidToggle,
    PickCommittee,
    PickFixed,
    PickGroup,
    PickLevel,
    Preset,
    PresetTime,
    ReceiptToggle,
    Send,
    TypeTime,
)
from bot.broadcasts.lifecycle import RefusalReason
from bot.broadcasts.schedule import local_time, presets_open
from bot.kit.callbacks import Button
from bot.kit.i18n import N_, Translator
from bot.runtime.replies import esc
from storage.models import Broadcast, DeputyLevel

__all__ = [
    "LISTED",
    "PAGE",
    "PRESET_LABELS",
    "ack_keyboard",
    "audience_keyboard",
    "cancel_keyboard",
    "confirm_keyboard",
    "levels_keyboard",
    "list_keyboard",
    "list_title",
    "preview_prompt",
    "receipt_refusal",
    "remind_refusal",
    "scheduled_list",
    "scheduled_text",
    "time_hint",
    "time_problem",
    "when_keyboard",
]

# Groups or committees per page, and scheduled notices listed under /broadcast.
PAGE = 8
LISTED = 10

PRESET_LABELS: dict[Preset, str] = {
    Preset.IN_AN_HOUR: N_("In 1 hour"),
    Preset.TONIGHT: N_("Tonight 20:00"),
    Preset.TOMORROW_MORNING: N_("Tomorrow 08:30"),
}


def _row(label: str, kind: Button) -> list[InlineKeyboardButton]:
    return [InlineKeyboardButton(label[:64], callback_data=kind.pack())]


def audience_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            _row(tr("All deputies"), PickFixed(Fixed.DEPUTIES)),
            _row(tr("Deputies by level…"), Levels()),
            _row(tr("Deputies of a station…"), AskStationDeputies()),
            _row(tr("A deputy group…"), Page(Listing.GROUPS)),
            _row(tr("Deputies of a special committee…"), Page(Listing.COMMITTEES)),
            _row(tr("Standing-committee members"), PickFixed(Fixed.COMMITTEE)),
            _row(tr("Presidium"), PickFixed(Fixed.PRESIDIUM)),
            _row(tr("Constituents of a station…"), AskStation()),
            _row(tr("Everyone with a Telegram account"), PickFixed(Fixed.ALL)),
            _row(tr("Cancel"), Discard()),
        ]
    )


def levels_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    rows = [_row(tr(label), PickLevel(DeputyLevel(level))) for level, label in LEVEL_LABELS.items()]
    rows.append(_row(tr("« Back"), Menu()))
    return InlineKeyboardMarkup(rows)


def list_title(tr: Translator, listing: Listing) -> str:
    if listing == Listing.GROUPS:
        return tr("Which deputy group?")
    return tr("The deputies in contact with which special committee?")


def list_keyboard(
    tr: Translator, listing: Listing, items: list[tuple[int, str]], page: int
) -> InlineKeyboardMarkup:
    """One page of groups or special committees (by id: codes may hold any character)."""
    pages = max(1, -(-len(items) // PAGE))
    page = min(max(page, 0), pages - 1)
    pick = PickGroup if listing == Listing.GROUPS else PickCommittee
    rows = [_row(name, pick(item_id)) for item_id, name in items[page * PAGE : (page + 1) * PAGE]]
    nav = []
    if page > 0:
        nav.append(InlineKeyboardButton("«", callback_data=Page(listing, page - 1).pack()))
    if page < pages - 1:
        nav.append(InlineKeyboardButton("»", callback_data=Page(listing, page + 1).pack()))
    if nav:
        rows.append(nav)
    rows.append(_row(tr("« Back"), Menu()))
    return InlineKeyboardMarkup(rows)


def confirm_keyboard(
    tr: Translator, paid_offer: bool, paid: bool, rate: float, ack: bool = False
) -> InlineKeyboardMarkup:
    rows = [_row(tr("Confirm and send"), Send()), _row(tr("Schedule for later…"), Later())]
    rows.append(_row(tr("{box} Ask recipients to confirm receipt", box="☑" if ack else "☐"), ReceiptToggle()))
    if paid_offer:
        box = "☑" if paid else "☐"
        rows.append(
            _row(tr("{box} Urgent: paid tier, up to {rate}/s", box=box, rate=round(rate)), PaidToggle())
        )
    rows.append(_row(tr("Cancel"), Discard()))
    return InlineKeyboardMarkup(rows)


def when_keyboard(tr: Translator, now: datetime, zone: ZoneInfo) -> InlineKeyboardMarkup:
    rows = [_row(tr(PRESET_LABELS[p]), PresetTime(p)) for p in presets_open(now, zone)]
    rows.append(_row(tr("Type a date and time…"), TypeTime()))
    rows.append(_row(tr("« Back"), Back()))
    return InlineKeyboardMarkup(rows)


def scheduled_list(
    tr: Translator, items: list[tuple[Broadcast, str]], zone: ZoneInfo
) -> tuple[str, InlineKeyboardMarkup]:
    """The notices waiting for their time (the first few), each with a Cancel button."""
    lines, rows = [tr("Scheduled notices:")], []
    for broadcast, words in items[:LISTED]:
        when = local_time(broadcast.scheduled_for, zone) if broadcast.scheduled_for else "—"
        lines.append(f"#{broadcast.id} · {when} · {words}")
        rows.append(_row(tr("Cancel #{id}", id=broadcast.id), CancelNotice(broadcast.id)))
    if len(items) > LISTED:
        lines.append(tr("…and {n} more.", n=len(items) - LISTED))
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def cancel_keyboard(label: str, broadcast_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([_row(label, CancelNotice(broadcast_id))])


def preview_prompt(tr: Translator, words: str, count: int, unreachable: int = 0) -> str:
    """Under the preview: who it goes to, how many can be reached and how many cannot (no account)."""
    text = tr(
        "Above is the preview. Audience: {audience}. Recipients: {count} (people with a Telegram "
        "account). Send it?",
        audience=words,
        count=f"{count:,}",
    )
    if unreachable:
        text += "\n" + tr(
            "Without a Telegram account yet: {n} of the audience. They will not get it; the report "
            "lists them (CSV) so the office can reach them another way.",
            n=f"{unreachable:,}",
        )
    return text


def scheduled_text(
    tr: Translator, broadcast_id: int, at: datetime, zone: ZoneInfo, timezone: str, words: str, count: int
) -> str:
    """The notice is scheduled: when (in the congress's zone), to whom, how many for now."""
    return tr(
        "Notice #{id} is scheduled for {when} ({zone} time). Audience: {audience}; {count} recipients "
        "now (counted again when it starts).",
        id=broadcast_id,
        when=local_time(at, zone),
        zone=esc(timezone),
        audience=words,
        count=f"{count:,}",
    )


def time_hint(tr: Translator, now: datetime, zone: ZoneInfo, timezone: str) -> str:
    """The prompt for a typed time, with an example in the congress's zone."""
    return tr(
        "Type the date and time to send it, as YYYY-MM-DD HH:MM in {zone} time (e.g. {example}).",
        zone=esc(timezone),
        example=local_time(now, zone),
    )


def time_problem(tr: Translator, problem: str | None, now: datetime, zone: ZoneInfo, timezone: str) -> str:
    """Why a typed time was not taken: passed, too far, or not a time at all."""
    if problem == "past":
        return tr("That time has already passed. Please type a later one.")
    if problem == "far":
        return tr("That is more than 90 days ahead. Please type an earlier time.")
    return tr(
        "Please type the date and time as YYYY-MM-DD HH:MM in {zone} time (e.g. {example}).",
        zone=esc(timezone),
        example=local_time(now, zone),
    )


def ack_keyboard(label: str, broadcast_id: int) -> InlineKeyboardMarkup:
    """A recipient's ✅ button, relabelled once pressed (a second press is refused)."""
    return InlineKeyboardMarkup([_row(label, Acknowledge(broadcast_id))])


def receipt_refusal(tr: Translator, reason: str) -> str:
    """Why a press of ✅ (or of the list of the silent) was refused."""
    if reason == RefusalReason.NOT_PERMITTED:
        return tr("This notice was not sent to you.")
    if reason == RefusalReason.ONCE:
        return tr("You have already confirmed receipt of this notice.")
    return tr("This notice does not ask for confirmation.")


def remind_refusal(tr: Translator, reason: str) -> str:
    """Why a reminder was refused: one went already, the notice is not out, or it does not ask."""
    if reason == RefusalReason.ONCE:
        return tr("A reminder was already sent; only one is allowed.")
    if reason == RefusalReason.STALE_STATE:
        return tr("A reminder can be sent once the notice is out (not while sending, nor after a cancel).")
    return tr("This notice does not ask for confirmation.")
