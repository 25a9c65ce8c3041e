"""/points: a deputy's performance points (履职积分) of a year, in chat.

Usage: `/points` (this year), `/points 2025`; staff `/points D12` or `/points D12 2025` for a deputy.
Anyone else (a constituent) is refused, and the refusal audited. ◀️ ▶️ page through the lines; a press
is checked again (the deputy or staff), refused with an alert and audited otherwise. The rules and
who may see what are bot/points/service.py's; the look bot/points/views.py's.
"""

from __future__ import annotations

from telegram import Update

from bot.points import views
from bot.points.service import AUDIT_REFUSED, PointsService
from bot.points.views import PointsPress
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import edit_message, send_text
from handlers.buttons import Press, button
from handlers.common import actor

__all__ = ["page_pressed", "points_command"]


def service(context: LiaisonContext) -> PointsService:
    return PointsService(context.uow, context.services.settings.zone)


async def points_command(update: Update, context: LiaisonContext) -> None:
    """A deputy's year: their own, or (staff) the deputy of the code given."""
    who = await actor(update, context)
    if who is None:
        return
    points, now, uow = service(context), context.services.clock.now(), context.uow
    parsed = views.parse_args(list(context.args or []))
    if parsed is None:
        await send_text(uow, who.chat_id, views.usage(who.tr))
        return
    code, year = parsed
    year = year or points.year_now(now)
    if not points.year_ok(year, now):
        await send_text(uow, who.chat_id, views.refusal_text(who.tr, "bad_year"))
        return
    access = await points.whose(who.person, code)
    if access.deputy is None:
        text = views.staff_usage(who.tr) if access.usage else views.refusal_text(who.tr, access.problem)
        await send_text(uow, who.chat_id, text)
        return
    seen = await points.year_of(who.person, access.deputy, year, now)
    text, markup = views.page(who.tr, seen, 0)
    await send_text(uow, who.chat_id, text, markup=markup)


@button(PointsPress, audit=AUDIT_REFUSED)
async def page_pressed(press: Press[PointsPress]) -> None:
    """◀️ ▶️: another page of the deputy's year, in place (the deputy or staff only)."""
    points, now, data = service(press.context), press.context.services.clock.now(), press.data
    if not points.year_ok(data.year, now):
        await press.refuse(views.refusal_text(press.who.tr, "bad_year"), reason="bad_year", year=data.year)
        return
    allowed = await points.may_see(press.who.person, data.deputy_id, "page")
    deputy = await points.deputy(data.deputy_id) if allowed.ok else None
    if deputy is None:
        await press.refuse(
            views.refusal_text(press.who.tr, allowed.problem), audited=allowed.problem is not None
        )
        return
    seen = await points.year_of(press.who.person, deputy, data.year, now)
    text, markup = views.page(press.who.tr, seen, data.page)
    await press.answer()
    if press.message_id is None:
        await press.say(text, markup=markup)
    else:
        await edit_message(press.uow, press.who.chat_id, press.message_id, text, markup=markup)
