"""/stats: the report figures in chat, for staff only (others get a polite refusal, audited).

Usage: `/stats` (all time), `/stats 2026-01-01 2026-03-31` (local days, inclusive), `/stats 2026-03`
(one month).
"""

from __future__ import annotations

import calendar
from datetime import date

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.people.roles import is_staff
from bot.runtime.context import LiaisonApp, LiaisonContext
from bot.runtime.replies import send_text
from bot.stats.service import compute_stats, render_chat
from handlers.common import actor

__all__ = ["STATS_GROUP", "parse_period", "register", "stats_command"]

# Before the default group, whose `filters.COMMAND` fallback would otherwise answer "unknown command".
STATS_GROUP = -1


def parse_period(args: list[str]) -> tuple[date | None, date | None]:
    """`[]` all time, `[YYYY-MM]` one month, `[D]` from D on, `[D1, D2]` D1..D2; ValueError otherwise."""
    if not args:
        return None, None
    if len(args) == 1 and len(args[0]) == 7:
        year, month = (int(x) for x in args[0].split("-"))
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    if len(args) > 2:
        raise ValueError("too many arguments")
    start = date.fromisoformat(args[0])
    end = date.fromisoformat(args[1]) if len(args) == 2 else None
    if end is not None and start > end:
        raise ValueError("start after end")
    return start, end


async def stats_command(update: Update, context: LiaisonContext) -> None:
    who = await actor(update, context)
    if who is None:
        raise ApplicationHandlerStop
    _ = who.tr
    if not is_staff(who.person):
        await context.uow.audit.record(
            "stats.refused",
            actor_telegram_id=who.account.telegram_id,
            actor_person_id=who.person.id,
            allowed=False,
        )
        await send_text(context.uow, who.chat_id, _("Sorry, the statistics are for congress staff only."))
        raise ApplicationHandlerStop
    try:
        start, end = parse_period(list(context.args or []))
    except ValueError:
        await send_text(
            context.uow,
            who.chat_id,
            _("Usage: /stats, /stats 2026-03 or /stats 2026-01-01 2026-03-31 (local days, inclusive)."),
        )
        raise ApplicationHandlerStop from None
    stats = await compute_stats(context.uow.session, start, end, context.services.settings.timezone)
    await context.uow.audit.record(
        "stats.viewed",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        start=start.isoformat() if start else None,
        end=end.isoformat() if end else None,
    )
    await send_text(context.uow, who.chat_id, render_chat(stats, who.tr))
    raise ApplicationHandlerStop


def register(app: LiaisonApp) -> None:
    """Add /stats in its own group ahead of the fallbacks (call once, from bot/runtime/app.py's register_handlers)."""
    app.add_handler(CommandHandler("stats", stats_command), group=STATS_GROUP)
