"""Cross-cutting checks that run before every feature handler (negative groups)."""

from __future__ import annotations

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.context import LiaisonContext


async def private_chats_only(update: Update, context: LiaisonContext) -> None:
    """The bot works in private chats; anything from groups or channels is ignored silently."""
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE or update.effective_user is None:
        raise ApplicationHandlerStop
    if update.effective_user.is_bot:
        raise ApplicationHandlerStop
