"""A notice as Bot API calls: one outbox row per recipient, written in bulk, at a low priority and
(when the office allows it and the audience is large) on Telegram's paid tier.

The rows are durable before any is sent, and the sender never sends a row it marked sent, so a crash
mid-way loses nothing and repeats nothing the bot knows it sent.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import datetime
from typing import Any

from bot.broadcasts.audience import parse_audience, recipients
from bot.runtime.outbox import PAID, Pacing
from bot.runtime.replies import PARSE_MODE, esc
from bot.runtime.settings import Settings
from storage.models import Broadcast, OutboxStatus, utcnow
from storage.unit_of_work import UnitOfWork

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "PRIORITY",
    "paid_offered",
    "preview_call",
    "with_paid_tier",
    "write_rows",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Below the default: a person's own dialog goes first while a big notice drains.
PRIORITY = -1


def payload(
    chat_id: int, text: str, photo: str | None, document: str | None = None, paid: bool = False
) -> tuple[str, dict[str, Any]]:
    """The Bot API call that carries the notice to one chat."""
    method, call = (
        "sendMessage",
        {
            "chat_id": chat_id,
            "text": esc(text),
            "parse_mode": PARSE_MODE,
            "link_preview_options": {"is_disabled": True},
        },
    )
    if photo or document:
        method = "sendPhoto" if photo else "sendDocument"
        call = {"chat_id": chat_id, "parse_mode": PARSE_MODE}
        call["photo" if photo else "document"] = photo or document
        if text:
            call["caption"] = esc(text)
    if paid:
        call[PAID] = True
    return method, call


def preview_call(
    chat_id: int, text: str, photo: str | None, document: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The Bot API call that shows the notice exactly as recipients will see it."""
    return payload(chat_id, text, photo, document)


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
    rows: list[dict[str, Any]] = []
    for tg in ids:
        method, call = payload(
            tg, broadcast.text, broadcast.photo_file_id, broadcast.document_file_id, broadcast.paid
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
