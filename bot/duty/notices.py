"""Delivering the roster's notices (the reminder, every step of a swap): each rendered in its
recipient's language, with its buttons, and queued — quiet hours hold the non-urgent ones back, as for
opinions (`bot.opinions.sla.deliver_at`)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.duty.lifecycle import SwapAction
from bot.duty.service import Notice
from bot.duty.views import SwapPress, day_buttons, day_text
from bot.kit.i18n import N_, Translator, translator
from bot.opinions.sla import SlaPolicy, deliver_at
from bot.people.identity import locale_of
from bot.runtime.replies import esc, send_text
from bot.runtime.settings import Settings
from storage.models.duty import DutySwap
from storage.unit_of_work import UnitOfWork

__all__ = ["SWAP_TEXTS", "deliver"]

SWAP_TEXTS: dict[str, str] = {
    "swap.asked": N_("🔁 {requester} asks you to take their duty at {station} on {day}."),
    "swap.accepted": N_(
        "🔁 {partner} agreed to take your duty at {station} on {day}; the station's head decides now."
    ),
    "swap.to_approve": N_(
        "🔁 Swap of a duty day at {station} on {day}: {requester} → {partner}. Both agree."
    ),
    "swap.declined": N_("🔁 {partner} declined to take your duty at {station} on {day}."),
    "swap.approved": N_(
        "✅ Swap approved: {partner} is on duty at {station} on {day}, instead of {requester}."
    ),
    "swap.rejected": N_(
        "✖️ The swap of the duty at {station} on {day} ({requester} → {partner}) was not approved: "
        "{requester} stays on duty."
    ),
    "swap.cancelled": N_("🔁 {requester} withdrew the request to swap the duty at {station} on {day}."),
    "swap.lapsed": N_("🔁 The request to swap the duty at {station} on {day} lapsed: the day went by."),
    "swap.withdrawn": N_(
        "🔁 The duty at {station} on {day} was taken off the roster, and with it the request to swap it."
    ),
}
REMINDER = N_("⏰ Tomorrow, {day}, you are on duty at {station}. On the day, check in with the button below.")


def _swap_buttons(tr: Translator, key: str, swap: DutySwap) -> InlineKeyboardMarkup | None:
    if key == "swap.asked":
        pairs = ((N_("✅ Take the duty"), SwapAction.ACCEPT), (N_("✖️ Decline"), SwapAction.DECLINE))
    elif key == "swap.to_approve":
        pairs = ((N_("✅ Approve"), SwapAction.APPROVE), (N_("✖️ Reject"), SwapAction.REJECT))
    else:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr(label), callback_data=SwapPress(action, swap.id).pack())
                for label, action in pairs
            ]
        ]
    )


async def _render(
    uow: UnitOfWork, tr: Translator, notice: Notice
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    if notice.key == "duty.reminder" and notice.duty_id is not None:
        duty = await uow.duty.get(notice.duty_id)
        station = await uow.network.station(duty.station_id) if duty is not None else None
        if duty is None or station is None:
            return None
        return tr(REMINDER, day=day_text(tr, duty.date), station=esc(station.name)), day_buttons(tr, duty)
    swap = await uow.duty.swap(notice.swap_id) if notice.swap_id is not None else None
    if swap is None or notice.key not in SWAP_TEXTS:
        return None
    station = await uow.network.station(swap.station_id)
    requester = await uow.people.name_of_deputy(swap.requester_deputy_id)
    partner = await uow.people.name_of_deputy(swap.partner_deputy_id)
    text = tr(
        SWAP_TEXTS[notice.key],
        requester=esc(requester or "—"),
        partner=esc(partner or "—"),
        station=esc(station.name if station else "—"),
        day=day_text(tr, swap.day),
    )
    return text, _swap_buttons(tr, notice.key, swap)


async def deliver(
    uow: UnitOfWork, notices: Iterable[Notice], settings: Settings, policy: SlaPolicy, now: datetime
) -> int:
    """Queue each notice for its recipient (quiet hours unless urgent); returns how many were queued."""
    sent = 0
    for notice in notices:
        person = await uow.people.get(notice.person_id)
        if person is None or person.telegram_id is None:
            continue
        tr = translator(locale_of(person, None, settings))
        rendered = await _render(uow, tr, notice)
        if rendered is None:
            continue
        text, markup = rendered
        when = deliver_at(now, policy, urgent=notice.urgent)
        await send_text(uow, person.telegram_id, text, markup=markup, not_before=when, ref=_ref(notice))
        sent += 1
    return sent


def _ref(notice: Notice) -> str | None:
    """What a swap's card stands for, so it is found again (its message is edited when acted on)."""
    if notice.swap_id is not None:
        return f"dutyswap:{notice.swap_id}:{notice.key}"[:64]
    return f"duty:{notice.duty_id}:reminder" if notice.duty_id is not None else None
