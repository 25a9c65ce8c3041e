"""/stats: the report figures in chat, for staff only (others get a polite refusal, audited).

Usage: `/stats` (all time), `/stats 2026-01-01 2026-03-31` (local days, inclusive), `/stats 2026-03`
(one month). Under the figures, buttons choose this month, last month, this year or all time, and
switch between the summary and the figures by month; a press edits the message. Periods are local
days in the congress's zone (settings TIMEZONE): bot/stats/periods.py; the figures
bot/stats/service.py's; the look and the button kind bot/stats/views.py's. A press by anyone but
staff, or with forged days, is refused with an alert and audited ("stats.refused"). The figures are
computed after the update on the report worker (bot/runtime/reports.py), so the bot answers others
meanwhile, and sent (or the message edited) when they are ready.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.kit.i18n import N_
from bot.runtime.context import LiaisonContext, UnitOfWork
from bot.runtime.replies import edit_message, send_text
from bot.stats.periods import Period, local_today, span_for
from bot.stats.service import AUDIT_REFUSED, may_view, parse_period, viewed
from bot.stats.views import StatsPress, View, render
from handlers.buttons import Press, button
from handlers.common import actor

__all__ = ["stats_command", "stats_pressed"]

STAFF_ONLY = N_("Sorry, the statistics are for congress staff only.")


async def stats_command(update: Update, context: LiaisonContext) -> None:
    """The figures of a period, rendered for chat in the asker's language, with the period buttons."""
    who = await actor(update, context)
    if who is None:
        return
    _, uow, telegram_id = who.tr, context.uow, who.account.telegram_id
    if not await may_view(uow, who.person, telegram_id=telegram_id):
        await send_text(uow, who.chat_id, _(STAFF_ONLY))
        return
    try:
        start, end = parse_period(list(context.args or []))
    except ValueError:
        usage = _("Usage: /stats, /stats 2026-03 or /stats 2026-01-01 2026-03-31 (local days, inclusive).")
        await send_text(uow, who.chat_id, usage)
        return
    zone = context.services.settings.timezone
    period = Period.CUSTOM if start or end else Period.ALL_TIME

    async def reply(later: UnitOfWork, stats: dict[str, Any]) -> None:
        text, markup = render(who.tr, stats, period, View.SUMMARY, start, end)
        await send_text(later, who.chat_id, text, markup=markup)

    context.services.report_later(
        lambda reads: viewed(reads, who.person, start, end, zone, telegram_id=telegram_id), reply
    )


@button(StatsPress, audit=AUDIT_REFUSED)
async def stats_pressed(press: Press[StatsPress]) -> None:
    """A period or view button: the message is edited to show that period in that view."""
    who, uow, data, services = press.who, press.uow, press.data, press.context.services
    telegram_id = who.account.telegram_id
    if not await may_view(uow, who.person, telegram_id=telegram_id, reason="not_staff", data=data.pack()):
        await press.refuse(who.tr(STAFF_ONLY), reason="not_staff", audited=True)
        return
    span = span_for(
        data.period, local_today(services.clock.now(), services.settings.zone), data.start, data.end
    )
    if span is None:
        await press.refuse(reason="bad_period", data=data.pack())
        return
    zone, message_id = services.settings.timezone, press.message_id
    await press.answer()

    async def show(later: UnitOfWork, stats: dict[str, Any]) -> None:
        text, markup = render(who.tr, stats, data.period, data.view, *span)
        if message_id is None:
            await send_text(later, who.chat_id, text, markup=markup)
        else:
            await edit_message(later, who.chat_id, message_id, text, markup=markup)

    services.report_later(lambda reads: viewed(reads, who.person, *span, zone, telegram_id=telegram_id), show)
