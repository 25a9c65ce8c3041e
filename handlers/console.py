"""/console: a one-time link that opens the staff web console (staff only; others are refused, audited).

The link lasts 10 minutes and works once (bot/console/auth.py); it is sent without a link preview,
so no preview fetch ever touches it.
"""

from __future__ import annotations

import html

from telegram import Update

from bot.console.auth import LINK_TTL, ConsoleAuth, Issued, login_url
from bot.runtime.context import LiaisonContext
from bot.runtime.replies import send_text
from handlers.common import actor

__all__ = ["console_command"]


async def console_command(update: Update, context: LiaisonContext) -> None:
    """Send a staff member their login link; tell anyone else politely that it is not for them."""
    who = await actor(update, context)
    if who is None:
        return
    issued = await ConsoleAuth(context.uow, context.services.clock).issue(
        who.person, telegram_id=who.account.telegram_id
    )
    if not isinstance(issued, Issued):
        await send_text(
            context.uow, who.chat_id, who.tr("Sorry, the web console is only for congress office staff.")
        )
        return
    url = login_url(context.services.settings, issued.token)
    link = f'<a href="{html.escape(url, quote=True)}">{html.escape(url, quote=False)}</a>'
    text = who.tr(
        "🖥 Your login link to the web console:\n{link}\n\nIt works once, for {minutes} minutes. "
        "Open it on the office computer and do not forward it.",
        link=link,
        minutes=int(LINK_TTL.total_seconds() // 60),
    )
    await send_text(context.uow, who.chat_id, text)
