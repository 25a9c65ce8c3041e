"""Broadcasts (通知): audiences, the broadcast and its outbox rows in one transaction, progress, report.

```mermaid
flowchart LR
    compose["/broadcast → text or photo"] --> audience{audience} --> preview[count + preview]
    preview -- Confirm --> rows[broadcast row + one outbox row per recipient, one commit]
    rows --> sender[outbox sender, paced] --> refresh[refresh_progress: edit the progress message]
    refresh -- nothing pending --> done[done + report: sent, blocked, failed]
    rows -- Cancel --> cancelled[pending rows cancelled + report]
```
A crash mid-way loses nothing and repeats nothing: the rows are durable before any is sent, and the
sender never sends a row it marked sent. No Telegram types here; texts come from the caller's locale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.callbacks import pack
from bot.i18n import N_, Translator, translator
from bot.outbox import EDIT_REF
from bot.people import locale_of
from bot.replies import PARSE_MODE, esc
from bot.settings import Settings
from storage.models import (
    Broadcast,
    BroadcastStatus,
    Deputy,
    DeputyLevel,
    OutboxMessage,
    OutboxStatus,
    Person,
    PersonRole,
    Role,
    Station,
    utcnow,
)
from storage.repositories import UnitOfWork

__all__ = [
    "MAX_CAPTION",
    "MAX_TEXT",
    "Audience",
    "Progress",
    "announce",
    "cancel",
    "create",
    "describe",
    "parse_audience",
    "progress",
    "progress_ref",
    "recipients",
    "refresh_progress",
    "render_progress",
    "render_report",
]

MAX_TEXT = 4096
MAX_CAPTION = 1024
# Below the default: a person's own dialog goes first while a big notice drains.
PRIORITY = -1
BAR = 10
# Callback data of the feature's buttons: "bc:<action>[:<field>]".
CALLBACK = "bc"
CANCEL = "x"

ALL = "all"
DEPUTIES = "deputies"
LEVEL = "level"
COMMITTEE = "committee"
PRESIDIUM = "presidium"
STATION = "station"

LEVEL_LABELS: dict[str, str] = {
    DeputyLevel.NATIONAL: N_("National"),
    DeputyLevel.PROVINCIAL: N_("Provincial"),
    DeputyLevel.PREFECTURE: N_("Prefecture"),
    DeputyLevel.COUNTY: N_("County"),
    DeputyLevel.TOWNSHIP: N_("Township"),
}


@dataclass(frozen=True)
class Audience:
    kind: str
    arg: str = ""

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.arg}" if self.arg else self.kind


def parse_audience(key: str | None) -> Audience | None:
    """An audience key from a button or the chat session; None for anything else (never trusted)."""
    if not key:
        return None
    kind, _, arg = key.partition(":")
    if kind in (ALL, DEPUTIES, COMMITTEE, PRESIDIUM) and not arg:
        return Audience(kind)
    if kind == LEVEL and arg in LEVEL_LABELS:
        return Audience(kind, arg)
    if kind == STATION and arg and len(arg) <= 32:
        return Audience(kind, arg)
    return None


def describe(audience: Audience, tr: Translator, station_name: str | None = None) -> str:
    """The audience in words (HTML-safe)."""
    if audience.kind == DEPUTIES:
        return tr("All deputies")
    if audience.kind == LEVEL:
        return tr("{level} deputies", level=tr(LEVEL_LABELS[audience.arg]))
    if audience.kind == COMMITTEE:
        return tr("Standing-committee members")
    if audience.kind == PRESIDIUM:
        return tr("Presidium")
    if audience.kind == STATION:
        return tr("Constituents of {station}", station=esc(station_name or audience.arg))
    return tr("Everyone with a Telegram account")


async def _subtree(uow: UnitOfWork, root_id: int) -> set[int]:
    stations = (await uow.session.execute(select(Station.id, Station.parent_id))).all()
    children: dict[int, list[int]] = {}
    for sid, parent in stations:
        if parent is not None:
            children.setdefault(parent, []).append(sid)
    found, todo = {root_id}, [root_id]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


async def recipients(uow: UnitOfWork, audience: Audience) -> list[int]:
    """The Telegram ids of the audience (people without one cannot be reached), each once, in order."""
    has_tg = Person.telegram_id.is_not(None)
    if audience.kind in (DEPUTIES, LEVEL):
        stmt = select(Person.telegram_id).join(Deputy, Deputy.person_id == Person.id).where(has_tg)
        if audience.kind == LEVEL:
            stmt = stmt.where(Deputy.level == audience.arg)
    elif audience.kind in (COMMITTEE, PRESIDIUM):
        role = Role.COMMITTEE_MEMBER if audience.kind == COMMITTEE else Role.PRESIDIUM
        stmt = (
            select(Person.telegram_id)
            .join(PersonRole, PersonRole.person_id == Person.id)
            .where(has_tg, PersonRole.role == role.value)
        )
    elif audience.kind == STATION:
        station = await uow.network.station_by_code(audience.arg)
        if station is None:
            return []
        stations = await _subtree(uow, station.id)  # a township's villages included
        is_deputy = select(Deputy.id).where(Deputy.person_id == Person.id).exists()
        stmt = select(Person.telegram_id).where(has_tg, Person.station_id.in_(stations), ~is_deputy)
    else:
        stmt = select(Person.telegram_id).where(has_tg)
    ids = await uow.session.scalars(stmt.distinct())
    return sorted(int(i) for i in ids if i is not None)


def _payload(chat_id: int, text: str, photo: str | None) -> tuple[str, dict[str, Any]]:
    if photo:
        payload: dict[str, Any] = {"chat_id": chat_id, "photo": photo, "parse_mode": PARSE_MODE}
        if text:
            payload["caption"] = esc(text)
        return "sendPhoto", payload
    return "sendMessage", {
        "chat_id": chat_id,
        "text": esc(text),
        "parse_mode": PARSE_MODE,
        "link_preview_options": {"is_disabled": True},
    }


def preview_call(chat_id: int, text: str, photo: str | None) -> tuple[str, dict[str, Any]]:
    """The Bot API call that shows the notice exactly as recipients will see it."""
    return _payload(chat_id, text, photo)


async def create(
    uow: UnitOfWork,
    *,
    person: Person,
    chat_id: int,
    text: str,
    photo: str | None,
    audience: Audience,
    now: datetime | None = None,
) -> Broadcast:
    """The broadcast row and one outbox row per recipient, flushed (the caller commits them together)."""
    ids = await recipients(uow, audience)
    broadcast = Broadcast(
        created_by_person_id=person.id,
        chat_id=chat_id,
        text=text,
        photo_file_id=photo,
        audience=audience.key,
        status=BroadcastStatus.SENDING,
        created_at=now or utcnow(),
        total=len(ids),
    )
    uow.session.add(broadcast)
    await uow.session.flush()
    stamp = utcnow()
    rows = []
    for tg in ids:
        method, payload = _payload(tg, text, photo)
        rows.append(
            OutboxMessage(
                chat_id=tg,
                method=method,
                payload=payload,
                not_before=stamp,
                priority=PRIORITY,
                broadcast_id=broadcast.id,
            )
        )
    uow.session.add_all(rows)
    await uow.session.flush()
    return broadcast


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sent: int
    blocked: int
    failed: int
    cancelled: int

    @property
    def processed(self) -> int:
        return self.total - self.pending


async def progress(uow: UnitOfWork, broadcast_id: int) -> Progress:
    """The broadcast's outbox rows counted by status."""
    rows = await uow.session.execute(
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .group_by(OutboxMessage.status)
    )
    by: dict[str, int] = {str(status): int(n) for status, n in rows.all()}
    return Progress(
        total=sum(by.values()),
        pending=by.get(OutboxStatus.PENDING, 0),
        sent=by.get(OutboxStatus.SENT, 0),
        blocked=by.get(OutboxStatus.BLOCKED, 0),
        failed=by.get(OutboxStatus.FAILED, 0),
        cancelled=by.get(OutboxStatus.CANCELLED, 0),
    )


def progress_ref(broadcast_id: int) -> str:
    return f"bcast:{broadcast_id}:progress"


def num(n: int) -> str:
    """1,200: thousands grouped, as in the progress line."""
    return f"{n:,}"


def bar(done: int, total: int, width: int = BAR) -> str:
    filled = width if total <= 0 else min(width, done * width // total)
    return "▓" * filled + "░" * (width - filled)


def render_progress(tr: Translator, broadcast: Broadcast, p: Progress) -> str:
    """`▓▓▓▓░░░░ 1,200 / 3,000 · 2 failed` under a heading."""
    line = f"{bar(p.processed, p.total)} {p.processed:,} / {p.total:,}"
    undelivered = p.blocked + p.failed
    if undelivered:
        line += " · " + tr("{n} failed", n=num(undelivered))
    head = tr("Notice #{id}: sending…", id=broadcast.id)
    if broadcast.status == BroadcastStatus.DONE:
        head = tr("Notice #{id}: finished.", id=broadcast.id)
    elif broadcast.status == BroadcastStatus.CANCELLED:
        head = tr("Notice #{id}: cancelled.", id=broadcast.id)
    return f"{head}\n{line}"


def render_report(tr: Translator, broadcast: Broadcast, p: Progress, audience: str) -> str:
    lines = [
        tr("Report on notice #{id} ({audience}):", id=broadcast.id, audience=audience),
        tr("Sent: {n}", n=num(p.sent)),
        tr("Blocked (never started the bot, or blocked it): {n}", n=num(p.blocked)),
        tr("Failed: {n}", n=num(p.failed)),
    ]
    if p.cancelled:
        lines.append(tr("Cancelled before sending: {n}", n=num(p.cancelled)))
    return "\n".join(lines)


def cancel_markup(tr: Translator, broadcast_id: int) -> dict[str, Any]:
    """The progress message's Cancel button, as Bot API JSON."""
    data = pack(CALLBACK, CANCEL, broadcast_id)
    return {"inline_keyboard": [[{"text": tr("Cancel the notice"), "callback_data": data}]]}


async def _sender_tr(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None) -> Translator:
    person = await uow.people.get(broadcast.created_by_person_id) if broadcast.created_by_person_id else None
    if settings is None:
        return translator(person.language if person and person.language else "zh_Hans")
    return translator(locale_of(person, None, settings))


async def _audience_words(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> str:
    audience = parse_audience(broadcast.audience) or Audience(ALL)
    name = None
    if audience.kind == STATION:
        station = await uow.network.station_by_code(audience.arg)
        name = station.name if station else None
    return describe(audience, tr, name)


async def _show(
    uow: UnitOfWork, broadcast: Broadcast, p: Progress, tr: Translator, markup: dict[str, Any] | None
) -> None:
    payload: dict[str, Any] = {
        "chat_id": broadcast.chat_id,
        "text": render_progress(tr, broadcast, p),
        "parse_mode": PARSE_MODE,
        EDIT_REF: progress_ref(broadcast.id),
    }
    if markup is not None:
        payload["reply_markup"] = markup
    await uow.outbox.add(broadcast.chat_id, "editMessageText", payload, ref=progress_ref(broadcast.id))


async def announce(uow: UnitOfWork, broadcast: Broadcast, tr: Translator) -> None:
    """The sender's progress message (with a ref, so refresh_progress can edit it) and Cancel button."""
    p = Progress(broadcast.total, broadcast.total, 0, 0, 0, 0)
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {
            "chat_id": broadcast.chat_id,
            "text": render_progress(tr, broadcast, p),
            "parse_mode": PARSE_MODE,
            "reply_markup": cancel_markup(tr, broadcast.id),
        },
        ref=progress_ref(broadcast.id),
    )


async def _finish(uow: UnitOfWork, broadcast: Broadcast, p: Progress, tr: Translator) -> None:
    broadcast.finished_at = utcnow()
    _remember(broadcast, p)
    await _show(uow, broadcast, p, tr, None)
    report = render_report(tr, broadcast, p, await _audience_words(uow, broadcast, tr))
    await uow.outbox.add(
        broadcast.chat_id,
        "sendMessage",
        {"chat_id": broadcast.chat_id, "text": report, "parse_mode": PARSE_MODE},
    )


def _remember(broadcast: Broadcast, p: Progress) -> None:
    broadcast.sent, broadcast.blocked, broadcast.failed = p.sent, p.blocked, p.failed
    broadcast.cancelled = p.cancelled


def _changed(broadcast: Broadcast, p: Progress) -> bool:
    return (broadcast.sent, broadcast.blocked, broadcast.failed, broadcast.cancelled) != (
        p.sent,
        p.blocked,
        p.failed,
        p.cancelled,
    )


async def refresh_progress(
    uow: UnitOfWork,
    settings: Settings | None = None,
    *,
    broadcast_id: int | None = None,
) -> int:
    """Edit the progress message of each sending broadcast (only when its counts moved); a broadcast
    with no pending row is marked done and its report sent. Returns how many messages it queued; the
    caller commits (and wakes the outbox).
    """
    stmt = select(Broadcast).where(Broadcast.status == BroadcastStatus.SENDING).order_by(Broadcast.id)
    if broadcast_id is not None:
        stmt = stmt.where(Broadcast.id == broadcast_id)
    queued = 0
    for broadcast in (await uow.session.scalars(stmt)).all():
        p = await progress(uow, broadcast.id)
        tr = await _sender_tr(uow, broadcast, settings)
        if p.pending == 0:
            broadcast.status = BroadcastStatus.DONE
            await _finish(uow, broadcast, p, tr)
            queued += 2
        elif _changed(broadcast, p):
            _remember(broadcast, p)
            await _show(uow, broadcast, p, tr, cancel_markup(tr, broadcast.id))
            queued += 1
    await uow.session.flush()
    return queued


async def cancel(uow: UnitOfWork, broadcast: Broadcast, settings: Settings | None = None) -> int:
    """Cancel the pending rows (a call already under way may still land); report at once."""
    result = await uow.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.broadcast_id == broadcast.id, OutboxMessage.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.CANCELLED)
    )
    broadcast.status = BroadcastStatus.CANCELLED
    await uow.session.flush()
    p = await progress(uow, broadcast.id)
    await _finish(uow, broadcast, p, await _sender_tr(uow, broadcast, settings))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
