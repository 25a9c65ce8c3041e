"""A notice as Bot API calls: one outbox row per recipient, written in bulk, at a low priority and
(when the office allows it and the audience is large) on Telegram's paid tier.

The rows are durable before any is sent, and the sender never sends a row it marked sent, so a crash
mid-way loses nothing and repeats nothing the bot knows it sent.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.broadcasts.audience import parse_audience, recipients
from bot.broadcasts.buttons import Acknowledge
from bot.kit.i18n import SUPPORTED_LOCALES, Translator, resolve_locale, translator
from bot.kit.text_limits import utf16_len
from bot.runtime.outbox import PAID, Pacing
from bot.runtime.replies import PARSE_MODE, esc
from bot.runtime.settings import Settings
from storage.models import Broadcast, OutboxStatus, utcnow
from storage.unit_of_work import UnitOfWork

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "PRIORITY",
    "ack_markup",
    "header_room",
    "letterhead",
    "locale_for",
    "paid_offered",
    "preview_call",
    "with_paid_tier",
    "write_rows",
]

_DEFAULT_ZONE = "Asia/Shanghai"
_TAG = re.compile(r"<[^>]+>")


def letterhead(tr: Translator, settings: Settings | None, at: datetime) -> str:
    """The official head of a notice (HTML): the office that sends it and the day, in the congress's zone."""
    office = settings.congress_name if settings is not None and settings.congress_name else ""
    zone = settings.zone if settings is not None else ZoneInfo(_DEFAULT_ZONE)
    name = office or tr("People’s Congress Standing Committee")
    return tr(
        "📢 {office} notice · {date}",
        office="<b>" + esc(name) + "</b>",
        date=at.astimezone(zone).strftime("%Y-%m-%d"),
    )


def header_room(settings: Settings | None) -> int:
    """UTF-16 units the head and its blank line take from Telegram's limit, in the longest language."""
    at = datetime(2000, 12, 31, 12)
    heads = (
        letterhead(translator(loc), settings, at.replace(tzinfo=ZoneInfo("UTC"))) for loc in SUPPORTED_LOCALES
    )
    return max(utf16_len(html.unescape(_TAG.sub("", head))) for head in heads) + 2


def ack_markup(tr: Translator, broadcast_id: int, label: str | None = None) -> dict[str, Any]:
    """The recipient's "✅ received" button, as Bot API JSON."""
    text = label or tr("✅ Received")
    return {"inline_keyboard": [[{"text": text, "callback_data": Acknowledge(broadcast_id).pack()}]]}


MAX_TEXT = 4096
MAX_CAPTION = 1024
# Below the default: a person's own dialog goes first while a big notice drains.
PRIORITY = -1


def payload(
    chat_id: int,
    text: str,
    photo: str | None,
    document: str | None = None,
    paid: bool = False,
    *,
    head: str = "",
    markup: dict[str, Any] | None = None,
) -> tuple[str, dict[str, Any]]:
    """The Bot API call that carries the notice to one chat, under its head (HTML) when given."""
    body = "\n\n".join(part for part in (head, esc(text)) if part)
    method, call = (
        "sendMessage",
        {
            "chat_id": chat_id,
            "text": body,
            "parse_mode": PARSE_MODE,
            "link_preview_options": {"is_disabled": True},
        },
    )
    if photo or document:
        method = "sendPhoto" if photo else "sendDocument"
        call = {"chat_id": chat_id, "parse_mode": PARSE_MODE}
        call["photo" if photo else "document"] = photo or document
        if body:
            call["caption"] = body
    if markup is not None:
        call["reply_markup"] = markup
    if paid:
        call[PAID] = True
    return method, call


def preview_call(
    chat_id: int, text: str, photo: str | None, document: str | None = None, head: str = ""
) -> tuple[str, dict[str, Any]]:
    """The Bot API call that shows the notice exactly as recipients will see it (its ✅ button aside:
    a press of it in the preview would be the sender's, not a recipient's)."""
    return payload(chat_id, text, photo, document, head=head)


def locale_for(seen: tuple[str | None, str | None] | None, settings: Settings | None) -> str:
    """A recipient's language from (their choice, Telegram's language as last seen)."""
    default = settings.default_locale if settings is not None else "zh_Hans"
    return resolve_locale(seen[0], seen[1], default) if seen else default


def with_paid_tier(pacing: Pacing, settings: Settings) -> Pacing:
    """The outbox pacing with the paid tier at its cap when the office enabled it (else off)."""
    rate = settings.paid_broadcast_rate if settings.allow_paid_broadcast else 0.0
    # Enough calls under way for the cap at ~0.3 s a round trip to Telegram.
    in_flight = max(pacing.max_in_flight, math.ceil(rate * 0.3))
    return dataclasses.replace(pacing, paid_rate=rate, max_in_flight=in_flight)


def paid_offered(settings: Settings, count: int) -> bool:
    """Telegram's paid tier is offered only when the office enabled it and the audience is large."""
    return settings.allow_paid_broadcast and count >= settings.paid_broadcast_min_audience


async def write_rows(uow: UnitOfWork, broadcast: Broadcast, now: datetime, settings: Settings | None) -> None:
    """Resolve the audience of a notice that just moved to sending and write one outbox row per
    recipient (flushed, not committed). The paid tier is kept only if the office still allows it and
    the audience is large enough.
    """
    audience = parse_audience(broadcast.audience)
    ids = await recipients(uow, audience) if audience is not None else []
    broadcast.paid = bool(broadcast.paid and settings is not None and paid_offered(settings, len(ids)))
    broadcast.started_at = now
    broadcast.total = len(ids)
    await uow.flush()
    stamp = utcnow()
    locales = await uow.broadcasts.locales_of(ids)
    # The head and the ✅ button are in each recipient's language: one of each per language.
    heads: dict[str, tuple[str, dict[str, Any] | None]] = {}
    for loc in SUPPORTED_LOCALES:
        tr = translator(loc)
        ack = ack_markup(tr, broadcast.id) if broadcast.receipt else None
        heads[loc] = (letterhead(tr, settings, now), ack)
    rows: list[dict[str, Any]] = []
    for tg in ids:
        head, markup = heads[locale_for(locales.get(tg), settings)]
        method, call = payload(
            tg,
            broadcast.text,
            broadcast.photo_file_id,
            broadcast.document_file_id,
            broadcast.paid,
            head=head,
            markup=markup,
        )
        rows.append(
            {
                "chat_id": tg,
                "method": method,
                "payload": call,
                "status": OutboxStatus.PENDING,
                "priority": PRIORITY,
                "created_at": stamp,
                "not_before": stamp,
                "attempts": 0,
                "broadcast_id": broadcast.id,
            }
        )
    # One multi-row INSERT: thousands of ORM objects would hold the confirming update up.
    await uow.outbox.add_bulk(rows)
