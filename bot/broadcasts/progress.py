"""The progress message staff watch while a notice goes out, and the report when it is over.

One message per notice, sent with a ref and edited in place (`▓▓▓▓░░░░ 1,200 / 3,000 · 28/s`), at most
every few seconds and only when its counts moved: each edit spends a message of Telegram's overall
budget. When nothing is pending the notice is finished, and the report (with a CSV of the undelivered)
follows. Texts come from the sender's locale; the Cancel button is Bot API JSON (no Telegram types).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot.broadcasts import lifecycle
from bot.broadcasts.audience import LEVEL_LABELS, Audience, audience_words, parse_audience, unreachable
from bot.broadcasts.buttons import CancelNotice, Remind, Unconfirmed
from bot.kit.csv_safe import safe_writer
from bot.kit.i18n import Translator, translator
from bot.people.identity import locale_of
from bot.runtime.outbox import EDIT_REF, UPLOAD
from bot.runtime.replies import PARSE_MODE
from bot.runtime.settings import Settings
from storage.models import Broadcast, BroadcastStatus, OutboxStatus, Receipt, utcnow
from storage.repos.broadcasts import Unreached
from storage.unit_of_work import UnitOfWork

__all__ = [
    "PROGRESS_EVERY",
    "Progress",
    "announce",
    "finish",
    "list_unreachable",
    "num",
    "progress",
    "progress_markup",
    "progress_ref",
    "recent_rate",
    "refresh_progress",
    "render_progress",
    "render_report",
    "send_unreachable",
    "sender_tr",
    "show_now",
    "undelivered_csv",
    "unreachable_csv",
]

BAR = 10
# The live rate is measured over the rows finished in this window.
RATE_WINDOW = timedelta(seconds=10)
# Progress edits at most this often: each one spends a message of the overall budget of ~30/s.
PROGRESS_EVERY = timedelta(seconds=5)


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sent: int
    blocked: int
    failed: int
    cancelled: int
    acked: int | None = None  # recipients who confirmed receipt; None: the notice does not ask

    @property
    def processed(self) -> int:
        return self.total - self.pending


async def progress(uow: UnitOfWork, broadcast_id: int, *, receipts: bool = False) -> Progress:
    """The broadcast's outbox rows counted by status (and its acknowledgements, when it asks for them)."""
    by = await uow.broadcasts.counts_by_status(broadcast_id)
    return Progress(
        acked=await uow.broadcasts.ack_count(broadcast_id) if receipts else None,
        total=sum(by.values()),
        pending=by.get(OutboxStatus.PENDING, 0),
        sent=by.get(OutboxStatus.SENT, 0),
        blocked=by.get(OutboxStatus.BLOCKED, 0),
        failed=by.get(OutboxStatus.FAILED, 0),
        cancelled=by.get(OutboxStatus.CANCELLED, 0),
    )


async def recent_rate(uow: UnitOfWork, broadcast: Broadcast) -> float | None:
    """Recipients handled per second over the last few seconds of sending (sender's timestamps)."""
    last = await uow.broadcasts.last_finished(broadcast.id)
    if last is None:
        return None
    since = last - RATE_WINDOW
    if broadcast.started_at is not None and broadcast.started_at > since:
        since = broadcast.started_at
    count = await uow.broadcasts.finished_since(broadcast.id, since)
    span = (last - since).total_seconds()
    if span < 1.0:
        return None
    return float(count) / span


def progress_ref(broadcast_id: int) -> str:
    return f"bcast:{broadcast_id}:progress"


def num(n: int) -> str:
    """1,200: thousands grouped, as in the progress line."""
    return f"{n:,}"


def bar(done: int, total: int, width: int = BAR) -> str:
    filled = width if total <= 0 else min(width, done * width // total)
    return "▓" * filled + "░" * (width - filled)


def render_progress(tr: Translator, broadcast: Broadcast, p: Progress, rate: float | None = None) -> str:
    """`▓▓▓▓░░░░ 1,200 / 3,000 · 28/s · 2 failed` under a heading (the rate only while sending)."""
    line = f"{bar(p.processed, p.total)} {p.processed:,} / {p.total:,}"
    if rate is not None and broadcast.status == BroadcastStatus.SENDING:
        line += " · " + tr("{rate}/s", rate=num(round(rate)))
    undelivered = p.blocked + p.failed
    if undelivered:
        line += " · " + tr("{n} failed", n=num(undelivered))
    head = tr("Notice #{id}: sending…", id=broadcast.id)
    if broadcast.status == BroadcastStatus.DONE:
        head = tr("Notice #{id}: finished.", id=broadcast.id)
    elif broadcast.status == BroadcastStatus.CANCELLED:
        head = tr("Notice #{id}: cancelled.", id=broadcast.id)
    if broadcast.paid:
        head = tr("{head} (paid tier)", head=head)
    if p.acked is None:
        return f"{head}\n{line}"
    acks = tr("✅ Received: {n} / {sent}", n=num(p.acked), sent=num(p.sent))
    if broadcast.receipt == Receipt.REMINDED:
        acks += " · " + tr("reminded once")
    return f"{head}\n{line}\n{acks}"


def duration(seconds: float, tr: Translator) -> str:
    minutes, secs = divmod(round(seconds), 60)
    if minutes:
        return tr("{m} min {s} s", m=minutes, s=secs)
    return tr("{s} s", s=secs)


def render_report(
    tr: Translator,
    broadcast: Broadcast,
    p: Progress,
    audience: str,
    took: float | None = None,
    unreached: int = 0,
) -> str:
    """Sent, blocked, failed (and cancelled), with the time it took and the average rate, and how many
    of the audience have no Telegram account yet."""
    lines = [
        tr("Report on notice #{id} ({audience}):", id=broadcast.id, audience=audience),
        tr("Sent: {n}", n=num(p.sent)),
        tr("Blocked (never started the bot, or blocked it): {n}", n=num(p.blocked)),
        tr("Failed: {n}", n=num(p.failed)),
    ]
    if p.cancelled:
        lines.append(tr("Cancelled before sending: {n}", n=num(p.cancelled)))
    if took is not None and took >= 1.0 and p.processed:
        lines.append(
            tr(
                "Took {time}, {rate}/s on average.",
                time=duration(took, tr),
                rate=num(round(p.processed / took)),
            )
        )
    if p.blocked + p.failed:
        lines.append(tr("The undelivered recipients are listed in the file below."))
    if unreached:
        lines.append(
            tr(
                "No Telegram account yet (not sent; listed in the file below, to reach another way): {n}",
                n=num(unreached),
            )
        )
    return "\n".join(lines)


def progress_markup(tr: Translator, broadcast: Broadcast) -> dict[str, Any] | None:
    """The progress message's buttons: Cancel while sending; for a notice that asks for "received",
    the list of who has not confirmed, and the one reminder once it is out."""
    rows: list[list[dict[str, str]]] = []
    if broadcast.status == BroadcastStatus.SENDING:
        rows.append([{"text": tr("Cancel the notice"), "callback_data": CancelNotice(broadcast.id).pack()}])
    if broadcast.receipt:
        who = Unconfirmed(broadcast.id).pack()
        rows.append([{"text": tr("📋 Who has not confirmed"), "callback_data": who}])
        if broadcast.receipt == Receipt.ASKED and broadcast.status == BroadcastStatus.DONE:
            remind = Remind(broadcast.id).pack()
            rows.append([{"text": tr("🔔 Remind them (once)"), "callback_data": remind}])
    return {"inline_keyboard": rows} if rows else None


async def sender_tr(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None) -> Translator:
    """The language of the staff member who made the notice (the progress and report are theirs)."""
    person = await uow.people.get(broadcast.created_by_person_id) if broadcast.created_by_person_id else None
    if settings is None:
        return translator(person.language if person and person.language else "zh_Hans")
    return translator(locale_of(person, None, settings))


async def _show(
    uow: UnitOfWork,
    broadcast: Broadcast,
    p: Progress,
    tr: Translator,
    markup: dict[str, Any] | None,
    rate: float | None = None,
) -> None:
    payload: dict[str, Any] = {
        "chat_id": broadcast.chat_id,
        "text": render_progress(tr, broadcast, p, rate),
        "parse_mode": PARSE_MODE,
        EDIT_REF: progress_ref(broadcast.id),
    }
    if markup is not None:
        payload["reply_markup"] = markup
    await uow.outbox.add(broadcast.chat_id, "editMessageText", payload, ref=progress_ref(broadcast.id))


async def _may_edit(uow: UnitOfWork, broadcast: Broadcast, every: timedelta) -> bool:
    """No edit of the progress message is still queued, and the last one was queued `every` ago."""
    pending, last = await uow.broadcasts.edits_of(progress_ref(broadcast.id))
    # created_at is stamped with the real time when a row is written, so it is compared with that.
    return not pending and (last is None or utcnow() - last >= every)


async def announce(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> None:
    """The sender's progress message (with a ref, so refresh_progress can edit it) and Cancel button."""
    p = Progress(broadcast.total, broadcast.total, 0, 0, 0, 0, 0 if broadcast.receipt else None)
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {
            "chat_id": broadcast.chat_id,
            "text": render_progress(tr, broadcast, p),
            "parse_mode": PARSE_MODE,
            "reply_markup": progress_markup(tr, broadcast),
        },
        ref=progress_ref(broadcast.id),
    )


async def undelivered_csv(uow: UnitOfWork, broadcast_id: int) -> tuple[int, str]:
    """The blocked and failed recipients as CSV (Telegram id, name, code, status, error)."""
    rows = await uow.broadcasts.undelivered(broadcast_id)
    people = await uow.people.names_by_telegram_id([int(r[0]) for r in rows])
    out = io.StringIO()
    writer = safe_writer(out)  # names are user text: no cell may become a formula
    writer.writerow(["telegram_id", "name", "code", "status", "error"])
    for chat_id, status, error in rows:
        name, code = people.get(int(chat_id), ("", None))
        writer.writerow([chat_id, name, code or "", status, (error or "")[:300]])
    return len(rows), out.getvalue()


def _phone(person: Unreached) -> str:
    """A deputy's phone is the office's own roster; anyone else's only if they shared it themselves."""
    if person.phone and (person.level is not None or person.phone_shared):
        return person.phone
    return ""


def unreachable_csv(tr: Translator, people: list[Unreached]) -> str:
    """The audience's members without a Telegram account (name, code, level, stations, phone)."""
    out = io.StringIO()
    writer = safe_writer(out)  # names are user text: no cell may become a formula
    writer.writerow([tr("name"), tr("code"), tr("level"), tr("station"), tr("phone")])
    for person in people:
        level = tr(LEVEL_LABELS[person.level]) if person.level in LEVEL_LABELS else ""
        writer.writerow([person.name, person.code or "", level, "; ".join(person.stations), _phone(person)])
    return out.getvalue()


async def _took(uow: UnitOfWork, broadcast: Broadcast) -> float | None:
    last = await uow.broadcasts.last_finished(broadcast.id)
    if last is None or broadcast.started_at is None:
        return None
    return max(0.0, (last - broadcast.started_at).total_seconds())


async def finish(
    uow: UnitOfWork, broadcast: Broadcast, p: Progress, tr: Translator, now: datetime | None = None
) -> None:
    """The last edit of the progress message (no button), the report and the CSV of the undelivered."""
    broadcast.finished_at = now or utcnow()
    _remember(broadcast, p)
    await _show(uow, broadcast, p, tr, progress_markup(tr, broadcast))
    words = await audience_words(uow, broadcast, tr)
    audience = parse_audience(broadcast.audience)
    missing = await unreachable(uow, audience) if audience is not None else []
    report = render_report(tr, broadcast, p, words, await _took(uow, broadcast), len(missing))
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {"chat_id": broadcast.chat_id, "text": report, "parse_mode": PARSE_MODE},
    )
    count, text = await undelivered_csv(uow, broadcast.id)
    if count:
        await uow.outbox.add(
            broadcast.chat_id,
            "sendDocument",
            {
                "chat_id": broadcast.chat_id,
                "caption": tr("Undelivered recipients of notice #{id}: {n}", id=broadcast.id, n=num(count)),
                "parse_mode": PARSE_MODE,
                UPLOAD: {
                    "field": "document",
                    "filename": f"notice-{broadcast.id}-undelivered.csv",
                    "text": text,
                },
            },
        )
    if missing:
        caption = tr(
            "Without a Telegram account, not sent notice #{id}: {n}", id=broadcast.id, n=num(len(missing))
        )
        await send_unreachable(
            uow, broadcast.chat_id, tr, missing, caption, f"notice-{broadcast.id}-no-telegram.csv"
        )


async def send_unreachable(
    uow: UnitOfWork, chat_id: int, tr: Translator, people: list[Unreached], caption: str, filename: str
) -> None:
    """The list of the audience without a Telegram account, as a CSV document in the staff's chat."""
    await uow.outbox.add(
        chat_id,
        "sendDocument",
        {
            "chat_id": chat_id,
            "caption": caption,
            "parse_mode": PARSE_MODE,
            UPLOAD: {"field": "document", "filename": filename, "text": unreachable_csv(tr, people)},
        },
    )


async def list_unreachable(uow: UnitOfWork, chat_id: int, tr: Translator, audience: Audience) -> int:
    """For an audience no one of which can be reached: the list of its members, to reach another way
    (there will be no notice and so no report). Returns how many."""
    missing = await unreachable(uow, audience)
    if missing:
        caption = tr("Without a Telegram account: {n}", n=num(len(missing)))
        await send_unreachable(uow, chat_id, tr, missing, caption, "no-telegram.csv")
    return len(missing)


def _remember(broadcast: Broadcast, p: Progress) -> None:
    broadcast.sent, broadcast.blocked, broadcast.failed = p.sent, p.blocked, p.failed
    broadcast.cancelled = p.cancelled
    broadcast.acked = p.acked or 0


def _changed(broadcast: Broadcast, p: Progress) -> bool:
    return (broadcast.sent, broadcast.blocked, broadcast.failed, broadcast.cancelled, broadcast.acked) != (
        p.sent,
        p.blocked,
        p.failed,
        p.cancelled,
        p.acked or 0,
    )


async def show_now(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None) -> None:
    """Edit the progress message at once (its buttons changed: the reminder went out)."""
    tr = await sender_tr(uow, broadcast, settings)
    p = await progress(uow, broadcast.id, receipts=bool(broadcast.receipt))
    _remember(broadcast, p)
    await _show(uow, broadcast, p, tr, progress_markup(tr, broadcast))


async def refresh_progress(
    uow: UnitOfWork,
    settings: Settings | None = None,
    *,
    broadcast_id: int | None = None,
    now: datetime | None = None,
    every: timedelta = PROGRESS_EVERY,
) -> int:
    """Edit the progress message of each sending broadcast (when its counts moved, no earlier edit is
    still queued and the last is `every` old); a broadcast with no pending row is marked done and its
    report sent. Returns how many messages it queued; the caller commits (and wakes the outbox).
    """
    queued = 0
    for broadcast in await uow.broadcasts.sending(broadcast_id):
        p = await progress(uow, broadcast.id, receipts=bool(broadcast.receipt))
        if p.pending == 0:
            lifecycle.move(broadcast, lifecycle.Action.FINISH, lifecycle.ActorKind.SYSTEM)
            await finish(uow, broadcast, p, await sender_tr(uow, broadcast, settings), now)
            queued += 2
        elif _changed(broadcast, p) and await _may_edit(uow, broadcast, every):
            tr = await sender_tr(uow, broadcast, settings)
            _remember(broadcast, p)
            rate = await recent_rate(uow, broadcast)
            await _show(uow, broadcast, p, tr, progress_markup(tr, broadcast), rate)
            queued += 1
    if broadcast_id is None:  # acknowledgements go on arriving after a notice is out: the count follows
        for broadcast in await uow.broadcasts.acks_moved():
            if await _may_edit(uow, broadcast, every):
                await show_now(uow, broadcast, settings)
                queued += 1
    await uow.flush()
    return queued
