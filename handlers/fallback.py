"""Whatever no feature handler took: an unknown command gets a hint; anything else is ignored."""

from __future__ import annotations

from telegram import Update

from bot.runtime.context import LiaisonContext
from bot.runtime.replies import answer_query, send_text
from handlers.buttons import NO_LONGER_VALID
from handlers.common import actor


async def unknown_command(update: Update, context: LiaisonContext) -> None:
    who = await actor(update, context)
    if who is None:
        return
    await send_text(
        context.uow, who.chat_id, who.tr("I do not know that command. Send /help to see what I can do.")
    )


async def stale_button(update: Update, context: LiaisonContext) -> None:
    """A press no handler recognised (old or forged data): answer it so the spinner stops, and audit."""
    query = update.callback_query
    who = await actor(update, context)
    if query is None or who is None:
        return
    await context.uow.audit.record(
        "callback.unknown",
        actor_telegram_id=who.account.telegram_id,
        actor_person_id=who.person.id,
        allowed=False,
        data=str(query.data)[:64],
    )
    await answer_query(context.uow, who.chat_id, query.id, who.tr(NO_LONGER_VALID))
