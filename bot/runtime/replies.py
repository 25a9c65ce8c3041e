"""Messages to users go into the outbox, in the transaction of the change that causes them."""

from __future__ import annotations

import base64
import html
from datetime import datetime
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove

from bot.kit.text_limits import CALLBACK_ANSWER_LIMIT, cut
from bot.runtime.outbox import EDIT_REF, UPLOAD
from storage.unit_of_work import UnitOfWork

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove
PARSE_MODE = "HTML"
M = TypeVar("M", bound=Markup)

# Keyboards built once per language and sent many times, with their JSON form (see reused).
_REUSED: dict[int, tuple[Markup, dict[str, Any]]] = {}


def reused(markup: M) -> M:
    """Mark a keyboard that a cached builder hands out again and again: it is serialised once.

    Why: turning a keyboard of a dozen buttons into JSON costs more than the rest of composing the
    message. Only for a bounded set of keyboards (one per language and variant): they are kept for the
    life of the process, and the shared JSON form is never changed after this.
    """
    _REUSED[id(markup)] = (markup, markup.to_dict())
    return markup


def esc(text: object) -> str:
    """Escape user text for the HTML parse mode used in every message."""
    return html.escape(str(text), quote=False)


def _payload(chat_id: int, text: str, markup: Markup | None) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "parse_mode": PARSE_MODE,
        "link_preview_options": {"is_disabled": True},
    }
    if markup is not None:
        known = _REUSED.get(id(markup))
        payload["reply_markup"] = known[1] if known is not None else markup.to_dict()
    return payload


async def send_text(
    uow: UnitOfWork,
    chat_id: int,
    text: str,
    *,
    markup: Markup | None = None,
    ref: str | None = None,
    not_before: datetime | None = None,
    priority: int = 0,
) -> None:
    await uow.outbox.add(
        chat_id,
        "sendMessage",
        _payload(chat_id, text, markup),
        ref=ref,
        not_before=not_before,
        priority=priority,
    )


async def edit_text(
    uow: UnitOfWork, chat_id: int, ref: str, text: str, *, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit the last delivered message with this ref (sent anew if it never was)."""
    payload = _payload(chat_id, text, markup)
    payload[EDIT_REF] = ref
    await uow.outbox.add(chat_id, "editMessageText", payload, ref=ref)


async def edit_message(
    uow: UnitOfWork, chat_id: int, message_id: int, text: str, *, markup: InlineKeyboardMarkup | None = None
) -> None:
    """Edit a message whose id we know (the one a pressed button sits on)."""
    payload = _payload(chat_id, text, markup)
    payload["message_id"] = message_id
    await uow.outbox.add(chat_id, "editMessageText", payload)


async def remove_keyboard(uow: UnitOfWork, chat_id: int, message_id: int) -> None:
    """Take the buttons off a message once they have been used."""
    await uow.outbox.add(chat_id, "editMessageReplyMarkup", {"chat_id": chat_id, "message_id": message_id})


async def send_raw(uow: UnitOfWork, chat_id: int, method: str, payload: dict[str, Any], **kw: Any) -> None:
    """Any other Bot API call (sendPhoto, sendLocation, copyMessage...)."""
    await uow.outbox.add(chat_id, method, {"chat_id": chat_id, **payload}, **kw)


async def answer_query(
    uow: UnitOfWork, chat_id: int, query_id: str, text: str | None = None, *, alert: bool = False
) -> None:
    """Answer a button press; first in line, since Telegram shows a spinner until then."""
    payload: dict[str, Any] = {"callback_query_id": query_id}
    if text:
        payload["text"] = cut(text, CALLBACK_ANSWER_LIMIT)  # UTF-16 units, as Telegram counts
        payload["show_alert"] = alert
    await uow.outbox.add(chat_id, "answerCallbackQuery", payload, priority=10)


async def send_file(uow: UnitOfWork, chat_id: int, data: bytes, filename: str, caption: str) -> None:
    """A document made here (an XLSX export), carried through the outbox as base64 (rows are JSON)."""
    upload = {"field": "document", "filename": filename, "base64": base64.b64encode(data).decode("ascii")}
    payload = {"chat_id": chat_id, "caption": caption, "parse_mode": PARSE_MODE, UPLOAD: upload}
    await uow.outbox.add(chat_id, "sendDocument", payload)
