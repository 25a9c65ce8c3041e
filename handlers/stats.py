"""/stats: the report figures in chat, for staff only (others get a polite refusal, audited).

Usage: `/stats` (all time), `/stats 2026-01-01 2026-03-31` (local days, inclusive), `/stats 2026-03`
(one month). The period and the figures are bot/stats/service.py's.
"""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import LiaisonContext
from bot.runtime.replies import send_text
from bot.stats.service import may_view, parse_period, render_chat, viewed
from handlers.common import actor

__all__ = ["stats_command"]


async def stats_command(update: Update, context: LiaisonContext) -> None:
    """The figures of a period, rendered for chat in the asker's language."""
    who = await actor(update, context)
    if who is None:
        return
    _, uow, telegram_id = who.tr, context.uow, who.account.telegram_id
    if not await may_view(uow, who.person, telegram_id=telegram_id):
        await send_text(uow, who.chat_id, _("Sorry, the statistics are for congress staff only."))
        return
    try:
        start, end = parse_period(list(context.args or []))
    except ValueError:
        usage = _("Usage: /stats, /stats 2026-03 or /stats 2026-01-01 2026-03-31 (local days, inclusive).")
        await send_text(uow, who.chat_id, usage)
        return
    zone = context.services.settings.timezone
    stats = await viewed(uow, who.person, start, end, zone, telegram_id=telegram_id)
    await send_text(uow, who.chat_id, render_chat(stats, who.tr))
