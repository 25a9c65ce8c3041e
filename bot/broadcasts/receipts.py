"""Notices that ask for "received" (收到): a recipient's acknowledgement, the list of the silent ones,
and the one reminder.

Every press is checked here against the stored notice (`lifecycle.decide_receipt`) and the presser:
only someone the notice was written to may acknowledge it, once (the unique key of broadcast_ack
holds even if two presses race); only staff list or remind, and the reminder goes once, after the
notice is out. The live count is the progress message's (`progress.refresh_progress`), edited at
its usual pace. No Telegram types here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.broadcasts import lifecycle
from bot.broadcasts.delivery import PRIORITY, ack_markup, letterhead, locale_for
from bot.broadcasts.lifecycle import ActorKind, ReceiptAction, Refusal, RefusalReason
from bot.broadcasts.progress import num, show_now
from bot.kit.i18n import SUPPORTED_LOCALES, Translator, translator
from bot.runtime.replies import PARSE_MODE, esc
from bot.runtime.settings import Settings
from storage.models import Broadcast, OutboxStatus, Person, utcnow
from storage.unit_of_work import UnitOfWork

__all__ = [
    "LISTED_SILENT",
    "Acknowledged",
    "Reminded",
    "acknowledge",
    "confirmed_label",
    "remind",
    "silent_list",
]

# Names listed in the chat; the rest are counted ("…and 12 more").
LISTED_SILENT = 40


@dataclass(frozen=True)
class Acknowledged:
    broadcast: Broadcast
    at: datetime


@dataclass(frozen=True)
class Reminded:
    broadcast: Broadcast
    count: int


def _audit(person: Person, telegram_id: int, broadcast_id: int) -> dict[str, Any]:
    return {
        "actor_telegram_id": telegram_id,
        "actor_person_id": person.id,
        "object_type": "broadcast",
        "object_id": broadcast_id,
    }


def confirmed_label(tr: Translator, at: datetime, settings: Settings) -> str:
    """The recipient's button once pressed: it stays, and says when (a second press is refused)."""
    return tr("✅ Received · {time}", time=at.astimezone(settings.zone).strftime("%m-%d %H:%M"))


async def acknowledge(
    uow: UnitOfWork, broadcast_id: int, *, person: Person, telegram_id: int, now: datetime
) -> Acknowledged | Refusal:
    """A recipient's "received", recorded once and audited; a refusal for anyone the notice was not
    written to, a notice that does not ask, or a second press (the caller answers and audits it)."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        return Refusal(RefusalReason.STALE_STATE, "no such notice")
    verdict = lifecycle.decide_receipt(
        broadcast.receipt, broadcast.status, ReceiptAction.ACKNOWLEDGE, ActorKind.RECIPIENT
    )
    if isinstance(verdict, Refusal):
        return verdict
    if not await uow.broadcasts.addressed(broadcast.id, telegram_id):
        return Refusal(RefusalReason.NOT_PERMITTED, "not a recipient")
    if not await uow.broadcasts.acknowledge(broadcast.id, telegram_id, person.id, now):
        return Refusal(RefusalReason.ONCE, "acknowledged already")
    await uow.audit.record("broadcast.acknowledged", **_audit(person, telegram_id, broadcast.id))
    return Acknowledged(broadcast, now)


async def silent_list(uow: UnitOfWork, broadcast_id: int, tr: Translator) -> str | Refusal:
    """Who the notice was delivered to and has not confirmed receipt, by name (the first few); a
    refusal when the notice is gone or does not ask for "received"."""
    broadcast = await uow.broadcasts.get(broadcast_id)
    if broadcast is None:
        return Refusal(RefusalReason.STALE_STATE, "no such notice")
    if not broadcast.receipt:
        return Refusal(RefusalReason.NOT_ASKED, "the notice does not ask for received")
    silent = [chat for chat, _ in await uow.broadcasts.silent(broadcast.id)]
    if not silent:
        return tr("Everyone who received notice #{id} has confirmed it.", id=broadcast.id)
    names = await uow.people.names_by_telegram_id(silent[:LISTED_SILENT])
    lines = [tr("Not yet confirmed, notice #{id}: {n}", id=broadcast.id, n=num(len(silent)))]
    for chat in silent[:LISTED_SILENT]:
        name, code = names.get(chat, ("", None))
        lines.append(f"· {esc(name) or chat}" + (f" ({esc(code)})" if code else ""))
    if len(silent) > LISTED_SILENT:
        lines.append(tr("…and {n} more.", n=num(len(silent) - LISTED_SILENT)))
    return "\n".join(lines)


async def remind(
    uow: UnitOfWork,
    broadcast_id: int,
    *,
    person: Person,
    telegram_id: int,
    settings: Settings,
    now: datetime,
) -> Reminded | Refusal:
    """Remind the recipients who have not confirmed, once, as a reply to the notice they got with its
    ✅ button again; the notice is locked so two staff pressing at once remind once. Audited."""
    broadcast = await uow.broadcasts.get_for_change(broadcast_id)
    if broadcast is None:
        return Refusal(RefusalReason.STALE_STATE, "no such notice")
    verdict = lifecycle.decide_receipt(
        broadcast.receipt, broadcast.status, ReceiptAction.REMIND, ActorKind.STAFF
    )
    if isinstance(verdict, Refusal):
        return verdict
    silent = await uow.broadcasts.silent(broadcast.id)
    if not silent:  # everyone confirmed: nothing to send, and the one reminder is kept
        return Reminded(broadcast, 0)
    locales = await uow.broadcasts.locales_of([chat for chat, _ in silent])
    texts = {loc: _reminder(translator(loc), broadcast, settings) for loc in SUPPORTED_LOCALES}
    stamp = utcnow()
    rows: list[dict[str, Any]] = []
    for chat, message_id in silent:
        loc = locale_for(locales.get(chat), settings)
        call: dict[str, Any] = {
            "chat_id": chat,
            "text": texts[loc],
            "parse_mode": PARSE_MODE,
            "reply_markup": ack_markup(translator(loc), broadcast.id),
        }
        if message_id is not None:
            call["reply_parameters"] = {"message_id": message_id, "allow_sending_without_reply": True}
        rows.append(_row(chat, call, stamp))
    await uow.outbox.add_bulk(rows)
    broadcast.receipt = verdict
    broadcast.reminded_at = now
    await uow.flush()
    await uow.audit.record("broadcast.reminded", **_audit(person, telegram_id, broadcast.id), count=len(rows))
    await show_now(uow, broadcast, settings)
    return Reminded(broadcast, len(rows))


def _reminder(tr: Translator, broadcast: Broadcast, settings: Settings) -> str:
    head = letterhead(tr, settings, broadcast.started_at or broadcast.created_at)
    return tr("⏰ Reminder: please confirm that you received this notice.\n{head}", head=head)


def _row(chat: int, call: dict[str, Any], stamp: datetime) -> dict[str, Any]:
    return {
        "chat_id": chat,
        "method": "sendMessage",
        "payload": call,
        "status": OutboxStatus.PENDING,
        "priority": PRIORITY,
        "created_at": stamp,
        "not_before": stamp,
        "attempts": 0,
        "ref": None,
    }
